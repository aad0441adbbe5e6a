"""Archives made before the watch list (schemas 1 and 2, tests/fixtures/archive/v*.sqlite,
written by those versions' own code: see make_archive.py there) migrate: sites crawled with
`--url` whose start URL is known become watched columns, their documents linked to the column."""

from __future__ import annotations

import json
import shutil
import sqlite3
from pathlib import Path

import pytest
from click.testing import CliRunner

from archive import Archive
from archive.migrations import SCHEMA_VERSION
from crawler.cli import cli
from crawler.service.schedule import select_due
from crawler.service.watchlist import watched_sites

FIXTURES = Path(__file__).parent / "fixtures" / "archive"
OLD = {"v1.sqlite": 1, "v2.sqlite": 2}  # fixture: its schema version
COLUMN = "https://www.example.gov.cn/tzgg/index.html"


@pytest.fixture(params=sorted(OLD))
def db(request, tmp_path, monkeypatch):
    monkeypatch.delenv("GOV_ARCHIVE_SITES", raising=False)
    path = tmp_path / request.param
    shutil.copy(FIXTURES / request.param, path)
    return path


def test_the_fixtures_are_previous_schemas(db):
    with sqlite3.connect(db) as conn:
        assert conn.execute("PRAGMA user_version").fetchone()[0] == OLD[db.name] < SCHEMA_VERSION
        assert conn.execute("SELECT count(*) FROM documents").fetchone()[0] == 6


def test_url_crawled_sites_become_watched_columns(db):
    with Archive(db) as archive:
        assert archive.schema_version == SCHEMA_VERSION
        watched = archive.watched_sites()
        assert [(s["site"], [c["url"] for c in s["columns"]]) for s in watched] == [
            ("www.example.gov.cn", [COLUMN])]
        (column,) = archive.columns("www.example.gov.cn")
        assert column["watched"] and column["documents"] == 4
        assert column["last_crawl"]["outcome"] == "ok"
        # the same back-dated flags as before: t3 appeared late in a column crawled before
        flags = {e["url"].rsplit("/", 1)[1]: e["backdated"] for e in archive.new_documents()}
        assert flags == {"t1.html": False, "t2.html": False, "t3.html": True, "t4.html": False,
                         "1.html": False}
        assert archive.columns("old.example.org") == []  # its start URL is not known
        assert len(archive.known_documents("old.example.org")) == 1  # nothing lost


def test_the_migrated_column_is_crawled_when_due(db):
    (site,) = watched_sites(db)
    assert site.name == "www.example.gov.cn" and site.generic
    assert [c.url for c in site.columns] == [COLUMN]
    assert select_due(db, [site]) == [site]  # last crawled in January: due


def test_sites_lists_watched_and_unwatched(db):
    result = CliRunner().invoke(cli, ["--db", str(db), "sites", "--json"])
    assert result.exit_code == 0, result.output
    rows = {r["name"]: r for r in json.loads(result.output)}
    assert rows["www.example.gov.cn"]["watched"] and rows["www.example.gov.cn"]["due"]
    assert rows["www.example.gov.cn"]["columns"][0]["documents"] == 4
    assert not rows["old.example.org"]["watched"] and not rows["nmpa"]["watched"]
    assert rows["nmpa"]["title"] == "国家药品监督管理局"  # the catalogue's, though not watched
