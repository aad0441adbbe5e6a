"""The first Ctrl-C or SIGTERM: says at once what it waits for, stops within a few seconds with
the default (polite) settings, sends nothing more, and loses nothing: the next crawl archives
what the stopped one had not reached. Before, a Ctrl-C took about 12 s, the crawl kept sending
the requests queued behind the download delay and the progress line kept counting."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from helpers_crawl import ROOT, build_trs_site, run_crawl, serve, summary
from helpers_watch import receiver
from scrapy.http import Request
from scrapy.utils.test import get_crawler

from archive import Archive
from crawler.extensions.stopping import CRAWL_STOPPING, SET_ASIDE_STAT, CrawlStopping
from crawler.middlewares import StopGate
from crawler.service.alerts import sink_name

ARTICLES = "/tzgg/202401/"


def _start(db: Path, url: str, *args: str) -> subprocess.Popen[str]:
    env = {k: v for k, v in os.environ.items() if k != "GOV_ARCHIVE_SITES"}
    env["PYTHONPATH"] = str(ROOT)
    # Default settings: a 1 s download delay (AutoThrottle from 2 s), one request at a time.
    argv = [sys.executable, "-m", "crawler", "crawl", "--db", str(db), "--url", url, *args]
    return subprocess.Popen(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                            text=True, cwd=db.parent, start_new_session=True)


@pytest.mark.parametrize(("sig", "code"), [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
def test_the_first_signal_stops_within_seconds_and_loses_nothing(tmp_path, sig, code):
    db = tmp_path / "a.db"
    with serve(build_trs_site(40, 10)) as srv:
        srv.delay = 0.05
        with _start(db, srv.url("/tzgg/index.html")) as proc:
            deadline = time.monotonic() + 60
            while srv.hits(ARTICLES) < 2 and time.monotonic() < deadline:
                time.sleep(0.02)
            lines: list[tuple[float, str]] = []
            reader = threading.Thread(target=lambda: lines.extend(
                (time.monotonic(), line) for line in proc.stderr))
            reader.start()
            os.killpg(proc.pid, sig)
            signalled, hits = time.monotonic(), srv.hits(ARTICLES)
            proc.wait(timeout=60)
            took = time.monotonic() - signalled
            reader.join(timeout=10)
            err = "".join(line for _, line in lines)
            assert proc.returncode == code, err[-2000:]
            assert took < 6, f"stopping took {took:.1f}s"
            assert srv.hits(ARTICLES) <= hits + 1  # at most the transfer under way
            said = [at for at, line in lines if line.startswith("stopping, finishing ")]
            assert said and said[0] - signalled < 1, err[-2000:]  # at once
            assert "Traceback" not in err
        # The next crawl picks up what the stopped one had not reached.
        again = run_crawl(db, "--url", srv.url("/tzgg/index.html"))
        assert summary(again)["healthy"], again.stderr[-2000:]
    with Archive(db) as archive:
        assert len(list(archive.export())) == 40


def test_a_signal_during_webhook_delivery_stops_after_the_batch_under_way(tmp_path):
    db = tmp_path / "a.db"
    with serve(build_trs_site(45, 15)) as srv, receiver() as hook:
        hook.delay = 1.0
        url = srv.url("/tzgg/index.html")
        fast = ["-s", "DOWNLOAD_DELAY=0", "-s", "AUTOTHROTTLE_ENABLED=0",
                "-s", "CONCURRENT_REQUESTS_PER_DOMAIN=8"]
        with _start(db, url, "--webhook", hook.url, *fast) as proc:
            deadline = time.monotonic() + 60
            while hook.attempts < 1 and time.monotonic() < deadline:
                time.sleep(0.02)
            os.killpg(proc.pid, signal.SIGTERM)
            signalled = time.monotonic()
            err = proc.communicate(timeout=30)[1]
            took = time.monotonic() - signalled
    assert proc.returncode == 143, err[-2000:]
    assert took < 3 and hook.attempts == 1 and "Traceback" not in err
    assert "stopping after the webhook batch under way" in err
    with Archive(db) as archive:  # the rest waits for the next run
        assert len(archive.pending_deliveries(sink_name(hook.url))) == 45 - 20


def test_after_a_stopped_crawl_nothing_is_delivered(tmp_path):
    db = tmp_path / "a.db"
    with serve(build_trs_site(40, 10)) as srv, receiver() as hook:
        srv.delay = 0.05
        with _start(db, srv.url("/tzgg/index.html"), "--webhook", hook.url) as proc:
            deadline = time.monotonic() + 60
            while srv.hits(ARTICLES) < 2 and time.monotonic() < deadline:
                time.sleep(0.02)
            os.killpg(proc.pid, signal.SIGINT)
            proc.communicate(timeout=30)
        assert proc.returncode == 130 and hook.attempts == 0


def test_requests_reaching_the_downloader_after_the_stop_are_set_aside():
    crawler = get_crawler()
    crawler.stats.open_spider()
    gate = StopGate.from_crawler(crawler)
    spider_request = Request("http://127.0.0.1/a.html", callback=lambda response: None)
    robots = Request("http://127.0.0.1/robots.txt")
    assert gate.process_request(spider_request) is None  # before the stop: sent
    crawler.signals.send_catch_log(signal=CRAWL_STOPPING)
    with pytest.raises(CrawlStopping):
        gate.process_request(spider_request)
    assert gate.process_request(robots) is None  # not the spider's: the stop waits for it
    assert crawler.stats.get_value(SET_ASIDE_STAT) == 1
