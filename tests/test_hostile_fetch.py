"""One-off fetches (`extract URL`, webhooks) have a total deadline and a size cap: a server that
drips one byte at a time or never answers cannot hold them (the timeout used to be per read)."""

from __future__ import annotations

import time

import pytest
from click.testing import CliRunner
from helpers_hostile import Drip, Hang, HostileServer, article

from crawler.cli import cli
from crawler.service.httpclient import FetchError, fetch, split_credentials


@pytest.mark.parametrize("behaviour", [Drip(pause=0.1), Hang()])
def test_extract_gives_up_at_its_deadline(behaviour):
    with HostileServer(behaviours={"/slow.html": behaviour}) as server:
        started = time.monotonic()
        result = CliRunner().invoke(cli, ["extract", server.url("/slow.html"), "--timeout", "1.5"])
        elapsed = time.monotonic() - started
    assert result.exit_code == 1, result.output
    assert "no complete answer within 1.5s" in result.output and "Traceback" not in result.output
    assert elapsed < 3.5, f"took {elapsed:.1f}s"


def test_extract_of_a_malformed_url_is_one_line():
    result = CliRunner().invoke(cli, ["extract", "http://[::1"])
    assert result.exit_code == 2  # a bad argument: a usage error, as for `crawl --url`
    assert result.output.splitlines()[-1] == ("Error: Invalid value for FILE_OR_URL: 'http://[::1' "
                                              "is not a valid URL (invalid ipv6 url)")
    assert "Traceback" not in result.output


def test_extract_still_reads_ordinary_pages():
    with HostileServer({"/a.html": article(1)}) as server:
        result = CliRunner().invoke(cli, ["extract", server.url("/a.html")])
    assert result.exit_code == 0, result.output
    assert "关于第1项工作的通知" in result.output


def test_answers_above_the_cap_are_not_read():
    big = (200, {"Content-Type": "text/html"}, b"x" * 200_000)
    with HostileServer({"/big.html": big}) as server, pytest.raises(FetchError, match="larger"):
        fetch(server.url("/big.html"), timeout=5, max_bytes=100_000)


def test_error_pages_are_answers_not_errors():
    with HostileServer() as server:
        answer = fetch(server.url("/missing.html"), timeout=5, max_bytes=100_000)
    assert answer.status == 404 and b"Not Found" in answer.body


def test_credentials_become_an_authorization_header():
    url, auth = split_credentials("https://user%40x:p%3Aw@hooks.example:8443/h?t=1")
    assert url == "https://hooks.example:8443/h?t=1"
    assert auth == "Basic dXNlckB4OnA6dw=="  # user@x:p:w
    assert split_credentials("https://hooks.example/h") == ("https://hooks.example/h", None)
