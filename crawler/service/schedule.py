"""When each site and each of its columns is due: intervals, outcomes, and back-off.

A column is due when the site's interval (`every`) has passed since the last finished crawl
that walked it *and* it is not backing off; a site is due when one of its columns is (a
schedule without columns: when the interval has passed since the site's last finished crawl)
and the site itself is not backing off. A crawl of a site walks its due columns only
(`select_due`, `due_columns`), so a failing column backs off alone: a mistyped column never
delays the site's other columns. Failures back off exponentially: after the n-th
consecutive failure the next attempt waits ``every * 2**(n-1)``, capped at
``max(every, max_backoff)``. A column's failures are its own (404, DNS, refused, not a list
page); a site's are crawls that failed for other reasons (blocked, archive errors, crashes,
time-outs). The state lives in the archive (``Archive.site_state``, ``column_states`` /
``record_site_outcome``), so cron runs and `watch` share it.

The bottom of the service layer: it imports no other service module.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Protocol

from archive import Archive, NotAnArchive
from archive.timeutil import iso, parse_interval, parse_iso, utcnow
from archive.urls import canonical_url
from crawler.outcome import COLUMN_NEUTRAL, COLUMN_OK
from crawler.sites import SiteDef
from crawler.sites.definitions import DEFAULT_INTERVAL

log = logging.getLogger(__name__)

DEFAULT_MAX_BACKOFF = timedelta(days=1)
# "partial": the crawl stopped early on purpose (page caps) but got what it could.
SUCCESS_OUTCOMES = frozenset({"finished", "partial"})
# Outcomes that say nothing about the site's health (we stopped it, or it did not run).
NEUTRAL_OUTCOMES = frozenset({"interrupted", "shutdown", "cancelled", "skipped", "stopped"})


@dataclass(frozen=True)
class SiteSchedule:
    """What the scheduler needs from a site definition."""

    name: str
    every: timedelta = DEFAULT_INTERVAL
    webhook: str | None = None
    alert_kinds: tuple[str, ...] | None = None
    columns: tuple[str, ...] = ()  # the column URLs a crawl walks (none: the site as a whole)


@dataclass(frozen=True)
class ColumnDue:
    """When one column of a site is next due, and its scheduler state."""

    url: str  # canonical
    due_at: datetime | None  # None: now (never crawled, no back-off)
    failures: int = 0
    backoff_until: str | None = None
    last_crawled_at: str | None = None


class Issue(Protocol):
    """A health issue as `record_outcome` stores it (crawler.service.health.HealthIssue)."""

    kind: str
    detail: str
    crawl_id: int | None


def schedule_for(definition: Any) -> SiteSchedule:
    """The schedule of a ``crawler.sites.SiteDef`` (or any object with the same fields)."""
    every = getattr(definition, "every", None) or DEFAULT_INTERVAL
    alerts = getattr(definition, "alerts", None) or {}
    kinds = alerts.get("kinds")
    return SiteSchedule(
        name=definition.name,
        every=parse_interval(every),
        webhook=alerts.get("webhook") or None,
        alert_kinds=tuple(kinds) if kinds else None,
        columns=tuple(canonical_url(c.url) for c in getattr(definition, "columns", ()) or ()),
    )


# --- due computation -------------------------------------------------------------------


def last_counted_crawl(archive: Any, site: str, *, look_back: int = 20) -> dict[str, Any] | None:
    """The site's latest finished crawl that was not interrupted by us.

    An interrupted crawl (watch stopped, machine shut down) does not reset the interval:
    the site stays due so the next run resumes it instead of waiting a whole interval.
    """
    for crawl in archive.crawls(site=site, limit=look_back):
        if crawl.get("finished_at") and crawl.get("outcome") not in NEUTRAL_OUTCOMES:
            return dict(crawl)
    return None


def column_schedule(archive: Any, site: SiteSchedule) -> list[ColumnDue]:
    """When each column of `site` is next due (its own crawls and back-off), in order."""
    states = archive.column_states(site.name, site.columns, ignore=["interrupted"],
                                   ignore_crawls=sorted(NEUTRAL_OUTCOMES))
    out = []
    for state in states:
        last = parse_iso(state.get("last_crawled_at"))
        candidates = [last + site.every] if last else []
        backoff = parse_iso(state.get("backoff_until"))
        if backoff:
            candidates.append(backoff)
        out.append(ColumnDue(state["url"], max(candidates) if candidates else None,
                             int(state.get("failures") or 0), state.get("backoff_until"),
                             state.get("last_crawled_at")))
    return out


def next_due(archive: Any, site: SiteSchedule) -> datetime | None:
    """When `site` is next due (its earliest column); None means now (never crawled, no back-off)."""
    if site.columns:
        dues = [column.due_at for column in column_schedule(archive, site)]
        earliest = None if None in dues else min(dues)  # type: ignore[type-var]
        candidates = [earliest] if earliest else []
    else:
        last = last_counted_crawl(archive, site.name)
        finished = parse_iso(last.get("finished_at")) if last else None
        candidates = [finished + site.every] if finished else []
    backoff = parse_iso(archive.site_state(site.name).get("backoff_until"))
    if backoff:
        candidates.append(backoff)
    return max(candidates) if candidates else None


def due_sites(
    archive: Any, sites: Iterable[SiteSchedule], *, now: datetime | None = None
) -> list[SiteSchedule]:
    """The sites due at `now`, the longest-overdue first (never-crawled sites lead)."""
    now = now or utcnow()
    due = []
    for site in sites:
        when = next_due(archive, site)
        if when is None or when <= now:
            due.append((when or datetime.min.replace(tzinfo=UTC), site))
    due.sort(key=lambda pair: pair[0])
    return [site for _, site in due]


def due_columns(archive: Any, site: SiteSchedule, *, now: datetime | None = None) -> list[str]:
    """The (canonical) URLs of the columns of `site` due at `now`, in the site's order."""
    now = now or utcnow()
    return [c.url for c in column_schedule(archive, site) if c.due_at is None or c.due_at <= now]


def select_due(
    db_path: str | Path, site_defs: Iterable[SiteDef], *, now: datetime | None = None
) -> list[SiteDef]:
    """The site definitions among `site_defs` that are due now, most overdue first, each with
    its due columns only (a column backing off, or crawled recently, waits).

    Everything is due when the archive does not exist yet. Never creates the archive.
    """
    defs = list(site_defs)
    by_name = {d.name: d for d in defs}
    with _crawled(db_path) as archive:
        if archive is None:
            return defs
        due = due_sites(archive, [schedule_for(d) for d in defs], now=now)
        return [_with_columns(by_name[s.name], due_columns(archive, s, now=now)) for s in due]


def next_due_site(db_path: str | Path, site_defs: Iterable[SiteDef]) -> tuple[str, datetime] | None:
    """The site among `site_defs` due next and when (``None``: none, or no archive yet)."""
    with _crawled(db_path) as archive:
        if archive is None:
            return None
        dues = [(when, d.name) for d in site_defs
                if (when := next_due(archive, schedule_for(d))) is not None]
    if not dues:
        return None
    when, name = min(dues)
    return name, when


@contextmanager
def _crawled(db_path: str | Path) -> Iterator[Archive | None]:
    """The archive at `db_path` to read what was crawled, or None when nothing was: a missing
    or still empty file (another crawl is creating it), or not an archive (the crawl itself
    reports a foreign file clearly)."""
    path = Path(db_path)
    if not path.exists() or path.stat().st_size == 0:
        yield None
        return
    try:
        archive = Archive(db_path)
    except NotAnArchive:
        yield None
        return
    with archive:
        yield archive


def _with_columns(definition: SiteDef, urls: list[str]) -> SiteDef:
    """`definition` restricted to the columns at `urls` (itself when that is all of them)."""
    columns = getattr(definition, "columns", None)
    if not columns:
        return definition
    keep = tuple(c for c in columns if canonical_url(c.url) in set(urls))
    return definition if len(keep) == len(columns) else replace(definition, columns=keep)


# --- outcomes and back-off ------------------------------------------------------------


def backoff_delay(
    failures: int, every: timedelta, *, max_backoff: timedelta = DEFAULT_MAX_BACKOFF
) -> timedelta:
    """Wait after the `failures`-th consecutive failure: every, 2×, 4× … capped."""
    if failures <= 0:
        return timedelta(0)
    cap = max(every, max_backoff)
    exponent = min(failures - 1, 32)  # the cap applies long before
    # In seconds: every * 2**32 overflows timedelta for a long interval.
    return timedelta(seconds=min(every.total_seconds() * 2**exponent, cap.total_seconds()))


def classify(outcome: str | None) -> str:
    """``"success"``, ``"neutral"`` or ``"failure"`` for a crawl outcome."""
    return _kind(outcome, SUCCESS_OUTCOMES, NEUTRAL_OUTCOMES)


def classify_column(outcome: str | None) -> str:
    """``"success"``, ``"neutral"`` or ``"failure"`` for a column outcome (crawler/outcome.py)."""
    return _kind(outcome, COLUMN_OK, COLUMN_NEUTRAL)


def _kind(outcome: str | None, success: frozenset[str], neutral: frozenset[str]) -> str:
    if outcome in success:
        return "success"
    return "neutral" if outcome in neutral else "failure"


@dataclass(frozen=True)
class CrawlResult:
    """What the bookkeeping after a crawl concluded about a site."""

    site: str
    crawl_id: int | None
    outcome: str
    failures: int
    backoff_until: str | None
    health: tuple[Any, ...] = ()


def record_outcome(
    archive: Any,
    site: SiteSchedule,
    outcome: str,
    *,
    crawl_id: int | None = None,
    now: datetime | None = None,
    max_backoff: timedelta = DEFAULT_MAX_BACKOFF,
    health: Sequence[Issue] = (),
    columns: Mapping[int, Mapping[str, Any]] | None = None,
    charge_site: bool = True,
) -> CrawlResult | None:
    """Update the site's failure count and back-off after an attempt that ended in `outcome`.

    `health` issues are recorded as health events in the same transaction as the state (and
    `columns`, new column states by id, see `next_column_state`), so a crash in between cannot
    raise them twice. `charge_site` False: the failure was its columns' (each backs off alone),
    the site's own failure count and back-off stay. None when crawl `crawl_id` was booked
    already (by another process: the archive compares and sets ``last_crawl_id``).
    """
    now = now or utcnow()
    fields = next_state(archive.site_state(site.name) or {}, site, outcome, now=now,
                        max_backoff=max_backoff, kind=None if charge_site else "neutral")
    extra = {"columns": columns} if columns else {}
    booked = archive.record_site_outcome(
        site.name, fields, crawl_id=crawl_id,
        health=[(i.kind, i.detail, i.crawl_id) for i in health], now=now, **extra,
    )
    if booked is None:
        return None
    if classify(outcome) == "failure" and charge_site:
        log.warning(
            "site %s: %s (%d in a row); backing off until %s",
            site.name, outcome, fields["failures"], fields["backoff_until"],
        )
    return CrawlResult(site.name, crawl_id, outcome, fields["failures"], fields["backoff_until"],
                       tuple(health))


def next_state(state: dict[str, Any], site: SiteSchedule, outcome: str, *, now: datetime,
               max_backoff: timedelta, kind: str | None = None) -> dict[str, Any]:
    """The site's scheduler state after an attempt that ended in `outcome` at `now` (`kind`:
    how to count it, if not by `classify`)."""
    kind = kind or classify(outcome)
    failures, backoff_until = _failures_after(state, kind, site.every, now=now,
                                              max_backoff=max_backoff)
    fields: dict[str, Any] = {"failures": failures, "backoff_until": backoff_until,
                              "last_outcome": outcome, "last_attempt_at": iso(now)}
    if kind == "success":
        fields["last_success_at"] = iso(now)
    if kind != "neutral":
        fields["next_due_at"] = backoff_until or iso(now + site.every)
    return fields


def next_column_state(state: Mapping[str, Any], outcome: str, detail: str | None, *,
                      every: timedelta, now: datetime, crawl_id: int | None,
                      max_backoff: timedelta = DEFAULT_MAX_BACKOFF) -> dict[str, Any]:
    """A column's scheduler state after a crawl found `outcome` on it (``columns`` fields)."""
    failures, backoff_until = _failures_after(state, classify_column(outcome), every, now=now,
                                              max_backoff=max_backoff)
    return {"failures": failures, "backoff_until": backoff_until, "last_outcome": outcome,
            "last_detail": detail or None, "last_crawl_id": crawl_id}


def _failures_after(state: Mapping[str, Any], kind: str, every: timedelta, *, now: datetime,
                    max_backoff: timedelta) -> tuple[int, str | None]:
    """``(failures, backoff_until)`` after an attempt of `kind`: a success resets them, a
    failure backs off one step further, a neutral attempt leaves them."""
    failures = int(state.get("failures") or 0)
    if kind == "success":
        return 0, None
    if kind == "failure":
        failures += 1
        return failures, iso(now + backoff_delay(failures, every, max_backoff=max_backoff))
    return failures, state.get("backoff_until")
