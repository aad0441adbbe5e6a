"""Ctrl-C during a crawl: exit 130, a clear note, and the crawl row closed as "interrupted"."""

from __future__ import annotations

import os
import signal
import sqlite3
import time
from pathlib import Path

import pytest
from helpers_crawl import build_trs_site, serve, start_crawl, wait_for

from archive import Archive


def _crawl_rows(db: Path) -> list[tuple]:
    with sqlite3.connect(db) as conn:
        return conn.execute("SELECT outcome, finished_at FROM crawls").fetchall()


@pytest.mark.parametrize("presses", [1, 2])
def test_ctrl_c_exits_130_and_closes_the_crawl(tmp_path: Path, presses: int) -> None:
    db = tmp_path / "a.db"
    with serve(build_trs_site(24, 4)) as srv:
        srv.delay = 0.3
        proc = start_crawl(db, "--url", srv.url("/tzgg/index.html"))
        wait_for(lambda: srv.hits("/tzgg/202401/") >= 2)
        for _ in range(presses):
            os.killpg(proc.pid, signal.SIGINT)
            time.sleep(0.1)
        out, err = proc.communicate(timeout=30)
        err = out + err
    assert proc.returncode == 130, err[-2000:]
    assert "interrupted" in err and "()" not in err and "Traceback" not in err
    assert _crawl_rows(db) and all(o == "interrupted" and f for o, f in _crawl_rows(db))


def test_ctrl_c_before_any_page_answered_is_interrupted_not_failed(tmp_path: Path) -> None:
    """NU3: a stop while the first list page still waits for its turn (the download delay)
    is "interrupted": not "failed ... no page could be fetched", no back-off."""
    db = tmp_path / "a.db"
    with serve(build_trs_site(6, 3)) as srv:
        slow = ["-s", "DOWNLOAD_DELAY=30", "-s", "RANDOMIZE_DOWNLOAD_DELAY=0",
                "-s", "AUTOTHROTTLE_ENABLED=0"]
        proc = start_crawl(db, "--url", srv.url("/tzgg/index.html"), *slow, fast=False)
        wait_for(lambda: any(p == "/robots.txt" for _m, p, _h in srv.log))
        time.sleep(0.3)
        os.killpg(proc.pid, signal.SIGINT)
        out, err = proc.communicate(timeout=30)
        assert srv.hits("/tzgg/") == 0  # the list page was set aside, never fetched
    err = out + err
    assert proc.returncode == 130, err[-2000:]
    assert "no page could be fetched" not in err and "backing off" not in err, err[-2000:]
    assert [o for o, _f in _crawl_rows(db)] == ["interrupted"]
    with Archive(db) as archive:
        state = archive.site_state("127.0.0.1") or {}
    assert not state.get("failures") and not state.get("backoff_until")
