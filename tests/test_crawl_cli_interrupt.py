"""Ctrl-C during a crawl: exit 130, a clear note, and the crawl row closed as "interrupted"."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import time
from pathlib import Path

import pytest
from helpers_crawl import ROOT, build_trs_site, crawl_cmd, serve


def _crawl_rows(db: Path) -> list[tuple]:
    with sqlite3.connect(db) as conn:
        return conn.execute("SELECT outcome, finished_at FROM crawls").fetchall()


@pytest.mark.parametrize("presses", [1, 2])
def test_ctrl_c_exits_130_and_closes_the_crawl(tmp_path: Path, presses: int) -> None:
    db = tmp_path / "a.db"
    with serve(build_trs_site(24, 4)) as srv:
        srv.delay = 0.3
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        env.pop("GOV_ARCHIVE_SITES", None)
        proc = subprocess.Popen(crawl_cmd(db, "--url", srv.url("/tzgg/index.html")), env=env,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                cwd=tmp_path, start_new_session=True)
        deadline = time.monotonic() + 30
        while srv.hits("/tzgg/202401/") < 2 and time.monotonic() < deadline:
            time.sleep(0.02)
        for _ in range(presses):
            os.killpg(proc.pid, signal.SIGINT)
            time.sleep(0.1)
        out, err = proc.communicate(timeout=30)
        err = out + err
    assert proc.returncode == 130, err[-2000:]
    assert "interrupted" in err and "()" not in err and "Traceback" not in err
    assert _crawl_rows(db) and all(o == "interrupted" and f for o, f in _crawl_rows(db))
