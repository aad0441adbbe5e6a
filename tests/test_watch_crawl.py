"""watch driving the real `python -m crawler crawl` against the bundled demo site (loopback)."""

from __future__ import annotations

import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from archive import Archive, ArchiveError
from crawler.demo.server import DemoServer
from crawler.demo.site import demo_site
from crawler.service.locks import is_locked

DRIVER = r'''
import logging, sys
from crawler.service.schedule import schedule_for
from crawler.service.watch import WatchConfig, Watcher, crawl_argv_for, open_archive_for
from crawler.sites import load_sites, pick_sites
db, sites, delay = sys.argv[1:4]
logging.basicConfig(level=logging.INFO, format="%(message)s", stream=sys.stdout)
config = WatchConfig(
    db_path=db, sites=lambda: [schedule_for(d) for d in pick_sites(load_sites(sites), ["demo"])],
    crawl_argv=crawl_argv_for(db, sites_dir=sites, extra=["-s", f"DOWNLOAD_DELAY={delay}",
                                                          "-s", "AUTOTHROTTLE_ENABLED=False"]),
    open_archive=open_archive_for(db), stop_timeout=20, poll=0.05)
sys.exit(Watcher(config).run())
'''


@pytest.fixture
def demo(tmp_path):
    """The demo site served on 127.0.0.1 and a `demo` site definition pointing at it."""
    site = demo_site()
    with DemoServer(site) as server:
        urls = ", ".join(f'"{server.url(p)}"' for p in site.column_paths())
        sites = tmp_path / "sites"
        sites.mkdir()
        (sites / "demo.toml").write_text(f'name = "demo"\nevery = "1h"\nstart_urls = [{urls}]\n',
                                         encoding="utf-8")
        yield sites


def test_sigterm_during_a_real_crawl(tmp_path, demo):
    db = tmp_path / "gov.db"
    driver = tmp_path / "driver.py"
    driver.write_text(DRIVER, encoding="utf-8")
    watch = subprocess.Popen([sys.executable, str(driver), str(db), str(demo), "0.2"],
                             stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    deadline = time.monotonic() + 30
    while not (db.exists() and _started(db)):
        if time.monotonic() > deadline or watch.poll() is not None:
            watch.kill()
            pytest.fail("the crawl did not start:\n" + watch.communicate(timeout=10)[0])
        time.sleep(0.1)
    time.sleep(0.5)  # well inside the crawl (34 pages at 0.2 s)
    assert is_locked(db, "demo")
    watch.send_signal(signal.SIGTERM)
    output = watch.communicate(timeout=60)[0]
    assert watch.returncode == 0, output
    assert "SIGTERM: stopping 1 crawl(s): demo" in output
    assert not is_locked(db, "demo")
    with sqlite3.connect(db) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    with Archive(db) as archive:
        crawl = archive.crawls(site="demo")[0]
        assert crawl["outcome"] == "interrupted" and crawl["finished_at"]
        assert archive.site_state("demo")["failures"] == 0
        for event in archive.events(kinds=["new"]):  # every event points at a whole version
            assert archive.version(event["document_id"], event["version"])["title"]
    assert "kill demo" not in output


def _started(db: Path) -> bool:
    try:
        with Archive(db) as archive:
            return bool(archive.crawls(site="demo"))
    except (ArchiveError, sqlite3.Error, OSError):  # the crawl is still creating the file
        return False


def test_two_overlapping_crawl_due_runs_crawl_the_site_once(tmp_path, demo):
    help_text = subprocess.run([sys.executable, "-m", "crawler", "crawl", "--help"],
                               capture_output=True, text=True).stdout
    assert "--due" in help_text
    db = tmp_path / "gov.db"
    argv = [sys.executable, "-m", "crawler", "crawl", "demo", "--due", "--db", str(db), "--sites", str(demo),
            "-s", "DOWNLOAD_DELAY=0.05", "-s", "AUTOTHROTTLE_ENABLED=False"]
    runs = [subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
            for _ in range(2)]
    outputs = [run.communicate(timeout=120)[0] for run in runs]
    assert [run.returncode for run in runs] == [0, 0], outputs
    with Archive(db) as archive:
        assert len(archive.crawls(site="demo")) == 1
    text = "\n".join(outputs)
    assert "skipped, another crawl of this site is running" in text or "No site is due" in text
    # and afterwards the site is not due again before its interval
    again = subprocess.run(argv, capture_output=True, text=True, timeout=120)
    assert again.returncode == 0 and "No site is due" in again.stderr
