"""The archive pipeline: every item becomes one archive transaction.

``Announcement`` -> ``Archive.save`` with its raw capture and attachment files (new / changed /
unchanged / restored; with today's reading of the stored capture when an older extractor made
the current version, so an extractor improvement is never an edit: `ItemWriter`),
``Unchanged`` -> ``Archive.mark_checked`` (``recheck_attachments`` when its files were
re-checked), ``Withdrawn`` -> ``Archive.mark_gone``.
The pipeline owns its crawl row: opened in ``open_spider``, closed when the spider closes
with the crawl's verdict (crawler/outcome.py), judged there once and written into the crawl
stats for everyone else to read. A row whose process never got that far (killed, or stopped
by a second Ctrl-C) is closed by whoever next holds the site's crawl lock
(crawler/service/crawls.py). See https://docs.scrapy.org/en/latest/topics/item-pipeline.html

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
another site, the first process to open it after an upgrade migrating it) is not fatal: opening
it and every write that times out with ``ArchiveBusy`` are retried with back-off for up to
``ARCHIVE_BUSY_RETRY_SECONDS``. Only a write error, or a lock held longer than that, closes the
spider (once, reason ``archive_error``).

Spiders that are not gov-archive's (no site definition) are left alone: the pipeline is not
enabled for them, nor in a crawl worker's crawl (``CLUSTER_REDIS_URL``), whose items go to the
archive host (crawler/cluster/pipeline.py). The host writes them with the same `ItemWriter`
and decides withdrawals with the same rule (`withdrawals_plausible_in`). The pipeline also
tells the spider what the archive knows of the site (`CrawlState`, crawler/state.py).
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
import time
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from scrapy import signals
from scrapy.exceptions import CloseSpider, DropItem, NotConfigured

from archive import Archive, ArchiveBusy, ArchiveError, Capture, Reextraction
from archive.hashing import TRACKED_FIELDS, record_hash
from archive.urls import canonical_url
from crawler import settings as defaults
from crawler.extract import EXTRACTOR_VERSION, Extraction
from crawler.items import Announcement, Unchanged, Withdrawn
from crawler.outcome import SITE_ANSWERS, Verdict, assess, column_results, column_stat, count, mass_gone_detail
from crawler.reading import reread
from crawler.sites import ArticleRules, SiteDef, site_of
from crawler.state import CrawlState

if TYPE_CHECKING:
    from typing import Self

    from scrapy.crawler import Crawler

logger = logging.getLogger(__name__)
T = TypeVar("T")
ARCHIVE_FAILURES = (ArchiveError, OSError, sqlite3.Error)
Item = Announcement | Unchanged | Withdrawn


def withdrawals_plausible(held: int, rechecked: int, *,
                          max_share: float = defaults.GONE_MAX_SHARE,
                          min_count: int = defaults.GONE_MIN_COUNT,
                          site_answered: bool = True) -> bool:
    """True if `held` withdrawals among `rechecked` known articles may be written.

    Plausible: the site answered with something besides withdrawals, and fewer than
    ``max(min_count, max_share * rechecked)`` withdrawals (``max_share >= 1``: any number).
    """
    if held <= 0:
        return True
    if not site_answered:
        return False
    return max_share >= 1 or held < max(min_count, max_share * rechecked)


def withdrawals_plausible_in(stats: Mapping[str, Any], held: int, *,
                             max_share: float = defaults.GONE_MAX_SHARE,
                             min_count: int = defaults.GONE_MIN_COUNT) -> bool:
    """`withdrawals_plausible` for a crawl with these stats (re-checked articles, site answers)."""
    return withdrawals_plausible(
        held, count(stats, "archive/rechecked"), max_share=max_share, min_count=min_count,
        site_answered=any(count(stats, key) for key in SITE_ANSWERS))


def tracked_fields(item: Announcement | Extraction) -> dict[str, Any]:
    """The fields of an announcement the archive versions (archive.hashing.TRACKED_FIELDS)."""
    return {name: getattr(item, name) for name in TRACKED_FIELDS}


def column_rows(stats: Mapping[str, Any], column_ids: Sequence[int]) -> list[dict[str, Any]]:
    """What a crawl found on each column (crawler/spiders/columns.py), for `Archive.finish_crawl`."""
    return [{"column_id": column_ids[r.index], "outcome": r.outcome, "detail": r.detail,
             "list_pages": r.list_pages, "items": r.items, "new": r.new, "dead": list(r.dead)}
            for r in column_results(stats) if r.index < len(column_ids)]


class ItemWriter:
    """The archive call of each item and the crawl stats it counts: one transaction each.

    The one mapping from items to `Archive` calls, used by `ArchivePipeline` (one machine) and
    by the archive host applying what crawl workers shipped (crawler/service/cluster), so both
    write exactly the same. `column_ids` are the archive ids of the crawl's columns, in order;
    `article` the site's CSS rules for article pages (the spider applied them to the items).

    An extractor improvement is no edit. When an announcement reads differently from the
    current version and an older extractor made that version, the stored capture is read
    again with today's extractor (`reread`) and handed to `Archive.save`, which records that
    reading first as a ``reextracted`` version (no event, no alert) and compares the new one
    with it: a page re-served with a new visit counter is then unchanged, and a real edit
    names only the fields the publisher changed. Counted as ``archive/reextracted``.
    """

    def __init__(self, archive: Archive, crawl_id: int | None, column_ids: Sequence[int], *,
                 article: ArticleRules | None = None) -> None:
        self.archive = archive
        self.crawl_id = crawl_id
        self.column_ids = column_ids
        self.article = article or ArticleRules()

    def write(self, item: Item) -> list[str]:
        """One archive transaction (or one more statement in the caller's); the stats keys to count."""
        if isinstance(item, Announcement):
            return self.save(item)
        if isinstance(item, Unchanged):
            return self.mark_checked(item)
        return self.mark_gone(item)

    def save(self, item: Announcement) -> list[str]:
        capture = Capture(body=item.raw, status=item.status, url=item.final_url or item.url,
                          headers=dict(item.headers), declared_encoding=item.declared_encoding,
                          used_encoding=item.used_encoding)
        ids = self.column_ids
        column = item.column if item.column is not None and item.column < len(ids) else None
        result = self.archive.save(item.site, item, crawl_id=self.crawl_id, capture=capture,
                                   files=item.files, column_id=None if column is None else ids[column],
                                   extractor=item.extractor, reextraction=self.reextraction(item))
        keys = [f"archive/{result.outcome}"]
        if result.reextracted is not None:
            keys.append("archive/reextracted")
        if result.outcome == "new" and column is not None:
            keys.append(column_stat(column, "new"))
        if result.outcome == "restored" and result.changed_fields:
            keys.append("archive/changed")
        if result.outcome in ("changed", "unchanged"):
            keys.append("archive/rechecked")  # a known live article answered
        return keys

    def reextraction(self, item: Announcement) -> Reextraction | None:
        """Today's reading of the current version's capture, if an older extractor made that
        version and `item` (read by today's) differs from it; None otherwise."""
        if item.from_file or item.extractor != EXTRACTOR_VERSION:
            return None  # a file's text is no page reading; another release's reading can't be compared
        stored = self.archive.current_reading(item.site, item.url)
        if stored is None or not stored.read_before(EXTRACTOR_VERSION):
            return None
        stored_hash = record_hash(stored.fields)
        if record_hash(tracked_fields(item)) == stored_hash:
            return None  # unchanged: nothing to explain
        capture = self.archive.version_capture(stored.version_id)
        if capture is None:
            return None
        try:
            ex = reread(capture, self.article)
        except Exception:  # a capture today's extractor chokes on: compared as before, never lost
            logger.exception("Could not re-extract the archived capture of %s", item.url)
            return None
        if ex is None or record_hash(tracked_fields(ex)) == stored_hash:
            return None  # not an article today, or read the same: the difference is the page's
        return Reextraction(stored.version_id, tracked_fields(ex))

    def mark_checked(self, item: Unchanged) -> list[str]:
        if item.files:  # the page's attachment files were re-checked: a file may have changed
            result = self.archive.recheck_attachments(item.site, item.url, item.files,
                                                      crawl_id=self.crawl_id)
            if result is not None and result.outcome != "unchanged":
                return [f"archive/{result.outcome}", "archive/rechecked"]
        else:
            self.archive.mark_checked(item.site, item.url, crawl_id=self.crawl_id)
        if item.reason == "not_modified":
            return ["archive/not_modified", "archive/rechecked"]
        return ["archive/unchanged", "archive/same_bytes", "archive/rechecked"]

    def mark_gone(self, item: Withdrawn) -> list[str]:
        if self.archive.mark_gone(item.site, item.url, crawl_id=self.crawl_id):
            return ["archive/gone"]
        return ["archive/still_gone"]


class ArchivePipeline(CrawlState):
    """Writes items into the archive at ``ARCHIVE_DB_PATH`` (one transaction per item); tells
    the spider the site's state from the archive (`CrawlState`)."""

    def __init__(self, crawler: Crawler, db_path: str) -> None:
        settings = crawler.settings
        self.crawler = crawler
        self.db_path = db_path
        self.site_def: SiteDef | None = site_of(crawler.spider)
        self.archive: Archive | None = None
        self.crawl_id: int | None = None
        self.column_ids: list[int] = []  # archive ids of the site's columns, in order
        self.previous_crawl: dict[str, Any] | None = None  # the site's newest crawl before this one
        self.busy_timeout = settings.getfloat("ARCHIVE_BUSY_TIMEOUT")
        self.busy_retry_seconds = settings.getfloat("ARCHIVE_BUSY_RETRY_SECONDS")
        self.busy_backoff_first = settings.getfloat("ARCHIVE_BUSY_BACKOFF_FIRST")
        self.busy_backoff_max = settings.getfloat("ARCHIVE_BUSY_BACKOFF_MAX")
        self.gone_max_share = settings.getfloat("GONE_MAX_SHARE")
        self.gone_min_count = settings.getint("GONE_MIN_COUNT")
        self._held: list[Withdrawn] = []  # withdrawals of live documents, decided at close
        self._gone_urls: set[str] = set()  # canonical URLs already gone when the crawl started
        self._close_task: asyncio.Task[Any] | None = None  # the one close for an archive error
        self._thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="archive")

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        settings = crawler.settings
        if settings.get("CLUSTER_REDIS_URL"):
            raise NotConfigured  # a crawl worker's: ShipPipeline sends the items to the archive host
        if not settings.getbool("ARCHIVE_ENABLED") or not settings.get("ARCHIVE_DB_PATH"):
            raise NotConfigured("ARCHIVE_ENABLED is off or ARCHIVE_DB_PATH is empty")
        if site_of(crawler.spider) is None:
            raise NotConfigured("not a gov-archive spider")
        o = cls(crawler, settings.get("ARCHIVE_DB_PATH"))
        crawler.signals.connect(o.spider_closed, signal=signals.spider_closed)
        return o

    @property
    def site(self) -> str:
        assert self.site_def is not None
        return self.site_def.name

    # ------------------------------------------------------------ the archive thread

    def run(self, fn: Callable[..., T], *args: Any) -> T:
        """Call `fn` on the archive thread and wait (start-up and shutdown only)."""
        return self._thread.submit(fn, *args).result()

    async def call(self, fn: Callable[..., T], *args: Any) -> T:
        """Call `fn` on the archive thread without blocking the event loop."""
        return await asyncio.wrap_future(self._thread.submit(fn, *args))

    # ------------------------------------------------------------ lifecycle

    def open_spider(self) -> None:
        try:
            self.run(self._patiently, self._open)
        except ARCHIVE_FAILURES as exc:
            self._archive_failed(exc)
            raise CloseSpider("archive_error") from None

    def _open(self) -> None:
        """Open the archive (migrating it if needed) and start the crawl row; every step may
        be tried again after ArchiveBusy (the crawl row is the last)."""
        assert self.site_def is not None
        if self.archive is None:
            Path(self.db_path).parent.mkdir(parents=True, exist_ok=True)
            self.archive = Archive(self.db_path, create=True, busy_timeout=self.busy_timeout)
        self.archive.ensure_site(self.site, base_url=self.site_def.home_url)
        self.column_ids = self.archive.ensure_columns(
            self.site, [(column.url, column.name) for column in self.site_def.columns])
        previous = self.archive.crawls(site=self.site, limit=1)
        self.previous_crawl = previous[0] if previous else None
        self.crawl_id = self.archive.start_crawl(self.site)

    def _archive_failed(self, exc: BaseException) -> None:
        self.crawler.stats.inc_value("archive/errors")
        self.crawler.stats.set_value("archive/error_message", str(exc))
        logger.error("Archive %s not writable: %s", self.db_path, exc)

    def spider_closed(self, spider: Any, reason: str) -> None:
        """Settle the withdrawals, judge the crawl, close its row (the one place for all three)."""
        self.settle_withdrawals(reason)
        verdict = self._judge(reason)
        if self.archive is not None and not self._close_row(verdict, reason):
            self._judge(reason)  # the row could not be closed: the archive is not writable
        self._thread.shutdown(wait=True)

    def _judge(self, reason: str) -> Verdict:
        """The crawl's verdict, written into its stats."""
        verdict = assess(self._stats(reason))
        for key, value in verdict.as_stats().items():
            self.crawler.stats.set_value(key, value)
        return verdict

    def _stats(self, reason: str) -> dict[str, Any]:
        """The crawl stats as stored with the crawl row (JSON-ready)."""
        stats = dict(self.crawler.stats.get_stats())
        stats["finish_reason"] = reason
        return {k: (v.isoformat() if isinstance(v, datetime) else v) for k, v in stats.items()}

    def _close_row(self, verdict: Verdict, reason: str) -> bool:
        """Record the end of our crawl row and close the archive; False if that failed."""
        try:
            self.run(self._finish, verdict.outcome, self._stats(reason))
        except Exception as exc:  # noqa: BLE001 — the crawl is over; report, don't crash the shutdown
            self._archive_failed(exc)
            return False
        return True

    def _finish(self, outcome: str, stats: dict[str, Any]) -> None:
        assert self.archive is not None
        try:
            if self.crawl_id is not None:
                self.archive.finish_crawl(self.crawl_id, outcome, stats,
                                          columns=self._column_rows(stats))
        finally:
            self.archive.close()
            self.archive = None

    def _column_rows(self, stats: dict[str, Any]) -> list[dict[str, Any]]:
        return column_rows(stats, self.column_ids)

    # ------------------------------------------------------------ reads for the spider

    @property
    def state_ready(self) -> bool:
        return self.archive is not None

    async def known_documents(self) -> list[dict[str, Any]]:
        return await self.call(self._known) if self.archive is not None else []

    def _known(self) -> list[dict[str, Any]]:
        docs = self.archive.known_documents(self.site) if self.archive else []
        self._gone_urls = {canonical_url(d["url"]) for d in docs if d.get("status") == "gone"}
        return docs

    async def dead_links(self) -> dict[str, dict[str, Any]]:
        return await self.call(self.archive.dead_links, self.site) if self.archive is not None else {}

    async def attachment_state(self, urls: Sequence[str]) -> dict[str, dict[str, Any]]:
        """The validators of the attachment URLs' last fetches (crawler/attachments)."""
        if self.archive is None:
            return {}
        try:
            return await self.call(self.archive.attachment_state, list(urls))
        except ARCHIVE_FAILURES:
            return {}  # unconditional requests then: the save reports a real archive problem

    # ------------------------------------------------------------ withdrawals

    def _hold(self, item: Withdrawn) -> bool:
        """Keep a withdrawal of a live document for `settle_withdrawals`; False if already gone."""
        if canonical_url(item.url) in self._gone_urls:
            return False  # still gone: mark_gone writes nothing
        self._held.append(item)
        self.crawler.stats.inc_value("archive/rechecked")
        return True

    def settle_withdrawals(self, reason: str) -> None:
        """Write the held withdrawals if plausible (see the module docstring), else count them."""
        held, self._held = self._held, []
        if not held:
            return
        if self._close_task is not None or reason == "archive_error":
            logger.warning("%d withdrawals not recorded (archive error): the next crawl "
                           "re-checks them", len(held))
            return
        if not self._plausible(len(held)):
            self.crawler.stats.set_value("archive/gone_held", len(held))
            logger.error("%s: %s", self.site, mass_gone_detail(self.crawler.stats.get_stats()))
            return
        for item in held:
            try:
                keys = self.run(self._patiently, self._write, item)
            except ARCHIVE_FAILURES as exc:
                self._archive_failed(exc)  # the rest stay live and due: re-detected next crawl
                return
            self._count(keys)

    def _plausible(self, held: int) -> bool:
        return withdrawals_plausible_in(self.crawler.stats.get_stats(), held,
                                        max_share=self.gone_max_share, min_count=self.gone_min_count)

    def _patiently(self, fn: Callable[..., T], *args: Any) -> T:
        """`fn` on the archive thread at open and close, waiting out a busy archive (bounded)."""
        deadline = time.monotonic() + self.busy_retry_seconds
        pause = self.busy_backoff_first
        while True:
            try:
                return fn(*args)
            except ArchiveBusy:
                if time.monotonic() >= deadline:
                    raise
                self.crawler.stats.inc_value("archive/busy_retries")
                time.sleep(min(pause, max(0.0, deadline - time.monotonic())))
                pause = min(pause * 2, self.busy_backoff_max)

    # ------------------------------------------------------------ items

    async def process_item(self, item: Any) -> Any:
        if self.archive is None:
            raise DropItem("archive not open")
        if not isinstance(item, (Announcement, Unchanged, Withdrawn)):
            raise DropItem(f"unknown item type {type(item).__name__}")
        if self._close_task is not None:
            raise DropItem("not archived: the crawl is closing after an archive error")
        if isinstance(item, Withdrawn) and self._hold(item):
            return item
        try:
            keys = await self._write_retrying(item)
        except ARCHIVE_FAILURES as exc:
            self._archive_failed(exc)
            self._close_spider()
            raise DropItem(f"not archived: {exc}") from None
        self._count(keys)
        return item

    def _count(self, keys: list[str]) -> None:
        for name in keys:
            self.crawler.stats.inc_value(name)

    async def _write_retrying(self, item: Item) -> list[str]:
        """`_write`, retried with back-off while the archive is busy (bounded in time)."""
        deadline = time.monotonic() + self.busy_retry_seconds
        pause = self.busy_backoff_first
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
                pause = min(pause * 2, self.busy_backoff_max)

    def _close_spider(self) -> None:
        """Close the spider (once): an archive that cannot be written makes the crawl pointless."""
        if self._close_task is not None:
            return
        engine = self.crawler.engine
        self._close_task = asyncio.ensure_future(engine.close_spider_async(reason="archive_error"))

    def _write(self, item: Item) -> list[str]:
        """One archive transaction; returns the stats keys to count."""
        assert self.archive is not None
        assert self.site_def is not None
        return ItemWriter(self.archive, self.crawl_id, self.column_ids,
                          article=self.site_def.article).write(item)
