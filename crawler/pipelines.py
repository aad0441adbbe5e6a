"""The archive pipeline: every item becomes one archive transaction.

``Announcement`` -> ``Archive.save`` with its raw capture (new / changed / unchanged /
restored), ``Unchanged`` -> ``Archive.mark_checked``, ``Withdrawn`` -> ``Archive.mark_gone``.
The crawl row is opened in ``open_spider`` and closed with the crawl stats and outcome when
the spider closes. See https://docs.scrapy.org/en/latest/topics/item-pipeline.html
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from scrapy import signals
from scrapy.exceptions import CloseSpider, DropItem, NotConfigured

from crawler.items import Announcement, Unchanged, Withdrawn

if TYPE_CHECKING:
    from typing_extensions import Self

    from archive import Archive
    from scrapy.crawler import Crawler

logger = logging.getLogger(__name__)


class ArchivePipeline:
    """Writes items into the archive at ``ARCHIVE_DB_PATH`` (one transaction per item)."""

    def __init__(self, crawler: Crawler, db_path: str) -> None:
        self.crawler = crawler
        self.db_path = db_path
        self.archive: Archive | None = None
        self.crawl_id: int | None = None
        self.previous_outcome: str | None = None

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

    def open_spider(self) -> None:
        from archive import Archive, ArchiveError

        try:
            Path(self.db_path).parent.mkdir(parents=True, exist_ok=True)
            self.archive = Archive(self.db_path, create=True)
            spider = self.crawler.spider
            self.archive.ensure_site(self.site, base_url=spider.site.home_url)  # type: ignore[union-attr]
            previous = self.archive.crawls(site=self.site, limit=1)
            self.previous_outcome = previous[0]["outcome"] if previous else None
            self.crawl_id = self.archive.start_crawl(self.site)
        except (ArchiveError, OSError, sqlite3.Error) as exc:
            self._archive_failed(exc)
            raise CloseSpider("archive_error") from None

    def _archive_failed(self, exc: BaseException) -> None:
        self.crawler.stats.inc_value("archive/errors")
        self.crawler.stats.set_value("archive/error_message", str(exc))
        logger.error("Archive %s not writable: %s", self.db_path, exc)

    def known_documents(self) -> list[dict[str, Any]]:
        return self.archive.known_documents(self.site) if self.archive else []

    def last_capture_sha(self, doc: dict[str, Any]) -> str | None:
        """The sha256 of the raw bytes behind the document's current version."""
        if self.archive is None:
            return None
        history = self.archive.history(doc["id"])
        return history[-1].get("capture_sha") if history else None

    def process_item(self, item: Any) -> Any:
        from archive import ArchiveError

        if self.archive is None:
            raise DropItem("archive not open")
        try:
            self._write(item)
        except (ArchiveError, sqlite3.Error, OSError) as exc:
            self._archive_failed(exc)
            # An archive that cannot be written makes the rest of the crawl pointless.
            asyncio.get_event_loop().create_task(
                self.crawler.engine.close_spider_async(reason="archive_error"))
            raise DropItem(f"not archived: {exc}") from None
        return item

    def _write(self, item: Any) -> None:
        stats, a = self.crawler.stats, self.archive
        assert a is not None
        if isinstance(item, Announcement):
            from archive import Capture

            capture = Capture(body=item.raw, status=item.status, url=item.final_url or item.url,
                              headers=dict(item.headers), declared_encoding=item.declared_encoding,
                              used_encoding=item.used_encoding)
            result = a.save(item.site, item.record(), crawl_id=self.crawl_id, capture=capture)
            stats.inc_value(f"archive/{result.outcome}")
            if result.outcome == "restored" and result.changed_fields:
                stats.inc_value("archive/changed")
        elif isinstance(item, Unchanged):
            a.mark_checked(item.site, item.url, crawl_id=self.crawl_id)
            stats.inc_value("archive/not_modified" if item.reason == "not_modified"
                            else "archive/unchanged")
            if item.reason == "same_bytes":
                stats.inc_value("archive/same_bytes")
        elif isinstance(item, Withdrawn):
            if a.mark_gone(item.site, item.url, crawl_id=self.crawl_id):
                stats.inc_value("archive/gone")
            else:
                stats.inc_value("archive/still_gone")
        else:
            raise DropItem(f"unknown item type {type(item).__name__}")

    def spider_closed(self, spider: Any, reason: str) -> None:
        from crawler.runner import assess

        if self.archive is None:
            return
        stats = dict(self.crawler.stats.get_stats())
        stats["finish_reason"] = reason
        health = assess(stats)
        stats = {k: (v.isoformat() if isinstance(v, datetime) else v) for k, v in stats.items()}
        try:
            if self.crawl_id is not None:
                self.archive.finish_crawl(self.crawl_id, health.outcome, stats)
        except Exception as exc:  # the crawl itself is over; report, don't crash the shutdown
            self._archive_failed(exc)
        finally:
            self.archive.close()
            self.archive = None
