"""`gov-archive worker --redis URL`: crawl what the archive host offers, on any machine.

A worker needs no archive, no site definitions and no shared disk: each offer carries its
site's definition, and its crawl runs in a child process (`run_claimed`) with the normal
spiders and extraction; its items go to the host through Redis (crawler/cluster/pipeline.py).

Taking a crawl (at most ``--max-parallel`` at once): the worker reads an offer (its own
pending ones first, then offers whose holder stopped renewing them for a lease's time, then
new ones), takes the site's lease (``SET NX PX``; another live holder keeps it), counts an
attempt in the crawl's record and starts the child. A heartbeat thread renews each lease and
keeps each offer's idle time low every third of ``CLUSTER_LEASE_SECONDS``; a lease found taken
by someone else stops that child. When a child ends after shipping the crawl's ``end``, the
offer is acknowledged; otherwise (it crashed, was stopped, lost its lease) the offer stays
pending: this worker or another takes it up again, up to ``CLUSTER_MAX_ATTEMPTS`` attempts,
after which the crawl is given up (``abandon``). A worker killed outright stops renewing: its
leases expire and other workers finish its crawls. A crawl running longer than the host's
``--crawl-timeout`` (in its record) is given up as well, then stopped like one whose lease was
lost: it is a failure, and the site backs off, as on one machine.

SIGTERM / SIGINT: stop taking offers, stop the children gracefully (SIGTERM, SIGKILL after
``--stop-timeout``), release the leases; their offers go to other workers.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from redis.exceptions import ResponseError

from archive.timeutil import iso, utcnow
from crawler.cluster.client import UNAVAILABLE, Scripts, connect, redact
from crawler.cluster.keys import OFFER_GROUP, Keys
from crawler.cluster.messages import Message, encode, flatten
from crawler.service.cluster.offers import CrawlRecord
from crawler.service.overrides import project_settings
from crawler.service.runner import run_crawls
from crawler.service.watch import StopOnSignal, die_with_parent, format_duration, signal_group

log = logging.getLogger("gov-archive.worker")

READ_BLOCK_MS = 1000
STALE_WORKER_SECONDS = 7 * 24 * 3600  # a worker record not renewed this long is dropped


def default_name() -> str:
    """``machine:pid``: unique while the process lives."""
    return f"{socket.gethostname()}:{os.getpid()}"


@dataclass
class WorkerConfig:
    """Everything a Worker needs."""

    redis_url: str
    name: str = field(default_factory=default_name)
    settings: dict[str, Any] = field(default_factory=dict)  # -s, checked: given to each crawl
    max_parallel: int = 2
    stop_timeout: float = 30.0
    log_dir: Path | None = None
    poll: float = 0.2


@dataclass
class Run:
    """A crawl this worker runs."""

    crawl_id: int
    site: str
    entry_id: bytes
    token: str
    attempt: int
    process: subprocess.Popen[bytes]
    log_file: Any = None
    lost: bool = False  # the lease went to someone else: stop the child
    stopped_at: float | None = None  # when the child was sent SIGTERM
    timeout: float = 0.0  # seconds it may run (0: no limit)
    started: float = field(default_factory=time.monotonic)
    timed_out: bool = False  # given up at its deadline, then stopped


class Worker(StopOnSignal):
    """The worker's loop. `run()` until a signal."""

    def __init__(self, config: WorkerConfig) -> None:
        self.config = config
        settings = project_settings(config.settings)
        self.lease_ms = max(int(settings.getfloat("CLUSTER_LEASE_SECONDS") * 1000), 1000)
        self.max_attempts = max(settings.getint("CLUSTER_MAX_ATTEMPTS"), 1)
        self.keys = Keys()
        self.client = connect(config.redis_url)
        self.scripts = Scripts.on(self.client)
        self.running: dict[int, Run] = {}
        self.started = iso(utcnow())
        self._guard = threading.Lock()  # `running`, shared with the heartbeat thread
        self._beating = threading.Event()

    # -- the loop ------------------------------------------------------------------------

    def run(self) -> int:
        """Take and run crawls until stopped; the exit status."""
        with self._signals():
            self._prepare()
            beat = threading.Thread(target=self._heartbeat, name="heartbeat", daemon=True)
            beat.start()
            log.info("worker %s started: Redis %s, at most %d crawl(s) at once",
                     self.config.name, redact(self.config.redis_url), self.config.max_parallel)
            try:
                while not self.stopping:
                    self._reap()
                    if len(self.running) < self.config.max_parallel:
                        self._take_one()
                    else:
                        time.sleep(self.config.poll)
                self._shutdown()
            finally:
                self._beating.set()
                beat.join(timeout=5)
                self._leave()
        log.info("worker %s stopped", self.config.name)
        return 0

    def _prepare(self) -> None:
        with contextlib.suppress(ResponseError):  # BUSYGROUP: it exists
            self.client.xgroup_create(self.keys.offers, OFFER_GROUP, id="0", mkstream=True)
        cutoff = time.time() - STALE_WORKER_SECONDS
        for name, raw in self.client.hgetall(self.keys.workers).items():
            with contextlib.suppress(ValueError, TypeError, KeyError):
                if json.loads(raw)["beat"] < cutoff:
                    self.client.hdel(self.keys.workers, name)

    def _leave(self) -> None:
        with contextlib.suppress(*UNAVAILABLE):
            self.client.hdel(self.keys.workers, self.config.name)
            self.client.delete(self.keys.alive(self.config.name))
        self.client.close()

    # -- taking a crawl ------------------------------------------------------------------

    def _take_one(self) -> None:
        try:
            for entry_id, fields in self._candidates():
                if self._start(entry_id, fields):
                    return
        except UNAVAILABLE as exc:
            log.warning("Redis unavailable (%s); retrying", exc)
            time.sleep(1)

    def _candidates(self) -> Iterator[tuple[bytes, dict[bytes, bytes]]]:
        """Offers to try: ours still pending, then others' gone stale, then a new one."""
        mine = self.client.xpending_range(self.keys.offers, OFFER_GROUP, "-", "+", 10,
                                          consumername=self.config.name)
        for pending in mine:
            found = self.client.xrange(self.keys.offers, pending["message_id"], pending["message_id"])
            if found and self._crawl_of(found[0][1]) not in self.running:
                yield found[0]
        _cursor, claimed, *_ = self.client.xautoclaim(self.keys.offers, OFFER_GROUP, self.config.name,
                                                      self.lease_ms, "0-0", count=1)
        yield from claimed
        for _stream, entries in self.client.xreadgroup(
                OFFER_GROUP, self.config.name, {self.keys.offers: ">"}, count=1,
                block=READ_BLOCK_MS) or []:
            yield from entries

    @staticmethod
    def _crawl_of(fields: Mapping[bytes, bytes]) -> int:
        return int(fields.get(b"crawl") or 0)

    def _start(self, entry_id: bytes, fields: Mapping[bytes, bytes]) -> bool:
        """Run the crawl of this offer if its lease is free; True if started."""
        crawl_id, site = self._crawl_of(fields), (fields.get(b"site") or b"").decode()
        if not crawl_id or crawl_id in self.running:
            return False
        record = self.client.hgetall(self.keys.crawl(crawl_id))
        status = record.get(b"status", b"").decode()
        if status in ("", "ended", "closed"):
            self._acknowledge(entry_id)  # the crawl is over (or its record expired)
            return False
        token = f"{self.config.name}:{crawl_id}:{uuid.uuid4().hex[:12]}"
        if not self.client.set(self.keys.lease(site), token, nx=True, px=self.lease_ms):
            return False  # its holder is alive: it keeps the offer
        attempts = int(record.get(b"attempts") or 0)
        if attempts >= self.max_attempts:
            self._abandon(crawl_id, site, entry_id, token, attempts,
                          f"{attempts} attempts did not finish it (workers died or its crawls crashed)")
            return False
        attempt = int(self.client.hincrby(self.keys.crawl(crawl_id), "attempts", 1))
        self.client.hset(self.keys.crawl(crawl_id), mapping={
            "status": "running", "worker": self.config.name, "claimed_at": iso(utcnow())})
        log_file = self._open_log(site)
        process = _spawn(self._child_argv(crawl_id, token, attempt), log_file)
        timeout = _seconds_field(record.get(b"crawl_timeout"))
        with self._guard:
            self.running[crawl_id] = Run(crawl_id, site, entry_id, token, attempt, process, log_file,
                                         timeout=timeout)
        log.info("start %s: crawl %d, attempt %d (pid %d)", site, crawl_id, attempt, process.pid)
        return True

    def _abandon(self, crawl_id: int, site: str, entry_id: bytes, token: str, attempts: int,
                 why: str) -> None:
        """Give the crawl up: tell the host (which finishes it as failed), drop the offer."""
        message = Message("abandon", crawl_id, attempts, self.config.name, reason=why)
        keys = [self.keys.lease(site), self.keys.ingest, self.keys.done(crawl_id), self.keys.crawl(crawl_id)]
        self.scripts.ship(keys=keys, args=[token, "", "ended", *flatten(encode(message))])
        self._acknowledge(entry_id)
        self.scripts.release(keys=[self.keys.lease(site)], args=[token])
        log.warning("abandon %s: crawl %d, %s", site, crawl_id, why)

    def _child_argv(self, crawl_id: int, token: str, attempt: int) -> list[str]:
        """``python -m crawler.service.cluster.child CRAWL_ID JSON`` (see `run_claimed`)."""
        claim = {"redis_url": self.config.redis_url, "token": token, "attempt": attempt,
                 "name": self.config.name, "settings": self.config.settings}
        return [sys.executable, "-m", "crawler.service.cluster.child", str(crawl_id),
                json.dumps(claim, default=str)]

    def _open_log(self, site: str) -> Any:
        if self.config.log_dir is None:
            return None
        self.config.log_dir.mkdir(parents=True, exist_ok=True)
        return open(self.config.log_dir / f"{site}.log", "ab")  # closed in _finish

    def _acknowledge(self, entry_id: bytes) -> None:
        with self.client.pipeline(transaction=False) as pipe:
            pipe.xack(self.keys.offers, OFFER_GROUP, entry_id)
            pipe.xdel(self.keys.offers, entry_id)
            pipe.execute()

    # -- crawls that end -----------------------------------------------------------------

    def _reap(self) -> None:
        """Stop children whose lease was lost; finish those that exited."""
        now = time.monotonic()
        for run in list(self.running.values()):
            if run.process.poll() is None:
                if run.stopped_at is None and 0 < run.timeout <= now - run.started:
                    self._time_out(run, now)
                elif run.lost and run.stopped_at is None:
                    log.warning("%s: crawl %d lost its lease; stopping it", run.site, run.crawl_id)
                    run.stopped_at = now
                    signal_group(run.process, signal.SIGTERM)
                elif run.stopped_at is not None and now - run.stopped_at > self.config.stop_timeout:
                    signal_group(run.process, signal.SIGKILL)
                continue
            try:
                self._finish(run)
            except UNAVAILABLE as exc:
                log.warning("Redis unavailable (%s); retrying", exc)
                time.sleep(1)

    def _time_out(self, run: Run, now: float) -> None:
        """Give up a crawl that ran past its deadline (the host books a failure), then stop it."""
        try:
            self._abandon(run.crawl_id, run.site, run.entry_id, run.token, run.attempt,
                          f"timed out after {format_duration(run.timeout)} (watch --crawl-timeout)")
        except UNAVAILABLE as exc:
            log.warning("Redis unavailable (%s); retrying", exc)
            return  # tried again at the next pass: the crawl goes on meanwhile
        run.timed_out, run.stopped_at = True, now
        signal_group(run.process, signal.SIGTERM)

    def _finish(self, run: Run) -> None:
        status = (self.client.hget(self.keys.crawl(run.crawl_id), "status") or b"").decode()
        ended = status in ("ended", "closed")
        if ended:
            self._acknowledge(run.entry_id)
        self.scripts.release(keys=[self.keys.lease(run.site)], args=[run.token])
        with self._guard:
            del self.running[run.crawl_id]
        if run.log_file:
            run.log_file.close()
        code = run.process.returncode
        if run.timed_out:
            log.info("%s: crawl %d stopped at the crawl timeout (exit %d); the host books it "
                     "as failed", run.site, run.crawl_id, code)  # the warning was its `abandon`
        elif ended:
            log.info("done %s: crawl %d shipped (exit %d)", run.site, run.crawl_id, code)
        else:
            log.warning("%s: crawl %d attempt %d stopped before its end (exit %d); it will be "
                        "taken up again", run.site, run.crawl_id, run.attempt, code)

    def _shutdown(self) -> None:
        if not self.running:
            return
        log.info("stopping %d crawl(s): %s", len(self.running),
                 ", ".join(run.site for run in self.running.values()))
        for run in self.running.values():
            signal_group(run.process, signal.SIGTERM)
        deadline = time.monotonic() + self.config.stop_timeout
        while self.running and time.monotonic() < deadline and not self._force:
            self._reap()
            time.sleep(0.1)
        for run in list(self.running.values()):
            signal_group(run.process, signal.SIGKILL)
            run.process.wait()
        self._reap()

    # -- the heartbeat -------------------------------------------------------------------

    def _heartbeat(self) -> None:
        """Renew leases, keep offers ours and say we are alive: at once (a new worker is seen
        right away, not a third of a lease later), then every third of a lease."""
        client = connect(self.config.redis_url)
        scripts = Scripts.on(client)
        every = self.lease_ms / 3000
        try:
            while True:
                try:
                    self._beat(client, scripts)
                except UNAVAILABLE as exc:
                    log.warning("heartbeat: Redis unavailable (%s)", exc)
                if self._beating.wait(every):
                    break
        finally:
            client.close()

    def _beat(self, client: Any, scripts: Scripts) -> None:
        with self._guard:
            runs = [run for run in self.running.values() if not run.lost]
        for run in runs:
            if not scripts.extend(keys=[self.keys.lease(run.site)], args=[run.token, self.lease_ms]):
                run.lost = True
                continue
            client.xclaim(self.keys.offers, OFFER_GROUP, self.config.name, 0, [run.entry_id],
                          justid=True)  # its idle time back to 0: no one takes it over
        record = {"host": socket.gethostname(), "pid": os.getpid(), "started": self.started,
                  "beat": time.time(), "slots": self.config.max_parallel,
                  "crawls": [{"crawl": r.crawl_id, "site": r.site, "attempt": r.attempt} for r in runs]}
        with client.pipeline(transaction=False) as pipe:
            pipe.hset(self.keys.workers, self.config.name, json.dumps(record))
            pipe.set(self.keys.alive(self.config.name), 1, px=self.lease_ms)
            pipe.execute()


def _seconds_field(raw: bytes | None) -> float:
    """A number of seconds from a crawl record (0 when missing or unreadable)."""
    try:
        return float(raw or 0)
    except ValueError:
        return 0.0


def _spawn(argv: list[str], log_file: Any) -> subprocess.Popen[bytes]:
    """A child crawl in its own session, stopped when the worker dies (Linux)."""
    return subprocess.Popen(argv, start_new_session=True,
                            preexec_fn=die_with_parent if sys.platform == "linux" else None,
                            stdin=subprocess.DEVNULL, stdout=log_file, stderr=log_file)


def run_claimed(redis_url: str, crawl_id: int, token: str, attempt: int, name: str,
                settings: Mapping[str, Any]) -> int:
    """Run one crawl a worker took (in the worker's child process); the exit status.

    The settings: the host's (sent with the offer), then the worker's ``-s``, then the
    crawl's cluster settings; no archive here.
    """
    client = connect(redis_url)
    try:
        record = CrawlRecord.read(client, Keys(), crawl_id)
    finally:
        client.close()
    if record is None:
        log.error("crawl %d: no record in Redis (the host closed it, or Redis lost it)", crawl_id)
        return 1
    overrides = {**record.settings, **settings, "CLUSTER_REDIS_URL": redis_url,
                 "CLUSTER_CRAWL_ID": crawl_id, "CLUSTER_TOKEN": token, "CLUSTER_ATTEMPT": attempt,
                 "CLUSTER_WORKER": name, "ARCHIVE_ENABLED": False}
    return run_crawls(None, [record.site], settings=overrides).exit_code
