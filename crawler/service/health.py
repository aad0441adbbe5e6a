"""Health rules evaluated after each crawl, from the stats the crawl stored in the archive.

Four rules, each raising a `health` event once, when the condition starts (not on
every crawl while it lasts). They judge the crawl being booked against the site's previous
comparable crawl (one that could show the condition); a crawl that says nothing about the
site (interrupted, or its columns all failed: a one-off ``crawl --url`` of a bad page of the
host) raises nothing, so an older crawl's condition is never raised again:

- ``empty``: N crawls in a row (default 3, or ``$GOV_ARCHIVE_EMPTY_RUNS``) found nothing:
  no announcement answered and the list pages showed no items. A quiet incremental crawl
  that sees only already-known list items is not empty.
- ``extraction``: titles, dates or bodies are missing on most pages of this crawl
  while the site's previous comparable crawl had them: a redesign broke the definition.
- ``blocked``: the crawl ended "blocked", or anti-bot pages were at least half of the pages
  that answered (unchanged and 304 pages count as answers).
- ``mass_gone``: the crawl held back its withdrawals (``archive/gone_held``): too many known
  articles answered 404/410 or redirected home to be believed (a CMS migration, a
  maintenance redirect), so none was marked gone (crawler/pipelines.py).

And one per column: ``column``, when a column starts failing (DNS, refused, HTTP 404, not a
list page ...), naming the column and the cause. A crawl whose columns all failed that way
is theirs: the site's rules skip it (a mistyped column never raises ``empty`` for its site).

Stats keys read (see the contract): ``archive/*``, ``pages/*``, ``extract/missing_*``.
Also here: the rows of ``gov-archive sites --health``.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from archive.timeutil import utcnow
from crawler.outcome import columns_explain_failure, count, mass_gone_detail
from crawler.service.schedule import (
    NEUTRAL_OUTCOMES,
    SiteSchedule,
    classify_column,
    column_schedule,
    next_due,
)

EMPTY_RUNS_ENV = "GOV_ARCHIVE_EMPTY_RUNS"
ARCHIVE_KEYS = ("new", "changed", "unchanged", "restored", "not_modified")
FIELDS = ("title", "date", "body")


@dataclass(frozen=True)
class HealthConfig:
    """Thresholds of the rules."""

    empty_runs: int = 3  # zero announcements this many crawls in a row
    missing_ratio: float = 0.5  # "most pages" lack a field
    healthy_ratio: float = 0.2  # the earlier crawl counted as healthy below this
    min_pages: int = 3  # fewer extracted pages say nothing about extraction
    antibot_ratio: float = 0.5
    window: int = 20  # crawls looked at

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> HealthConfig:
        """Defaults, with ``GOV_ARCHIVE_EMPTY_RUNS`` (N empty crawls in a row) if set."""
        env = os.environ if environ is None else environ
        value = env.get(EMPTY_RUNS_ENV, "").strip()
        return cls(empty_runs=int(value)) if value.isdigit() and int(value) > 0 else cls()


@dataclass(frozen=True)
class HealthIssue:
    kind: str  # "empty" | "extraction" | "blocked" | "mass_gone" | "column"
    detail: str
    crawl_id: int | None = None


def announcements(stats: Mapping[str, Any]) -> int:
    """Announcements a crawl saw (saved, unchanged or not modified)."""
    saved = sum(count(stats, f"archive/{key}") for key in ARCHIVE_KEYS)
    return max(saved, count(stats, "pages/article"))


def is_empty(stats: Mapping[str, Any]) -> bool:
    """True if the crawl found nothing: no article answered and list pages showed no items.

    An incremental crawl of a quiet site stops at already-known list items and fetches no
    article at all; its ``list/items`` show the site is alive.
    """
    return announcements(stats) == 0 and count(stats, "list/items") == 0


def missing_ratios(stats: Mapping[str, Any], *, min_pages: int = 3) -> dict[str, float] | None:
    """Share of extracted pages missing each field; None if too few pages to judge.

    Pages classified "empty" count as missing everything (a broken definition often makes
    extraction find nothing at all rather than a page without a title).
    """
    empty = count(stats, "pages/empty")
    pages = count(stats, "pages/article") + empty
    if pages < max(min_pages, 1):
        return None
    return {
        name: min(1.0, max(count(stats, f"extract/missing_{name}"), empty) / pages)
        for name in FIELDS
    }


# Pages that answered with something other than a challenge (see crawler.outcome.assess).
OTHER_ANSWERS = ("pages/list", "pages/notfound", "pages/redirect_home", "pages/soft404",
                 "pages/empty", "pages/js_shell")


def answers(stats: Mapping[str, Any]) -> int:
    """Pages that answered with real content: articles, unchanged pages, lists, 404s ...

    304s and identical bytes are not extracted, so they count in ``archive/*`` only; articles
    saved unchanged count in both ``pages/article`` and ``archive/unchanged``.
    """
    content = (count(stats, "pages/article") + count(stats, "archive/same_bytes")
               + count(stats, "archive/not_modified"))
    return max(content, announcements(stats)) + sum(count(stats, key) for key in OTHER_ANSWERS)


def is_blocked(crawl: Mapping[str, Any], *, ratio: float = 0.5) -> bool:
    """True if the crawl ended "blocked" or anti-bot pages were `ratio` (half) of the answers.

    One challenge page among many 304s on an unchanged re-crawl is not a block.
    """
    if crawl.get("outcome") == "blocked":
        return True
    stats = crawl.get("stats") or {}
    antibot = count(stats, "pages/antibot")
    return antibot > 0 and antibot >= ratio * (antibot + answers(stats))


def _judged(crawls: Iterable[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    """Finished crawls that say something about the site (newest first): not those we
    stopped, nor those whose columns all failed on their own account."""
    return [
        c for c in crawls
        if c.get("finished_at") and c.get("outcome") not in NEUTRAL_OUTCOMES
        and not columns_explain_failure(c.get("stats") or {})
    ]


def _empty_issue(crawls: list[Mapping[str, Any]], config: HealthConfig) -> HealthIssue | None:
    if is_blocked(crawls[0], ratio=config.antibot_ratio):
        return None  # the blocked rule explains it
    streak = 0
    for crawl in crawls:
        if not is_empty(crawl.get("stats") or {}):
            break
        streak += 1
    if streak != config.empty_runs:
        return None
    outcomes = ", ".join(str(c.get("outcome")) for c in crawls[:streak])
    return HealthIssue(
        "empty",
        f"{streak} crawls in a row found no announcements and no list items "
        f"(outcomes: {outcomes})",
        crawls[0].get("id"),
    )


def _extraction_issue(crawls: list[Mapping[str, Any]], config: HealthConfig) -> HealthIssue | None:
    current = missing_ratios(crawls[0].get("stats") or {}, min_pages=config.min_pages)
    if current is None:
        return None
    previous = None
    for crawl in crawls[1:]:
        previous = missing_ratios(crawl.get("stats") or {}, min_pages=config.min_pages)
        if previous is not None:
            break
    if previous is None:
        return None
    lost = [
        name for name in FIELDS
        if current[name] >= config.missing_ratio and previous[name] <= config.healthy_ratio
    ]
    if not lost:
        return None
    parts = [
        f"{name}s missing on {current[name]:.0%} of pages (before: {previous[name]:.0%})"
        for name in lost
    ]
    detail = "extraction lost " + "; ".join(parts) + ": did the site change its layout?"
    return HealthIssue("extraction", detail, crawls[0].get("id"))


def _blocked_issue(crawls: list[Mapping[str, Any]], config: HealthConfig) -> HealthIssue | None:
    if not is_blocked(crawls[0], ratio=config.antibot_ratio):
        return None
    previous = _previous(crawls, lambda stats: answers(stats) + count(stats, "pages/antibot") > 0)
    if previous is not None and is_blocked(previous, ratio=config.antibot_ratio):
        return None  # already reported when it started
    stats = crawls[0].get("stats") or {}
    detail = (
        f"site answers with anti-bot pages ({count(stats, 'pages/antibot')} anti-bot, "
        f"{count(stats, 'pages/article')} articles; outcome {crawls[0].get('outcome')})"
    )
    return HealthIssue("blocked", detail, crawls[0].get("id"))


def _mass_gone_issue(crawls: list[Mapping[str, Any]], config: HealthConfig) -> HealthIssue | None:
    stats = crawls[0].get("stats") or {}
    if not count(stats, "archive/gone_held"):
        return None
    previous = _previous(crawls, lambda stats: count(stats, "archive/rechecked") > 0)
    if previous is not None and count(previous.get("stats") or {}, "archive/gone_held"):
        return None  # already reported when it started
    return HealthIssue("mass_gone", mass_gone_detail(stats), crawls[0].get("id"))


def _previous(crawls: list[Mapping[str, Any]],
              shows: Callable[[Mapping[str, Any]], bool]) -> Mapping[str, Any] | None:
    """The newest crawl before ``crawls[0]`` whose stats could show the condition (`shows`):
    a crawl that re-checked no known article says nothing about withdrawals, say (a one-off
    ``crawl --url`` of another column of the host)."""
    return next((c for c in crawls[1:] if shows(c.get("stats") or {})), None)


def evaluate(
    crawls: Iterable[Mapping[str, Any]], config: HealthConfig | None = None
) -> list[HealthIssue]:
    """Issues that start with the newest finished crawl of `crawls` (newest first, as
    Archive.crawls), the one being booked. None when that crawl says nothing about the site
    (we stopped it, or its columns all failed on their own account): the older crawls' issues
    were raised when they were booked, and must not be raised again."""
    config = config or HealthConfig()
    finished = [c for c in crawls if c.get("finished_at")]
    judged = _judged(finished)
    if not judged or judged[0] is not finished[0]:
        return []
    rules = (_blocked_issue, _empty_issue, _extraction_issue, _mass_gone_issue)
    return [issue for rule in rules if (issue := rule(judged, config))]


def column_issue(column: Mapping[str, Any], state: Mapping[str, Any],
                 crawl_id: int | None) -> HealthIssue | None:
    """A ``column`` issue when a column starts failing (its first failure in a row)."""
    if int(state.get("failures") or 0) != 1 or int(column.get("failures") or 0) != 0:
        return None
    cause = column.get("detail") or column.get("outcome")
    return HealthIssue("column", f"{column_event_prefix(column['url'])}{cause}", crawl_id)


def column_event_prefix(url: str) -> str:
    """How a ``column`` event's detail starts: it names its column."""
    return f"column {url}: "


# --- `sites --health` --------------------------------------------------------------------


def health_rows(
    archive: Any, sites: Iterable[SiteSchedule], *, now: datetime | None = None
) -> list[dict[str, Any]]:
    """One JSON-ready row per site: last crawl, back-off, next due time, latest health event,
    and its columns (`column_rows`)."""
    now = now or utcnow()
    rows = []
    for site in sites:
        last = archive.last_finished_crawl(site.name)
        state = archive.site_state(site.name) or {}
        events = archive.events(kinds=["health"], site=site.name) or []
        latest = max(events, key=lambda e: e.get("id") or 0) if events else None
        due = next_due(archive, site)
        columns = column_rows(archive, site, now=now) if site.columns else []
        rows.append({
            "site": site.name,
            "last_crawl": last.get("finished_at") if last else None,
            "last_outcome": last.get("outcome") if last else None,
            "announcements": announcements(last.get("stats") or {}) if last else None,
            "failures": int(state.get("failures") or 0),
            "backoff_until": state.get("backoff_until"),
            "next_due": due.isoformat() if due else None,
            "due": due is None or due <= now,
            "health": _status(last, state, None if _about_a_removed_column(latest, columns) else latest,
                              columns),
            "last_health_event": latest,
            "columns": columns,
        })
    return rows


def column_rows(archive: Any, site: SiteSchedule, *, now: datetime) -> list[dict[str, Any]]:
    """One JSON-ready row per column of `site`: its health, latest crawl, back-off, next due."""
    known = {c["url"]: c for c in archive.columns(site.name)}
    rows = []
    for due in column_schedule(archive, site):
        column = known.get(due.url) or {}
        last = column.get("last_crawl") or {}
        rows.append({
            "url": due.url,
            "name": column.get("name"),
            "health": _column_status(last, due.failures),
            "last_crawl": last.get("finished_at"),
            "last_outcome": last.get("outcome"),
            "detail": last.get("detail") or None,
            "items": last.get("items"),
            "documents": int(column.get("documents") or 0),
            "dead_links": int(column.get("dead_links") or 0),  # listed, answered 404/410
            "failures": due.failures,
            "backoff_until": due.backoff_until,
            "next_due": due.due_at.isoformat() if due.due_at else None,
            "due": due.due_at is None or due.due_at <= now,
        })
    return rows


def _about_a_removed_column(event: Mapping[str, Any] | None,
                            columns: Sequence[Mapping[str, Any]]) -> bool:
    """A ``column`` event (its detail names the column: `column_issue`) about a column the
    site no longer watches: history, no longer a warning about the site."""
    if not event or event.get("health_kind") != "column" or not columns:
        return False
    detail = str(event.get("detail") or "")
    return not any(detail.startswith(column_event_prefix(column["url"])) for column in columns)


def _column_status(last: Mapping[str, Any], failures: int) -> str:
    if not last:
        return "never crawled"
    if failures or classify_column(last.get("outcome")) == "failure":
        return f"failing ({last.get('detail') or last.get('outcome')})"
    if last.get("outcome") == "article":
        return "ok (an article page)"
    return "blocked" if last.get("outcome") == "blocked" else "ok"


def _status(last: Mapping[str, Any] | None, state: Mapping[str, Any], latest: Mapping[str, Any] | None,
            columns: Sequence[Mapping[str, Any]] = ()) -> str:
    if last is None and not any(c["last_crawl"] for c in columns):
        return "never crawled"
    if int(state.get("failures") or 0):
        return f"failing ({state.get('last_outcome')})"
    if failing := sum(bool(c["failures"]) for c in columns):
        return f"{failing} of {len(columns)} columns failing"
    if blocked := sum(c["health"] == "blocked" for c in columns):
        return f"{blocked} of {len(columns)} columns blocked"
    if last is None:
        return "ok"
    if latest and last.get("id") is not None and latest.get("crawl_id") == last.get("id"):
        return "warning"
    return "ok"


def format_health(rows: list[dict[str, Any]]) -> str:
    """Plain-text table for `gov-archive sites --health`."""
    header = ("SITE", "HEALTH", "LAST CRAWL", "OUTCOME", "FOUND", "NEXT DUE")
    lines = [header]
    for row in rows:
        lines.append((
            row["site"] + (" (generic)" if row.get("generic") else ""), row["health"],
            row["last_crawl"] or "-", row["last_outcome"] or "-",
            "-" if row["announcements"] is None else str(row["announcements"]),
            "now" if row["due"] else (row["next_due"] or "-"),
        ))
    widths = [max(len(str(line[i])) for line in lines) for i in range(len(header))]
    out = ["  ".join(str(v).ljust(w) for v, w in zip(line, widths, strict=True)).rstrip() for line in lines]
    for row in rows:
        event = row["last_health_event"]
        if event and row["health"] != "not watched":
            out.append(f"  {row['site']}: {event.get('time')} {_event_text(event)}")
        for column in row.get("columns") or ():
            if column["failures"] and column["backoff_until"]:  # not when no longer watched
                out.append(f"  {row['site']}: column {column['url']} {column['health']}, "
                           f"next try after {column['backoff_until']}")
    return "\n".join(out)


def _event_text(event: Mapping[str, Any]) -> str:
    """The health kind and detail of an event, whatever fields the archive puts them in."""
    for key in ("detail", "title"):
        if event.get(key):
            kind = event.get("health_kind") or event.get("subkind") or ""
            return f"{kind}: {event[key]}" if kind else str(event[key])
    return str(event.get("kind"))
