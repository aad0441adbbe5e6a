"""After crawls: each site's and column's back-off state and health rules, then webhook delivery.

`report_crawls` is the one "report" step behind `crawl` (after its crawls), `watch` (after
each child crawl) and `notify` (crawls that ran elsewhere: Scrapyd, `scrapy crawl`). It is
idempotent: each finished crawl is booked once, in order, even when two of them run at the
same time (the archive compares and sets the site's ``last_crawl_id``), and an event a receiver
acknowledged (2xx) is never sent to it again.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from archive import Archive, ArchiveError
from archive.timeutil import utcnow
from archive.urls import redact_url
from crawler.outcome import columns_explain_failure
from crawler.service import alerts, health
from crawler.service.schedule import (
    DEFAULT_MAX_BACKOFF,
    CrawlResult,
    SiteSchedule,
    classify,
    next_column_state,
    record_outcome,
    schedule_for,
)
from crawler.sites import SiteDef

log = logging.getLogger(__name__)


def after_crawl(
    archive: Any,
    site: SiteSchedule,
    *,
    now: datetime | None = None,
    max_backoff: timedelta = DEFAULT_MAX_BACKOFF,
    health_config: health.HealthConfig | None = None,
) -> CrawlResult | None:
    """Book-keep each finished crawl of the site not booked yet, oldest first: back-off state
    and health rules, of the site and of each column the crawl walked.

    A crawl whose columns all failed on their own account (404, DNS ...) is their failure:
    each column backs off and raises its health alert, the site's state is left alone. A site
    never booked before has only its latest crawl booked (the earlier ones are history).
    Returns the latest booked crawl's result with the health issues of all; None when there
    was none to book, or another process books them (it goes on in order, this one stops).
    """
    pending = _unbooked(archive, site.name)
    if not pending:
        return None
    now = now or utcnow()
    config = health_config or health.HealthConfig.from_env()
    recent = archive.crawls(site=site.name, limit=len(pending) + config.window)  # newest first
    booked: list[CrawlResult] = []
    for crawl in pending:
        at = next(i for i, c in enumerate(recent) if c["id"] == crawl["id"])
        result = _book(archive, site, crawl, recent[at:at + config.window], config,
                       now=now, max_backoff=max_backoff)
        if result is None:
            break
        booked.append(result)
    if not booked:
        return None
    return replace(booked[-1], health=tuple(i for result in booked for i in result.health))


def _unbooked(archive: Any, site: str) -> list[dict[str, Any]]:
    """The site's finished crawls later than its last booked one, oldest first."""
    last_booked = (archive.site_state(site) or {}).get("last_crawl_id")
    if last_booked is None:
        latest = archive.last_finished_crawl(site)
        return [latest] if latest else []
    return [c for c in reversed(archive.crawls(site=site, after_id=last_booked))
            if c.get("finished_at")]


def _book(archive: Any, site: SiteSchedule, crawl: dict[str, Any], window: list[dict[str, Any]],
          config: health.HealthConfig, *, now: datetime,
          max_backoff: timedelta) -> CrawlResult | None:
    """Book one crawl, judged with the crawls before it (`window`, newest first)."""
    issues = health.evaluate(window, config)
    columns, column_issues = book_columns(archive.crawl_columns(crawl["id"]), site, crawl["id"],
                                          now=now, max_backoff=max_backoff)
    return record_outcome(
        archive, site, str(crawl.get("outcome") or "unknown"),
        crawl_id=crawl["id"], now=now, max_backoff=max_backoff, health=issues + column_issues,
        columns=columns, charge_site=not columns_explain_failure(crawl.get("stats") or {}),
    )


def book_columns(found: Iterable[dict[str, Any]], site: SiteSchedule, crawl_id: int, *,
                 now: datetime, max_backoff: timedelta = DEFAULT_MAX_BACKOFF,
                 ) -> tuple[dict[int, dict[str, Any]], list[health.HealthIssue]]:
    """New states of the columns a crawl walked (`Archive.crawl_columns`), and a health issue
    for each column that starts failing."""
    states: dict[int, dict[str, Any]] = {}
    issues = []
    for column in found:
        fields = next_column_state(column, column["outcome"], column.get("detail"),
                                   every=site.every, now=now, crawl_id=crawl_id,
                                   max_backoff=max_backoff)
        states[column["column_id"]] = fields
        if issue := health.column_issue(column, fields, crawl_id):
            issues.append(issue)
    return states, issues


@dataclass
class PostCrawl:
    """What `report_crawls` did: per-site results (None: nothing new) and webhook deliveries."""

    results: dict[str, CrawlResult | None] = field(default_factory=dict)
    deliveries: list[alerts.Delivery] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    @property
    def failed(self) -> bool:
        """A delivery or a site's bookkeeping failed (`notify` exits 1)."""
        return bool(self.errors) or any(d.error for d in self.deliveries)

    def health(self, site: str) -> tuple[Any, ...]:
        """The health issues the bookkeeping raised for `site`."""
        result = self.results.get(site)
        return result.health if result else ()

    def lines(self) -> list[str]:
        """Human-readable notes for the command's output (health issues, webhooks)."""
        out = []
        for site, result in self.results.items():
            out += [f"{site}: health alert ({i.kind}): {i.detail}" for i in self.health(site)]
            if result and classify(result.outcome) == "failure" and result.failures:
                out.append(f"{site}: {result.failures} failed crawl(s) in a row; "
                           f"`--due` retries after {result.backoff_until}")
        return out + self.errors + [_delivery_line(d) for d in self.deliveries
                                    if d.error or d.delivered or d.note]


def _delivery_line(delivery: alerts.Delivery) -> str:
    where = redact_url(delivery.sink.url)
    if delivery.error:
        return (f"webhook {where}: {delivery.error}; {delivery.pending} event(s) kept for "
                "the next run")
    note = f"; {delivery.note}" if delivery.note else ""
    return f"webhook {where}: delivered {delivery.delivered} event(s){note}"


def report_crawls(
    archive: Any,
    db_path: str | Path,
    sites: Iterable[SiteSchedule],
    *,
    webhooks: Iterable[str] = (),
    now: datetime | None = None,
    max_backoff: timedelta = DEFAULT_MAX_BACKOFF,
    deliver: bool = True,
    **delivery_options: Any,
) -> PostCrawl:
    """Book each site's latest crawl (back-off, health), then deliver pending events.

    `webhooks` are the ``--webhook`` URLs (all sites); per-site ``[alerts] webhook`` sinks
    come from the schedules. One site's failure never stops the others; nothing raises.
    """
    sites = list(sites)
    report = PostCrawl()
    for site in sites:
        try:
            report.results[site.name] = after_crawl(archive, site, now=now,
                                                    max_backoff=max_backoff)
        except Exception as error:  # noqa: BLE001 — one site's book-keeping must not stop the rest
            log_failure(error, "book-keeping of %s failed", site.name)
            report.errors.append(f"{site.name}: could not update its schedule state: {error}")
    if deliver:
        _deliver(archive, db_path, alerts.sinks_for(webhooks, sites), report, now=now,
                 **delivery_options)
    return report


def _deliver(archive: Any, db_path: str | Path, sinks: list[alerts.Sink], report: PostCrawl,
             **options: Any) -> None:
    for sink in sinks:
        try:
            report.deliveries += alerts.deliver_all(archive, db_path, [sink], **options)
        except Exception as error:  # noqa: BLE001 — nothing raises (see report_crawls)
            log_failure(error, "webhook delivery failed")
            report.errors.append(f"webhook {redact_url(sink.url)}: delivery failed: {error}")


def post_crawl(
    db_path: str | Path,
    site_defs: Iterable[SiteDef],
    *,
    webhooks: Iterable[str] = (),
    now: datetime | None = None,
    max_backoff: timedelta = DEFAULT_MAX_BACKOFF,
    **delivery_options: Any,
) -> PostCrawl:
    """`report_crawls` for site definitions, on the archive at `db_path` (created if missing)."""
    with Archive(db_path, create=True) as archive:
        return report_crawls(archive, db_path, [schedule_for(d) for d in site_defs],
                             webhooks=webhooks, now=now, max_backoff=max_backoff,
                             **delivery_options)


def log_failure(error: Exception, message: str, *args: object) -> None:
    """Log an expected archive failure in one line; anything else with its traceback."""
    if isinstance(error, ArchiveError):
        log.warning(message + ": %s", *args, error)  # noqa: G003 — extends the caller's format, args stay lazy
    else:
        log.error(message, *args, exc_info=error)
