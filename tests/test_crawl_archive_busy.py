"""A briefly busy archive does not abort a crawl; a broken one closes the spider once."""

from __future__ import annotations

import asyncio
import functools
import os
import sqlite3
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest
from helpers_crawl import ROOT, build_trs_site, crawl_cmd, make_spider, serve
from scrapy.exceptions import DropItem

from archive import Archive
from archive.errors import ArchiveBusy, ArchiveWriteError
from crawler.items import Unchanged
from crawler.pipelines import ArchivePipeline
from crawler.service import crawls


def _documents(db: Path) -> int:
    try:
        with sqlite3.connect(db, timeout=5) as conn:
            return conn.execute("SELECT count(*) FROM documents").fetchone()[0]
    except sqlite3.OperationalError:  # not created yet
        return 0


def _crawl(db: Path, column: str, *settings: str) -> subprocess.Popen[str]:
    """`gov-archive crawl --url COLUMN -s SETTING ...` started in the background."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    env.pop("GOV_ARCHIVE_SITES", None)
    options = [arg for setting in settings for arg in ("-s", setting)]
    return subprocess.Popen(crawl_cmd(db, "--url", column, *options, "--json"), env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            cwd=db.parent)


def test_write_lock_held_by_another_process_is_waited_out(tmp_path: Path) -> None:
    db = tmp_path / "a.db"
    with serve(build_trs_site(8, 4)) as srv:
        srv.delay = 0.1  # one request at a time: items keep arriving while the lock is held
        proc = _crawl(db, srv.url("/tzgg/index.html"), "ARCHIVE_BUSY_TIMEOUT=0.1",
                      "CONCURRENT_REQUESTS_PER_DOMAIN=1")
        deadline = time.monotonic() + 30
        while _documents(db) < 1 and time.monotonic() < deadline:
            time.sleep(0.02)
        blocker = sqlite3.connect(db, isolation_level=None)
        blocker.execute("BEGIN IMMEDIATE")  # another writer holds the lock for 1.5 s
        time.sleep(1.5)
        blocker.execute("COMMIT")
        blocker.close()
        _out, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, err[-2000:]
    with Archive(db) as a:
        crawl = a.crawls(limit=1)[0]
        assert len(a.known_documents("127.0.0.1")) == 8
    assert crawl["outcome"] == "finished"
    assert crawl["stats"]["archive/new"] == 8
    assert crawl["stats"]["archive/busy_retries"] >= 1
    assert not crawl["stats"].get("archive/errors")


class _Engine:
    def __init__(self) -> None:
        self.closes: list[str] = []

    async def close_spider_async(self, *, reason: str) -> None:
        self.closes.append(reason)


class _Archive:
    def __init__(self, error: Exception) -> None:
        self.error, self.calls = error, 0

    def mark_checked(self, *args: Any, **kwargs: Any) -> bool:
        self.calls += 1
        raise self.error


def _pipeline(tmp_path: Path, error: Exception, **settings: Any) -> tuple[ArchivePipeline, _Engine]:
    _spider, crawler = make_spider(tmp_path, settings)
    engine = _Engine()
    crawler.engine = engine  # type: ignore[assignment]
    pipeline = ArchivePipeline(crawler, str(tmp_path / "a.db"))
    pipeline.archive = _Archive(error)  # type: ignore[assignment]
    return pipeline, engine


def _feed(pipeline: ArchivePipeline, n: int) -> list[str]:
    async def run() -> list[str]:
        outcomes = []
        for i in range(n):
            try:
                await pipeline.process_item(Unchanged("city", f"http://x/{i}", "not_modified"))
                outcomes.append("ok")
            except DropItem:
                outcomes.append("DropItem")
        await asyncio.sleep(0)  # let the close task run
        return outcomes

    try:
        return asyncio.run(run())
    finally:
        pipeline._thread.shutdown()


def test_write_errors_close_the_spider_once(tmp_path: Path) -> None:
    pipeline, engine = _pipeline(tmp_path, ArchiveWriteError("disk full"))
    assert _feed(pipeline, 4) == ["DropItem"] * 4
    assert engine.closes == ["archive_error"]
    assert pipeline.archive.calls == 1  # later items are dropped without another try


def test_busy_is_retried_then_gives_up_once(tmp_path: Path) -> None:
    pipeline, engine = _pipeline(tmp_path, ArchiveBusy("locked"), ARCHIVE_BUSY_RETRY_SECONDS=0.8)
    started = time.monotonic()
    assert _feed(pipeline, 3) == ["DropItem"] * 3
    assert 0.7 < time.monotonic() - started < 5
    assert pipeline.archive.calls >= 2  # retried with back-off before giving up
    assert engine.closes == ["archive_error"]
    assert pipeline.crawler.stats.get_value("archive/busy_retries") >= 1


def test_a_crawl_that_starts_while_another_process_holds_the_archive_waits(tmp_path: Path) -> None:
    """After an upgrade the first process to open the archive migrates it under the write lock;
    a crawl starting meanwhile (one of `watch`'s) waits for it instead of failing at once."""
    db = tmp_path / "a.db"
    Archive(db, create=True).close()
    blocker = sqlite3.connect(db, isolation_level=None)
    blocker.execute("BEGIN IMMEDIATE")
    with serve(build_trs_site(3, 3)) as srv:
        proc = _crawl(db, srv.url("/tzgg/index.html"), "ARCHIVE_BUSY_TIMEOUT=0.2")
        time.sleep(3)  # well past one busy timeout: the crawl is opening the archive meanwhile
        blocker.execute("COMMIT")
        blocker.close()
        _out, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, err[-2000:]
    with Archive(db) as a:
        crawl = a.crawls(limit=1)[0]
    assert (crawl["outcome"], crawl["stats"]["archive/new"]) == ("finished", 3)
    assert crawl["stats"]["archive/busy_retries"] >= 1


def test_an_archive_another_process_is_creating_is_writable(tmp_path: Path, monkeypatch: Any) -> None:
    """Two `crawl --due` started together: while one creates (or upgrades) the archive under
    the write lock, the other's check finds it busy, which is not "not writable"."""
    db = tmp_path / "a.db"
    blocker = sqlite3.connect(db, isolation_level=None)
    blocker.execute("BEGIN IMMEDIATE")
    blocker.execute("CREATE TABLE being_created (x)")  # the other process, mid-migration
    monkeypatch.setattr(crawls, "Archive", functools.partial(Archive, busy_timeout=0.2))
    try:
        with pytest.raises(ArchiveBusy):  # the lock is really held: opening is busy
            crawls.Archive(db, create=True)
        crawls.check_writable(db)  # and yet writable: no CrawlError
    finally:
        blocker.execute("ROLLBACK")
        blocker.close()
