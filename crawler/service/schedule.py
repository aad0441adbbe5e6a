"""When each site is due: intervals, outcomes, and the back-off of failing sites.

A site is due when its interval (`every` in its definition) has passed since its last
finished crawl *and* it is not backing off. A site whose crawls fail or get blocked backs
off exponentially: after the n-th consecutive failure the next attempt waits
``every * 2**(n-1)``, capped at ``max(every, max_backoff)``. The state (failures,
backoff_until, last outcome, last processed crawl) lives in the archive
(``Archive.site_state`` / ``record_site_outcome``), so cron runs and `watch` share it.

The bottom of the service layer: it imports no other service module.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Protocol

from archive import Archive, NotAnArchive
from archive.timeutil import iso, parse_interval, parse_iso, utcnow
from crawler.sites import SiteDef, load_sites, pick_sites

log = logging.getLogger(__name__)

DEFAULT_EVERY = "6h"
DEFAULT_MAX_BACKOFF = timedelta(days=1)
# "partial": the crawl stopped early on purpose (page caps) but got what it could.
SUCCESS_OUTCOMES = frozenset({"finished", "partial"})
# Outcomes that say nothing about the site's health (we stopped it, or it did not run).
NEUTRAL_OUTCOMES = frozenset({"interrupted", "shutdown", "cancelled", "skipped", "stopped"})


@dataclass(frozen=True)
class SiteSchedule:
    """What the scheduler needs from a site definition."""

    name: str
    every: timedelta = field(default_factory=lambda: parse_interval(DEFAULT_EVERY))
    webhook: str | None = None
    alert_kinds: tuple[str, ...] | None = None


class Issue(Protocol):
    """A health issue as `record_outcome` stores it (crawler.service.health.HealthIssue)."""

    kind: str
    detail: str
    crawl_id: int | None


def schedule_for(definition: Any) -> SiteSchedule:
    """The schedule of a ``crawler.sites.SiteDef`` (or any object with the same fields)."""
    every = getattr(definition, "every", None) or parse_interval(DEFAULT_EVERY)
    alerts = getattr(definition, "alerts", None) or {}
    kinds = alerts.get("kinds")
    return SiteSchedule(
        name=definition.name,
        every=parse_interval(every),
        webhook=alerts.get("webhook") or None,
        alert_kinds=tuple(kinds) if kinds else None,
    )


def load_schedules(
    sites_dir: str | Path | Iterable[str] | None = None, names: Iterable[str] = ()
) -> list[SiteSchedule]:
    """Schedules of the site definitions (bundled + ``GOV_ARCHIVE_SITES`` + `sites_dir`).

    `names` restricts the result (``crawler.sites.UnknownSite`` naming the unknown ones).
    Raises ``crawler.sites.SiteDefError`` for a malformed definition.
    """
    definitions = load_sites(sites_dir)
    return [schedule_for(d) for d in pick_sites(definitions, list(names) or sorted(definitions))]


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


def next_due(archive: Any, site: SiteSchedule) -> datetime | None:
    """When `site` is next due; None means now (never crawled, no back-off)."""
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


def select_due(
    db_path: str | Path, site_defs: Iterable[SiteDef], *, now: datetime | None = None
) -> list[SiteDef]:
    """The site definitions among `site_defs` that are due now, most overdue first.

    Everything is due when the archive does not exist yet. Never creates the archive.
    """
    defs = list(site_defs)
    path = Path(db_path)
    # A missing or still empty file (another crawl is creating it): nothing crawled yet.
    if not path.exists() or path.stat().st_size == 0:
        return defs
    by_name = {d.name: d for d in defs}
    try:
        archive = Archive(db_path)
    except NotAnArchive:
        return defs  # not initialized yet; the crawl itself reports a foreign file clearly
    with archive:
        due = due_sites(archive, [schedule_for(d) for d in defs], now=now)
    return [by_name[s.name] for s in due]


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
    if outcome in SUCCESS_OUTCOMES:
        return "success"
    if outcome in NEUTRAL_OUTCOMES:
        return "neutral"
    return "failure"


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
) -> CrawlResult:
    """Update the site's failure count and back-off after an attempt that ended in `outcome`.

    `health` issues are recorded as health events in the same transaction as the state, so
    a crash in between cannot raise them twice.
    """
    now = now or utcnow()
    fields = next_state(archive.site_state(site.name) or {}, site, outcome, now=now,
                        max_backoff=max_backoff)
    if crawl_id is not None:
        fields["last_crawl_id"] = crawl_id
    archive.record_site_outcome(
        site.name, fields, health=[(i.kind, i.detail, i.crawl_id) for i in health], now=now,
    )
    if classify(outcome) == "failure":
        log.warning(
            "site %s: %s (%d in a row); backing off until %s",
            site.name, outcome, fields["failures"], fields["backoff_until"],
        )
    return CrawlResult(site.name, crawl_id, outcome, fields["failures"], fields["backoff_until"],
                       tuple(health))


def next_state(state: dict[str, Any], site: SiteSchedule, outcome: str, *, now: datetime,
               max_backoff: timedelta) -> dict[str, Any]:
    """The site's scheduler state after an attempt that ended in `outcome` at `now`."""
    failures = int(state.get("failures") or 0)
    kind = classify(outcome)
    if kind == "success":
        failures, backoff_until = 0, None
    elif kind == "failure":
        failures += 1
        backoff_until = iso(now + backoff_delay(failures, site.every, max_backoff=max_backoff))
    else:
        backoff_until = state.get("backoff_until")
    fields: dict[str, Any] = {"failures": failures, "backoff_until": backoff_until,
                              "last_outcome": outcome, "last_attempt_at": iso(now)}
    if kind == "success":
        fields["last_success_at"] = iso(now)
    if kind != "neutral":
        fields["next_due_at"] = backoff_until or iso(now + site.every)
    return fields
