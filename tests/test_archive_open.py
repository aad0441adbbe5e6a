from __future__ import annotations

import sqlite3

import pytest

from archive import Archive
from archive.errors import ArchiveMissing, NotAnArchive, SchemaTooNew
from archive.migrations import MIGRATION_SET, SCHEMA_VERSION


def test_missing_file_is_an_error_without_create(tmp_path):
    with pytest.raises(ArchiveMissing, match="does not exist"):
        Archive(tmp_path / "missing.db")
    assert not (tmp_path / "missing.db").exists()


def test_create_makes_a_new_archive(tmp_path):
    with Archive(tmp_path / "new.db", create=True) as a:
        assert a.schema_version == SCHEMA_VERSION
    with Archive(tmp_path / "new.db") as a:  # reopens without create
        assert a.stats()["documents"] == 0


def test_schema_version_and_migrations_recorded(tmp_path):
    Archive(tmp_path / "a.db", create=True).close()
    conn = sqlite3.connect(tmp_path / "a.db")
    assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    names = [r[0] for r in conn.execute(
        "SELECT name FROM _sqlite_migrations WHERE migration_set = ?", (MIGRATION_SET,))]
    assert len(names) == SCHEMA_VERSION


def test_wal_mode_is_on(tmp_path):
    Archive(tmp_path / "a.db", create=True).close()
    conn = sqlite3.connect(tmp_path / "a.db")
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_tables_and_keys(tmp_path):
    with Archive(tmp_path / "a.db", create=True) as a:
        names = set(a.db.table_names())
        assert {"sites", "crawls", "documents", "versions", "captures", "capture_blobs", "events",
                "deliveries", "site_state", "versions_fts"} <= names
        assert a.db["versions"].detect_fts() == "versions_fts"
        fks = {(fk.column, fk.other_table) for fk in a.db["versions"].foreign_keys}
        assert {("document_id", "documents"), ("crawl_id", "crawls"), ("capture_id", "captures")} <= fks


def test_newer_schema_is_refused(tmp_path):
    Archive(tmp_path / "a.db", create=True).close()
    conn = sqlite3.connect(tmp_path / "a.db")
    conn.execute("INSERT INTO _sqlite_migrations (migration_set, name, applied_at) VALUES (?, ?, ?)",
                 (MIGRATION_SET, "999_from_the_future", "2030-01-01"))
    conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    conn.commit()
    conn.close()
    with pytest.raises(SchemaTooNew, match="newer"):
        Archive(tmp_path / "a.db")


def test_other_sqlite_database_is_refused_and_untouched(tmp_path):
    path = tmp_path / "other.db"
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE notes (id INTEGER PRIMARY KEY, text TEXT)")
    conn.commit()
    conn.close()
    with pytest.raises(NotAnArchive, match="not a gov-archive"):
        Archive(path, create=True)
    assert sqlite3.connect(path).execute(
        "SELECT group_concat(name) FROM sqlite_master").fetchone()[0] == "notes"


def test_non_sqlite_file_is_refused(tmp_path):
    path = tmp_path / "notes.txt"
    path.write_text("hello, this is not a database at all " * 50)
    with pytest.raises(NotAnArchive):
        Archive(path)


def test_empty_file_without_create_is_refused(tmp_path):
    path = tmp_path / "empty.db"
    path.touch()
    with pytest.raises(NotAnArchive, match="empty"):
        Archive(path)


def test_empty_file_with_create_is_initialized(tmp_path):
    path = tmp_path / "empty.db"
    path.touch()
    with Archive(path, create=True) as a:
        assert a.schema_version == SCHEMA_VERSION


def test_directory_is_refused(tmp_path):
    with pytest.raises(NotAnArchive):
        Archive(tmp_path, create=True)
