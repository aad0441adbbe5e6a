"""Recovery (walk every list page) only after a killed or interrupted crawl; stale rows get closed."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from helpers_crawl import ROOT, build_trs_site, run_crawl, serve, start_crawl, summary, wait_for

from archive import Archive
from crawler.service.crawls import claim_sites

SITE = "127.0.0.1"


def _set_last_outcome(db: Path, outcome: str) -> None:
    with Archive(db) as a:
        last = a.crawls(site=SITE, limit=1)[0]
        a.finish_crawl(last["id"], outcome, last["stats"] or {})


def _recrawl(srv, db: Path) -> tuple[dict, int]:
    srv.log.clear()
    proc = run_crawl(db, "--url", srv.url("/tzgg/index.html"))
    assert proc.returncode == 0, proc.stderr[-2000:]
    return summary(proc)["sites"][0]["stats"], srv.hits("/tzgg/index_")


def test_only_a_killed_or_interrupted_crawl_triggers_recovery(tmp_path: Path) -> None:
    db = tmp_path / "a.db"
    with serve(build_trs_site(9, 3)) as srv:
        assert run_crawl(db, "--url", srv.url("/tzgg/index.html")).returncode == 0
        for outcome in ("partial", "blocked", "failed"):  # ended on their own terms
            _set_last_outcome(db, outcome)
            stats, later_pages = _recrawl(srv, db)
            assert not stats.get("crawl/recovery") and later_pages == 0, outcome
            assert stats["list/stopped_known"] == 1

        _set_last_outcome(db, "interrupted")
        stats, later_pages = _recrawl(srv, db)
        assert stats["crawl/recovery"] is True and later_pages == 2  # index_1, index_2

        with Archive(db) as a:  # a crawl killed outright: its row never got an end
            killed = a.start_crawl(SITE)
        stats, later_pages = _recrawl(srv, db)
        assert stats["crawl/recovery"] is True and later_pages == 2
        with Archive(db) as a:
            row = a.crawl(killed)
            assert row["outcome"] == "interrupted" and row["finished_at"]
            assert all(c["finished_at"] for c in a.crawls(site=SITE))

        stats, later_pages = _recrawl(srv, db)  # recovered: incremental again
        assert not stats.get("crawl/recovery") and later_pages == 0


def test_a_row_of_a_crawl_holding_the_site_lock_is_left_alone(tmp_path: Path) -> None:
    db = tmp_path / "a.db"
    with Archive(db, create=True) as a:
        live = a.start_crawl(SITE)
    code = ("import sys; from crawler.service.locks import site_lock;"
            f"l = site_lock({str(db)!r}, {SITE!r}); l.acquire(); print('held', flush=True);"
            "sys.stdin.read()")
    holder = subprocess.Popen(
        [sys.executable, "-c", code],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, env={**os.environ, "PYTHONPATH": str(ROOT)})
    try:
        assert holder.stdout.readline().strip() == "held"
        with claim_sites(db, [SITE]) as (held, busy):
            assert (held, busy) == ([], [SITE])
        with Archive(db) as a:
            assert a.crawl(live)["finished_at"] is None
    finally:
        holder.communicate("", timeout=10)
    with claim_sites(db, [SITE]) as (held, busy):
        assert (held, busy) == ([SITE], [])
    with Archive(db) as a:
        row = a.crawl(live)
        assert row["outcome"] == "interrupted" and row["stats"] == {"finish_reason": "killed"}


def test_two_ctrl_c_under_scrapy_crawl_leave_a_row_the_next_crawl_closes(tmp_path: Path) -> None:
    """Bare ``scrapy crawl`` forced to stop: its pipeline never closes the row; the next
    ``gov-archive crawl`` of the site (holding its lock) does, and recovers."""
    db = tmp_path / "a.db"
    with serve(build_trs_site(24, 4)) as srv:
        srv.delay = 0.3
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        env.pop("GOV_ARCHIVE_SITES", None)
        proc = subprocess.Popen(
            [sys.executable, "-m", "scrapy", "crawl", "generic", "-a", f"url={srv.url('/tzgg/index.html')}",
             "-s", f"ARCHIVE_DB_PATH={db}", "-s", "DOWNLOAD_DELAY=0", "-s", "AUTOTHROTTLE_ENABLED=0",
             "-s", "CONCURRENT_REQUESTS_PER_DOMAIN=4", "-s", "LOG_LEVEL=WARNING"],
            cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
            start_new_session=True)
        deadline = time.monotonic() + 30
        while srv.hits("/tzgg/202401/") < 2 and time.monotonic() < deadline:
            time.sleep(0.02)
        for _ in range(2):
            os.killpg(proc.pid, signal.SIGINT)
            time.sleep(0.1)
        _out, err = proc.communicate(timeout=30)
        with Archive(db) as a:
            (stopped,) = a.crawls(site=SITE)
        assert stopped["finished_at"] is None, err[-2000:]
        srv.delay = 0
        stats, _later_pages = _recrawl(srv, db)
    assert stats["crawl/recovery"] is True
    with Archive(db) as a:
        row = a.crawl(stopped["id"])
    assert row["outcome"] == "interrupted" and row["finished_at"]
    assert row["stats"]["finish_reason"] == "killed"


def test_a_resumed_crawl_fetches_each_page_once(tmp_path: Path) -> None:
    """NU20: after Ctrl-C the next crawl continues the JOBDIR queue (no walk of every list
    page) and never fetches a page twice, although the list pages name what the queue holds."""
    db = tmp_path / "a.db"
    with serve(build_trs_site(24, 4)) as srv:
        srv.delay = 0.1
        proc = start_crawl(db, "--url", srv.url("/tzgg/index.html"))
        wait_for(lambda: srv.hits("/tzgg/202401/") >= 6)
        os.killpg(proc.pid, signal.SIGINT)
        _out, err = proc.communicate(timeout=30)
        assert proc.returncode == 130, err[-2000:]
        first = [p for _m, p, _h in srv.log]
        srv.delay = 0
        srv.log.clear()
        resumed = run_crawl(db, "--url", srv.url("/tzgg/index.html"))
        assert resumed.returncode == 0, resumed.stderr[-2000:]
        second = [p for _m, p, _h in srv.log]
    stats = summary(resumed)["sites"][0]["stats"]
    assert stats.get("crawl/resumed") is True and not stats.get("crawl/recovery")
    articles = [p for p in first + second if p.startswith("/tzgg/202401/")]
    assert len(articles) == len(set(articles)) == 24  # each article once, none missed
    later_lists = [p for p in second if p.startswith("/tzgg/index_")]
    assert len(later_lists) == len(set(later_lists))
    with Archive(db) as a:
        assert len(a.known_documents(SITE)) == 24
