"""`gov-archive watch --redis URL`: the archive host, the one writer of the cluster's archive.

The loop, until SIGTERM / SIGINT (or, with ``once``, until the crawls of one pass are closed):

1. every ``interval``: book each watched site's finished crawls and deliver pending events
   (``bookkeeping.report_crawls``, as `notify` does), then offer the due sites, each with its
   due columns (``schedule.select_due``), at most ``max_in_flight`` crawls at a time. A site
   is offered while the host holds its crawl lock (crawler/service/locks.py), so a `crawl` run
   by hand or by cron on this machine skips it, and is never offered twice at once;
2. read the ingest stream (its own pending entries first: those a previous run read but did
   not acknowledge), apply each message (crawler/service/cluster/ingest.py), then acknowledge
   and delete the entries. A crawl's ``end`` is booked at once (back-off, health, webhooks).

At start the host takes the cluster's host lease (one archive host per Redis database; the
lease of a host that died on this machine is taken over at once), then reconciles: a crawl
row left open whose record is still in Redis is in flight (its items are waiting or coming);
one with no record (Redis lost its data) is closed as interrupted, which the next pass
offers again in recovery mode.
"""

from __future__ import annotations

import contextlib
import logging
import os
import socket
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

from redis.exceptions import ResponseError

from archive import Archive, ArchiveBusy, ArchiveError
from archive.timeutil import iso, utcnow
from crawler.cluster.client import UNAVAILABLE, Scripts, connect, redact
from crawler.cluster.keys import HOST_CONSUMER, IN_FLIGHT, INGEST_GROUP, OFFER_GROUP, Keys
from crawler.cluster.messages import BadMessage, decode
from crawler.service import locks
from crawler.service.bookkeeping import log_failure, report_crawls
from crawler.service.cluster.ingest import Applied, CrawlContext, Ingester
from crawler.service.cluster.offers import CrawlRecord, close, offer
from crawler.service.crawls import KILLED, claim_sites
from crawler.service.overrides import project_settings
from crawler.service.schedule import DEFAULT_MAX_BACKOFF, classify, schedule_for, select_due
from crawler.service.watch import DEFAULT_CRAWL_TIMEOUT, StopOnSignal
from crawler.sites import SiteDef

log = logging.getLogger("gov-archive.cluster")

HOST_LEASE_SECONDS = 15.0
BATCH = 100  # ingest entries read at once
BLOCK_MS = 1000  # longest wait for new entries
DEAD_MAX = 10_000  # dead letters kept

# KEYS: host; ARGV: token, ttl ms, the token of a holder known dead ('' if none). 1: ours.
TAKE_HOST = """
local holder = redis.call('GET', KEYS[1])
if (not holder) or holder == ARGV[1] or holder == ARGV[3] then
  redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
  return 1
end
return 0
"""


class HostError(Exception):
    """The archive host cannot run (another host holds the cluster); the message says why."""


@dataclass
class HostConfig:
    """Everything a ClusterHost needs."""

    db_path: Path
    redis_url: str
    sites: Callable[[], list[SiteDef]]  # the watched sites (or those named), as definitions
    settings: dict[str, Any] = field(default_factory=dict)  # -s: sent with each offer
    max_in_flight: int = 64
    interval: float = 60.0
    webhooks: tuple[str, ...] = ()
    max_backoff: timedelta = DEFAULT_MAX_BACKOFF
    crawl_timeout: float = DEFAULT_CRAWL_TIMEOUT.total_seconds()  # seconds; 0 = no limit
    poll: float = 0.2
    delivery_options: dict[str, Any] = field(default_factory=dict)


@dataclass
class Flight:
    """A crawl offered and not yet closed."""

    context: CrawlContext
    site: SiteDef
    lock: locks.FileLock | None


class ClusterHost(StopOnSignal):
    """The archive host's loop. `run()` until a signal; `run(once=True)` for one pass."""

    def __init__(self, config: HostConfig) -> None:
        self.config = config
        self.keys = Keys()
        self.client = connect(config.redis_url)
        self.scripts = Scripts.on(self.client)
        self.token = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:12]}"
        self.flight: dict[int, Flight] = {}
        self.archive: Archive | None = None
        self.ingester: Ingester | None = None
        self.applied = 0  # messages applied since start
        self.failures = 0  # crawls that failed (the --once exit status)
        self.started = time.monotonic()
        self._contexts: dict[int, CrawlContext | None] = {}
        self._beat_at = 0.0

    # -- the loop ------------------------------------------------------------------------

    def run(self, *, once: bool = False) -> int:
        """Offer and ingest until stopped (`once`: until one pass's crawls are closed)."""
        cfg = self.config
        with self._signals():
            self._take_lease()
            try:
                self._prepare()
                log.info("archive host started: %s, Redis %s, at most %d crawls in flight",
                         cfg.db_path, redact(cfg.redis_url), cfg.max_in_flight)
                self._loop(once)
            finally:
                self._stop()
        log.info("archive host stopped")
        return 1 if once and self.failures else 0

    def _loop(self, once: bool) -> None:
        next_pass, passes = 0.0, 0
        while not self.stopping:
            self._beat()
            if time.monotonic() >= next_pass and not (once and passes):
                self._pass()
                passes += 1
                next_pass = time.monotonic() + self.config.interval
            self._ingest()
            if once and passes and not self.flight:
                break

    # -- start and stop ----------------------------------------------------------------

    def _take_lease(self) -> None:
        """Become the cluster's archive host: wait out a holder that stops beating, else fail."""
        take = self.client.register_script(TAKE_HOST)
        ttl = int(HOST_LEASE_SECONDS * 1000)
        deadline = time.monotonic() + HOST_LEASE_SECONDS + 1
        while not take(keys=[self.keys.host], args=[self.token, ttl, self._dead_holder()]):
            if time.monotonic() >= deadline or self.stopping or self._holder_beats():
                holder = (self.client.get(self.keys.host) or b"?").decode()
                raise HostError(f"another archive host holds this cluster ({holder.rsplit(':', 1)[0]}): "
                                "one archive host per Redis database")
            time.sleep(0.5)

    def _holder_beats(self) -> bool:
        """The lease's holder beat recently: it is alive, no use waiting for its lease to lapse."""
        beat = float(self.client.hget(self.keys.host_info, "beat") or 0)
        return time.time() - beat < 2 * HOST_LEASE_SECONDS / 5

    def _dead_holder(self) -> str:
        """The host lease's holder if it is a process of this machine that no longer exists."""
        holder = (self.client.get(self.keys.host) or b"").decode()
        machine, _, rest = holder.partition(":")
        pid = rest.partition(":")[0]
        if machine != socket.gethostname() or not pid.isdigit() or int(pid) == os.getpid():
            return ""
        try:
            os.kill(int(pid), 0)
        except ProcessLookupError:
            return holder
        except PermissionError:
            return ""
        return ""

    def _prepare(self) -> None:
        for stream, group in ((self.keys.offers, OFFER_GROUP), (self.keys.ingest, INGEST_GROUP)):
            with contextlib.suppress(ResponseError):  # BUSYGROUP: it exists
                self.client.xgroup_create(stream, group, id="0", mkstream=True)
        self.archive = Archive(self.config.db_path, create=True)
        gone = project_settings(self.config.settings)
        self.ingester = Ingester(self.archive, self._context,
                                 gone_max_share=gone.getfloat("GONE_MAX_SHARE"),
                                 gone_min_count=gone.getint("GONE_MIN_COUNT"))
        self.archive.prune_ingested()
        self._reconcile()

    def _reconcile(self) -> None:
        """Take up the crawls left open: in flight if Redis still has them, else interrupted."""
        assert self.archive is not None
        watched = {site.name for site in self._sites()}
        lost = set()
        for crawl in self.archive.open_crawls():
            record = CrawlRecord.read(self.client, self.keys, crawl["id"])
            if record is not None and record.status in IN_FLIGHT:
                self._track(record.context, record.site)
            elif crawl["site"] in watched:
                lost.add(crawl["site"])
        if lost:
            log.warning("crawls of %s were open with no record in Redis: closed as interrupted, "
                        "offered again", ", ".join(sorted(lost)))
            with claim_sites(self.config.db_path, sorted(lost)):
                pass  # holding the locks, it closes the open rows as interrupted

    def _track(self, context: CrawlContext, site: SiteDef) -> None:
        lock = locks.site_lock(self.config.db_path, site.name, environ={})
        self.flight[context.crawl_id] = Flight(context, site, lock if lock.acquire() else None)
        self._contexts[context.crawl_id] = context

    def _stop(self) -> None:
        self._beat_at = 0.0
        with contextlib.suppress(HostError):
            self._beat()  # the last figures, for `stats --redis`
        for flight in self.flight.values():
            if flight.lock is not None:
                flight.lock.release()
        with contextlib.suppress(*UNAVAILABLE):
            self.scripts.release(keys=[self.keys.host], args=[self.token])
        if self.archive is not None:
            self.archive.close()
        self.client.close()

    def _beat(self) -> None:
        """Keep the host lease and tell `sites --health` / `stats` how the host is doing."""
        now = time.monotonic()
        if now - self._beat_at < HOST_LEASE_SECONDS / 5:
            return
        self._beat_at = now
        try:
            if not self.scripts.extend(keys=[self.keys.host], args=[self.token, int(HOST_LEASE_SECONDS * 1000)]):
                raise HostError("another archive host took this cluster over")
            elapsed = max(now - self.started, 1e-9)
            self.client.hset(self.keys.host_info, mapping={
                "host": socket.gethostname(), "pid": os.getpid(), "beat": time.time(),
                "started": iso(utcnow() - timedelta(seconds=elapsed)), "applied": self.applied,
                "rate": round(self.applied / elapsed, 2), "in_flight": len(self.flight)})
        except UNAVAILABLE as exc:
            log.warning("Redis unavailable (%s); retrying", exc)

    # -- offering ------------------------------------------------------------------------

    def _sites(self) -> list[SiteDef]:
        try:
            return self.config.sites()
        except Exception as error:  # noqa: BLE001 — a broken definition must not stop the host
            log.error("cannot load site definitions: %s", error)
            return []

    def _pass(self) -> None:
        """Book finished crawls and deliver events, then offer the due sites."""
        sites = self._sites()
        self._book(sites)
        try:
            due = select_due(self.config.db_path, sites)
        except ArchiveError as error:
            log.error("cannot read the archive: %s", error)
            return
        busy = {flight.site.name for flight in self.flight.values()}
        for site in due:
            if len(self.flight) >= self.config.max_in_flight or self.stopping:
                break
            if site.name not in busy:
                self._offer(site)

    def _offer(self, site: SiteDef) -> None:
        assert self.archive is not None
        lock = locks.site_lock(self.config.db_path, site.name, environ={})
        if not lock.acquire():
            log.info("skip %s: being crawled on this machine", site.name)
            return
        try:
            # Holding the lock, no crawl of the site runs: rows left open are a dead crawl's.
            self.archive.finish_open_crawls(site.name, "interrupted", KILLED)
            context = offer(self.client, self.keys, self.archive, site, self.config.settings,
                            crawl_timeout=self.config.crawl_timeout)
        except (ArchiveError, *UNAVAILABLE) as error:
            lock.release()
            log.error("could not offer %s: %s", site.name, error)
            return
        self.flight[context.crawl_id] = Flight(context, site, lock)
        self._contexts[context.crawl_id] = context
        log.info("offer %s: crawl %d, %d column(s)", site.name, context.crawl_id, len(site.columns))

    def _context(self, crawl_id: int) -> CrawlContext | None:
        if crawl_id not in self._contexts:
            record = CrawlRecord.read(self.client, self.keys, crawl_id)
            self._contexts[crawl_id] = record.context if record else None
        return self._contexts[crawl_id]

    # -- ingesting -----------------------------------------------------------------------

    def _ingest(self) -> None:
        """Apply one batch of ingest entries (this consumer's pending ones first)."""
        try:
            entries = self._read("0") or self._read(">")
        except UNAVAILABLE as exc:
            log.warning("Redis unavailable (%s); retrying", exc)
            time.sleep(1)
            return
        done: list[bytes] = []
        try:
            for entry_id, fields in entries:
                if not self._apply(entry_id, fields):
                    break
                done.append(entry_id)
        finally:
            self._acknowledge(done)

    def _read(self, start: str) -> list[tuple[bytes, dict[bytes, bytes]]]:
        block = BLOCK_MS if start == ">" else None
        found = self.client.xreadgroup(INGEST_GROUP, HOST_CONSUMER, {self.keys.ingest: start},
                                       count=BATCH, block=block)
        return [(entry_id, fields) for _stream, entries in found or [] for entry_id, fields in entries
                if fields]  # a pending entry already deleted comes back empty

    def _apply(self, entry_id: bytes, fields: dict[bytes, bytes]) -> bool:
        """Apply one entry; False when the archive refused it (it is taken up again later)."""
        assert self.ingester is not None
        try:
            message = decode(fields)
            applied = self.ingester.apply(message)
        except BadMessage as exc:
            self._dead(entry_id, fields, str(exc))
            return True
        except ArchiveBusy as exc:
            log.info("archive busy, retrying: %s", exc)
            time.sleep(1)
            return False
        except ArchiveError as exc:
            log.error("archive not writable, retrying in 5 s: %s", exc)
            time.sleep(5)
            return False
        if applied.outcome == "unknown":
            self._dead(entry_id, fields, f"crawl {message.crawl_id} is not a crawl of this archive")
            return True
        self.applied += 1
        if applied.closed:
            self._closed(applied)
        return True

    def _acknowledge(self, entry_ids: list[bytes]) -> None:
        if not entry_ids:
            return
        try:
            with self.client.pipeline(transaction=False) as pipe:
                pipe.xack(self.keys.ingest, INGEST_GROUP, *entry_ids)
                pipe.xdel(self.keys.ingest, *entry_ids)
                pipe.execute()
        except UNAVAILABLE as exc:  # read again and found applied: nothing is lost
            log.warning("Redis unavailable while acknowledging (%s)", exc)

    def _dead(self, entry_id: bytes, fields: dict[bytes, bytes], why: str) -> None:
        log.error("ingest entry %s set aside in %s: %s", entry_id.decode(), self.keys.dead, why)
        self.client.xadd(self.keys.dead, {**fields, b"entry": entry_id, b"error": why.encode()},
                         maxlen=DEAD_MAX, approximate=True)

    # -- a crawl closed ------------------------------------------------------------------

    def _closed(self, applied: Applied) -> None:
        """Book a finished crawl now (back-off, health, webhooks) and free its site."""
        crawl_id = applied.crawl_id
        flight = self.flight.pop(crawl_id, None)
        site = flight.site if flight else self._record_site(crawl_id)
        try:
            close(self.client, self.keys, crawl_id)
        except UNAVAILABLE as exc:
            log.warning("crawl %d: Redis unavailable while closing it (%s)", crawl_id, exc)
        if flight is not None and flight.lock is not None:
            flight.lock.release()
        if site is not None:
            self._book([site])
        if applied.verdict is not None:
            verdict = applied.verdict
            self.failures += classify(verdict.outcome) == "failure"
            line = f"done {applied.site}: crawl {crawl_id} {verdict.outcome}"
            (log.warning if not verdict.healthy else log.info)(
                line + "".join(f"; {p}" for p in verdict.problems))

    def _record_site(self, crawl_id: int) -> SiteDef | None:
        record = CrawlRecord.read(self.client, self.keys, crawl_id)
        return record.site if record else None

    def _book(self, sites: list[SiteDef]) -> None:
        """`report_crawls` for `sites` (idempotent), never raising."""
        assert self.archive is not None
        cfg = self.config
        try:
            report_crawls(self.archive, cfg.db_path, [schedule_for(s) for s in sites],
                          webhooks=cfg.webhooks, max_backoff=cfg.max_backoff,
                          deliver=not self.stopping, **cfg.delivery_options)
        except Exception as error:  # noqa: BLE001 — the host keeps going whatever one site does
            log_failure(error, "book-keeping failed")
