"""Crawl these sites and report: what `gov-archive crawl` does, callable from anywhere.

`run_and_report` takes site definitions (already chosen and validated) and:

1. with `due`, keeps the sites whose interval has passed (none: nothing to do, and the
   report says which sites another process is crawling and which site is due next);
2. checks that the archive (and a JOBDIR given in the settings) can be written;
3. takes each site's crawl lock: a site another process is crawling is skipped, and rows a
   dead crawl of a held site left open are closed as "interrupted";
4. runs the crawls in this process (crawler/service/runner.py) and closes any row they left
   open (a second Ctrl-C stops a crawl before its pipeline can);
5. books the crawls and delivers pending events (crawler/service/bookkeeping.py, the same
   step `watch` runs after each child crawl and `notify` runs alone). After a crawl stopped by
   a signal nothing is delivered (the events wait for the next run); a signal during delivery
   stops it after the current batch.

A crawl row is closed by its pipeline when the spider closes; here only rows whose process
died, under the site's lock, through one Archive method (``finish_open_crawls``).
"""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import sqlite3
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from archive import Archive, ArchiveBusy, ArchiveError
from crawler.service import locks
from crawler.service.bookkeeping import PostCrawl, post_crawl
from crawler.service.runner import CrawlSummary, run_crawls
from crawler.service.schedule import next_due_site, select_due
from crawler.sites import SiteDef

logger = logging.getLogger(__name__)
ARCHIVE_FAILURES = (ArchiveError, OSError, sqlite3.Error)
KILLED = {"finish_reason": "killed"}  # merged into the stats of a dead crawl's row


class CrawlError(Exception):
    """A crawl that cannot start: the archive or the JOBDIR cannot be written."""


@dataclass
class CrawlReport:
    """What `run_and_report` did; `summary` is None when nothing was crawled."""

    db: str
    not_due: bool = False  # `due` and no site was due
    running: list[str] = field(default_factory=list)  # not due: sites another process crawls now
    next_due: tuple[str, datetime] | None = None  # not due: the site due next, and when
    busy: list[str] = field(default_factory=list)  # skipped: another process crawls them
    summary: CrawlSummary | None = None
    bookkeeping: PostCrawl | None = None
    bookkeeping_error: str | None = None  # the archive refused the bookkeeping
    signal: int | None = None  # a stop asked for during the bookkeeping

    @property
    def exit_code(self) -> int:
        if self.signal is not None and not (self.summary and self.summary.interrupted):
            return 128 + self.signal
        return self.summary.exit_code if self.summary else 0


def run_and_report(
    db_path: str | os.PathLike[str],
    sites: Sequence[SiteDef],
    *,
    settings: Mapping[str, Any] | None = None,
    full: bool = False,
    due: bool = False,
    webhooks: Sequence[str] = (),
    webhook_timeout: float | None = None,
    verbose: bool = False,
    progress: bool = False,
    notify: Callable[[str], None] | None = None,
) -> CrawlReport:
    """Crawl `sites` into the archive at `db_path`, then book the crawls and deliver events.

    `settings` are checked ``-s`` overrides; `due` keeps only the sites whose interval has
    passed; `webhooks` receive the events of all sites (`webhook_timeout`: seconds for an
    answer). `notify` gets the lines a person should see at once (Ctrl-C). Raises CrawlError
    before anything is crawled when the archive or the JOBDIR cannot be written. One call per
    process.
    """
    report = CrawlReport(str(db_path))
    if due:
        watched, sites = sites, select_due(db_path, sites)
        if not sites:
            report.not_due = True
            report.running = [site.name for site in watched if locks.is_locked(db_path, site.name)]
            report.next_due = next_due_site(db_path, watched)
    if not sites:
        return report
    check_writable(db_path, (settings or {}).get("JOBDIR"))
    with claim_sites(db_path, [site.name for site in sites]) as (held, busy):
        report.busy = busy
        chosen = [site for site in sites if site.name in held]
        if not chosen:
            return report
        report.summary = run_crawls(db_path, chosen, settings=settings, full=full,
                                    verbose=verbose, progress=progress, notify=notify)
        close_left_open(db_path, report.summary)
    delivery: dict[str, Any] = {} if webhook_timeout is None else {"timeout": webhook_timeout}
    delivery["log_result"] = verbose  # the report's lines say what came of each delivery
    if report.summary.interrupted:
        delivery["deliver"] = False  # stopping: the events wait for the next run
    with stop_requested(notify or logger.warning) as stop:
        report.bookkeeping, report.bookkeeping_error = _book(
            db_path, chosen, webhooks, {**delivery, "should_stop": stop.is_set})
    report.signal = stop.signal
    return report


class _Stop(threading.Event):
    signal: int | None = None


@contextlib.contextmanager
def stop_requested(notify: Callable[[str], None]) -> Iterator[_Stop]:
    """While the block runs, the first SIGINT or SIGTERM sets the yielded event (the work
    stops at its next step); a second one exits at once. Main thread only (else a no-op)."""
    stop = _Stop()
    if threading.current_thread() is not threading.main_thread():
        yield stop
        return

    def handle(signum: int, frame: Any) -> None:
        if stop.is_set():
            raise SystemExit(128 + signum)
        stop.signal = signum
        stop.set()
        notify("stopping after the webhook batch under way… (again to stop at once)")

    previous = {sig: signal.signal(sig, handle) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield stop
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def check_writable(db_path: str | os.PathLike[str], jobdir: str | None = None) -> None:
    """Fail (CrawlError) before crawling when the archive or `jobdir` cannot be written."""
    if jobdir:
        try:
            os.makedirs(jobdir, exist_ok=True)
        except OSError as exc:
            raise CrawlError(f"cannot use the JOBDIR {jobdir}: {exc.strerror or exc}") from None
        if not os.access(jobdir, os.W_OK):
            raise CrawlError(f"cannot use the JOBDIR {jobdir}: not writable")
    try:
        with Archive(db_path, create=True):
            pass
    except ArchiveBusy:
        # Another process is writing (creating or upgrading it, or crawling): the archive is
        # writable, and the crawl waits its turn when it saves, like any other writer.
        return
    except ARCHIVE_FAILURES as exc:
        detail = str(exc) if isinstance(exc, ArchiveError) else f"{db_path}: {exc}"  # ours name the path
        raise CrawlError(f"archive not writable: {detail}") from None


@contextlib.contextmanager
def claim_sites(db_path: str | os.PathLike[str],
                names: Iterable[str]) -> Iterator[tuple[list[str], list[str]]]:
    """Hold the crawl lock of each free site; yield ``(held, busy)``; release on exit.

    Rows a dead crawl of a held site left open are closed first, as "interrupted": holding
    the lock, we know no crawl of the site is running.
    """
    with locks.hold_sites(db_path, names) as (held, busy):
        _finish_open_crawls(db_path, dict.fromkeys(held, ("interrupted", KILLED)))
        yield held, busy


def close_left_open(db_path: str | os.PathLike[str], summary: CrawlSummary) -> None:
    """Close the rows this run's crawls left open (a forced stop), with their verdicts."""
    _finish_open_crawls(db_path, {s.site: (s.outcome, s.stats) for s in summary.sites})


def _finish_open_crawls(db_path: str | os.PathLike[str],
                        ends: Mapping[str, tuple[str, Mapping[str, Any]]]) -> None:
    """`Archive.finish_open_crawls` for each site; best effort (an open row is only untidy)."""
    if not ends:
        return
    try:
        with Archive(db_path, create=True) as archive:
            for site, (outcome, stats) in ends.items():
                for crawl_id in archive.finish_open_crawls(site, outcome, stats):
                    logger.info("Crawl %s of %s never finished: recorded as %s",
                                crawl_id, site, outcome)
    except ARCHIVE_FAILURES as exc:
        logger.warning("could not close the unfinished crawls of %s: %s", ", ".join(ends), exc)


def _book(db_path: str | os.PathLike[str], sites: Sequence[SiteDef], webhooks: Sequence[str],
          delivery: Mapping[str, Any]) -> tuple[PostCrawl | None, str | None]:
    """`post_crawl`, its archive error as one line instead of an exception."""
    try:
        return post_crawl(Path(db_path), sites, webhooks=webhooks, **delivery), None
    except ARCHIVE_FAILURES as exc:
        return None, " ".join(str(exc).split())
