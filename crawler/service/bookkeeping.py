"""After crawls: each site's and column's back-off state and health rules, then webhook delivery.

`report_crawls` is the one "report" step behind `crawl` (after its crawls), `watch` (after
each child crawl) and `notify` (crawls that ran elsewhere: Scrapyd, `scrapy crawl`). It is
idempotent: each finished crawl is booked once, and an event a receiver acknowledged (2xx) is
never sent to it again.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
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
    """Book-keep the site's latest finished crawl once: back-off state and health rules, of
    the site and of each column the crawl walked.

    A crawl whose columns all failed on their own account (404, DNS ...) is their failure:
    each column backs off and raises its health alert, the site's state is left alone.
    Idempotent: returns None if that crawl was already processed (or there is none).
    """
    last = archive.last_finished_crawl(site.name)
    if not last:
        return None
    state = archive.site_state(site.name) or {}
    if state.get("last_crawl_id") == last["id"]:
        return None
    now = now or utcnow()
    config = health_config or health.HealthConfig.from_env()
    issues = health.evaluate(archive.crawls(site=site.name, limit=config.window), config)
    columns, column_issues = book_columns(archive.crawl_columns(last["id"]), site, last["id"],
                                          now=now, max_backoff=max_backoff)
    return record_outcome(
        archive, site, str(last.get("outcome") or "unknown"),
        crawl_id=last["id"], now=now, max_backoff=max_backoff, health=issues + column_issues,
        columns=columns, charge_site=not columns_explain_failure(last.get("stats") or {}),
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
