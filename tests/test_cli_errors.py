"""Bad input gets a one-line error and the right exit code, never a traceback or a new file."""

from __future__ import annotations

import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from helpers_cli import URL_A, build_archive, run

from crawler.cli import cli

QUERIES = [
    ["search", "税"],
    ["show", "1"],
    ["history", "1"],
    ["diff", "1"],
    ["new"],
    ["changes"],
    ["export"],
    ["stats"],
    ["feed", "--out", "-"],
]


@pytest.fixture(scope="module")
def populated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("cli_errors") / "archive.db"
    build_archive(path)
    return path


@pytest.mark.parametrize("args", QUERIES, ids=lambda a: a[0])
def test_missing_database_is_error_and_not_created(tmp_path: Path, args: list[str]) -> None:
    db = tmp_path / "nope.db"
    result = run(db, *args)
    assert result.exit_code == 1
    assert result.stderr == f"Error: no archive at {db}\n"
    assert list(tmp_path.iterdir()) == []


def test_default_db_comes_from_environment(tmp_path: Path) -> None:
    db = tmp_path / "env.db"
    result = CliRunner().invoke(cli, ["stats"], env={"GOV_ARCHIVE_DB": str(db)})
    assert result.stderr == f"Error: no archive at {db}\n"


@pytest.mark.parametrize("content", [b"hello, not a database", b""], ids=["text", "empty"])
def test_not_an_archive(tmp_path: Path, content: bytes) -> None:
    db = tmp_path / "notes.db"
    db.write_bytes(content)
    result = run(db, "stats")
    assert result.exit_code == 1
    assert result.stderr.startswith("Error: ")
    assert len(result.stderr.splitlines()) == 1
    assert db.read_bytes() == content


def test_other_sqlite_database(tmp_path: Path) -> None:
    db = tmp_path / "other.db"
    with sqlite3.connect(db) as conn:
        conn.execute("create table t (x)")
    conn.close()
    result = run(db, "search", "x")
    assert result.exit_code == 1
    assert result.stderr.startswith("Error: ")
    assert "Traceback" not in result.output


def test_newer_schema_is_refused_untouched(populated: Path, tmp_path: Path) -> None:
    db = tmp_path / "future.db"
    shutil.copy(populated, db)
    with sqlite3.connect(db) as conn:
        conn.execute("PRAGMA user_version = 999")
    conn.close()
    before = db.read_bytes()
    result = run(db, "stats")
    assert result.exit_code == 1
    assert result.stderr.startswith("Error: ")
    assert "newer" in result.stderr
    assert db.read_bytes() == before


def test_python_dash_m_reports_errors_without_traceback(tmp_path: Path) -> None:
    db = tmp_path / "missing.db"
    proc = subprocess.run(
        [sys.executable, "-m", "crawler", "--db", str(db), "new"], capture_output=True, text=True
    )
    assert proc.returncode == 1
    assert proc.stderr == f"Error: no archive at {db}\n"
    assert not db.exists()


def test_directory_as_database_is_usage_error(tmp_path: Path) -> None:
    result = run(tmp_path, "stats")
    assert result.exit_code == 2


@pytest.mark.parametrize("ref", ["99999", "https://nowhere.gov.cn/x.html"])
@pytest.mark.parametrize("command", ["show", "history", "diff"])
def test_unknown_document(populated: Path, command: str, ref: str) -> None:
    result = run(populated, command, ref)
    assert result.exit_code == 1
    assert result.stderr.startswith("Error: ")
    assert len(result.stderr.splitlines()) == 1


def test_unknown_version(populated: Path) -> None:
    result = run(populated, "show", URL_A, "--version", "7")
    assert result.exit_code == 1
    assert result.stderr.startswith("Error: ")


def test_bad_limit_is_usage_error(populated: Path) -> None:
    assert run(populated, "search", "税", "--limit", "0").exit_code == 2


def test_reads_work_while_a_writer_holds_the_lock(populated: Path) -> None:
    writer = sqlite3.connect(populated, timeout=0.1, isolation_level=None)
    try:
        writer.execute("BEGIN IMMEDIATE")  # takes the write lock, as a crawl's save does
        for args in (["search", "税"], ["show", URL_A], ["history", URL_A], ["new"], ["stats"]):
            result = run(populated, *args)
            assert result.exit_code == 0, (args, result.output)
    finally:
        writer.execute("ROLLBACK")
        writer.close()


@pytest.mark.parametrize("command", [["export", "-o"], ["feed", "--out"]], ids=lambda c: c[0])
def test_unwritable_output_is_error(populated: Path, tmp_path: Path, command: list[str]) -> None:
    result = run(populated, *command, str(tmp_path / "no" / "such" / "dir.out"))
    assert result.exit_code == 1
    assert result.stderr.startswith("Error: cannot write ")


@pytest.mark.parametrize(("make", "reason"), [
    (lambda tmp: tmp / "no" / "a.db", "cannot create {path}: folder {folder} does not exist"),
    (lambda tmp: (tmp / "file").write_text("x") and tmp / "file" / "a.db",
     "cannot create {path}: {folder} is not a folder"),
    (lambda tmp: (tmp / "notes.txt").write_text("notes, not an archive\n") and tmp / "notes.txt",
     "{path} is not a gov-archive database (file is not a database)"),
    (lambda tmp: (tmp / "x.txt").write_text("x") and tmp / "x.txt",  # SQLite took it as empty
     "{path} is not a gov-archive database (file is not a database)"),
], ids=["no-folder", "file-as-folder", "not-a-database", "tiny-file"])
def test_crawl_into_an_unusable_archive_names_it_once(tmp_path: Path, make, reason: str) -> None:
    path = make(tmp_path)
    result = CliRunner().invoke(cli, ["crawl", "--db", str(path), "--url", "http://127.0.0.1:9/x/"])
    assert result.exit_code == 1
    expected = reason.format(path=path, folder=path.parent)
    assert result.stderr == f"Error: archive not writable: {expected}\n"
    if path.is_file():
        assert path.read_bytes() in (b"x", b"notes, not an archive\n")  # untouched
