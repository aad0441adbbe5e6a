"""Malformed crawl arguments are usage errors (exit 2), caught before the archive is touched."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from crawler.cli import cli


@pytest.mark.parametrize("url", ["not-a-url", "ftp://www.example.gov.cn/a.html", "http://"])
def test_bad_url_is_a_usage_error(tmp_path, url):
    db = tmp_path / "a.db"
    result = CliRunner().invoke(cli, ["crawl", "--db", str(db), "--url", url])
    assert result.exit_code == 2, result.output
    assert f"Error: --url: not an http(s) URL: {url!r}" in result.output
    assert "Traceback" not in result.output and not db.exists()
