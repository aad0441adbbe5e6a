"""`sites` and `sites --health` list sites crawled with --url (no definition, not watched) too."""

from __future__ import annotations

import json

from click.testing import CliRunner

from archive import Archive
from crawler.cli import cli


def _generic_crawl(db):
    with Archive(db, create=True) as a:
        a.ensure_site("127.0.0.1", base_url="http://127.0.0.1:8000/tzgg/index.html")
        cid = a.start_crawl("127.0.0.1")
        a.finish_crawl(cid, "finished", {"list/items": 3, "pages/list": 1})


def test_sites_lists_generic_archive_sites(tmp_path):
    db = tmp_path / "a.db"
    _generic_crawl(db)
    text = CliRunner().invoke(cli, ["--db", str(db), "sites"])
    assert text.exit_code == 0, text.output
    line = next(row for row in text.output.splitlines() if row.startswith("127.0.0.1"))
    assert "(generic)" in line and "(finished)" in line
    rows = {r["name"]: r for r in json.loads(
        CliRunner().invoke(cli, ["--db", str(db), "sites", "--json"]).output)}
    assert rows["127.0.0.1"]["generic"] is True and rows["127.0.0.1"]["last_crawl"]["outcome"] == "finished"
    assert rows["127.0.0.1"]["watched"] is False  # crawled once, not on the watch list
    assert "nmpa" not in rows  # bundled: `sites --catalogue`
    assert "Not watched" in text.output


def test_sites_health_lists_generic_archive_sites(tmp_path):
    db = tmp_path / "a.db"
    _generic_crawl(db)
    result = CliRunner().invoke(cli, ["--db", str(db), "sites", "--health"])
    assert result.exit_code == 0, result.output
    line = next(row for row in result.output.splitlines() if row.startswith("127.0.0.1"))
    # Crawled once, never watched: listed with its last crawl, but it has no health to watch
    # (NU19: neither has a site taken off the watch list).
    assert "(generic)" in line and "not watched" in line and "finished" in line
    rows = json.loads(CliRunner().invoke(cli, ["--db", str(db), "sites", "--health", "--json"]).output)
    generic = [r for r in rows if r["site"] == "127.0.0.1"]
    assert generic and generic[0]["generic"] and generic[0]["last_outcome"] == "finished"


def test_sites_health_without_archive_fails_like_query_commands(tmp_path):
    db = tmp_path / "none.db"
    result = CliRunner().invoke(cli, ["--db", str(db), "sites", "--health"])
    assert result.exit_code == 1
    assert result.output.strip() == f"Error: no archive at {db}"
    assert not db.exists()
    assert CliRunner().invoke(cli, ["--db", str(db), "sites"]).exit_code == 0
