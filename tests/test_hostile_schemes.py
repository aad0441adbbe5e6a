"""Only http and https are ever requested, whatever a page, a redirect, a site file or a
command line says: a test per place a URL enters."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner
from helpers_crawl import run_crawl, summary
from helpers_hostile import HostileServer, article, column
from scrapy.exceptions import IgnoreRequest
from scrapy.http import Request
from scrapy.utils.test import get_crawler

from archive import Archive
from crawler.cli import cli
from crawler.middlewares import REFUSED_SCHEME_STAT, WebOnlyMiddleware
from crawler.sites import SiteDefError, parse_site

LOCAL_LINKS = '<a href="file:///etc/passwd">x</a><a href="ftp://127.0.0.1/x.html">y</a>'


def _local_dataproxy(tmp_path: Path, server_url: str) -> Path:
    """A local file that looks like a Hanweb dataproxy.jsp answer listing a "secret" article."""
    proxy = tmp_path / "dataproxy.jsp"
    proxy.write_text(
        '<?xml version="1.0" encoding="UTF-8"?><datastore><totalrecord>1</totalrecord>'
        "<totalpage>1</totalpage><recordset><record><![CDATA[<li><a href="
        f'"{server_url}/secret/1.html" title="本地文件里的通知">本地文件里的通知</a>'
        "<span>[2024-02-01]</span></li>]]></record></recordset></datastore>", encoding="utf-8")
    return proxy


def _archived_urls(db: Path) -> list[str]:
    with Archive(db) as archive:
        return sorted(d["url"] for d in archive.export())


def test_a_list_page_naming_local_files_reads_none_of_them(tmp_path: Path) -> None:
    pages = {"/secret/1.html": article(9), "/a/1.html": article(1)}
    with HostileServer(pages) as server:
        proxy = _local_dataproxy(tmp_path, server.base_url)
        # The dataproxy URL names the site's own host, as in the issue: file://127.0.0.1/...
        script = (f"<script>$('#9').jpage({{dataproxy: 'file://127.0.0.1{proxy}?page=1"
                  "&appid=1&webid=1&columnid=88', perPage: 1});</script>")
        server.pages["/list/index.html"] = column(["/a/1.html", "file:///etc/hostname"],
                                                  LOCAL_LINKS + script)
        db = tmp_path / "a.db"
        proc = run_crawl(db, "--url", server.url("/list/index.html"))
        assert server.hits("/secret/") == 0
    stats = summary(proc)["sites"][0]["stats"]
    assert stats.get(REFUSED_SCHEME_STAT, 0) >= 1, proc.stderr[-2000:]
    assert _archived_urls(db) == [server.url("/a/1.html")]


@pytest.mark.parametrize("scheme", ["file", "ftp"])
def test_a_pager_naming_another_scheme_is_refused_and_counted(tmp_path: Path, scheme: str) -> None:
    # The pager a list page's script names (Hanweb's dataproxy.jsp): the next page's URL goes
    # to the spider as written. A <a>下一页</a> link of another scheme never gets that far: the
    # list extractor keeps only http(s) links (the next test).
    pages = {"/secret/1.html": article(9), "/a/1.html": article(1)}
    with HostileServer(pages) as server:
        proxy = _local_dataproxy(tmp_path, server.base_url)
        server.pages["/list/dataproxy.jsp"] = (200, {"Content-Type": "text/xml"}, proxy.read_bytes())
        where = f"127.0.0.1{proxy}" if scheme == "file" else server.base_url.split("://", 1)[1] + "/list/dataproxy.jsp"
        script = (f"<script>$('#9').jpage({{dataproxy: '{scheme}://{where}?page=1"
                  "&appid=1&webid=1&columnid=88', perPage: 1});</script>")
        server.pages["/list/index.html"] = column(["/a/1.html"], script)
        db = tmp_path / "a.db"
        proc = run_crawl(db, "--url", server.url("/list/index.html"))
        assert server.hits("/secret/") == 0 and server.hits("/list/dataproxy.jsp") == 0
    stats = summary(proc)["sites"][0]["stats"]
    assert stats.get(REFUSED_SCHEME_STAT) == 1, proc.stderr[-2000:]
    assert f"Not following a non-http(s) URL: {scheme}://" in proc.stderr
    assert _archived_urls(db) == [server.url("/a/1.html")]


@pytest.mark.parametrize("href", ["file:///etc/passwd", "ftp://127.0.0.1/list/index_1.html"])
def test_a_next_page_link_of_another_scheme_is_no_next_page(tmp_path: Path, href: str) -> None:
    pages = {"/a/1.html": article(1), "/list/index_1.html": column(["/a/2.html"]),
             "/a/2.html": article(2)}
    with HostileServer(pages) as server:
        pager = f'<div class="page"><a href="{href}">下一页</a></div>'
        server.pages["/list/index.html"] = column(["/a/1.html"], pager)
        db = tmp_path / "a.db"
        proc = run_crawl(db, "--url", server.url("/list/index.html"), "--full")
        assert server.hits("/list/index_1.html") == 0 and server.hits("/a/2.html") == 0
    assert summary(proc)["sites"][0]["stats"]["archive/new"] == 1
    assert _archived_urls(db) == [server.url("/a/1.html")]


def test_a_redirect_to_a_local_file_is_not_followed(tmp_path: Path) -> None:
    pages = {"/list/index.html": column(["/a/1.html", "/a/2.html"]), "/a/1.html": article(1),
             "/a/2.html": (302, {"Location": "file:///etc/passwd"}, b"")}
    with HostileServer(pages) as server:
        db = tmp_path / "a.db"
        proc = run_crawl(db, "--url", server.url("/list/index.html"))
    assert summary(proc)["sites"][0]["stats"]["archive/new"] == 1
    assert _archived_urls(db) == [server.url("/a/1.html")]


@pytest.mark.parametrize("url", ["file:///etc/passwd", "file://127.0.0.1/etc/passwd",
                                 "ftp://127.0.0.1/a", "data:text/html,<p>x", "s3://bucket/key"])
def test_the_downloader_guard_refuses_other_schemes_and_counts_them(url: str) -> None:
    crawler = get_crawler()
    crawler.stats.open_spider()
    guard = WebOnlyMiddleware.from_crawler(crawler)
    with pytest.raises(IgnoreRequest):
        guard.process_request(Request(url))
    assert crawler.stats.get_value(REFUSED_SCHEME_STAT) == 1
    assert guard.process_request(Request("https://www.example.gov.cn/a.html")) is None


def test_the_crawl_settings_have_no_handler_for_local_schemes() -> None:
    from crawler.service.overrides import project_settings  # noqa: PLC0415 — Scrapy settings

    handlers = project_settings().getdict("DOWNLOAD_HANDLERS")
    assert {"file", "ftp", "s3", "data"} <= {k for k, v in handlers.items() if v is None}


@pytest.mark.parametrize(("key", "table"), [
    ("columns[0].url", {"columns": [{"url": "file:///etc/passwd"}]}),
    ("start_urls[0]", {"start_urls": ["ftp://www.example.gov.cn/"]}),
    ("home", {"columns": [{"url": "https://www.example.gov.cn/"}], "home": "file:///"}),
    ("alerts.webhook", {"columns": [{"url": "https://www.example.gov.cn/"}],
                        "alerts": {"webhook": "file:///tmp/hook"}}),
])
def test_site_files_name_only_web_urls(key: str, table: dict) -> None:
    with pytest.raises(SiteDefError, match=f"key '{re.escape(key)}'.*not an http"):
        parse_site({"name": "x", **table}, "x.toml")


@pytest.mark.parametrize("args", [
    ["crawl", "--url", "file:///etc/passwd"],
    ["crawl", "--url", "http://127.0.0.1:9/", "--webhook", "file:///tmp/hook"],
    ["notify", "--webhook", "data:text/plain,x"],
    ["watch", "no-such-site", "--webhook", "ftp://127.0.0.1/hook"],  # never crawls: no such site
])
def test_command_lines_take_only_web_urls(tmp_path: Path, args: list[str]) -> None:
    result = CliRunner().invoke(cli, ["--db", str(tmp_path / "a.db"), *args])
    assert result.exit_code == 2, result.output
    assert "not an http(s) URL" in result.output and "Traceback" not in result.output
    assert not (tmp_path / "a.db").exists()


def test_extract_never_fetches_other_schemes(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["extract", "file:///etc/passwd", "--json"])
    assert result.exit_code == 1 and "no such file" in result.output  # a path, not a URL
    with HostileServer({"/a": (302, {"Location": "file:///etc/passwd"}, b"")}) as server:
        result = CliRunner().invoke(cli, ["extract", server.url("/a"), "--json"])
    assert result.exit_code == 1, result.output
    assert "redirect to a non-http(s) URL" in result.output
    assert "root:" not in result.output and not result.output.lstrip().startswith("{")
    json.dumps(result.output)
