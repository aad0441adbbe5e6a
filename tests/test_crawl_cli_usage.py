"""Malformed crawl arguments are usage errors (exit 2), caught before the archive is touched."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from crawler.cli import cli


@pytest.mark.parametrize(("url", "message"), [
    ("not-a-url", "not an http(s) URL: 'not-a-url'"),
    ("ftp://www.example.gov.cn/a.html", "not an http(s) URL: 'ftp://www.example.gov.cn/a.html'"),
    ("file://www.example.gov.cn/etc/passwd", "not an http(s) URL"),
    ("http://", "'http://' has no host"),
    ("http://[::1", "'http://[::1' is not a valid URL (invalid ipv6 url)"),
    ("http://exa mple.com/", "'http://exa mple.com/' is not a valid URL (spaces"),
    ("http://127.0.0.1:99999/", "'http://127.0.0.1:99999/' is not a valid URL (port out of range"),
    ("http://127.0.0.1:0/", "'http://127.0.0.1:0/': port 0 is not a valid port"),
    ("http://-bad-.gov.cn/", "'http://-bad-.gov.cn/': '-bad-.gov.cn' is not a valid host name"),
])
def test_bad_url_is_a_usage_error(tmp_path, url, message):
    db = tmp_path / "a.db"
    result = CliRunner().invoke(cli, ["crawl", "--db", str(db), "--url", url])
    assert result.exit_code == 2, result.output
    assert f"Error: --url: {message}" in result.output
    assert "Traceback" not in result.output and not db.exists()
