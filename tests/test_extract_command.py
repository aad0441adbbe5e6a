"""The `extract` click command (invoked directly; crawler/cli/__init__.py registers it)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner
from helpers_extract import corpus_page
from helpers_http import RouteServer, serve_routes

from crawler.cli.extract import extract_command
from crawler.http import user_agent

PUBLIC_KEYS = {"title", "published", "body", "metadata", "attachments", "encoding", "date_source", "page_class"}


@pytest.fixture
def page_file(tmp_path: Path) -> tuple[Path, dict]:
    raw, truth = corpus_page("002")
    path = tmp_path / "page.html"
    path.write_bytes(raw)
    return path, truth


def test_json_output_has_public_keys(page_file) -> None:
    path, truth = page_file
    result = CliRunner().invoke(extract_command, [str(path), "--url", truth["url"], "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data.keys() >= PUBLIC_KEYS
    assert data["title"] == truth["title"]
    assert data["published"].startswith("2019-09-18")
    assert data["page_class"] == "article"
    assert data["url"] == truth["url"]


def test_text_output(page_file) -> None:
    path, _ = page_file
    result = CliRunner().invoke(extract_command, [str(path)])
    assert result.exit_code == 0
    assert "Title:       山西品牌丝路行（南美站）正式启动" in result.output
    assert "Class:       article" in result.output


def test_missing_file_is_one_line_error(tmp_path: Path) -> None:
    result = CliRunner().invoke(extract_command, [str(tmp_path / "nope.html")])
    assert result.exit_code == 1
    assert result.output.strip().startswith("Error: no such file")
    assert "Traceback" not in result.output


def test_a_folder_is_named_a_folder(tmp_path: Path) -> None:
    result = CliRunner().invoke(extract_command, [str(tmp_path)])
    assert result.exit_code == 1
    assert result.output == f"Error: {tmp_path} is a folder: give a saved page (a file) or a URL\n"


def test_unreachable_url_is_one_line_error() -> None:
    result = CliRunner().invoke(extract_command, ["http://127.0.0.1:9/x.html", "--timeout", "2"])
    assert result.exit_code == 1
    assert result.output.startswith("Error: cannot fetch http://127.0.0.1:9/x.html")
    assert len(result.output.strip().splitlines()) == 1


@pytest.fixture
def server() -> Iterator[RouteServer]:
    with serve_routes() as running:
        yield running


def test_fetches_url_with_header_charset(server: RouteServer) -> None:
    html = ("<html><head><meta charset='utf-8'><title>关于做好春耕工作的通知_某县人民政府</title></head><body>"
            "<h1>关于做好春耕工作的通知</h1><p class='info'>发布日期：2023-02-28</p><div class='TRS_Editor'>"
            "<p>各乡镇：现将春耕有关工作通知如下，请认真抓好落实。</p><p>二〇二三年二月二十七日</p></div></body></html>")
    server.pages["/a/t20230228_1.html"] = (200, {"Content-Type": "text/html; charset=gbk"},
                                           html.encode("gbk"))
    result = CliRunner().invoke(extract_command, [server.url("/a/t20230228_1.html"), "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["title"] == "关于做好春耕工作的通知"
    assert data["encoding"] == "gb18030" and data["declared_encoding"] == "gbk"
    assert data["published"] == "2023-02-28"


def test_challenge_status_is_reported_not_an_error(server: RouteServer) -> None:
    server.pages["/x"] = (412, {"Content-Type": "text/html"},
                          b"<html><script>$_ts=window['$_ts'];</script></html>")
    result = CliRunner().invoke(extract_command, [server.url("/x"), "--json"])
    assert result.exit_code == 0
    assert json.loads(result.output)["page_class"] == "antibot"


@pytest.mark.parametrize(("status", "phrase"), [(404, "Not Found"), (410, "Gone"),
                                                (500, "Internal Server Error")])
def test_an_http_error_is_reported_with_its_status(server: RouteServer, status: int, phrase: str) -> None:
    server.pages["/gone.html"] = (status, {"Content-Type": "text/html"},
                                  "<html><body><h1>页面不存在</h1><p>您访问的页面不存在。</p></body></html>".encode())
    for args in ([], ["--json"]):
        result = CliRunner().invoke(extract_command, [server.url("/gone.html"), *args])
        assert result.exit_code == 1
        assert result.stderr == f"Error: HTTP {status} {phrase}: {server.url('/gone.html')}\n"
        assert result.stdout == ""


def test_a_url_is_fetched_as_add_fetches_it(server: RouteServer) -> None:
    """One fetch helper (crawler/service/probe.py) and one User-Agent (crawler/http.py)."""
    server.pages["/a.html"] = (200, {"Content-Type": "text/html"},
                               "<html><body><h1>关于开展检查的通知</h1><p>正文。</p></body></html>".encode())
    assert CliRunner().invoke(extract_command, [server.url("/a.html")]).exit_code == 0
    (_method, _path, headers), *_ = [entry for entry in server.log if entry[1] == "/a.html"]
    assert {k.lower(): v for k, v in headers.items()}["user-agent"] == user_agent()


@pytest.mark.parametrize("url", ["http://[::1", "http://"])
def test_a_malformed_url_is_a_usage_error(url: str) -> None:
    result = CliRunner().invoke(extract_command, [url])
    assert result.exit_code == 2 and "Traceback" not in result.output
    assert "Invalid value for FILE_OR_URL" in result.output
