"""Shared helpers for the scheduler tests: fake clock, webhook receiver, archive stand-ins."""

from __future__ import annotations

import itertools
import json
import os
import sys
import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any

from helpers_http import LocalServer

from archive import Archive
from archive.timeutil import parse_interval
from crawler.service.health import health_rows
from crawler.service.schedule import SiteSchedule, schedule_for
from crawler.service.watch import WatchConfig
from crawler.sites import load_sites, pick_sites

T0 = datetime(2026, 11, 1, 8, 0, tzinfo=UTC)


def iso(value: datetime) -> str:
    return value.astimezone(UTC).isoformat()


class Clock:
    """A fake clock: `clock()` returns the current fake time; `advance()` moves it."""

    def __init__(self, start: datetime = T0) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> datetime:
        self.now += timedelta(**delta)
        return self.now


class MemoryArchive:
    """In-memory stand-in with the contract's scheduler-support subset of `Archive`."""

    def __init__(self) -> None:
        self._crawls: list[dict[str, Any]] = []
        self._events: list[dict[str, Any]] = []
        self._state: dict[str, dict[str, Any]] = {}
        self._delivered: dict[str, set[int]] = {}
        self._ids = itertools.count(1)

    def start_crawl(self, site: str, *, now: datetime | None = None) -> int:
        crawl = {"id": len(self._crawls) + 1, "site": site, "started_at": iso(now or T0),
                 "finished_at": None, "outcome": None, "stats": {}}
        self._crawls.append(crawl)
        return crawl["id"]

    def finish_crawl(self, crawl_id: int, outcome: str, stats: dict, *, now=None) -> None:
        crawl = self._crawls[crawl_id - 1]
        crawl.update(finished_at=iso(now or T0), outcome=outcome, stats=dict(stats))

    def last_finished_crawl(self, site: str) -> dict | None:
        done = [c for c in self._crawls if c["site"] == site and c["finished_at"]]
        return dict(done[-1]) if done else None

    def crawls(self, site: str | None = None, limit: int | None = None, *,
               after_id: int | None = None) -> list[dict]:
        rows = [dict(c) for c in reversed(self._crawls)
                if site in (None, c["site"]) and c["id"] > (after_id or 0)]
        return rows[:limit] if limit else rows

    def add_event(self, site: str, kind: str = "new", **fields: Any) -> int:
        event = {"id": next(self._ids), "kind": kind, "site": site, "time": iso(T0),
                 "url": f"http://{site}/{len(self._events)}", **fields}
        self._events.append(event)
        return event["id"]

    def events(self, *, since=None, kinds=None, site=None, after_id=None, limit=None):
        rows = [dict(e) for e in self._events
                if (kinds is None or e["kind"] in kinds) and site in (None, e["site"])]
        return rows[:limit] if limit else rows

    def record_health(self, site, kind, detail, *, crawl_id=None, now=None) -> int:
        return self.add_event(site, "health", title=f"{kind}: {detail}", detail=detail,
                              health_kind=kind, crawl_id=crawl_id, time=iso(now or T0))

    def pending_deliveries(self, sink, *, site=None, kinds=None) -> list[dict]:
        done = self._delivered.get(sink, set())
        return [e for e in self.events(kinds=kinds, site=site) if e["id"] not in done]

    def mark_delivered(self, sink, event_ids, *, now=None) -> None:
        self._delivered.setdefault(sink, set()).update(event_ids)

    def write_problem(self) -> str | None:
        return None

    def crawl_columns(self, crawl_id: int) -> list[dict]:
        return []  # no columns: sites judged as a whole

    def site_state(self, site: str) -> dict:
        return dict(self._state.get(site, {}))

    def set_site_state(self, site: str, **fields: Any) -> None:
        self._state.setdefault(site, {}).update(fields)

    def record_site_outcome(self, site, state, *, crawl_id=None, health=(), columns=None,
                            now=None) -> list[int] | None:
        booked = self._state.get(site, {}).get("last_crawl_id")
        if crawl_id is not None and booked is not None and booked >= crawl_id:
            return None
        ids = [self.record_health(site, kind, detail, crawl_id=crawl, now=now)
               for kind, detail, crawl in health]
        self.set_site_state(site, **state, **({"last_crawl_id": crawl_id} if crawl_id else {}))
        return ids


def crawl_stats(
    articles: int = 10, *, new: int | None = None, missing_title: int = 0,
    missing_date: int = 0, missing_body: int = 0, antibot: int = 0, empty: int = 0,
) -> dict[str, int]:
    """Crawl stats as the pipeline stores them."""
    return {
        "archive/new": articles if new is None else new,
        "archive/unchanged": 0 if new is None else articles - new,
        "pages/article": articles, "pages/antibot": antibot, "pages/empty": empty,
        "pages/list": 1,
        "extract/missing_title": missing_title, "extract/missing_date": missing_date,
        "extract/missing_body": missing_body,
    }


class Receiver:
    """A local webhook receiver on 127.0.0.1 (a `helpers_http.LocalServer`): answers `statuses`
    in turn, then 200; `delay` seconds after taking each POST (a slow receiver keeps what it
    took even when the sender gave up). `headers` has each POST's lower-cased headers."""

    def __init__(self, statuses: list[int] | None = None) -> None:
        self.statuses = list(statuses or [])
        self.requests: list[dict[str, Any]] = []
        self.headers: list[dict[str, str]] = []
        self.attempts = 0
        self.gets = 0
        self.delay = 0.0
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # http.server API
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length)
                receiver.attempts += 1
                receiver.headers.append({k.lower(): v for k, v in self.headers.items()})
                status = receiver.statuses.pop(0) if receiver.statuses else 200
                if status == 200:
                    receiver.requests.append(json.loads(body))
                if receiver.delay:
                    threading.Event().wait(receiver.delay)
                try:
                    self.send_response(status)
                    if 300 <= status < 400:
                        self.send_header("Location", "/elsewhere")
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                except (BrokenPipeError, ConnectionResetError):  # the sender gave up waiting
                    self.close_connection = True

            def do_GET(self) -> None:  # a followed redirect would land here
                receiver.gets += 1
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = LocalServer(Handler, name="webhook-receiver")
        self.url = self.server.url("/hook/secret-token")

    @property
    def event_ids(self) -> list[int]:
        return [e["id"] for r in self.requests for e in r["events"]]

    def __enter__(self) -> Receiver:
        self.server.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.stop()


@contextmanager
def receiver(statuses: list[int] | None = None) -> Iterator[Receiver]:
    with Receiver(statuses) as running:
        yield running


# --- fake crawls for the watch tests ------------------------------------------------------

FAKE_CRAWL = r'''
"""A stand-in for `gov-archive crawl SITE`: same lock and archive protocol, no network.

argv: SITE DB JOURNAL MODES_JSON NOW   (NOW: ISO time of the fake clock, or "-")
Modes: ok, fail, blocked, crash (exit 3, crawl left unfinished), sleep:N (N seconds,
SIGTERM ends it as "interrupted"), stubborn:N (ignores SIGTERM), new:N (N new documents).
"""
import signal
stop = []
# First of all: a SIGTERM that comes while the imports below run (slow on a loaded machine)
# must still end the crawl as "interrupted", as a real crawl's handler would.
signal.signal(signal.SIGTERM, lambda *a: stop.append(1))
import json, os, sys, time
from datetime import datetime
from archive import Archive
from crawler.service.locks import site_lock

site, db, journal, modes_file, now_text = sys.argv[1:6]
now = None if now_text == "-" else datetime.fromisoformat(now_text)
mode = json.load(open(modes_file)).get(site, "ok")

def note(word):
    with open(journal, "a") as handle:
        handle.write(f"{time.time():.3f} {word} {site} {os.getpid()}\n")

lock = site_lock(db, site)
if not lock.acquire():
    note("busy")
    sys.exit(0)
if mode.startswith("stubborn"):
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
archive = Archive(db, create=True)
crawl_id = archive.start_crawl(site, now=now)
note("start")
name, _, arg = mode.partition(":")
if name in ("sleep", "stubborn"):
    deadline = time.time() + float(arg)
    while time.time() < deadline and not stop:
        time.sleep(0.02)
    if stop:
        archive.finish_crawl(crawl_id, "interrupted", {}, now=now)
        note("stopped")
        sys.exit(0)
if name == "crash":
    note("crash")
    os._exit(3)
stats = {"archive/new": 0, "pages/article": 5, "archive/unchanged": 5}
if name == "new":
    for i in range(int(arg)):
        archive.save(site, {"url": f"http://{site}.example/a/{time.time_ns()}-{i}",
                            "title": f"Notice {i}", "published": "2026-11-01", "body": "text",
                            "metadata": {}, "attachments": []}, crawl_id=crawl_id, now=now)
    stats["archive/new"] = int(arg)
outcome = {"fail": "failed", "blocked": "blocked"}.get(name, "finished")
if outcome != "finished":
    stats = {"pages/article": 0}
archive.finish_crawl(crawl_id, outcome, stats, now=now)
note("end")
sys.exit(1 if outcome != "finished" else 0)
'''

WATCH_DRIVER = r'''
"""Runs a Watcher over fake crawls in its own process (signal tests).

argv: TESTS_DIR FOLDER STOP_TIMEOUT SITE...
"""
import logging, sys
from pathlib import Path
sys.path.insert(0, sys.argv[1])
from helpers_watch import fake_watch_config
from crawler.service.watch import Watcher
logging.basicConfig(level=logging.INFO, format="%(message)s", stream=sys.stdout)
config = fake_watch_config(Path(sys.argv[2]), sys.argv[4:], stop_timeout=float(sys.argv[3]))
sys.exit(Watcher(config).run())
'''


class FakeSite:
    """Paths of a fake-crawl playground in `folder`."""

    def __init__(self, folder) -> None:
        self.folder = Path(folder)
        self.db = self.folder / "gov.db"
        self.journal = self.folder / "journal.txt"
        self.modes = self.folder / "modes.json"
        self.script = self.folder / "fake_crawl.py"
        if not self.script.exists():
            self.script.write_text(FAKE_CRAWL, encoding="utf-8")
            self.modes.write_text("{}", encoding="utf-8")
            self.journal.touch()

    def set_modes(self, **modes: str) -> None:
        self.modes.write_text(json.dumps(modes), encoding="utf-8")

    def entries(self, word: str | None = None) -> list[tuple[float, str, str, int]]:
        lines = [line.split() for line in self.journal.read_text().splitlines()]
        rows = [(float(t), w, s, int(p)) for t, w, s, p in lines]
        return [r for r in rows if word in (None, r[1])]

    def runs(self, site: str) -> int:
        return len([r for r in self.entries("start") if r[2] == site])


def fake_watch_config(folder, sites, *, clock=None, every: str = "1h", **options: Any):
    """A WatchConfig crawling `sites` with the fake crawl script (real archive, real locks)."""
    fake = FakeSite(folder)
    schedules = [s if isinstance(s, SiteSchedule) else SiteSchedule(s, parse_interval(every))
                 for s in sites]

    def argv(site):
        now = clock().isoformat() if clock else "-"
        return [sys.executable, str(fake.script), site.name, str(fake.db), str(fake.journal),
                str(fake.modes), now]

    options.setdefault("poll", 0.02)
    options.setdefault("interval", 0.2)
    options.setdefault("delivery_options", {"sleep": lambda seconds: None, "timeout": 2})
    return WatchConfig(
        db_path=fake.db, sites=lambda: list(schedules), crawl_argv=argv,
        open_archive=lambda: Archive(fake.db, create=True),
        clock=clock or (lambda: datetime.now(UTC)), **options,
    )


# --- test-only readers of site definitions and health ----------------------------------


def load_schedules(
    sites_dir: str | Path | Iterable[str] | None = None, names: Iterable[str] = ()
) -> list[SiteSchedule]:
    """Schedules of the site definitions (bundled + ``GOV_ARCHIVE_SITES`` + `sites_dir`).

    `names` restricts the result (``crawler.sites.UnknownSite`` naming the unknown ones).
    Raises ``crawler.sites.SiteDefError`` for a malformed definition.
    """
    definitions = load_sites(sites_dir)
    return [schedule_for(d) for d in pick_sites(definitions, list(names) or sorted(definitions))]


def site_health(db_path: Any, site_defs: Iterable[Any], *, now: datetime | None = None,
                archive_sites: bool = False) -> list[dict[str, Any]]:
    """`health_rows` for site definitions (``SiteDef``), reading the archive at `db_path`.

    `archive_sites`: also a row (``"generic": True``) for each site the archive knows with no
    definition (``crawl --url`` crawls). A missing archive gives "never crawled" rows; the
    file is never created here.
    """
    schedules = [schedule_for(d) for d in site_defs]
    if not os.path.exists(db_path):
        return [_never_crawled(s) for s in schedules]
    with Archive(db_path) as archive:
        defined = {s.name for s in schedules}
        extra = [SiteSchedule(name) for name in undefined_sites(archive, defined)] \
            if archive_sites else []
        rows = health_rows(archive, schedules + extra, now=now)
    for row in rows:
        row["generic"] = row["site"] not in defined
    return rows


def undefined_sites(archive: Any, defined: Iterable[str]) -> list[str]:
    """Names of the archive's sites that have no definition (generic ``--url`` crawls)."""
    known = set(defined)
    return sorted(s["name"] for s in archive.sites() if s["name"] not in known)


def _never_crawled(site: SiteSchedule) -> dict[str, Any]:
    return {
        "site": site.name, "last_crawl": None, "last_outcome": None, "announcements": None,
        "failures": 0, "backoff_until": None, "next_due": None, "due": True,
        "health": "never crawled", "last_health_event": None, "generic": False,
    }
