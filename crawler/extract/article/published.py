"""When was it published: the date the page shows next to the heading, else the fallbacks.

Order: a labelled/bracketed date between the heading and the text (or an explicit 发布日期 just
below the text), the 发布日期 of the 信息公开 block, the PubDate meta, the URL, the signature date.
Dates in sidebars, related lists, header clocks and footers are never used.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from lxml import etree

from crawler.extract.dates import date_from_url, find_dates, nfkc, parse_date
from crawler.extract.dom import compact, inline_text, squash, within
from crawler.extract.model import Extraction

_DIGITISH = re.compile(r"(?:19|20)\d\d|[〇○零][一二三四五六七八九〇○零]|[１２][０-９]")
INLINE = frozenset(("span", "i", "em", "b", "strong", "font", "label", "a", "small", "sup", "sub", "u", "time",
                    "abbr", "cite"))
_VISIBLE_LABEL = re.compile(
    r"(?:发布日期|发布时间|发文日期|公开日期|信息提供日期|发表时间|发表日期|上传时间|发稿时间|"
    r"(?<![\u4e00-\u9fff])(?:时间|日期)|发布)\s*[:：]?\s*$"
)
_NOT_PUBLISHED_LABEL = re.compile(
    r"(?:成文日期|生成日期|印发日期|更新时间|更新日期|施行|实施|截止|有效期|开始|结束|至)\s*[:：]?\s*$"
)
_PUBLISH_WORD = re.compile(r"发布|发文|公开|信息提供")
_TODAY = re.compile(r"今天|今日|当前时间|现在时间|北京时间|农历")
_INFO_WORDS = re.compile(r"来源|作者|浏览|点击|阅读|字号|访问|次数|发布者|编辑|星期|周[一二三四五六日]")
_LINKED_ROW = etree.XPath("boolean(.//a[string-length(normalize-space(.)) > 6])")
_INFO_BLOCK = etree.XPath("boolean(ancestor-or-self::*[contains(@class,'info') or contains(@class,'date')])")
_BRACKET_BEFORE = re.compile(r"[\[【(（]\s*$")


def _holder(node: etree._Element) -> etree._Element | None:
    """The element whose one-line text contains this text node (climbing out of inline tags)."""
    el = node.getparent()
    if getattr(node, "is_tail", False):
        el = el.getparent() if el is not None else None
    for _ in range(2):
        if el is not None and el.tag in INLINE and el.getparent() is not None:
            el = el.getparent()
    return el


def _zone_text_nodes(elements, ranges):
    for lo, hi in ranges:
        for el in elements[max(lo, 0):max(hi, 0)]:
            if el.text and _DIGITISH.search(el.text):
                yield el.xpath("text()")[0] if el.text else None
            for child in el:
                if child.tail and _DIGITISH.search(child.tail):
                    yield child.xpath("following-sibling::text()[1]")[0]


@dataclass(frozen=True)
class DateZone:
    """Where the page's own date may be shown: between the heading and the first sentence
    (`lo`..`hi`), up to 40 elements above the heading, and just after the text."""

    lo: int
    hi: int
    tpos: int | None  # the heading's position
    cpos: int | None  # the text container's position
    end_of_container: int
    title_in: bool  # the heading is inside the text container
    container: etree._Element | None

    @classmethod
    def around(cls, elements, title_el, container, order) -> DateZone | None:
        cpos = order.get(container, None) if container is not None else None
        tpos = order.get(title_el, None) if title_el is not None else None
        if cpos is None and tpos is None:
            return None
        lo = tpos if tpos is not None else (cpos - 120)
        hi = cpos if cpos is not None and (tpos is None or cpos > tpos) else lo + 120
        end = max(order.get(e, 0) for e in container.iter(etree.Element)) if container is not None else hi
        title_in = title_el is not None and container is not None and within(title_el, container)
        if title_in:
            hi = _text_start(elements, title_el, tpos) - 1  # between the heading and the first sentence
        return cls(lo, hi, tpos, cpos, end, title_in, container)

    def ranges(self) -> list[tuple[int, int]]:
        start = self.lo - 42 if self.tpos is not None else self.lo - 2
        return [(start, self.hi + 2), (self.end_of_container + 1, self.end_of_container + 41)]

    def placement(self, el: etree._Element, pos: int) -> DatePlacement | None:
        """Where `el` sits relative to the heading and the text; None outside the zone."""
        tpos, lo, hi, end = self.tpos, self.lo, self.hi, self.end_of_container
        if not ((tpos is not None and tpos - 40 <= pos) or lo - 2 <= pos) or pos > max(hi + 1, end + 40):
            return None
        edge = False
        if self.container is not None and within(el, self.container) and not (self.title_in and pos <= hi):
            edge = self.cpos is not None and (pos - self.cpos <= 12 or end - pos <= 12)
            if not edge:
                return None  # inside the text, away from its first and last lines
        place = DatePlacement(strict=lo - 2 <= pos <= hi + 1, edge=edge,
                              after_body=self.container is not None and end < pos <= end + 40,
                              before_title=tpos is not None and tpos - 40 <= pos < lo - 2)
        return place if place.strict or place.after_body or place.before_title else None


@dataclass(frozen=True)
class DatePlacement:
    strict: bool  # between the heading and the first sentence
    edge: bool  # on the first or last lines of the text
    after_body: bool  # right after the text
    before_title: bool  # above the heading

    @property
    def zone(self) -> str:
        if self.edge:
            return "edge"
        if self.strict:
            return "heading"
        return "above_heading" if self.before_title else "after_text"


@dataclass(frozen=True)
class DateCandidate:
    """A date shown on the page, with how it is shown and where.

    `rank`: 0 labelled 发布日期/时间, 1 bracketed or opening an info line, 2 bare on a short line.
    """

    iso: str
    shown: str  # the date as shown, with its label ("发布日期：2023-02-28")
    line: str  # the whole line holding it
    rank: int
    position: int  # document order of the line's element
    placement: DatePlacement
    anchored: bool  # a heading was found (the zone is anchored on it, not only on the text)
    source: str = "visible"


def visible_date(elements, title_el, container, order,
                 block_rows: frozenset = frozenset()) -> tuple[str | None, str | None, str | None]:
    """(iso, shown, line) of the labelled (or bracketed) date shown next to the title, never from
    lists or chrome: date candidates -> `score_date` -> the lowest score (the first on a tie).

    `block_rows`: elements holding 信息公开 fields (and their parents); their 发布日期 is the
    block's, reported as such by the caller.
    """
    zone = DateZone.around(elements, title_el, container, order)
    if zone is None:
        return None, None, None
    best: tuple[int, DateCandidate] | None = None
    for c in date_candidates(elements, zone, order, block_rows):
        score = score_date(c)
        if score is not None and (best is None or score < best[0]):
            best = (score, c)
    return (best[1].iso, best[1].shown, best[1].line) if best else (None, None, None)


def score_date(c: DateCandidate) -> int | None:
    """Lower is better: the rank, plus 5 on the text's edges or after it, 3 above the heading.
    None when the candidate cannot be the publication date where it stands."""
    place = c.placement
    if ((not place.strict or place.edge or not c.anchored) and c.rank == 2) or (place.edge and c.rank == 1):
        return None
    explicit = c.rank == 0 and _PUBLISH_WORD.search(c.shown)
    if (place.edge or (place.after_body and not place.before_title and not place.strict)) and not explicit:
        return None  # in or below the text only an explicit 发布日期 counts (会议时间, list dates)
    return c.rank + (5 if place.edge else 0 if place.strict else 3 if place.before_title else 5)


def date_candidates(elements, zone: DateZone, order, block_rows: frozenset) -> Iterator[DateCandidate]:
    """Every date on a line in the zone, outside the 信息公开 block and related-list rows."""
    seen: set[int] = set()
    for node in _zone_text_nodes(elements, zone.ranges()):
        el = _holder(node)
        if el is None or el in block_rows or el.getparent() in block_rows:
            continue
        lines = _new_lines(node, el, seen)
        if not lines:
            continue
        pos = order.get(el, -1)
        place = zone.placement(el, pos)
        if place is None or (_LINKED_ROW(el) and not _INFO_BLOCK(el)):
            continue  # outside the zone, or a related-list row: a long link next to its date
        for line in lines:
            for rank, iso, shown in _line_dates(line):
                yield DateCandidate(iso, shown, line, rank, pos, place, zone.tpos is not None)


def _new_lines(node, el: etree._Element, seen: set[int]) -> list[str]:
    """The one-line texts of the node's holder (and of its inline parent), each element once."""
    own = node.getparent()
    if getattr(node, "is_tail", False) and own is not None:
        own = own.getparent()
    lines = []
    if id(el) not in seen:
        seen.add(id(el))
        lines.append(inline_text(el))
    if own is not None and own is not el and own.tag in INLINE and id(own) not in seen:
        seen.add(id(own))
        lines.append(inline_text(own))  # <div class=title><h1>..</h1><span>2023-02-28</span></div>
    return [ln for ln in lines if len(ln) <= 200]


_SENTENCE = re.compile(r"[，。；]")


def _text_start(elements, title_el, tpos: int) -> int:
    """Position of the first element after the heading that holds a real sentence."""
    for i in range(tpos + 1, min(tpos + 60, len(elements))):
        el = elements[i]
        own = (el.text or "").strip() + " ".join((c.tail or "").strip() for c in el)
        if (len(own) >= 40 or (len(own) >= 12 and _SENTENCE.search(own))) and not within(el, title_el):
            return i
    return tpos + 60


def _line_dates(line: str):
    """(rank, iso, shown text) for dates in a line: 0 labelled 发布..., 1 bracketed, 2 bare on a short line."""
    s = nfkc(line)
    if _TODAY.search(s):
        return  # 今天是2026年11月25日: the header clock
    for f in find_dates(s, normalized=True):
        before = s[max(0, f.start - 12):f.start]
        shown = s[f.start:f.end].strip()
        if _NOT_PUBLISHED_LABEL.search(before):
            continue
        label = _VISIBLE_LABEL.search(before)
        if label:
            yield 0, f.iso, (label.group(0) + shown).strip()
        elif _BRACKET_BEFORE.search(before) and s[f.end:f.end + 1] in ("]", "】", ")", "）"):
            yield 1, f.iso, shown
        elif len(s) <= 80:
            rest = s[:f.start] + s[f.end:]
            if _ARTICLE_INFO.search(rest) and not _INFO_WORDS_CLOCK.search(rest):
                yield 1, f.iso, shown  # 2023-05-12 来源：… 作者：…: the article's own info line
            elif len(compact(rest)) <= 12 or _INFO_WORDS.search(rest):
                yield 2, f.iso, shown


def labelled_date(line: str) -> str | None:
    """The date of a line that labels it as the publication date (发布日期：/ 发布时间：/ 时间：...)."""
    for rank, iso, _ in _line_dates(line):
        if rank == 0:
            return iso
    return None


_ARTICLE_INFO = re.compile(r"来源|作者|浏览|点击|阅读|访问|发布者|发布人|编辑")
_INFO_WORDS_CLOCK = re.compile(r"星期|周[一二三四五六日]|农历")


def info_line_date(line: str) -> str | None:
    """The date of an article info line without a date label: "2023-05-12 09:00 来源：大气环境科 阅读：88"."""
    s = nfkc(line)
    if _TODAY.search(s):
        return None
    for f in find_dates(s, normalized=True):
        rest = s[:f.start] + s[f.end:]
        if _ARTICLE_INFO.search(rest) and len(compact(s[:f.start])) <= 4:
            return f.iso
    return None


def pick_date(ex: Extraction, meta: dict[str, str], fields: dict[str, str], visible: str | None,
               visible_raw: str | None, url: str) -> None:
    meta_date = parse_date(meta.get("pub_date_meta"))
    block = parse_date(fields.get("published_visible"))
    if visible_raw:
        meta["published_visible"] = squash(visible_raw)
    elif fields.get("published_visible"):
        meta["published_visible"] = fields["published_visible"]
    chosen = [(visible, "visible"), (block, "disclosure_block"), (meta_date, "meta"),
              (date_from_url(url), "url"), (_signature_date(ex.body), "signature")]
    for iso, source in chosen:
        if iso:
            ex.published, ex.date_source = iso, source
            return


_SIGNATURE_SKIP = re.compile(r"施行|实施|起|至|截止|前|以前|之前")


def _signature_date(body: str) -> str | None:
    for line in reversed(body.split("\n")[-6:]):
        s = nfkc(line).strip()
        if _TODAY.search(s) or _INFO_WORDS_CLOCK.search(s):
            continue  # 2026年11月25日 星期三: a clock, not a signature
        for f in find_dates(s, normalized=True):
            rest = compact(s[:f.start] + s[f.end:])
            if len(rest) <= 4 and not _SIGNATURE_SKIP.search(rest):
                return f.iso[:10]
    return None
