"""SIGTERM / SIGINT stop watch cleanly: children stopped, no orphan, locks released, archive sound."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from helpers_watch import WATCH_DRIVER, FakeSite

from archive import Archive
from crawler.service.locks import is_locked

TESTS = Path(__file__).parent


def start_watch(tmp_path: Path, *sites: str, stop_timeout: float = 5.0) -> subprocess.Popen:
    driver = tmp_path / "driver.py"
    driver.write_text(WATCH_DRIVER, encoding="utf-8")
    return subprocess.Popen(
        [sys.executable, str(driver), str(TESTS), str(tmp_path), str(stop_timeout), *sites],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )


def wait_for(condition, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("timed out")
        time.sleep(0.02)


def gone(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    # a zombie still answers kill(0); it is dead for our purpose only once reaped
    try:
        with open(f"/proc/{pid}/stat") as handle:
            return handle.read().split(")")[-1].split()[0] == "Z"
    except FileNotFoundError:
        return True


def sound(db: Path) -> bool:
    with sqlite3.connect(db) as conn:
        return conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_signal_during_crawls_stops_them_cleanly(tmp_path, sig):
    fake = FakeSite(tmp_path)
    fake.set_modes(a="sleep:30", b="sleep:30")
    watch = start_watch(tmp_path, "a", "b")
    wait_for(lambda: len(fake.entries("start")) == 2)
    pids = [pid for _, _, _, pid in fake.entries("start")]
    watch.send_signal(sig)
    output = watch.communicate(timeout=20)[0]
    assert watch.returncode == 0, output
    assert sorted(s for _, _, s, _ in fake.entries("stopped")) == ["a", "b"]
    assert all(gone(pid) for pid in pids)
    assert not is_locked(fake.db, "a") and not is_locked(fake.db, "b")
    assert f"{signal.Signals(sig).name}: stopping 2 crawl(s)" in output
    assert sound(fake.db)
    with Archive(fake.db) as archive:
        assert {c["outcome"] for c in archive.crawls()} == {"interrupted"}
        assert archive.site_state("a")["failures"] == 0  # our stop is not the site's failure


def test_a_crawl_ignoring_sigterm_is_killed_after_the_timeout(tmp_path):
    fake = FakeSite(tmp_path)
    fake.set_modes(a="stubborn:30")
    watch = start_watch(tmp_path, "a", stop_timeout=0.5)
    wait_for(lambda: fake.entries("start"))
    pid = fake.entries("start")[0][3]
    started = time.monotonic()
    watch.send_signal(signal.SIGTERM)
    output = watch.communicate(timeout=20)[0]
    assert watch.returncode == 0, output
    assert time.monotonic() - started < 10
    assert "kill a" in output
    assert gone(pid) and not is_locked(fake.db, "a")
    assert sound(fake.db)
    with Archive(fake.db) as archive:  # the killed crawl stays unfinished, nothing half-written
        assert [c["finished_at"] for c in archive.crawls(site="a")] == [None]


def test_killing_watch_itself_takes_the_crawls_down(tmp_path):
    if not sys.platform.startswith("linux"):
        pytest.skip("parent-death signal is Linux only")
    fake = FakeSite(tmp_path)
    fake.set_modes(a="sleep:30")
    watch = start_watch(tmp_path, "a")
    wait_for(lambda: fake.entries("start"))
    pid = fake.entries("start")[0][3]
    watch.kill()
    watch.communicate(timeout=20)
    wait_for(lambda: fake.entries("stopped"))  # the orphan got SIGTERM and stopped cleanly
    wait_for(lambda: gone(pid))
    wait_for(lambda: not is_locked(fake.db, "a"))
