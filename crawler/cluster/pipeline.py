"""The crawl worker's item pipeline: items go to the archive host through Redis, not to a file.

Enabled by ``CLUSTER_REDIS_URL`` (``gov-archive worker`` sets it, with the crawl's id, lease
token and attempt, for each crawl it runs; `ArchivePipeline` then stands aside). It:

- reads the site's incremental state from the snapshot the host shipped with the offer
  (`CrawlState`: known documents with their validators, the previous crawl) and, after a
  worker died, the URLs an earlier attempt already shipped (`handled_urls`), which this
  attempt does not fetch again; a later attempt walks every list page (recovery);
- ships each item as one ingest message (crawler/cluster/messages.py), through the `SHIP`
  script: only while the crawl's lease is ours, the URL marked done in the same step;
- ships the crawl's stats (``column/<i>/...`` verdicts included) with the ``end`` message when
  the spider closes. A crawl stopped by a shutdown, or that lost its lease, sends no ``end``:
  its offer stays pending and another worker finishes the crawl.

Withdrawals are shipped like any item: the host holds them until the crawl ends and decides
them with the same plausibility rule as on one machine (crawler/pipelines.py).

Back-pressure: while more than ``CLUSTER_INGEST_MAX`` entries wait for the host (or Redis
uses more than ``CLUSTER_MEMORY_MAX_MB``, or refuses writes at ``maxmemory``), `process_item`
waits, which fills Scrapy's item slots and so stops the downloader: a crawl slows down instead
of filling Redis. Redis calls run on one thread of their own, as the archive's do.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from typing import TYPE_CHECKING, Any, TypeVar

from scrapy import signals
from scrapy.exceptions import CloseSpider, DropItem, NotConfigured

from archive.urls import canonical_url
from crawler.cluster.client import UNAVAILABLE, Scripts, connect, is_oom
from crawler.cluster.keys import Keys
from crawler.cluster.messages import BadMessage, Item, Message, decode_snapshot, encode, flatten
from crawler.items import Announcement, Unchanged, Withdrawn
from crawler.outcome import INTERRUPTED_REASONS
from crawler.sites import SiteDef, site_of
from crawler.state import CrawlState

if TYPE_CHECKING:
    from typing import Self

    import redis
    from scrapy.crawler import Crawler

logger = logging.getLogger(__name__)
T = TypeVar("T")
#: Finish reasons after which no ``end`` is sent: the crawl is not over, another attempt goes on.
NOT_ENDED = INTERRUPTED_REASONS | {"lease_lost", "cluster_unavailable", "cluster_state_missing"}
ROOM_CHECK_SECONDS = 0.5  # how often the ingest stream's length is looked at
PAUSE_SECONDS = 0.5


class LeaseLost(Exception):
    """Another attempt holds the crawl's site: this one must stop sending."""


class ShipPipeline(CrawlState):
    """Ships items, captures and crawl stats to the archive host through Redis."""

    def __init__(self, crawler: Crawler, url: str) -> None:
        settings = crawler.settings
        self.crawler = crawler
        self.url = url
        self.site_def: SiteDef | None = site_of(crawler.spider)
        self.keys = Keys()
        self.crawl_id = settings.getint("CLUSTER_CRAWL_ID")
        self.token = settings.get("CLUSTER_TOKEN")
        self.attempt = settings.getint("CLUSTER_ATTEMPT")
        self.worker = settings.get("CLUSTER_WORKER")
        self.ingest_max = settings.getint("CLUSTER_INGEST_MAX")
        self.memory_max = settings.getfloat("CLUSTER_MEMORY_MAX_MB") * 2**20
        self.give_up_after = settings.getfloat("CLUSTER_UNAVAILABLE_SECONDS")
        self.client: redis.Redis | None = None
        self.scripts: Scripts | None = None
        self._known: list[dict[str, Any]] | None = None
        self._handled: frozenset[str] = frozenset()
        self._attachments: dict[str, dict[str, Any]] = {}
        self._stopped: str | None = None  # why nothing more is sent (lease lost, Redis gone)
        self._close_task: asyncio.Task[Any] | None = None
        self._room_checked = 0.0
        self._thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="ship")

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        settings = crawler.settings
        url = settings.get("CLUSTER_REDIS_URL")
        if not url:
            raise NotConfigured  # not a crawl worker: ArchivePipeline writes the archive
        if site_of(crawler.spider) is None:
            raise NotConfigured("not a gov-archive spider")
        if not settings.getint("CLUSTER_CRAWL_ID") or not settings.get("CLUSTER_TOKEN"):
            raise NotConfigured("CLUSTER_CRAWL_ID and CLUSTER_TOKEN come from `gov-archive worker`")
        o = cls(crawler, url)
        crawler.signals.connect(o.spider_closed, signal=signals.spider_closed)
        return o

    # ------------------------------------------------------------ the Redis thread

    def run(self, fn: Callable[..., T], *args: Any) -> T:
        return self._thread.submit(fn, *args).result()

    async def call(self, fn: Callable[..., T], *args: Any) -> T:
        return await asyncio.wrap_future(self._thread.submit(fn, *args))

    # ------------------------------------------------------------ the state (CrawlState)

    @property
    def state_ready(self) -> bool:
        return self._known is not None

    async def known_documents(self) -> list[dict[str, Any]]:
        return list(self._known or [])

    @property
    def handled_urls(self) -> frozenset[str]:
        return self._handled

    async def attachment_state(self, urls: Sequence[str]) -> dict[str, dict[str, Any]]:
        return {url: self._attachments[url] for url in urls if url in self._attachments}

    def open_spider(self) -> None:
        try:
            self.run(self._open)
        except BadMessage as exc:
            logger.error("Crawl %s: no usable state snapshot (%s)", self.crawl_id, exc)
            raise CloseSpider("cluster_state_missing") from None
        except (*UNAVAILABLE, LeaseLost) as exc:
            self._stop("cluster_unavailable" if not isinstance(exc, LeaseLost) else "lease_lost", exc)
            raise CloseSpider(self._stopped) from None

    def _open(self) -> None:
        self.client = connect(self.url)
        self.scripts = Scripts.on(self.client)
        blob = self.client.get(self.keys.state(self.crawl_id))
        if blob is None:
            raise BadMessage(f"{self.keys.state(self.crawl_id)} is missing")
        snapshot = decode_snapshot(blob)
        self._known, self.previous_crawl = snapshot.known, snapshot.previous_crawl
        self._attachments = snapshot.attachments
        if self.attempt > 1:
            # An earlier attempt of this very crawl died: it is the previous crawl, cut short.
            self.previous_crawl = {"id": self.crawl_id, "finished_at": None, "outcome": None}
            done = self.client.smembers(self.keys.done(self.crawl_id))
            self._handled = frozenset(url.decode() for url in done)
            self.crawler.stats.set_value("cluster/handled_before", len(self._handled))
        self._send(Message("begin", self.crawl_id, self.attempt, self.worker))

    # ------------------------------------------------------------ items

    async def process_item(self, item: Any) -> Any:
        if not isinstance(item, (Announcement, Unchanged, Withdrawn)):
            raise DropItem(f"unknown item type {type(item).__name__}")
        if self._stopped:
            raise DropItem(f"not shipped: {self._stopped}")
        try:
            await self.call(self._ship_item, item)
        except (*UNAVAILABLE, LeaseLost) as exc:
            self._stop("lease_lost" if isinstance(exc, LeaseLost) else "cluster_unavailable", exc)
            raise DropItem(f"not shipped: {self._stopped}") from None
        return item

    def _ship_item(self, item: Item) -> None:
        message = Message("item", self.crawl_id, self.attempt, self.worker, item=item)
        self._send(message, url=canonical_url(item.url))
        self.crawler.stats.inc_value("cluster/shipped")

    def _stop(self, reason: str, exc: BaseException) -> None:
        """Send nothing more and close the spider (once): another attempt will finish the crawl."""
        if self._stopped:
            return
        self._stopped = reason
        logger.error("Crawl %s: %s (%s); another attempt will finish it", self.crawl_id, reason, exc)
        engine = getattr(self.crawler, "engine", None)
        if engine is not None and engine.spider is not None:
            self._close_task = asyncio.ensure_future(engine.close_spider_async(reason=reason))

    # ------------------------------------------------------------ the end

    def spider_closed(self, spider: Any, reason: str) -> None:
        """Ship the crawl's stats with ``end``, unless the crawl is to be taken up again."""
        try:
            if self.client is not None and not self._stopped and reason not in NOT_ENDED:
                stats = self._stats(reason)
                self.run(self._send, Message("end", self.crawl_id, self.attempt, self.worker,
                                             reason=reason, stats=stats), "", "ended")
        except (*UNAVAILABLE, LeaseLost) as exc:
            logger.error("Crawl %s: the end could not be sent (%s); another attempt will "
                         "finish it", self.crawl_id, exc)
        finally:
            if self.client is not None:
                self.run(self.client.close)
            self._thread.shutdown(wait=True)

    def _stats(self, reason: str) -> dict[str, Any]:
        stats = dict(self.crawler.stats.get_stats())
        stats["finish_reason"] = reason
        return {k: (v.isoformat() if isinstance(v, datetime) else v) for k, v in stats.items()}

    # ------------------------------------------------------------ sending

    def _send(self, message: Message, url: str = "", status: str = "") -> None:
        """One entry through `SHIP`, waiting for room and out a Redis restart (bounded)."""
        assert self.client is not None
        assert self.scripts is not None
        args = [self.token, url, status, *flatten(encode(message))]
        keys = [self.keys.lease(self._site), self.keys.ingest, self.keys.done(self.crawl_id),
                self.keys.crawl(self.crawl_id)]
        deadline = time.monotonic() + self.give_up_after
        while True:
            try:
                self._wait_for_room()
                entry = self.scripts.ship(keys=keys, args=args)
            except UNAVAILABLE:
                if time.monotonic() >= deadline:
                    raise
                time.sleep(PAUSE_SECONDS)
                continue
            except Exception as exc:
                if not is_oom(exc):
                    raise
                self._pause()  # Redis at maxmemory: wait for the host to drain the stream
                continue
            if entry is None:
                raise LeaseLost(f"the lease of {self._site} is held by another attempt")
            return

    @property
    def _site(self) -> str:
        assert self.site_def is not None
        return self.site_def.name

    def _wait_for_room(self) -> None:
        """Wait while the host is behind (too many entries waiting, or Redis too full): as
        long as it takes, a host stopped for maintenance is not the crawl's failure."""
        if time.monotonic() - self._room_checked < ROOM_CHECK_SECONDS:
            return
        while self._crowded():
            self._pause()
        self._room_checked = time.monotonic()

    def _crowded(self) -> bool:
        assert self.client is not None
        if self.client.xlen(self.keys.ingest) > self.ingest_max:
            return True
        return bool(self.memory_max) and self.client.info("memory")["used_memory"] > self.memory_max

    def _pause(self) -> None:
        self.crawler.stats.inc_value("cluster/paused_seconds", PAUSE_SECONDS)
        time.sleep(PAUSE_SECONDS)

