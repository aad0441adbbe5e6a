"""`gov-archive watch`: a long-running scheduler that keeps crawling the sites that are due.

Each crawl runs in its own process (the Twisted reactor cannot restart), at most
``--max-parallel`` at once. Before starting a crawl, watch takes the site's lock and hands
it to the child (inherited descriptor), so a site is never crawled twice at the same time,
also across `watch` and a manual or cron `crawl`. After each crawl it updates the site's
back-off state, evaluates the health rules and delivers pending events to the webhooks.

A crawl that runs longer than ``crawl_timeout`` (6h) gets SIGTERM, and SIGKILL if it is still
running ``--stop-timeout`` seconds later; it counts as a failure of the site (back-off).

SIGTERM / SIGINT: stop starting crawls, forward SIGTERM to the running crawls (Scrapy
then closes them gracefully), wait up to ``--stop-timeout`` seconds, kill what is left,
and exit. A second signal kills the crawls at once. Every save is one transaction, so even
a killed crawl leaves no half-written version.
"""

from __future__ import annotations

import contextlib
import ctypes
import logging
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from archive import Archive
from archive.timeutil import format_interval, utcnow
from crawler.service import alerts, locks
from crawler.service.bookkeeping import log_failure, report_crawls
from crawler.service.schedule import (
    DEFAULT_MAX_BACKOFF,
    SiteSchedule,
    classify,
    due_sites,
    record_outcome,
)

log = logging.getLogger("gov-archive.watch")

#: Longest a single crawl may run by default. A timed-out crawl is stopped gracefully first,
#: so its JOBDIR lets the next attempt resume a long first crawl where it stopped.
DEFAULT_CRAWL_TIMEOUT = timedelta(hours=6)

CrawlArgv = Callable[[SiteSchedule], Sequence[str]]


def crawl_argv_for(
    db_path: str | Path, *, sites_dir: str | None = None, extra: Sequence[str] = ()
) -> CrawlArgv:
    """The default child command: ``python -m crawler crawl SITE --due --db DB [--sites DIR] …``
    (``--due``: the site's due columns only; a column backing off waits)."""

    def argv(site: SiteSchedule) -> list[str]:
        command = [sys.executable, "-m", "crawler", "crawl", site.name, "--due", "--db", str(db_path)]
        if sites_dir:
            command += ["--sites", str(sites_dir)]
        return command + list(extra)

    return argv


def open_archive_for(db_path: str | Path) -> Callable[[], contextlib.AbstractContextManager[Any]]:
    """Open the archive at `db_path` (created if missing) for one short piece of work."""

    def opener() -> contextlib.AbstractContextManager[Any]:
        return Archive(db_path, create=True)

    return opener


@dataclass
class WatchConfig:
    """Everything a Watcher needs; tests inject `crawl_argv`, `open_archive` and `clock`."""

    db_path: Path
    sites: Callable[[], list[SiteSchedule]]
    crawl_argv: CrawlArgv
    open_archive: Callable[[], contextlib.AbstractContextManager[Any]]
    max_parallel: int = 2
    interval: float = 60.0  # seconds between scheduling passes
    stop_timeout: float = 30.0
    crawl_timeout: float = DEFAULT_CRAWL_TIMEOUT.total_seconds()  # seconds; 0 = no limit
    max_backoff: timedelta = DEFAULT_MAX_BACKOFF
    webhooks: tuple[str, ...] = ()
    clock: Callable[[], datetime] = utcnow
    poll: float = 0.2
    log_dir: Path | None = None
    delivery_options: dict[str, Any] = field(default_factory=dict)


@dataclass
class Running:
    """A crawl in progress."""

    site: SiteSchedule
    process: subprocess.Popen[bytes]
    lock: locks.FileLock
    started: float  # time.monotonic()
    previous_crawl: int | None  # the site's last finished crawl id before this one
    log_file: Any = None
    timed_out: float | None = None  # time.monotonic() when the crawl timeout stopped it
    killed: bool = False


def die_with_parent() -> None:
    """In the child: get SIGTERM if watch dies, even by SIGKILL (Linux), so no orphan crawls."""
    with contextlib.suppress(Exception):
        libc = ctypes.CDLL(None, use_errno=True)
        pr_set_pdeathsig = 1
        libc.prctl(pr_set_pdeathsig, signal.SIGTERM)


class StopOnSignal:
    """SIGTERM / SIGINT stop a long-running loop (watch, the cluster's host and workers): the
    first asks it to stop gracefully (`stopping`), a second to stop at once (`_force`)."""

    _stop_signal: int | None = None
    _force = False

    def request_stop(self, signum: int, frame: Any = None) -> None:
        """Signal handler: the first signal stops gracefully, a second one kills the crawls."""
        if self._stop_signal is not None:
            self._force = True
            return
        self._stop_signal = signum

    @property
    def stopping(self) -> bool:
        return self._stop_signal is not None

    @contextlib.contextmanager
    def _signals(self) -> Iterator[None]:
        previous = {sig: signal.signal(sig, self.request_stop) for sig in (signal.SIGTERM, signal.SIGINT)}
        try:
            yield
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)


class Watcher(StopOnSignal):
    """The scheduling loop. `run()` until a signal; `run(once=True)` for one pass."""

    def __init__(self, config: WatchConfig) -> None:
        self.config = config
        self.running: dict[str, Running] = {}
        self.not_before: dict[str, datetime] = {}
        self.failures = 0  # failed attempts since start (the --once exit status)
        self.failed_sinks: set[alerts.Sink] = set()

    # -- main loop -----------------------------------------------------------------------------

    def run(self, *, once: bool = False) -> int:
        """Schedule until stopped (or, with `once`, until the due sites have run); exit status."""
        cfg = self.config
        log.info(
            "watch started: %s, at most %d crawl(s) at once, checking every %s",
            cfg.db_path, cfg.max_parallel, format_interval(timedelta(seconds=cfg.interval)),
        )
        queue: list[SiteSchedule] | None = None
        next_pass = 0.0
        with self._signals():
            while not self.stopping:
                finished = self._reap()
                if once:
                    if queue is None:
                        queue = self._due()
                    self._start_from(queue)
                    if not queue and not self.running:
                        break
                elif finished or time.monotonic() >= next_pass:
                    if time.monotonic() >= next_pass:
                        self._retry_failed_sinks()
                        next_pass = time.monotonic() + cfg.interval
                    self._start_from(self._due())
                time.sleep(cfg.poll)
            self._shutdown()
        log.info("watch stopped")
        return 1 if once and self.failures else 0

    def _due(self) -> list[SiteSchedule]:
        """Due sites that are not running here and not held back in this process."""
        try:
            sites = self.config.sites()
        except Exception as error:  # noqa: BLE001 — a broken definition must not stop the watcher
            log.error("cannot load site definitions: %s", error)
            return []
        now = self.config.clock()
        try:
            with self.config.open_archive() as archive:
                due = due_sites(archive, sites, now=now)
        except Exception as error:  # noqa: BLE001 — the watcher outlives a bad archive; next pass retries
            log.error("cannot read the archive: %s", error)
            return []
        return [
            s for s in due
            if s.name not in self.running and self.not_before.get(s.name, now) <= now
        ]

    def _start_from(self, queue: list[SiteSchedule]) -> None:
        while queue and len(self.running) < max(self.config.max_parallel, 1) and not self.stopping:
            site = queue.pop(0)
            if site.name not in self.running:
                self._start(site)

    # -- one crawl -------------------------------------------------------------------------------

    def _start(self, site: SiteSchedule) -> None:
        cfg = self.config
        lock = locks.site_lock(cfg.db_path, site.name, environ={})
        if not lock.acquire():
            owner = lock.owner_pid()
            log.info("skip %s: already being crawled%s", site.name, f" (pid {owner})" if owner else "")
            self.not_before[site.name] = cfg.clock() + timedelta(seconds=cfg.interval)
            return
        try:
            with cfg.open_archive() as archive:
                last = archive.last_finished_crawl(site.name)
            log_file = self._open_log(site)
            process = _spawn(list(cfg.crawl_argv(site)), site.name, lock, log_file)
        except Exception as error:  # noqa: BLE001 — whatever failed: release, book it, keep watching
            lock.release()
            log.error("could not start crawl of %s: %s", site.name, error)
            self._book(site, None, f"error: {error}", exit_code=None)
            return
        self.running[site.name] = Running(
            site, process, lock, time.monotonic(), last["id"] if last else None, log_file,
        )
        log.info("start %s (pid %d)", site.name, process.pid)

    def _open_log(self, site: SiteSchedule) -> Any:
        if self.config.log_dir is None:
            return None
        self.config.log_dir.mkdir(parents=True, exist_ok=True)
        return open(self.config.log_dir / f"{site.name}.log", "ab")  # closed in _finish

    def _reap(self) -> bool:
        """Stop crawls over their time limit, book-keep every crawl that ended; True if any did."""
        self._enforce_timeout()
        done = [r for r in self.running.values() if r.process.poll() is not None]
        for run in done:
            self._finish(run)
        return bool(done)

    def _enforce_timeout(self) -> None:
        """SIGTERM crawls running longer than crawl_timeout; SIGKILL them stop_timeout later."""
        limit = self.config.crawl_timeout
        if limit <= 0 or self.stopping:  # when stopping, _shutdown has its own deadline
            return
        now = time.monotonic()
        for run in self.running.values():
            if run.process.poll() is not None:
                continue
            if run.timed_out is None and now - run.started >= limit:
                log.warning("timeout %s (pid %d): still running after %s, stopping it",
                            run.site.name, run.process.pid, format_duration(limit))
                run.timed_out = now
                signal_group(run.process, signal.SIGTERM)
            elif (run.timed_out is not None and not run.killed
                  and now - run.timed_out >= self.config.stop_timeout):
                log.warning("kill %s (pid %d): did not stop %s after its timeout",
                            run.site.name, run.process.pid, format_duration(self.config.stop_timeout))
                run.killed = True
                signal_group(run.process, signal.SIGKILL)

    def _finish(self, run: Running) -> None:
        del self.running[run.site.name]
        try:
            seconds = time.monotonic() - run.started
            self._book(run.site, run, None, exit_code=run.process.returncode, seconds=seconds)
        finally:
            run.lock.release()
            if run.log_file:
                run.log_file.close()

    def _book(
        self, site: SiteSchedule, run: Running | None, error: str | None, *,
        exit_code: int | None, seconds: float = 0.0,
    ) -> None:
        """Back-off state, health rules and webhook delivery after an attempt (never raises)."""
        cfg = self.config
        now = cfg.clock()
        # Guards against re-running a site at once when its crawl recorded nothing.
        self.not_before[site.name] = now + site.every
        try:
            with cfg.open_archive() as archive:
                last = archive.last_finished_crawl(site.name)
                report = report_crawls(archive, cfg.db_path, [site], webhooks=cfg.webhooks,
                                       now=now, max_backoff=cfg.max_backoff,
                                       deliver=not self.stopping, **cfg.delivery_options)
                outcome, crawl = self._conclude(archive, site, run, error, exit_code, now, last)
                state = archive.site_state(site.name) or {}
                self._log_outcome(site, outcome, exit_code, seconds, crawl, state,
                                  report.health(site.name))
                self.failures += classify(outcome) == "failure"
                self._note_deliveries(report.deliveries)
        except Exception as error:  # noqa: BLE001 — watch keeps going whatever one site does
            log_failure(error, "book-keeping of %s failed", site.name)

    def _conclude(
        self, archive: Any, site: SiteSchedule, run: Running | None, error: str | None,
        exit_code: int | None, now: datetime, last: dict[str, Any] | None,
    ) -> tuple[str, dict[str, Any] | None]:
        """The attempt's outcome and its crawl record (`last`, if the attempt finished it).

        The crawl's own outcome is booked by `report_crawls`; a timed-out, crashed or
        failed-to-start attempt is booked here as a failure.
        """
        cfg = self.config
        crawled = run is not None and last is not None and last["id"] != run.previous_crawl
        if run is not None and run.timed_out is not None:
            # Whatever the stopped crawl recorded ("interrupted" is neutral), it overran: a failure.
            reason = f"timed out after {format_duration(cfg.crawl_timeout)}"
            record_outcome(archive, site, reason, now=now, max_backoff=cfg.max_backoff)
            return reason, last if crawled else None
        if crawled:
            return str(last.get("outcome")), last
        if self.stopping:
            return "stopped", None
        if error or exit_code:
            reason = error or f"crashed (exit {exit_code})"
            record_outcome(archive, site, reason, now=now, max_backoff=cfg.max_backoff)
            return reason, None
        return "skipped", None  # exit 0 and no crawl: the crawl command skipped it

    def _log_outcome(
        self, site: SiteSchedule, outcome: str, exit_code: int | None, seconds: float,
        crawl: dict[str, Any] | None, state: dict[str, Any], health: tuple[Any, ...],
    ) -> None:
        stats = (crawl or {}).get("stats") or {}
        counts = " ".join(
            f"{key}={stats[f'archive/{key}']}" for key in ("new", "changed", "gone", "restored")
            if stats.get(f"archive/{key}")
        )
        line = f"done {site.name}: {outcome} (exit {exit_code}, {seconds:.0f}s)"
        if counts:
            line += f" {counts}"
        failures = int(state.get("failures") or 0)
        if failures and classify(outcome) == "failure":
            line += f"; {failures} failure(s) in a row, next try after {state.get('backoff_until')}"
        for issue in health:
            line += f"; health {issue.kind}: {issue.detail}"
        (log.warning if classify(outcome) == "failure" else log.info)(line)

    # -- alerts ------------------------------------------------------------------------------------

    def _note_deliveries(self, deliveries: list[alerts.Delivery]) -> None:
        """Remember the sinks whose receiver was down, for `_retry_failed_sinks`."""
        for delivery in deliveries:
            (self.failed_sinks.add if delivery.error else self.failed_sinks.discard)(delivery.sink)

    def _retry_failed_sinks(self) -> None:
        """Once per pass, retry the sinks whose receiver was down."""
        if not self.failed_sinks:
            return
        sinks, self.failed_sinks = list(self.failed_sinks), set()
        try:
            with self.config.open_archive() as archive:
                for delivery in alerts.deliver_all(archive, self.config.db_path, sinks,
                                                   now=self.config.clock(), **self.config.delivery_options):
                    if delivery.error:
                        self.failed_sinks.add(delivery.sink)
        except Exception as error:  # noqa: BLE001 — retried next pass; the watcher keeps going
            log.error("webhook retry failed: %s", error)
            self.failed_sinks.update(sinks)

    # -- stopping --------------------------------------------------------------------------------

    def _shutdown(self) -> None:
        """Forward SIGTERM, wait up to stop_timeout, then SIGKILL; book-keep each crawl."""
        if not self.running:
            return
        name = signal.Signals(self._stop_signal).name if self._stop_signal else "stop"
        log.info("%s: stopping %d crawl(s): %s", name, len(self.running), ", ".join(self.running))
        for run in self.running.values():
            signal_group(run.process, signal.SIGTERM)
        deadline = time.monotonic() + self.config.stop_timeout
        while self.running and time.monotonic() < deadline and not self._force:
            self._reap()
            time.sleep(min(self.config.poll, 0.1))
        for run in list(self.running.values()):
            log.warning("kill %s (pid %d): did not stop in time", run.site.name, run.process.pid)
            signal_group(run.process, signal.SIGKILL)
            run.process.wait()
        self._reap()


def _spawn(argv: list[str], site: str, lock: locks.FileLock,
           log_file: Any) -> subprocess.Popen[bytes]:
    """Start a child crawl in its own session, handing it the site's lock (inherited fd)."""
    fd = lock.fd
    assert fd is not None
    env = {**os.environ, locks.HELD_LOCKS_ENV: locks.held_locks_env({site: lock})}
    return subprocess.Popen(
        argv, env=env, pass_fds=(fd,), start_new_session=True,
        preexec_fn=die_with_parent if sys.platform == "linux" else None,
        stdin=subprocess.DEVNULL, stdout=log_file, stderr=log_file,
    )


def format_duration(value: float) -> str:
    """A duration for log lines: ``6h``, ``1h30m``, or ``0.5s`` below a minute."""
    return format_interval(timedelta(seconds=value)) if value >= 60 else f"{value:g}s"


def signal_group(process: subprocess.Popen[bytes], sig: int) -> None:
    """Signal the crawl and anything it started (it leads its own process group)."""
    try:
        os.killpg(process.pid, sig)
    except (ProcessLookupError, PermissionError):
        with contextlib.suppress(ProcessLookupError):
            process.send_signal(sig)


def setup_logging(verbose: bool = False) -> None:
    """Timestamped UTC log lines on stderr (journald and cron mail keep them)."""
    formatter = logging.Formatter("%(asctime)s %(levelname)s %(message)s", "%Y-%m-%dT%H:%M:%S+00:00")
    formatter.converter = time.gmtime
    root = logging.getLogger()
    for old in [h for h in root.handlers if getattr(h, "_gov_archive", False)]:
        root.removeHandler(old)
    handler = logging.StreamHandler()
    handler.setFormatter(formatter)
    handler._gov_archive = True  # type: ignore[attr-defined]
    root.addHandler(handler)
    for name in ("gov-archive.watch", "gov-archive.cluster", "gov-archive.worker",
                 "crawler.service.alerts", "crawler.service.schedule", "crawler.service.bookkeeping"):
        logging.getLogger(name).setLevel(logging.DEBUG if verbose else logging.INFO)
