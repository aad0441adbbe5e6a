"""Every archive an older gov-archive wrote migrates to exactly the schema a new archive gets.

The guard for frozen migrations (archive/migration_steps): an archive of the last release
(schema 1) runs every migration's data step against the tables of its own time, so a step that
called today's code would fail here the day that code needs a later column.
"""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

import pytest
from helpers_archive import check_consistency

from archive import Archive

FIXTURES = Path(__file__).parent / "fixtures" / "archive"
RELEASED = ["v1.sqlite", "spellings.sqlite"]  # 04f063f, the last release
OLDER = ["v2.sqlite"]  # main between releases (schema 2)


def _schema(path: Path) -> dict[str, str]:
    with sqlite3.connect(path) as conn:
        return {f"{kind} {name}": " ".join((sql or "").split()) for kind, name, sql in conn.execute(
            "SELECT type, name, sql FROM sqlite_master WHERE name NOT LIKE 'sqlite_%'")}


@pytest.mark.parametrize("name", RELEASED + OLDER)
def test_an_old_archive_migrates_to_the_schema_of_a_new_one(tmp_path: Path, name: str) -> None:
    fresh, old = tmp_path / "fresh.db", tmp_path / name
    Archive(fresh, create=True).close()
    shutil.copy(FIXTURES / name, old)
    with sqlite3.connect(old) as conn:
        documents = conn.execute("SELECT count(*) FROM documents").fetchone()[0]
    Archive(old).close()
    assert _schema(old) == _schema(fresh)
    assert check_consistency(old) == []
    with Archive(old) as archive:
        merged = archive.db["merged_documents"].count
        assert archive.stats()["documents"] + merged == documents  # nothing lost
