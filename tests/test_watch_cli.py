"""The `watch` click command: usage errors, and one real pass over the demo site."""

from __future__ import annotations

import subprocess
import sys

import click
import pytest
from click.testing import CliRunner
from helpers_watch import receiver

from archive import Archive
from crawler.cli.options import CliState
from crawler.cli.watch import notify_command, watch_command
from crawler.demo.server import DemoServer
from crawler.demo.site import demo_site


@click.group()
@click.option("--db", "db_path", default="archive.db")
@click.pass_context
def group(ctx: click.Context, db_path: str) -> None:
    ctx.obj = CliState(db_path=db_path)  # what the real `gov-archive` group passes down


group.add_command(watch_command)
group.add_command(notify_command)


@pytest.fixture
def sites(tmp_path, monkeypatch):
    monkeypatch.delenv("GOV_ARCHIVE_SITES", raising=False)
    folder = tmp_path / "sites"
    folder.mkdir()
    return folder


def run(*args: str):
    return CliRunner().invoke(group, list(args))


def test_usage_errors_exit_2(sites):
    assert run("watch", "no-such-site", "--sites", str(sites)).exit_code == 2
    result = run("watch", "--interval", "often", "--sites", str(sites))
    assert result.exit_code == 2 and "bad interval" in result.output
    assert run("watch", "--max-parallel", "0").exit_code == 2
    assert run("watch", "-s", "DOWNLOAD_DELAY").exit_code == 2


def test_missing_db_folder_is_an_error_not_a_traceback(sites, tmp_path):
    result = run("watch", "--db", str(tmp_path / "no" / "gov.db"), "--once")
    assert result.exit_code == 1 and "Error: folder" in result.output


def test_once_crawls_the_demo_site_and_delivers_its_events(sites, tmp_path, monkeypatch):
    """The real `crawl` in a child process, the group's --db, and the --webhook sink."""
    monkeypatch.chdir(tmp_path)
    site = demo_site()
    with DemoServer(site) as server, receiver() as hook:
        (sites / "demo.toml").write_text(
            f'name = "demo"\nevery = "1d"\nstart_urls = ["{server.url("/tzgg/index.html")}"]\n',
            encoding="utf-8")
        command = ("--db", "gov.db", "watch", "demo", "--sites", str(sites), "--once",
                   "--webhook", hook.url, "-s", "DOWNLOAD_DELAY=0", "-s", "AUTOTHROTTLE_ENABLED=False")
        result = run(*command)
        assert result.exit_code == 0, result.output
        with Archive(tmp_path / "gov.db") as archive:
            crawls = archive.crawls(site="demo")
            new = archive.events(kinds=["new"], site="demo")
            assert [c["outcome"] for c in crawls] == ["finished"]
            assert archive.site_state("demo")["last_crawl_id"] == crawls[0]["id"]
        assert len(new) >= 10
        assert sorted(hook.event_ids) == [e["id"] for e in new]
        assert run(*command).exit_code == 0  # not due again for a day: nothing crawled or sent
        with Archive(tmp_path / "gov.db") as archive:
            assert len(archive.crawls(site="demo")) == 1
        assert len(hook.event_ids) == len(new)


def test_notify_books_outside_crawls_and_delivers_once(sites, tmp_path):
    db = tmp_path / "gov.db"
    (sites / "demo.toml").write_text('name = "demo"\nstart_urls = ["http://127.0.0.1:9/tzgg/"]\n',
                                     encoding="utf-8")
    with Archive(db, create=True) as archive:  # a crawl that ran under Scrapyd
        crawl_id = archive.start_crawl("demo")
        archive.finish_crawl(crawl_id, "blocked", {"pages/antibot": 3})
    with receiver([500, 500, 500]) as hook:
        args = ("--db", str(db), "notify", "demo", "--sites", str(sites), "--webhook", hook.url)
        first = run(*args)
        assert first.exit_code == 1 and "kept for the next run" in first.output
        assert "health alert (blocked)" in first.output
        second = run(*args)
        assert second.exit_code == 0 and "delivered 1 event(s)" in second.output
        assert run(*args).exit_code == 0
        assert [e["kind"] for r in hook.requests for e in r["events"]] == ["health"]
    with Archive(db) as archive:
        assert archive.site_state("demo")["failures"] == 1
    assert run("--db", str(tmp_path / "none.db"), "notify").exit_code == 1


def test_notify_says_a_failed_delivery_once(tmp_path):
    db = tmp_path / "gov.db"
    with Archive(db, create=True) as archive:
        crawl_id = archive.start_crawl("demo")
        archive.save("demo", {"url": "http://www.example.gov.cn/a.html", "title": "通知",
                              "body": "正文", "attachments": []}, crawl_id=crawl_id)
        archive.finish_crawl(crawl_id, "finished", {"archive/new": 1})
    refused = "http://127.0.0.1:1/hook"  # nothing listens on port 1: connection refused
    proc = subprocess.run([sys.executable, "-m", "crawler", "--db", str(db), "notify", "--webhook", refused],
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 1
    assert proc.stderr.count("unreachable") == 1, proc.stderr  # the report's line, not also a log line
