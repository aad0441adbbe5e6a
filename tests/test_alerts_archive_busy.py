"""Delivery never POSTs what it cannot record: a busy or read-only archive sends nothing."""

from __future__ import annotations

import sqlite3

from helpers_archive import record
from helpers_watch import receiver

from archive import Archive
from archive.errors import ArchiveBusy
from crawler.service.alerts import Sink, deliver, sink_name


def _archive_with_event(path):
    with Archive(path, create=True) as a:
        cid = a.start_crawl("gov")
        a.save("gov", record(1), crawl_id=cid)
        a.finish_crawl(cid, "finished", {})


def test_busy_archive_sends_nothing_then_delivers_once(tmp_path):
    db = tmp_path / "a.db"
    _archive_with_event(db)
    blocker = sqlite3.connect(db, isolation_level=None)
    blocker.execute("BEGIN IMMEDIATE")  # another writer holds the archive
    with receiver() as hook, Archive(db, busy_timeout=0.05) as archive:
        busy = deliver(archive, db, Sink(hook.url), sleep=lambda s: None)
        assert not busy.ok and "busy" in busy.error and "\n" not in busy.error
        assert busy.delivered == 0 and busy.pending == 1
        assert hook.requests == []
        blocker.execute("ROLLBACK")
        done = deliver(archive, db, Sink(hook.url), sleep=lambda s: None)
        assert done.ok and done.delivered == 1
        again = deliver(archive, db, Sink(hook.url), sleep=lambda s: None)
        assert again.delivered == 0 and len(hook.requests) == 1
    blocker.close()


def test_read_only_archive_sends_nothing(tmp_path):
    db = tmp_path / "a.db"
    _archive_with_event(db)
    with receiver() as hook, Archive(db) as archive:
        real = archive.conn
        archive.conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True, isolation_level=None)
        try:
            result = deliver(archive, db, Sink(hook.url), sleep=lambda s: None)
        finally:
            archive.conn.close()
            archive.conn = real
        assert not result.ok and "read-only" in result.error
        assert hook.requests == []
        assert len(archive.pending_deliveries(sink_name(hook.url))) == 1


def test_mark_failure_after_post_is_one_line_not_a_raise(tmp_path):
    db = tmp_path / "a.db"
    _archive_with_event(db)

    class Flaky(Archive):
        def mark_delivered(self, sink, ids, *, now=None):
            raise ArchiveBusy("archive is locked\nby another writer")

    with receiver() as hook, Flaky(db) as archive:
        result = deliver(archive, db, Sink(hook.url), sleep=lambda s: None)
    assert not result.ok and "not recorded" in result.error and "\n" not in result.error
    assert result.pending == 1
