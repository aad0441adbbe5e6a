"""`add`, `remove` and `sites`: what they accept, refuse and say (no crawl)."""

from __future__ import annotations

import json
import socket

import pytest
from click.testing import CliRunner
from helpers_crawl import html_page, serve

from archive import Archive
from crawler.cli import cli

OWN = 'name = "demo-city"\n[[columns]]\nname = "通知公告"\nurl = "http://127.0.0.1:9/tzgg/index.html"\n'


@pytest.fixture(autouse=True)
def _no_own_sites(monkeypatch):
    monkeypatch.delenv("GOV_ARCHIVE_SITES", raising=False)


@pytest.fixture
def db(tmp_path):
    return tmp_path / "gov.db"


def run(db, *args: str):
    return CliRunner().invoke(cli, ["--db", str(db), *args])


@pytest.mark.parametrize(("args", "message"), [
    (["http://[::1"], "not a valid URL"),
    (["http://exa mple.com/tzgg/"], "not a valid URL"),
    (["http://example.com:99999/"], "not a valid URL"),
    (["ftp://example.com/"], "not an http(s) URL"),
    (["http://example.com/", "--every", "soon"], "bad interval"),
    (["http://example.com/", "--name", "Bad Name"], "lowercase letters"),
    (["nope"], "unknown site 'nope'"),
    (["nmpa", "--title", "药监"], "go with a column URL"),
])
def test_add_usage_errors(db, args, message):
    result = run(db, "add", *args)
    assert result.exit_code == 2, result.output
    assert message in result.output and "Traceback" not in result.output
    assert not db.exists()


def test_add_checks_the_page_first(db):
    with socket.socket() as sock:  # a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        closed = f"http://127.0.0.1:{sock.getsockname()[1]}/tzgg/index.html"
    refused = run(db, "add", closed)
    assert refused.exit_code == 1
    assert refused.output == (f"Error: {closed}: connection refused; not added "
                              "(--no-check adds it anyway)\n")
    pages = {"/text.html": html_page("<html><body><h1>关于我们</h1><p>本站介绍。</p></body></html>")}
    with serve(pages) as site:
        for path, problem in (("/text.html", "no announcement links found"),
                              ("/gone.html", "HTTP 404")):
            result = run(db, "add", site.url(path))
            assert result.exit_code == 1 and problem in result.output, result.output
    assert not db.exists()  # nothing was added
    assert run(db, "add", closed, "--no-check").exit_code == 0


def test_add_keeps_a_columns_history_in_its_site(db):
    url = "http://127.0.0.1:9/tzgg/index.html"
    with Archive(db, create=True) as archive:  # crawled once with --url
        archive.ensure_columns("127.0.0.1", [(url, None)])
    result = run(db, "add", url, "--name", "city", "--no-check")
    assert result.exit_code == 1 and "crawled as part of site 127.0.0.1" in result.output
    assert "Watching" in run(db, "add", url, "--no-check").output
    assert "Already watched" in run(db, "add", url, "--no-check").output


def test_bundled_sites_are_added_by_name(db):
    assert run(db, "add", "http://www.nmpa.gov.cn/x/", "--name", "nmpa").exit_code == 1
    added = run(db, "add", "nmpa", "--every", "1d")
    assert added.exit_code == 0 and "Watching nmpa, every 1d" in added.output
    assert "药品公告通告" in added.output
    assert "Already watched" in run(db, "add", "nmpa").output
    rows = {r["name"]: r for r in json.loads(run(db, "sites", "--json").output)}
    assert rows["nmpa"]["watched"] and rows["nmpa"]["every"] == "1d"
    assert len(rows["nmpa"]["columns"]) == 2 and all(c["watched"] for c in rows["nmpa"]["columns"])
    catalogue = {r["name"]: r for r in json.loads(run(db, "sites", "--catalogue", "--json").output)}
    assert catalogue["nmpa"]["watched"] and not catalogue["cmse"]["watched"]
    column = rows["nmpa"]["columns"][0]["url"]
    kept = run(db, "remove", column)
    assert kept.exit_code == 1 and "a column of the site definition nmpa" in kept.output
    assert run(db, "remove", "nmpa").exit_code == 0
    assert run(db, "remove", "nmpa").exit_code == 1
    assert "nmpa" not in {r["name"] for r in json.loads(run(db, "sites", "--json").output)}


def test_own_definitions_are_watched(db, tmp_path):
    own = tmp_path / "sites"
    own.mkdir()
    (own / "demo.toml").write_text(OWN, encoding="utf-8")
    rows = json.loads(run(db, "sites", "--json", "--sites", str(own)).output)
    assert [(r["name"], r["watched"], r["health"]) for r in rows] == [
        ("demo-city", True, "never crawled")]
    assert "Already watched" in run(db, "add", "demo-city", "--sites", str(own)).output
    removed = run(db, "remove", "demo-city", "--sites", str(own))
    assert removed.exit_code == 1 and "move that file out" in removed.output


def test_a_removed_site_is_not_listed_as_failing(db):
    """NU19: after `remove`, `sites --health` says "not watched", with no next try."""
    url = "http://127.0.0.1:9/tzgg/index.html"
    assert run(db, "add", url, "--no-check").exit_code == 0
    with Archive(db) as archive:
        crawl = archive.start_crawl("127.0.0.1")
        archive.finish_crawl(crawl, "failed", {"pages/failed": 2})
    with Archive(db) as archive:
        (column,) = archive.columns("127.0.0.1")
        archive.record_site_outcome("127.0.0.1", {"failures": 2, "backoff_until": "2099-01-01T00:00:00+00:00",
                                                  "last_outcome": "failed", "last_crawl_id": crawl},
                                    columns={column["id"]: {"failures": 2, "last_outcome": "refused",
                                                            "backoff_until": "2099-01-01T00:00:00+00:00"}})
    assert "failing (failed)" in run(db, "sites", "--health").output
    assert run(db, "remove", "127.0.0.1").exit_code == 0
    health = run(db, "sites", "--health")
    assert health.exit_code == 0 and "not watched" in health.output
    assert "failing" not in health.output and "next try" not in health.output
    (row,) = json.loads(run(db, "sites", "--health", "--json").output)
    assert row["health"] == "not watched" and row["backoff_until"] is None


def test_nothing_watched(db):
    listing = run(db, "sites")
    assert listing.exit_code == 0 and "Nothing is watched yet" in listing.output
    for args in (["--due"], ["--all"]):
        result = run(db, "crawl", *args)
        assert result.exit_code == 0 and "Nothing is watched yet" in result.output
    assert run(db, "remove", "http://127.0.0.1:9/x/").exit_code == 1
    assert not db.exists()


@pytest.mark.parametrize("args", [["sites"], ["sites", "--catalogue"], ["crawl", "--due"],
                                  ["remove", "nmpa"], ["remove", "http://127.0.0.1:9/a/"]])
def test_a_file_that_is_not_an_archive_is_an_error_not_an_empty_watch_list(tmp_path, args):
    bad = tmp_path / "notes.db"
    bad.write_text("not a database\n")
    result = run(bad, *args)
    assert result.exit_code == 1, result.output
    assert result.output.strip().endswith("is not a gov-archive database (file is not a database)")
    assert "Nothing is watched" not in result.output and "not watched" not in result.output
    assert bad.read_text() == "not a database\n"


def test_sites_shows_the_default_interval_and_the_name_the_pages_give_a_column(db):
    url = "http://127.0.0.1:9/col/col1/index.html"
    assert run(db, "add", url, "--no-check").exit_code == 0
    listing = run(db, "sites").output
    assert "127.0.0.1  (generic)  every 6h (default)  last: never crawled" in listing
    assert f"\n    {url}  never crawled" in listing  # no title: nothing, not "-"
    with Archive(db) as archive:
        (column_id,) = archive.ensure_columns("127.0.0.1", [(url, None)])
        for n, name in enumerate(["公示公告", "公示公告", "通知公告"]):
            page = {"url": f"http://127.0.0.1:9/art/{n}.html", "title": f"公告{n}", "published": None,
                    "body": "正文。", "metadata": {"column_name": name}, "attachments": []}
            archive.save("127.0.0.1", page, crawl_id=None, column_id=column_id)
    assert f"\n    公示公告  {url}  never crawled" in run(db, "sites").output
    (row,) = json.loads(run(db, "sites", "--json").output)
    assert (row["every"], row["columns"][0]["name"]) == (None, "公示公告")
    assert run(db, "add", url, "--every", "1h", "--title", "公告栏", "--no-check").exit_code == 0
    listing = run(db, "sites").output
    assert "every 1h  last:" in listing and f"\n    公告栏  {url}" in listing


def test_adding_a_watched_column_again_says_what_it_set(db):
    url = "http://127.0.0.1:9/col/col1/index.html"
    assert run(db, "add", url, "--no-check").exit_code == 0
    again = run(db, "add", url, "--every", "1m", "--title", "公示公告", "--no-check").output
    assert again.startswith(f"Already watched: {url} (site 127.0.0.1); now with title 公示公告, every 1m. ")
    assert run(db, "add", url, "--no-check").output.startswith(f"Already watched: {url} (site 127.0.0.1). ")


def test_sites_redis_without_health_is_a_usage_error(tmp_path):
    result = run(tmp_path / "a.db", "sites", "--redis", "redis://127.0.0.1:6379/0")
    assert result.exit_code == 2 and "Traceback" not in result.output
    assert "--redis goes with --health" in result.output


def test_a_removed_columns_alert_no_longer_warns_about_its_site(tmp_path):
    db = tmp_path / "a.db"
    kept, dropped = "http://www.city.gov.cn/tzgg/", "http://www.city.gov.cn/old/"
    with Archive(db, create=True) as archive:
        archive.watch_column("city", kept)
        archive.watch_column("city", dropped)
        crawl = archive.start_crawl("city")
        archive.finish_crawl(crawl, "finished", {"archive/new": 3})
        archive.record_site_outcome("city", {"last_crawl_id": crawl},
                                    health=[("column", f"column {dropped}: HTTP 404", crawl)])

    def city() -> dict:
        rows = json.loads(run(db, "sites", "--health", "--json").stdout)
        return next(row for row in rows if row["site"] == "city")

    assert city()["health"] == "warning"
    assert run(db, "remove", dropped).exit_code == 0
    row = city()
    assert row["health"] == "ok" and [c["url"] for c in row["columns"]] == [kept]
    assert row["last_health_event"]["detail"] == f"column {dropped}: HTTP 404"  # its history stays
