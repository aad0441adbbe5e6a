"""A cluster in processes for the tests: an archive host and workers on a test redis-server.

`Cluster` starts ``gov-archive watch --redis`` (the host) and ``gov-archive worker``s as the
systemd units of README "Scaling out" would, each in a session of its own, and kills them as a
lost machine dies (SIGKILL to the process and to its crawl children). Waits poll Redis or the
archive (read-only) with a deadline: a test's failures are triggered by what has happened,
never by sleeping.
"""

from __future__ import annotations

import contextlib
import os
import signal
import sqlite3
import subprocess
import sys
from pathlib import Path

import redis
from helpers_crawl import ROOT, wait_for

from crawler.cluster.keys import Keys

FAST = ["-s", "DOWNLOAD_DELAY=0", "-s", "AUTOTHROTTLE_ENABLED=0", "-s", "RETRY_BACKOFF_BASE=0",
        "-s", "DOWNLOAD_TIMEOUT=10"]
KEYS = Keys()


def archive_count(db: Path, sql: str) -> int:
    """One number from the archive, read-only (0 while it does not exist yet)."""
    if not db.exists():
        return 0
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=5)
    try:
        return int(conn.execute(sql).fetchone()[0])
    except sqlite3.OperationalError:
        return 0  # not migrated yet
    finally:
        conn.close()


def crawl_children(crawl_id: int) -> list[int]:
    """Pids of the processes running crawl `crawl_id` for a worker (its child crawls)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            argv = (entry / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if b"crawler.service.cluster.child" in argv and str(crawl_id).encode() in argv:
            found.append(int(entry.name))
    return found


class Cluster:
    """The processes of one test's cluster; everything still running is killed by `close`."""

    def __init__(self, redis_url: str, db: Path, sites_dir: Path, logs: Path) -> None:
        self.redis_url = redis_url
        self.db = db
        self.sites_dir = sites_dir
        self.logs = logs
        self.host: subprocess.Popen[bytes] | None = None
        self.workers: dict[str, subprocess.Popen[bytes]] = {}
        self.client = redis.Redis.from_url(redis_url)
        logs.mkdir(parents=True, exist_ok=True)

    def _start(self, name: str, argv: list[str]) -> subprocess.Popen[bytes]:
        env = {k: v for k, v in os.environ.items() if k not in ("GOV_ARCHIVE_SITES", "GOV_ARCHIVE_REDIS")}
        env["PYTHONPATH"] = str(ROOT)
        log = open(self.logs / f"{name}.log", "ab")  # noqa: SIM115 — the child writes to it
        try:
            return subprocess.Popen([sys.executable, "-m", "crawler", *argv], env=env, stdout=log,
                                    stderr=log, stdin=subprocess.DEVNULL, start_new_session=True)
        finally:
            log.close()

    def start_host(self, *extra: str) -> None:
        self.host = self._start("host", ["watch", "--redis", self.redis_url, "--db", str(self.db),
                                         "--sites", str(self.sites_dir), "--interval", "1s", *extra])

    def start_worker(self, name: str, *extra: str) -> None:
        self.workers[name] = self._start(name, ["worker", "--redis", self.redis_url, "--name", name,
                                                "--max-parallel", "1", *FAST, *extra])

    def kill_host(self) -> None:
        assert self.host is not None
        _kill(self.host)

    def kill_worker(self, name: str, crawl_id: int) -> None:
        """SIGKILL the worker and its crawl of `crawl_id`, as when its machine is lost."""
        _kill(self.workers[name])
        for pid in crawl_children(crawl_id):
            os.kill(pid, signal.SIGKILL)

    def record(self, crawl_id: int) -> dict[str, str]:
        return {k.decode(): v.decode() for k, v in self.client.hgetall(KEYS.crawl(crawl_id)).items()}

    def crawl_of(self, site: str) -> int:
        """The id of the crawl offered for `site` (waits for the offer)."""

        def find() -> int:
            for key in self.client.scan_iter(match=KEYS.crawl("*")):
                if self.client.hget(key, "site") == site.encode():
                    return int(key.decode().rsplit(":", 1)[1])
            return 0

        return wait_for(find, f"an offer of {site}")

    def log(self, name: str) -> str:
        return (self.logs / f"{name}.log").read_text(errors="replace")

    def close(self) -> None:
        for process in [*self.workers.values(), *([self.host] if self.host else [])]:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for process in [*self.workers.values(), *([self.host] if self.host else [])]:
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                _kill(process)
        self.client.close()


def _kill(process: subprocess.Popen[bytes]) -> None:
    """SIGKILL a process and its process group (it leads its own session)."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)
    process.wait(timeout=10)
