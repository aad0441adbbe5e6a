from __future__ import annotations

import sqlite3
import time

import pytest
from helpers_archive import check_consistency, record

from archive import Archive
from archive.errors import ArchiveBusy, ArchiveWriteError


@pytest.fixture
def path(tmp_path):
    path = tmp_path / "a.db"
    with Archive(path, create=True) as a:
        a.save("example", record(1), crawl_id=None)
    return path


def test_write_waits_then_raises_busy(path):
    blocker = sqlite3.connect(path, isolation_level=None)
    blocker.execute("BEGIN IMMEDIATE")
    try:
        with Archive(path, busy_timeout=0.2) as a:
            started = time.monotonic()
            with pytest.raises(ArchiveBusy, match="locked by another writer"):
                a.save("example", record(2), crawl_id=None)
            assert 0.15 < time.monotonic() - started < 5
    finally:
        blocker.execute("ROLLBACK")


def test_reads_work_while_a_writer_holds_the_lock(path):
    blocker = sqlite3.connect(path, isolation_level=None)
    blocker.execute("BEGIN IMMEDIATE")
    blocker.execute("UPDATE documents SET last_seen = 'x'")
    try:
        with Archive(path, busy_timeout=0.1) as a:
            assert a.document(1)["title"] == record(1)["title"]
            assert len(a.search("法治政府")) == 1
            assert a.document(1)["last_seen"] != "x"  # uncommitted change is invisible
    finally:
        blocker.execute("ROLLBACK")


def test_busy_archive_still_usable_after_lock_released(path):
    blocker = sqlite3.connect(path, isolation_level=None)
    blocker.execute("BEGIN IMMEDIATE")
    with Archive(path, busy_timeout=0.05) as a:
        with pytest.raises(ArchiveBusy):
            a.save("example", record(2), crawl_id=None)
        blocker.execute("ROLLBACK")
        assert a.save("example", record(2), crawl_id=None).outcome == "new"


def _fill_disk(a: Archive) -> None:
    """Make the database 'full': no page may be added beyond the current ones."""
    a.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    pages = a.conn.execute("PRAGMA page_count").fetchone()[0]
    a.conn.execute(f"PRAGMA max_page_count = {pages}")


def test_disk_full_rolls_back_and_keeps_earlier_versions(path):
    with Archive(path) as a:
        _fill_disk(a)
        big = record(1, body="内容已修改。" * 20000)
        with pytest.raises(ArchiveWriteError, match=r"disk full.*rolled back"):
            a.save("example", big, crawl_id=None)
        assert [v["version"] for v in a.history(1)] == [1]
        assert a.document(1)["body"] == record(1)["body"] + "\n"
        assert a.events() and len(a.events()) == 1
    assert check_consistency(path) == []


def test_save_works_again_after_space_is_freed(path):
    with Archive(path) as a:
        _fill_disk(a)
        with pytest.raises(ArchiveWriteError):
            a.save("example", record(2, body="新" * 100000), crawl_id=None)
        a.conn.execute("PRAGMA max_page_count = 1073741823")
        assert a.save("example", record(2, body="新" * 100000), crawl_id=None).outcome == "new"
    assert check_consistency(path) == []


def test_read_only_file_is_a_write_error(path, tmp_path):
    with Archive(path) as a:
        a.conn.execute("PRAGMA query_only = ON")
        with pytest.raises(ArchiveWriteError, match="rolled back"):
            a.save("example", record(3), crawl_id=None)


def test_failed_index_batch_does_not_fail_the_committed_save(path):
    with Archive(path) as a:
        a.index_batch = 1
        blocked = []
        original = a.index_pending

        def busy():
            blocked.append(1)
            raise ArchiveBusy("locked")

        a.index_pending = busy
        assert a.save("example", record(2), crawl_id=None).outcome == "new"
        assert blocked and len(a.search("第2批")) == 1  # still found, from the queue
        a.index_pending = original
    assert check_consistency(path) == []
