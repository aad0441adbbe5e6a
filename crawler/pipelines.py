"""The archive pipeline: every item becomes one archive transaction.

``Announcement`` -> ``Archive.save`` with its raw capture (new / changed / unchanged /
restored), ``Unchanged`` -> ``Archive.mark_checked``, ``Withdrawn`` -> ``Archive.mark_gone``.
The crawl row is opened in ``open_spider`` and closed with the crawl stats and outcome when
the spider closes. See https://docs.scrapy.org/en/latest/topics/item-pipeline.html

All archive calls run on one dedicated thread that owns the SQLite connection: compressing
captures and committing overlap with downloading and extracting instead of stalling the
event loop, and the single thread keeps writes in order.
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from scrapy import signals
from scrapy.exceptions import CloseSpider, DropItem, NotConfigured

from crawler.items import Announcement, Unchanged, Withdrawn

if TYPE_CHECKING:
    from typing_extensions import Self

    from archive import Archive
    from scrapy.crawler import Crawler

logger = logging.getLogger(__name__)
T = TypeVar("T")


class ArchivePipeline:
    """Writes items into the archive at ``ARCHIVE_DB_PATH`` (one transaction per item)."""

    def __init__(self, crawler: Crawler, db_path: str) -> None:
        self.crawler = crawler
        self.db_path = db_path
        self.archive: Archive | None = None
        self.crawl_id: int | None = None
        self.previous_outcome: str | None = None
        self._thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="archive")

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
        self.archive = Archive(self.db_path, create=True)
        self.archive.ensure_site(self.site, base_url=home_url)
        previous = self.archive.crawls(site=self.site, limit=1)
        self.previous_outcome = previous[0]["outcome"] if previous else None
        self.crawl_id = self.archive.start_crawl(self.site)

    def _archive_failed(self, exc: BaseException) -> None:
        self.crawler.stats.inc_value("archive/errors")
        self.crawler.stats.set_value("archive/error_message", str(exc))
        logger.error("Archive %s not writable: %s", self.db_path, exc)

    def spider_closed(self, spider: Any, reason: str) -> None:
        from crawler.runner import assess

        if self.archive is not None:
            stats = dict(self.crawler.stats.get_stats())
            stats["finish_reason"] = reason
            outcome = assess(stats).outcome
            stats = {k: (v.isoformat() if isinstance(v, datetime) else v) for k, v in stats.items()}
            try:
                self.run(self._finish, outcome, stats)
            except Exception as exc:  # the crawl is over; report, don't crash the shutdown
                self._archive_failed(exc)
        self._thread.shutdown(wait=True)

    def _finish(self, outcome: str, stats: dict[str, Any]) -> None:
        assert self.archive is not None
        try:
            if self.crawl_id is not None:
                self.archive.finish_crawl(self.crawl_id, outcome, stats)
        finally:
            self.archive.close()
            self.archive = None

    # ------------------------------------------------------------ reads for the spider

    async def known_documents(self) -> list[dict[str, Any]]:
        return await self.call(self._known) if self.archive is not None else []

    def _known(self) -> list[dict[str, Any]]:
        return self.archive.known_documents(self.site) if self.archive else []

    # ------------------------------------------------------------ items

    async def process_item(self, item: Any) -> Any:
        from archive import ArchiveError

        if self.archive is None:
            raise DropItem("archive not open")
        if not isinstance(item, (Announcement, Unchanged, Withdrawn)):
            raise DropItem(f"unknown item type {type(item).__name__}")
        try:
            key = await self.call(self._write, item)
        except (ArchiveError, sqlite3.Error, OSError) as exc:
            self._archive_failed(exc)
            # An archive that cannot be written makes the rest of the crawl pointless.
            asyncio.get_event_loop().create_task(
                self.crawler.engine.close_spider_async(reason="archive_error"))
            raise DropItem(f"not archived: {exc}") from None
        for name in key:
            self.crawler.stats.inc_value(name)
        return item

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
            return keys
        if isinstance(item, Unchanged):
            a.mark_checked(item.site, item.url, crawl_id=self.crawl_id)
            if item.reason == "not_modified":
                return ["archive/not_modified"]
            return ["archive/unchanged", "archive/same_bytes"]
        if a.mark_gone(item.site, item.url, crawl_id=self.crawl_id):
            return ["archive/gone"]
        return ["archive/still_gone"]
