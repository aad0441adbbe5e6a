"""Bad `-s NAME=VALUE` values are usage errors (exit 2) caught before anything is crawled."""

from __future__ import annotations

import click
import pytest
from click.testing import CliRunner

from crawler.cli import cli
from crawler.cli.options import settings_option
from crawler.service.overrides import BadSetting, check_setting


@pytest.mark.parametrize(("pair", "message"), [
    ("DOWNLOAD_DELAY=abc", "-s DOWNLOAD_DELAY: 'abc' is not a number"),
    ("DOWNLOAD_TIMEOUT=x", "-s DOWNLOAD_TIMEOUT: 'x' is not a number"),
    ("AUTOTHROTTLE_ENABLED=maybe", "-s AUTOTHROTTLE_ENABLED: 'maybe' is not a boolean"),
    ("CLOSESPIDER_PAGECOUNT=abc", "-s CLOSESPIDER_PAGECOUNT: 'abc' is not a whole number"),
    ("LOG_LEVEL=BOGUS", "-s LOG_LEVEL: 'BOGUS' is not a log level"),
    ("GONE_MAX_SHARE=most", "-s GONE_MAX_SHARE: 'most' is not a number"),
    ("GONE_MIN_COUNT=2.5", "-s GONE_MIN_COUNT: '2.5' is not a whole number"),
    ("DOWNLOAD_DELAI=0", "-s DOWNLOAD_DELAI: unknown setting; did you mean DOWNLOAD_DELAY?"),
    ("NOSUCHSETTING=1", ("-s NOSUCHSETTING: unknown setting (a setting of your own components "
                         "passes with --allow-unknown-settings)")),
])
def test_bad_setting_is_a_usage_error_before_crawling(tmp_path, pair, message):
    db = tmp_path / "a.db"
    result = CliRunner().invoke(cli, ["crawl", "--db", str(db), "--url",
                                      "http://127.0.0.1:9/list.html", "-s", pair])
    assert result.exit_code == 2, result.output
    assert f"Error: {message}" in result.output
    assert "Traceback" not in result.output and "no page could be fetched" not in result.output
    assert not db.exists()


@pytest.mark.parametrize(("name", "value", "expected"), [
    ("DOWNLOAD_DELAY", "0.5", "0.5"), ("DOWNLOAD_TIMEOUT", "7.5", "7.5"),
    ("AUTOTHROTTLE_ENABLED", "0", "0"), ("AUTOTHROTTLE_ENABLED", "True", "True"),
    ("CLOSESPIDER_PAGECOUNT", "10", "10"), ("LOG_LEVEL", "info", "INFO"),
    ("GONE_MAX_SHARE", "0.5", "0.5"), ("GONE_MIN_COUNT", "10", "10"),
    ("USER_AGENT", "anything", "anything"), ("MY_OWN_SETTING", "x", "x"),
])
def test_good_settings_pass(name, value, expected):
    assert check_setting(name, value) == expected


def test_unknown_names_pass_when_allowed(tmp_path):
    """NU17: the documented escape for a setting of the user's own pipeline."""
    @click.command()
    @settings_option
    def show(settings):
        click.echo(sorted(settings))

    assert CliRunner().invoke(show, ["-s", "MYPIPE_URL=x"]).exit_code == 2
    allowed = CliRunner().invoke(show, ["-s", "MYPIPE_URL=x", "--allow-unknown-settings"])
    assert allowed.exit_code == 0 and "MYPIPE_URL" in allowed.output


def test_whole_number_settings_reject_fractions():
    with pytest.raises(BadSetting):
        check_setting("CLOSESPIDER_PAGECOUNT", "1.5")
