"""When each site is due: intervals, back-off of failing sites, and the post-crawl bookkeeping.

A site is due when its interval (`every` in its definition) has passed since its last
finished crawl *and* it is not backing off. A site whose crawls fail or get blocked backs
off exponentially: after the n-th consecutive failure the next attempt waits
``every * 2**(n-1)``, capped at ``max(every, max_backoff)``. The state (failures,
backoff_until, last outcome, last processed crawl) lives in the archive
(``Archive.site_state`` / ``set_site_state``), so cron runs and `watch` share it.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

# Re-exported: watch, health and the tests use them from here.
from archive.timeutil import format_interval, iso, parse_interval, parse_iso, utcnow  # noqa: F401

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

    `names` restricts the result (KeyError naming the unknown sites). Raises
    ``crawler.sites.SiteDefError`` for a malformed definition.
    """
    from crawler.sites import load_sites

    definitions = load_sites(sites_dir)
    wanted = list(dict.fromkeys(names)) or sorted(definitions)
    unknown = [name for name in wanted if name not in definitions]
    if unknown:
        raise KeyError(", ".join(unknown))
    return [schedule_for(definitions[name]) for name in wanted]


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


def is_due(archive: Any, site: SiteSchedule, *, now: datetime | None = None) -> bool:
    """True if `site` should be crawled at `now`."""
    when = next_due(archive, site)
    return when is None or when <= (now or utcnow())


def due_sites(
    archive: Any, sites: Iterable[SiteSchedule], *, now: datetime | None = None
) -> list[SiteSchedule]:
    """The sites due at `now`, the longest-overdue first (never-crawled sites lead)."""
    now = now or utcnow()
    due = []
    for site in sites:
        when = next_due(archive, site)
        if when is None or when <= now:
            due.append((when or datetime.min.replace(tzinfo=timezone.utc), site))
    due.sort(key=lambda pair: pair[0])
    return [site for _, site in due]


# --- back-off and post-crawl bookkeeping ----------------------------------------------------


def backoff_delay(
    failures: int, every: timedelta, *, max_backoff: timedelta = DEFAULT_MAX_BACKOFF
) -> timedelta:
    """Wait after the `failures`-th consecutive failure: every, 2×, 4× … capped."""
    if failures <= 0:
        return timedelta(0)
    cap = max(every, max_backoff)
    exponent = min(failures - 1, 32)  # avoids overflow; the cap applies long before
    delay: timedelta = every * (2**exponent)
    return min(delay, cap)


def classify(outcome: str | None) -> str:
    """``"success"``, ``"neutral"`` or ``"failure"`` for a crawl outcome."""
    if outcome in SUCCESS_OUTCOMES:
        return "success"
    if outcome in NEUTRAL_OUTCOMES:
        return "neutral"
    return "failure"


@dataclass(frozen=True)
class CrawlResult:
    """What after_crawl concluded about a site."""

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
    health: Sequence[Any] = (),
) -> CrawlResult:
    """Update the site's failure count and back-off after an attempt that ended in `outcome`.

    `health` issues (``crawler.service.health.HealthIssue``) are recorded as health events in the
    same transaction as the state, so a crash in between cannot raise them twice.
    """
    now = now or utcnow()
    state = dict(archive.site_state(site.name) or {})
    failures = int(state.get("failures") or 0)
    kind = classify(outcome)
    if kind == "success":
        failures, backoff_until = 0, None
    elif kind == "failure":
        failures += 1
        backoff_until = iso(now + backoff_delay(failures, site.every, max_backoff=max_backoff))
    else:
        backoff_until = state.get("backoff_until")
    fields: dict[str, Any] = {
        "failures": failures,
        "backoff_until": backoff_until,
        "last_outcome": outcome,
        "last_attempt_at": iso(now),
    }
    if kind == "success":
        fields["last_success_at"] = iso(now)
    if kind != "neutral":
        fields["next_due_at"] = backoff_until or iso(now + site.every)
    if crawl_id is not None:
        fields["last_crawl_id"] = crawl_id
    archive.record_site_outcome(
        site.name, fields, health=[(i.kind, i.detail, i.crawl_id) for i in health], now=now,
    )
    if kind == "failure":
        log.warning(
            "site %s: %s (%d in a row); backing off until %s",
            site.name, outcome, failures, backoff_until,
        )
    return CrawlResult(site.name, crawl_id, outcome, failures, backoff_until, tuple(health))


def after_crawl(
    archive: Any,
    site: SiteSchedule,
    *,
    now: datetime | None = None,
    max_backoff: timedelta = DEFAULT_MAX_BACKOFF,
    health_config: Any = None,
) -> CrawlResult | None:
    """Book-keep the site's latest finished crawl once: back-off state and health rules.

    Idempotent: returns None if that crawl was already processed (or there is none), so
    both the `crawl` command and `watch` may call it.
    """
    from crawler.service import health

    last = archive.last_finished_crawl(site.name)
    if not last:
        return None
    state = archive.site_state(site.name) or {}
    if state.get("last_crawl_id") == last["id"]:
        return None
    config = health_config or health.HealthConfig.from_env()
    issues = health.evaluate(archive.crawls(site=site.name, limit=config.window), config)
    return record_outcome(
        archive, site, str(last.get("outcome") or "unknown"),
        crawl_id=last["id"], now=now, max_backoff=max_backoff, health=issues,
    )


# --- entry points for `gov-archive crawl --due / --webhook` ---------------------------------


def select_due(
    db_path: str | Path, site_defs: Iterable[Any], *, now: datetime | None = None
) -> list[Any]:
    """The site definitions (``SiteDef``) among `site_defs` that are due now, most overdue first.

    Everything is due when the archive does not exist yet. Never creates the archive.
    """
    from archive import Archive

    defs = list(site_defs)
    path = Path(db_path)
    # A missing or still empty file (another crawl is creating it): nothing crawled yet.
    if not path.exists() or path.stat().st_size == 0:
        return defs
    from archive.errors import NotAnArchive

    by_name = {d.name: d for d in defs}
    try:
        archive = Archive(db_path)
    except NotAnArchive:
        return defs  # not initialized yet; the crawl itself reports a foreign file clearly
    with archive:
        due = due_sites(archive, [schedule_for(d) for d in defs], now=now)
    return [by_name[s.name] for s in due]


@dataclass
class PostCrawl:
    """What `post_crawl` did: per-site results (None: nothing new) and webhook deliveries."""

    results: dict[str, CrawlResult | None] = field(default_factory=dict)
    deliveries: list[Any] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    def lines(self) -> list[str]:
        """Human-readable notes for the crawl command's output (health issues, webhooks)."""
        from crawler.service.alerts import redact

        out = []
        for site, result in self.results.items():
            for issue in result.health if result else ():
                out.append(f"{site}: health alert ({issue.kind}): {issue.detail}")
            if result and classify(result.outcome) == "failure":
                out.append(f"{site}: {result.failures} failed crawl(s) in a row; "
                           f"`--due` retries after {result.backoff_until}")
        out += self.errors
        for d in self.deliveries:
            where = redact(d.sink.url)
            if d.error:
                out.append(f"webhook {where}: {d.error}; {d.pending} event(s) kept for the next run")
            elif d.delivered:
                out.append(f"webhook {where}: delivered {d.delivered} event(s)")
        return out


def post_crawl(
    db_path: str | Path,
    site_defs: Iterable[Any],
    *,
    webhooks: Iterable[str] = (),
    now: datetime | None = None,
    max_backoff: timedelta = DEFAULT_MAX_BACKOFF,
    **delivery_options: Any,
) -> PostCrawl:
    """After `crawl`: back-off state and health rules per site, then webhook delivery.

    `site_defs` are the crawled sites (``SiteDef``); `webhooks` the ``--webhook`` URLs (all
    sites); per-site ``[alerts] webhook`` sinks come from the definitions. Safe to call
    twice: each crawl is processed once and each event delivered once.
    """
    from archive import Archive
    from crawler.service import alerts

    schedules = [schedule_for(d) for d in site_defs]
    report = PostCrawl()
    with Archive(db_path, create=True) as archive:
        for site in schedules:
            try:
                report.results[site.name] = after_crawl(archive, site, now=now, max_backoff=max_backoff)
            except Exception as error:  # the crawl is done; one site's book-keeping must not stop the rest
                log_failure(error, "book-keeping of %s failed", site.name)
                report.errors.append(f"{site.name}: could not update its schedule state: {error}")
        sinks = alerts.sinks_for(webhooks, schedules)
        for sink in sinks:
            try:
                report.deliveries += alerts.deliver_all(archive, db_path, [sink], now=now, **delivery_options)
            except Exception as error:
                log_failure(error, "webhook delivery failed")
                report.errors.append(f"webhook {alerts.redact(sink.url)}: delivery failed: {error}")
    return report


def log_failure(error: Exception, message: str, *args: object) -> None:
    """Log an expected archive failure in one line; anything else with its traceback."""
    from archive import ArchiveError

    if isinstance(error, ArchiveError):
        log.warning(message + ": %s", *args, error)
    else:
        log.exception(message, *args)
