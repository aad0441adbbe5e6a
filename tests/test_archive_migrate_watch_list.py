"""Archives made before the watch list (schemas 1 and 2, tests/fixtures/archive/v*.sqlite,
written by those versions' own code crawling a local site: see make_archive.py there) migrate:
everything is kept; the sites they crawled are listed as not watched (no release recorded the
column a `crawl --url` started from), and `gov-archive add URL` watches a column of one again."""

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
from crawler.service.watchlist import unwatched_bundled_sites, watched_sites

FIXTURES = Path(__file__).parent / "fixtures" / "archive"
OLD = {"v1.sqlite": 1, "v2.sqlite": 2}  # fixture: its schema version
COLUMN = "http://www.example.gov.cn/tzgg/index.html"


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
        # what a release's `crawl --url` stored: the home page, not the column it crawled
        assert conn.execute("SELECT base_url FROM sites WHERE name = 'www.example.gov.cn'"
                            ).fetchone()[0] == "http://www.example.gov.cn/"


def test_everything_is_kept_and_nothing_is_watched(db):
    with Archive(db) as archive:
        assert archive.schema_version == SCHEMA_VERSION
        assert archive.watched_sites() == [] and archive.columns() == []
        assert len(archive.known_documents("www.example.gov.cn")) == 4
        assert len(archive.known_documents("old.example.org")) == 1
        # the same back-dated flags as before: t3 appeared late on a site crawled before
        flags = {e["title"]: e["backdated"] for e in archive.new_documents()}
        assert flags == {"关于第一号事项的通知": False, "关于第二号事项的通知": False,
                         "关于补发事项的通知": True, "关于第四号事项的通知": False,
                         "旧站关于停止服务的公告": False, "药品公告": False}
        assert [h["title"] for h in archive.search("补发事项")] == ["关于补发事项的通知"]


def test_sites_lists_them_as_not_watched_with_the_way_back(db):
    result = CliRunner().invoke(cli, ["--db", str(db), "sites"])
    assert result.exit_code == 0, result.output
    assert "Not watched (crawled before; `gov-archive add URL` watches a column):" in result.output
    assert "www.example.gov.cn  (generic)" in result.output
    listed = CliRunner().invoke(cli, ["--db", str(db), "sites", "--json"])
    rows = {r["name"]: r for r in json.loads(listed.stdout)}
    assert not any(r["watched"] for r in rows.values())
    assert rows["nmpa"]["title"] == "国家药品监督管理局"  # the catalogue's, though not watched


def test_adding_the_column_again_watches_the_site_it_crawled(db):
    with Archive(db) as archive:
        assert archive.watch_column("www.example.gov.cn", COLUMN)
    (site,) = watched_sites(db)
    assert site.name == "www.example.gov.cn" and site.generic
    assert [c.url for c in site.columns] == [COLUMN]
    assert select_due(db, [site]) == [site]  # its new column was never crawled: due
    with Archive(db) as archive:  # the site's announcements are the ones crawled before
        assert len(archive.known_documents("www.example.gov.cn")) == 4


def test_crawl_due_on_an_upgraded_archive_names_the_bundled_sites_to_add_again(db):
    # Before the watch list, `crawl --due` from cron crawled every definition; now it crawls
    # what is watched, so it says which bundled sites this archive crawled and how to watch them.
    result = CliRunner().invoke(cli, ["--db", str(db), "crawl", "--due"])
    assert result.exit_code == 0, result.output
    assert "not watched (nmpa): `gov-archive add nmpa` watches them again" in result.stderr
    assert "`gov-archive add nmpa`" in CliRunner().invoke(cli, ["--db", str(db), "sites"]).stderr
    with Archive(db) as archive:
        assert archive.watch_site("nmpa", definition="nmpa")
    assert unwatched_bundled_sites(db) == []
