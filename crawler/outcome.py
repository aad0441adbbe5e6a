"""The verdict on a crawl, from its stats: outcome (finished, partial, interrupted, blocked,
failed), health (the CLI's exit code: ``scrapy crawl`` itself exits 0 even when every
request failed) and the problems to tell the user.

Pure functions over a stats mapping (Scrapy's stats, or the stats stored with a crawl row).
The archive pipeline judges a crawl once, when the spider closes, and writes the verdict
into the stats (``crawl/outcome``, ``crawl/healthy``, ``crawl/problems``) and the crawl row;
everyone else reads it back with `Verdict.from_stats`.

Each column (start page) of a crawl has its own outcome in the stats, ``column/<i>/outcome``
(with ``url``, ``detail``, ``list_pages``, ``items``, ``new``), decided by its first list page
(crawler/spiders/columns.py): a failing column is named with its cause, and a crawl whose
columns all failed is the columns' failure, not the site's (`columns_explain_failure`).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

# Answers showing the site itself is up, not only answering 404 / redirecting home.
SITE_ANSWERS = ("pages/list", "pages/article", "pages/file", "archive/not_modified", "archive/same_bytes")
# Answers that tell something about the site: real content, or a page we chose not to keep.
USEFUL_ANSWERS = (*SITE_ANSWERS, "pages/soft404", "pages/empty")
INTERRUPTED_REASONS = frozenset({"shutdown", "cancelled", "interrupted"})
OUTCOME_KEY, HEALTHY_KEY, PROBLEMS_KEY = "crawl/outcome", "crawl/healthy", "crawl/problems"
#: The failed requests of a crawl, named: ``{"<what>\t<cause>": {"count": n, "urls": [first
#: few]}}``, what being "list page N", "article", "listed link" (an unknown link a list page
#: shows that answered 404/410) or "attachment" (`add_failure`, `failure_lines`).
FAILURES_KEY = "crawl/failures"
FIRST_URLS = 3  # URLs kept per kind of failure
LISTED_LINK = "listed link"
DEAD_LINKS_KEY, DEAD_SKIPPED_KEY = "list/dead_links", "list/dead_skipped"
#: Column outcomes: answered as a list, or an article page archived as one document.
COLUMN_OK = frozenset({"ok", "article"})
#: Column outcomes that are not the column's fault: the crawl stopped first, or the site blocks us.
COLUMN_NEUTRAL = frozenset({"interrupted", "blocked"})
ARTICLE_NOTE = "an article page, not a list: archived as one document"
NOT_LIST_NOTE = ("no announcement links found: not a list page? (list loaded by script? "
                 "give [list] selectors in a site definition)")
#: An "article" page showing this many announcement links or more is taken for a list: the
#: classifier errs towards "article", a related-articles sidebar rarely lists this many.
LIST_LINKS_OVER_ARTICLE = 10
_COLUMN_KEY = re.compile(r"^column/(\d+)/(\w+)$")


def count(stats: Mapping[str, Any], key: str) -> int:
    """A counter from crawl stats: 0 when missing, empty or not a number."""
    try:
        return int(stats.get(key) or 0)
    except (TypeError, ValueError):
        return 0


@dataclass
class Verdict:
    """The outcome and health of one crawl."""

    outcome: str  # finished | partial | interrupted | blocked | failed
    healthy: bool
    problems: list[str] = field(default_factory=list)

    def as_stats(self) -> dict[str, Any]:
        """The verdict as crawl stats (stored with the crawl row, read back by `from_stats`)."""
        return {OUTCOME_KEY: self.outcome, HEALTHY_KEY: self.healthy,
                PROBLEMS_KEY: list(self.problems)}

    @classmethod
    def from_stats(cls, stats: Mapping[str, Any]) -> Verdict | None:
        """The verdict recorded in `stats`, or None if the crawl was never judged."""
        outcome = stats.get(OUTCOME_KEY)
        if not outcome:
            return None
        return cls(str(outcome), bool(stats.get(HEALTHY_KEY)), list(stats.get(PROBLEMS_KEY) or []))


@dataclass(frozen=True)
class ColumnResult:
    """What one crawl found on one of its columns (from the ``column/<index>/...`` stats)."""

    index: int
    url: str
    outcome: str = "interrupted"  # no answer to its first list page before the crawl stopped
    detail: str = ""
    list_pages: int = 0
    items: int = 0
    new: int = 0
    dead: tuple[str, ...] = ()  # the listed links that answered 404/410 (canonical URLs)

    @property
    def failed(self) -> bool:
        return self.outcome not in COLUMN_OK | COLUMN_NEUTRAL

    @property
    def note(self) -> str | None:
        """The line telling the user about this column, if anything is worth telling."""
        if self.failed:
            return f"column {self.url}: {self.detail or self.outcome}"
        if self.outcome == "article":
            return f"column {self.url}: {self.detail}"
        return None


def is_article_column(page_class: str, links: int) -> bool:
    """A column's first page that is an article (classified so, without a list's many links)."""
    return page_class == "article" and links < LIST_LINKS_OVER_ARTICLE


def column_stat(index: int, name: str) -> str:
    """The stats key of one column field: ``column/0/outcome``."""
    return f"column/{index}/{name}"


def column_results(stats: Mapping[str, Any]) -> list[ColumnResult]:
    """The columns of a crawl, in order (one per ``column/<i>/url``)."""
    fields: dict[int, dict[str, Any]] = {}
    for key, value in stats.items():
        match = _COLUMN_KEY.match(key)
        if match:
            fields.setdefault(int(match.group(1)), {})[match.group(2)] = value
    return [ColumnResult(index, str(found.get("url") or ""), str(found.get("outcome") or "interrupted"),
                         str(found.get("detail") or ""),
                         *(count(found, name) for name in ("list_pages", "items", "new")),
                         dead=tuple(found.get("dead") or ()))
            for index, found in sorted(fields.items()) if found.get("url")]


def columns_explain_failure(stats: Mapping[str, Any]) -> bool:
    """True if every column of the crawl failed on its own account (404, DNS, not a list ...)
    and the crawl asked nothing else of the site (no re-check of a known article): its
    emptiness or failure is the columns' (each backs off alone), not the site's."""
    results = column_results(stats)
    return (bool(results) and all(r.failed for r in results)
            and not count(stats, "crawl/revisits"))


def mass_gone_detail(stats: Mapping[str, Any]) -> str:
    """What a crawl that held back its withdrawals tells the user (event detail, CLI problem)."""
    held, rechecked = count(stats, "archive/gone_held"), count(stats, "archive/rechecked")
    text = (f"{held} of {max(held, rechecked)} re-checked articles answered 404/410 or "
            "redirected to the home page")
    if not any(count(stats, key) for key in SITE_ANSWERS):
        text += ", and no list page or article answered"
    return text + "; nothing marked withdrawn — check the site"


def failed_requests(stats: Mapping[str, Any]) -> int:
    """Requests that got no usable answer: network failures and HTTP errors."""
    return count(stats, "pages/failed") + count(stats, "pages/error")


def error_count(stats: Mapping[str, Any]) -> int:
    """The errors a crawl shows (progress line and summary alike): failed requests, and the
    unknown links of list pages that answered 404/410."""
    return failed_requests(stats) + count(stats, DEAD_LINKS_KEY)


def record_failure(stats: Any, what: str, cause: str, url: str) -> None:
    """Name a failed request in a crawl's stats (a Scrapy stats collector): `add_failure`."""
    stats.set_value(FAILURES_KEY, add_failure(stats.get_value(FAILURES_KEY), what, cause, url))


def add_failure(failures: Mapping[str, Any] | None, what: str, cause: str,
                url: str) -> dict[str, Any]:
    """`failures` (the ``crawl/failures`` stat) with one more failed request: `what` was asked
    for ("list page 2", "article" ...), `cause` why it failed ("HTTP 404", "connection
    refused" ...)."""
    out = dict(failures or {})
    entry = dict(out.get(f"{what}\t{cause}") or {"count": 0, "urls": []})
    entry["count"] += 1
    if len(entry["urls"]) < FIRST_URLS:
        entry["urls"] = [*entry["urls"], url]
    out[f"{what}\t{cause}"] = entry
    return out


def failure_lines(stats: Mapping[str, Any]) -> list[str]:
    """The named failures: ``list page 2 http://…/index_1.html: HTTP 404``, ``17 listed links:
    HTTP 404 (first: http://…)``."""
    lines = []
    for key, entry in (stats.get(FAILURES_KEY) or {}).items():
        what, _, cause = key.partition("\t")
        n, urls = int(entry.get("count") or 0), list(entry.get("urls") or ["?"])
        lines.append(f"{what} {urls[0]}: {cause}" if n == 1 else f"{n} {what}s: {cause} (first: {urls[0]})")
    return lines


def _named_requests(stats: Mapping[str, Any]) -> int:
    """Failed requests (`failed_requests`) that `failure_lines` names."""
    return sum(int(entry.get("count") or 0) for key, entry in (stats.get(FAILURES_KEY) or {}).items()
               if key.startswith(("article\t", "list page ")))


def assess(stats: Mapping[str, Any]) -> Verdict:
    """Outcome and health of a crawl from its stats.

    Unhealthy: the archive could not be written; nothing useful came back (every request
    failed or errored; 404s and redirects to the home page are not useful: a site moved or
    down for maintenance answers only those); anti-bot challenges outnumber real answers (we
    are blocked); or the crawl held back its withdrawals as implausible (``archive/gone_held``,
    crawler/pipelines.py): the outcome stays "finished" (the scheduler does not back off) but
    the site probably broke, so the crawl is unhealthy (exit 1) and a ``mass_gone`` health
    event says so.
    """
    verdict = _failure(stats)
    if verdict is not None:
        return verdict
    problems = _warnings(stats)
    healthy = not count(stats, "archive/gone_held")
    if not healthy:
        problems.append(mass_gone_detail(stats))
    return _ending(str(stats.get("finish_reason") or ""), healthy, problems)


def _failure(stats: Mapping[str, Any]) -> Verdict | None:
    """A crawl that failed outright: archive not writable, blocked, or nothing answered.

    A crawl we stopped (Ctrl-C, SIGTERM) before anything useful answered did not fail: it
    was not given the time (its failed requests, if any, are named by `_warnings`)."""
    reason = str(stats.get("finish_reason") or "")
    antibot = count(stats, "pages/antibot")
    if count(stats, "archive/errors") or reason == "archive_error":
        detail = stats.get("archive/error_message", reason)
        return Verdict("failed", False, [f"archive not writable: {detail}"])
    if antibot and (antibot >= _useful(stats) or reason == "antibot"):
        return Verdict("blocked", False,
                       [f"blocked by anti-bot protection ({antibot} challenge pages)"])
    if _useful(stats) == 0 and reason not in INTERRUPTED_REASONS:
        columns = [note for r in column_results(stats) if r.failed and (note := r.note)]
        if columns:
            return Verdict("failed", False, columns)
        failed = failed_requests(stats)
        return Verdict("failed", False, [f"no page could be fetched ({failed} failed requests)"
                                         if failed else "no page could be fetched"])
    return None


def _useful(stats: Mapping[str, Any]) -> int:
    return sum(count(stats, key) for key in USEFUL_ANSWERS)


def _warnings(stats: Mapping[str, Any]) -> list[str]:
    """Problems of a crawl that still got something useful."""
    columns = column_results(stats)
    problems = [note for r in columns if (note := r.note)]
    if antibot := count(stats, "pages/antibot"):
        problems.append(f"{antibot} anti-bot challenge pages")
    not_lists = sum(r.outcome == "not_list" for r in columns)  # named above
    if empty_lists := count(stats, "list/no_items") - not_lists:
        problems.append(f"{empty_lists} list pages without announcement links "
                        "(list loaded by script? give [list] selectors in a site definition)")
    problems += failure_lines(stats)
    # A failing column's first page is one failed request, already named above.
    named = sum(r.failed and r.outcome not in ("not_list", "robots") for r in columns)
    if (failed := failed_requests(stats) - named - _named_requests(stats)) > 0:
        problems.append(f"{failed} failed requests")
    if skipped := count(stats, DEAD_SKIPPED_KEY):
        problems.append(f"{skipped} listed links not fetched: they answered 404/410 on earlier "
                        "crawls (tried again after a while)")
    return problems


def _ending(reason: str, healthy: bool, problems: list[str]) -> Verdict:
    """The outcome by how the crawl ended (Scrapy's ``finish_reason``)."""
    if reason == "finished":
        return Verdict("finished", healthy, problems)
    if reason in INTERRUPTED_REASONS:
        return Verdict("interrupted", healthy, [*problems, "interrupted before the end"])
    if not reason:
        return Verdict("interrupted", healthy,
                       [*problems, "stopped before the end without closing (killed?)"])
    return Verdict("partial", healthy, [*problems, f"stopped early ({reason})"])
