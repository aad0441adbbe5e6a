"""When was it published: date candidates from every source -> one pure scorer -> the winner.

Sources (the `date_source` of the winner):

- ``visible``           a date shown next to the heading (`shown_dates`: labelled, info lines,
                        bylines, a date alone in its element ...)
- ``disclosure_block``  the 信息公开 block's 发布日期 (公开日期, 发布时间, 日期; 生成日期 a little less)
- ``meta``              a machine-readable date: PubDate and its spellings, JSON-LD
                        datePublished, itemprop, a hidden CMS property or comment (`meta.machine_dates`)
- ``url``               a day in the URL; a month folder (/202104/) only supports or contradicts
- ``signature``         the date under the text

`weigh_dates` scores every candidate: what its source and form are worth (`prior`), plus half
the prior of each other source that agrees within a day. A machine stamp more than a month
after the URL folder, the block or a shown date is a regeneration time and never wins. The
highest score wins; a tie goes to the earlier candidate. Metadata keeps the others
(`published_visible`, `pub_date_meta`, `written_date`, `generated_date`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta

from crawler.extract.dates import date_from_url, find_dates, month_from_url, nfkc, parse_date
from crawler.extract.dom import compact, squash
from crawler.extract.model import Extraction

from .shown_dates import CLOCK_WORDS, TODAY_WORDS, ShownDate, shown_prior

SOURCES = ("visible", "disclosure_block", "meta", "url", "signature")
BLOCK_PRIORS = {"published_visible": 75.0, "generated_date": 72.0}
META_PRIORS = {"pubdate": 60.0, "alias": 58.0, "json_ld": 58.0, "itemprop": 58.0, "property": 56.0,
               "comment": 56.0, "script": 54.0}
URL_DAY_PRIOR, URL_MONTH_WEIGHT, SIGNATURE_PRIOR = 50.0, 20.0, 40.0
SUPPORT_SHARE = 0.5  # an agreeing source adds half its prior
AGREE_DAYS = 1  # dates a day apart agree (time zones, a notice dated the evening before)
REGENERATED_AFTER_DAYS = 31  # a machine stamp this much later than the page's own dates was rewritten
WEAK_PRIOR = 70.0  # a shown date worth less loses when another source contradicts it and none supports it


@dataclass(frozen=True)
class DateCandidate:
    """A publication date offered by one source.

    `iso` is ``YYYY-MM-DD`` (with a time when shown) or ``YYYY-MM`` for a month (URL folders:
    evidence only, never the answer); `kind` says how the source shows it (labelled, info_line,
    own_element ... | published_visible, generated_date | pubdate, json_ld ... | url_day,
    url_month | signature); `prior` is what source and kind are worth before agreement;
    `position` is document order (-1 outside the body: head, URL).
    """

    iso: str
    source: str
    kind: str
    prior: float
    position: int = -1
    shown: str = ""
    line: str = ""

    @property
    def is_month(self) -> bool:
        return len(self.iso) == 7

    def span(self) -> tuple[date, date]:
        """First and last day the candidate covers."""
        y, m = int(self.iso[:4]), int(self.iso[5:7])
        if not self.is_month:
            day = date(y, m, int(self.iso[8:10]))
            return day, day
        nxt = date(y + (m == 12), m % 12 + 1, 1)
        return date(y, m, 1), nxt - timedelta(days=1)


@dataclass(frozen=True)
class ScoredDate:
    """A candidate with its score (None: ruled out) and the evidence it is made of."""

    candidate: DateCandidate
    score: float | None
    evidence: tuple[tuple[str, float], ...]


# ---------------------------------------------------------------- candidate generators


def visible_candidates(shown: list[ShownDate]) -> list[DateCandidate]:
    return [DateCandidate(c.iso, "visible", c.form, prior, c.position, c.shown, c.line)
            for c in shown if (prior := shown_prior(c)) is not None]


def block_candidates(fields: dict[str, str], position: int = -1) -> list[DateCandidate]:
    """The 信息公开 block's publication dates (发布日期 and its variants, 生成日期)."""
    out = []
    for key, prior in BLOCK_PRIORS.items():
        iso = parse_date(fields.get(key))
        if iso:
            out.append(DateCandidate(iso, "disclosure_block", key, prior, position, fields[key]))
    return out


def meta_candidates(machine: list[tuple[str, str]]) -> list[DateCandidate]:
    """(kind, value) pairs of `meta.machine_dates`, parsed."""
    out = []
    for kind, value in machine:
        iso = parse_date(value)
        if iso:
            out.append(DateCandidate(iso, "meta", kind, META_PRIORS.get(kind, 54.0), -1, value))
    return out


def url_candidates(url: str) -> list[DateCandidate]:
    day = date_from_url(url)
    if day:
        return [DateCandidate(day, "url", "url_day", URL_DAY_PRIOR)]
    month = month_from_url(url)
    return [DateCandidate(month, "url", "url_month", 0.0)] if month else []


_SIGNATURE_SKIP = re.compile(r"施行|实施|起|至|截止|前|以前|之前")


def signature_candidates(body: str, position: int = -1) -> list[DateCandidate]:
    """The date on one of the last lines of the text, alone or with a few characters."""
    for line in reversed(body.split("\n")[-6:]):
        s = nfkc(line).strip()
        if TODAY_WORDS.search(s) or CLOCK_WORDS.search(s):
            continue  # 2026年11月25日 星期三: a clock, not a signature
        for f in find_dates(s, normalized=True):
            rest = compact(s[:f.start] + s[f.end:])
            if len(rest) <= 4 and not _SIGNATURE_SKIP.search(rest):
                return [DateCandidate(f.iso[:10], "signature", "signature", SIGNATURE_PRIOR, position, s)]
    return []


# ---------------------------------------------------------------- the scorer


def agree(a: DateCandidate, b: DateCandidate) -> bool:
    """Within a day of each other (a month covers its days)."""
    a0, a1 = a.span()
    b0, b1 = b.span()
    slack = timedelta(days=AGREE_DAYS)
    return a0 - slack <= b1 and b0 - slack <= a1


def _regenerated(c: DateCandidate, others: list[DateCandidate]) -> bool:
    """A machine stamp dated more than a month after a date the page itself gives (URL folder,
    block, a strongly shown date): the page was regenerated, the stamp is not its date."""
    if c.source != "meta":
        return False
    first = c.span()[0]
    return any(first > o.span()[1] + timedelta(days=REGENERATED_AFTER_DAYS) for o in others
               if o.source in ("url", "disclosure_block") or (o.source == "visible" and o.prior >= 80))


def _contradicted(c: DateCandidate, others: list[DateCandidate]) -> bool:
    """Another source gives another date and none gives this one (a later machine stamp, which
    may be a regeneration time, contradicts nothing)."""
    rivals = [o for o in others if o.source not in (c.source, "meta") or
              (o.source == "meta" and c.source != "meta" and o.span()[0] <= c.span()[1])]
    return any(not agree(o, c) for o in rivals) and not any(agree(o, c) for o in others if o.source != c.source)


def score_date(c: DateCandidate, candidates: list[DateCandidate]) -> ScoredDate:
    """The candidate's prior plus the support of agreeing sources; None when it cannot win."""
    if c.is_month:
        return ScoredDate(c, None, (("month_only", 0.0),))
    if _regenerated(c, candidates):
        return ScoredDate(c, None, (("regenerated", 0.0),))
    if c.source == "visible" and c.prior < WEAK_PRIOR and _contradicted(c, candidates):
        return ScoredDate(c, None, (("contradicted", 0.0),))
    evidence = [("prior", c.prior)]
    for source in SOURCES:
        if source == c.source:
            continue
        support = [o for o in candidates if o.source == source and agree(o, c)]
        if support:
            weight = max(URL_MONTH_WEIGHT if o.is_month else o.prior for o in support)
            evidence.append((f"agrees:{source}", SUPPORT_SHARE * weight))
    return ScoredDate(c, sum(v for _, v in evidence), tuple(evidence))


def weigh_dates(candidates: list[DateCandidate]) -> list[ScoredDate]:
    """Every candidate scored, best first (ruled-out ones last; stable on ties)."""
    scored = [score_date(c, candidates) for c in candidates]
    return sorted(scored, key=lambda s: -s.score if s.score is not None else float("inf"))


_MONTH_DAY = re.compile(r"(?<![\d年])(1[0-2]|0?[1-9])月([12]\d|3[01]|0?[1-9])日")
FIT_DAYS = 45  # news tells of the last weeks: "3月8日下午" in a paper dated 2021-03-09


def fits_text(c: DateCandidate, body: str) -> bool:
    """A date alone in its element above the heading (a paper's date, or a header clock without
    weekday or time) must fit the text: when the text names days (3月8日), one of them within
    45 days before it; when it gives full dates, one within a year before it."""
    if c.kind != "own_element":
        return True
    day = c.span()[0]
    text = nfkc(body)
    mentions = [(int(m.group(1)), int(m.group(2))) for m in _MONTH_DAY.finditer(text)]
    if mentions and not any(timedelta(0) <= day - d <= timedelta(days=FIT_DAYS)
                            for d in _on_or_before(day, mentions)):
        return False
    full = [date.fromisoformat(f.iso[:10]) for f in find_dates(text, normalized=True)]
    return not full or any(timedelta(0) <= day - d <= timedelta(days=366) for d in full) or max(full) > day


def _on_or_before(day: date, mentions: list[tuple[int, int]]):
    """Each month-day as the nearest date on or before `day`."""
    for m, d in mentions:
        for year in (day.year, day.year - 1):
            try:
                candidate = date(year, m, d)
            except ValueError:
                continue
            if candidate <= day:
                yield candidate
                break


def pick_date(ex: Extraction, meta: dict[str, str], fields: dict[str, str], candidates: list[DateCandidate]) -> None:
    """Set `published` and `date_source` from the best candidate, and what was shown in metadata."""
    scored = weigh_dates([c for c in candidates if fits_text(c, ex.body)])
    best = scored[0] if scored and scored[0].score is not None else None
    standing = [s.candidate for s in scored if s.score is not None and s.candidate.source == "visible"]
    if best is not None and best.candidate.source == "visible":
        meta["published_visible"] = squash(best.candidate.shown)
    elif fields.get("published_visible"):
        meta["published_visible"] = fields["published_visible"]
    elif standing:
        meta["published_visible"] = squash(standing[0].shown)
    if best is not None:
        ex.published, ex.date_source = best.candidate.iso, best.candidate.source
