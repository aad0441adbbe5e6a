"""The archive pipeline: every item becomes one archive transaction.

``Announcement`` -> ``Archive.save`` with its raw capture (new / changed / unchanged /
restored), ``Unchanged`` -> ``Archive.mark_checked``, ``Withdrawn`` -> ``Archive.mark_gone``.
The crawl row is opened in ``open_spider`` and closed with the crawl stats and outcome when
the spider closes. See https://docs.scrapy.org/en/latest/topics/item-pipeline.html

Withdrawals of live documents are held back, not written as they arrive, and decided when
the spider closes (``settle_withdrawals``): a CMS migration or a maintenance redirect makes
*every* known article answer 404 or redirect home, and the archive must never invent
withdrawals. They are written (``mark_gone``, one transaction each) only when fewer than
``max(GONE_MIN_COUNT, GONE_MAX_SHARE x re-checked articles)`` and the site answered with
something else too (a list page, an article, a 304); otherwise none is written, the crawl
counts ``archive/gone_held`` and the health rules raise ``mass_gone``. A crawl killed
before closing writes none: the documents keep their old ``last_checked``, stay due, and
the next crawl sees them again.

All archive calls run on one dedicated thread that owns the SQLite connection: compressing
captures and committing overlap with downloading and extracting instead of stalling the
event loop, and the single thread keeps writes in order.

A briefly busy archive (another process writing: a query, ``notify``, a parallel crawl of
another site) is not fatal: a write that times out with ``ArchiveBusy`` is retried with
back-off for up to ``ARCHIVE_BUSY_RETRY_SECONDS``. Only a write error, or a lock held longer
than that, closes the spider (once, reason ``archive_error``).

The crawl row always gets an end: ``spider_closed`` records it (a Ctrl-C: "interrupted");
when a second Ctrl-C stops the process before Scrapy closes the spider, an exit hook records
"interrupted"; and a crawl killed outright (SIGKILL, power loss) is closed as "interrupted"
by the next crawl of the site, once no process holds the site's crawl lock.
"""

from __future__ import annotations

import asyncio
import atexit
import logging
import os
import sqlite3
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from scrapy import signals
from scrapy.exceptions import CloseSpider, DropItem, NotConfigured

from crawler.service.health import SITE_ANSWERS, mass_gone_detail
from crawler.items import Announcement, Unchanged, Withdrawn

if TYPE_CHECKING:
    from typing_extensions import Self

    from archive import Archive
    from scrapy.crawler import Crawler

logger = logging.getLogger(__name__)
T = TypeVar("T")

BUSY_TIMEOUT = 10.0  # seconds one write waits for another writer (ARCHIVE_BUSY_TIMEOUT)
BUSY_RETRY_SECONDS = 60.0  # total time an item keeps retrying a busy archive (ARCHIVE_BUSY_RETRY_SECONDS)
BUSY_BACKOFF_FIRST = 0.5  # first pause between attempts; doubles, at most BUSY_BACKOFF_MAX
BUSY_BACKOFF_MAX = 8.0
STALE_LOOKBACK = 20  # newest crawl rows of a site checked for a killed crawl's open row
GONE_MAX_SHARE = 0.3  # GONE_MAX_SHARE: share of re-checked articles a crawl may mark gone
GONE_MIN_COUNT = 3  # GONE_MIN_COUNT: fewer withdrawals than this are plausible whatever the share
# The pipeline's own settings and their defaults (`-s` values are checked against these types).
SETTINGS = {"ARCHIVE_BUSY_TIMEOUT": BUSY_TIMEOUT, "ARCHIVE_BUSY_RETRY_SECONDS": BUSY_RETRY_SECONDS,
            "GONE_MAX_SHARE": GONE_MAX_SHARE, "GONE_MIN_COUNT": GONE_MIN_COUNT}


def withdrawals_plausible(held: int, rechecked: int, *, max_share: float = GONE_MAX_SHARE,
                          min_count: int = GONE_MIN_COUNT, site_answered: bool = True) -> bool:
    """True if `held` withdrawals among `rechecked` known articles may be written.

    Plausible: the site answered with something besides withdrawals, and fewer than
    ``max(min_count, max_share * rechecked)`` withdrawals (``max_share >= 1``: any number).
    """
    if held <= 0:
        return True
    if not site_answered:
        return False
    return max_share >= 1 or held < max(min_count, max_share * rechecked)


class ArchivePipeline:
    """Writes items into the archive at ``ARCHIVE_DB_PATH`` (one transaction per item)."""

    def __init__(self, crawler: Crawler, db_path: str) -> None:
        self.crawler = crawler
        self.db_path = db_path
        self.archive: Archive | None = None
        self.crawl_id: int | None = None
        self.previous_crawl: dict[str, Any] | None = None  # the site's newest crawl before this one
        self.busy_timeout = crawler.settings.getfloat("ARCHIVE_BUSY_TIMEOUT", BUSY_TIMEOUT)
        self.busy_retry_seconds = crawler.settings.getfloat("ARCHIVE_BUSY_RETRY_SECONDS",
                                                            BUSY_RETRY_SECONDS)
        self.gone_max_share = crawler.settings.getfloat("GONE_MAX_SHARE", GONE_MAX_SHARE)
        self.gone_min_count = crawler.settings.getint("GONE_MIN_COUNT", GONE_MIN_COUNT)
        self._held: list[Withdrawn] = []  # withdrawals of live documents, decided at close
        self._gone_urls: set[str] = set()  # canonical URLs already gone when the crawl started
        self._close_task: asyncio.Task[Any] | None = None  # the one close for an archive error
        self._finished = False
        self._thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="archive")

    @property
    def previous_outcome(self) -> str | None:
        return self.previous_crawl.get("outcome") if self.previous_crawl else None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        settings = crawler.settings
        if not settings.getbool("ARCHIVE_ENABLED") or not settings.get("ARCHIVE_DB_PATH"):
            raise NotConfigured("ARCHIVE_ENABLED is off or ARCHIVE_DB_PATH is empty")
        o = cls(crawler, settings.get("ARCHIVE_DB_PATH"))
        crawler.signals.connect(o.spider_closed, signal=signals.spider_closed)
        return o

    @property
    def site(self) -> str:
        return self.crawler.spider.site.name  # type: ignore[union-attr]

    # ------------------------------------------------------------ the archive thread

    def run(self, fn: Callable[..., T], *args: Any) -> T:
        """Call `fn` on the archive thread and wait (start-up and shutdown only)."""
        return self._thread.submit(fn, *args).result()

    async def call(self, fn: Callable[..., T], *args: Any) -> T:
        """Call `fn` on the archive thread without blocking the event loop."""
        return await asyncio.wrap_future(self._thread.submit(fn, *args))

    # ------------------------------------------------------------ lifecycle

    def open_spider(self) -> None:
        from archive import ArchiveError

        try:
            self.run(self._open, self.crawler.spider.site.home_url)  # type: ignore[union-attr]
        except (ArchiveError, OSError, sqlite3.Error) as exc:
            self._archive_failed(exc)
            raise CloseSpider("archive_error") from None

    def _open(self, home_url: str) -> None:
        from archive import Archive

        Path(self.db_path).parent.mkdir(parents=True, exist_ok=True)
        self.archive = Archive(self.db_path, create=True, busy_timeout=self.busy_timeout)
        self.archive.ensure_site(self.site, base_url=home_url)
        previous = self.archive.crawls(site=self.site, limit=1)
        self.previous_crawl = previous[0] if previous else None
        close_stale_crawls(self.archive, self.db_path, self.site)
        self.crawl_id = self.archive.start_crawl(self.site)
        atexit.register(self._finish_at_exit)

    def _archive_failed(self, exc: BaseException) -> None:
        self.crawler.stats.inc_value("archive/errors")
        self.crawler.stats.set_value("archive/error_message", str(exc))
        logger.error("Archive %s not writable: %s", self.db_path, exc)

    def spider_closed(self, spider: Any, reason: str) -> None:
        from crawler.service.runner import assess

        if self.archive is not None:
            self.settle_withdrawals(reason)
            stats = self._stats(reason)
            outcome = assess(stats).outcome
            try:
                self.run(self._finish, outcome, stats)
            except Exception as exc:  # the crawl is over; report, don't crash the shutdown
                self._archive_failed(exc)
        self._thread.shutdown(wait=True)

    def _stats(self, reason: str) -> dict[str, Any]:
        """The crawl stats as stored with the crawl row (JSON-ready)."""
        stats = dict(self.crawler.stats.get_stats())
        stats["finish_reason"] = reason
        return {k: (v.isoformat() if isinstance(v, datetime) else v) for k, v in stats.items()}

    def _finish(self, outcome: str, stats: dict[str, Any]) -> None:
        assert self.archive is not None
        try:
            if self.crawl_id is not None:
                self._finish_row(self.archive, outcome, stats)
        finally:
            self.archive.close()
            self.archive = None

    def _finish_row(self, archive: Archive, outcome: str, stats: dict[str, Any]) -> None:
        """Record the end of our crawl row unless someone (the runner) already did."""
        assert self.crawl_id is not None
        row = archive.crawl(self.crawl_id)
        if row is None or not row.get("finished_at"):
            archive.finish_crawl(self.crawl_id, outcome, stats)
        self._finished = True
        atexit.unregister(self._finish_at_exit)

    def _finish_at_exit(self) -> None:
        """A second Ctrl-C stops the reactor before spider_closed: close the row as interrupted.

        Runs at interpreter exit on a connection of its own (the archive thread is gone by
        then); SQLite's busy timeout covers a write still being committed elsewhere.
        """
        from archive import Archive, ArchiveError

        if self._finished or self.crawl_id is None:
            return
        try:
            with Archive(self.db_path, busy_timeout=self.busy_timeout) as archive:
                self._finish_row(archive, "interrupted", self._stats("interrupted"))
        except (ArchiveError, OSError, sqlite3.Error) as exc:
            logger.warning("Could not record the end of crawl %s: %s", self.crawl_id, exc)

    # ------------------------------------------------------------ reads for the spider

    async def known_documents(self) -> list[dict[str, Any]]:
        return await self.call(self._known) if self.archive is not None else []

    def _known(self) -> list[dict[str, Any]]:
        from archive.urls import canonical_url

        docs = self.archive.known_documents(self.site) if self.archive else []
        self._gone_urls = {canonical_url(d["url"]) for d in docs if d.get("status") == "gone"}
        return docs

    # ------------------------------------------------------------ withdrawals

    def _hold(self, item: Withdrawn) -> bool:
        """Keep a withdrawal of a live document for `settle_withdrawals`; False if already gone."""
        from archive.urls import canonical_url

        if canonical_url(item.url) in self._gone_urls:
            return False  # still gone: mark_gone writes nothing
        self._held.append(item)
        self.crawler.stats.inc_value("archive/rechecked")
        return True

    def settle_withdrawals(self, reason: str) -> None:
        """Write the held withdrawals if plausible (see the module docstring), else count them."""
        from archive import ArchiveError

        held, self._held = self._held, []
        if not held:
            return
        stats = self.crawler.stats
        if self._close_task is not None or reason == "archive_error":
            logger.warning("%d withdrawals not recorded (archive error): the next crawl "
                           "re-checks them", len(held))
            return
        rechecked = int(stats.get_value("archive/rechecked", 0) or 0)
        answered = any(stats.get_value(key, 0) for key in SITE_ANSWERS)
        if not withdrawals_plausible(len(held), rechecked, max_share=self.gone_max_share,
                                     min_count=self.gone_min_count, site_answered=answered):
            stats.set_value("archive/gone_held", len(held))
            logger.error("%s: %s", self.site, mass_gone_detail(stats.get_stats()))
            return
        for item in held:
            try:
                keys = self.run(self._write_patiently, item)
            except (ArchiveError, sqlite3.Error, OSError) as exc:
                self._archive_failed(exc)  # the rest stay live and due: re-detected next crawl
                return
            for name in keys:
                stats.inc_value(name)

    def _write_patiently(self, item: Any) -> list[str]:
        """`_write` on the archive thread at close, waiting out a busy archive (bounded)."""
        from archive import ArchiveBusy

        deadline = time.monotonic() + self.busy_retry_seconds
        pause = BUSY_BACKOFF_FIRST
        while True:
            try:
                return self._write(item)
            except ArchiveBusy:
                if time.monotonic() >= deadline:
                    raise
                self.crawler.stats.inc_value("archive/busy_retries")
                time.sleep(min(pause, max(0.0, deadline - time.monotonic())))
                pause = min(pause * 2, BUSY_BACKOFF_MAX)

    # ------------------------------------------------------------ items

    async def process_item(self, item: Any) -> Any:
        from archive import ArchiveError

        if self.archive is None:
            raise DropItem("archive not open")
        if not isinstance(item, (Announcement, Unchanged, Withdrawn)):
            raise DropItem(f"unknown item type {type(item).__name__}")
        if self._close_task is not None:
            raise DropItem("not archived: the crawl is closing after an archive error")
        if isinstance(item, Withdrawn) and self._hold(item):
            return item
        try:
            key = await self._write_retrying(item)
        except (ArchiveError, sqlite3.Error, OSError) as exc:
            self._archive_failed(exc)
            self._close_spider()
            raise DropItem(f"not archived: {exc}") from None
        for name in key:
            self.crawler.stats.inc_value(name)
        return item

    async def _write_retrying(self, item: Any) -> list[str]:
        """`_write`, retried with back-off while the archive is busy (bounded in time)."""
        from archive import ArchiveBusy

        deadline = time.monotonic() + self.busy_retry_seconds
        pause = BUSY_BACKOFF_FIRST
        while True:
            try:
                return await self.call(self._write, item)
            except ArchiveBusy as exc:
                left = deadline - time.monotonic()
                if left <= 0 or self._close_task is not None:
                    raise
                self.crawler.stats.inc_value("archive/busy_retries")
                logger.info("Archive busy, retrying in %.1fs: %s", min(pause, left), exc)
                await asyncio.sleep(min(pause, left))
                pause = min(pause * 2, BUSY_BACKOFF_MAX)

    def _close_spider(self) -> None:
        """Close the spider (once): an archive that cannot be written makes the crawl pointless."""
        if self._close_task is not None:
            return
        engine = self.crawler.engine
        assert engine is not None
        self._close_task = asyncio.ensure_future(engine.close_spider_async(reason="archive_error"))

    def _write(self, item: Any) -> list[str]:
        """One archive transaction; returns the stats keys to count."""
        a = self.archive
        assert a is not None
        if isinstance(item, Announcement):
            from archive import Capture

            capture = Capture(body=item.raw, status=item.status, url=item.final_url or item.url,
                              headers=dict(item.headers), declared_encoding=item.declared_encoding,
                              used_encoding=item.used_encoding)
            result = a.save(item.site, item.record(), crawl_id=self.crawl_id, capture=capture)
            keys = [f"archive/{result.outcome}"]
            if result.outcome == "restored" and result.changed_fields:
                keys.append("archive/changed")
            if result.outcome in ("changed", "unchanged"):
                keys.append("archive/rechecked")  # a known live article answered
            return keys
        if isinstance(item, Unchanged):
            a.mark_checked(item.site, item.url, crawl_id=self.crawl_id)
            if item.reason == "not_modified":
                return ["archive/not_modified", "archive/rechecked"]
            return ["archive/unchanged", "archive/same_bytes", "archive/rechecked"]
        if a.mark_gone(item.site, item.url, crawl_id=self.crawl_id):
            return ["archive/gone"]
        return ["archive/still_gone"]


def close_stale_crawls(archive: Archive, db_path: str, site: str) -> list[int]:
    """Close the site's crawl rows left unfinished by a killed process, as "interrupted".

    Only when no other process holds the site's crawl lock (crawler/locks.py): under
    ``gov-archive crawl`` / ``watch`` this process (or its ``watch`` parent) holds it, so an
    unfinished row is a dead crawl's. Returns the ids closed.
    """
    if not _no_other_crawl(db_path, site):
        return []
    closed = []
    for row in archive.crawls(site=site, limit=STALE_LOOKBACK):
        if row.get("finished_at"):
            continue
        stats = dict(row.get("stats") or {})
        stats["finish_reason"] = "killed"
        archive.finish_crawl(row["id"], "interrupted", stats)
        closed.append(row["id"])
        logger.info("Crawl %s of %s never finished (killed?): recorded as interrupted",
                    row["id"], site)
    return closed


def _no_other_crawl(db_path: str, site: str) -> bool:
    """True if the site's crawl lock is free or held by us (this process or its parent)."""
    from crawler.service.locks import FileLock, lock_path

    probe = FileLock(lock_path(db_path, site))
    if probe.acquire():
        probe.release()
        return True
    return probe.owner_pid() in (os.getpid(), os.getppid())
