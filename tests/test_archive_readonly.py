"""An archive this user cannot write (a service's file, a read-only folder) can still be queried."""

from __future__ import annotations

from pathlib import Path

import pytest
from helpers_archive import record

import archive.connect
from archive import Archive
from archive.errors import ArchiveWriteError


@pytest.fixture
def saved_archive(tmp_path: Path) -> Path:
    path = tmp_path / "archive.db"
    with Archive(path, create=True) as a:
        crawl = a.start_crawl("city")
        a.save("city", record(1), crawl_id=crawl)
    assert not (tmp_path / "archive.db-shm").exists()  # the last close removes WAL files
    return path


@pytest.fixture
def not_writable(monkeypatch: pytest.MonkeyPatch) -> None:
    # Root ignores file modes, so the permission check itself is replaced.
    monkeypatch.setattr(archive.connect, "_writable", lambda path: False)
    monkeypatch.setattr(archive.connect, "_folder_writable", lambda path: False)


@pytest.mark.usefixtures("not_writable")
def test_query_works_without_write_access(saved_archive: Path) -> None:
    with Archive(saved_archive) as a:
        assert a.read_only
        assert [d["title"] for d in a.export()] == [record(1)["title"]]
        assert a.search(record(1)["title"][:4])
    assert not saved_archive.with_name("archive.db-shm").exists()


@pytest.mark.usefixtures("not_writable")
def test_writes_fail_cleanly_and_change_nothing(saved_archive: Path) -> None:
    before = saved_archive.read_bytes()
    with Archive(saved_archive) as a, pytest.raises(ArchiveWriteError, match="readonly"):
        a.start_crawl("city")
    assert saved_archive.read_bytes() == before


def test_writable_archive_is_not_read_only(saved_archive: Path) -> None:
    with Archive(saved_archive) as a:
        assert not a.read_only


def test_a_reader_sees_consistent_data_while_another_process_writes(saved_archive: Path) -> None:
    """`serve` reads with read_only=True while a crawl writes and checkpoints: no -shm file
    at the start must not make the reader immutable (it would read pages rewritten under it)."""
    with Archive(saved_archive) as writer:
        crawl = writer.start_crawl("city")
        for n in range(2, 400):
            writer.save("city", record(n), crawl_id=crawl)
        writer.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    assert not saved_archive.with_name("archive.db-shm").exists()
    with Archive(saved_archive, read_only=True) as reader:
        rows = reader.db.query("SELECT d.id, v.body FROM documents d "
                               "JOIN versions v ON v.id = d.current_version_id ORDER BY d.id")
        first = [next(rows) for _ in range(10)]
        with Archive(saved_archive) as writer:  # rewrites most pages, then checkpoints them in
            crawl = writer.start_crawl("city")
            for n in range(1, 400):
                writer.save("city", record(n, body=f"第{n}号修订正文。" * 40), crawl_id=crawl)
            writer.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        rest = list(rows)  # the snapshot the read started in
        assert len(first) + len(rest) == 399
        assert all("修订" not in row["body"] for row in first + rest)
        assert reader.document(399)["body"].startswith("第399号修订正文")  # a new read: new data
