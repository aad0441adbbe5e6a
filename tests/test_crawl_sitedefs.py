"""Site definitions: bundled ones load, user folders merge, malformed ones fail clearly."""

from __future__ import annotations

import json
import re
import tomllib
from datetime import timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner

from crawler.cli import cli
from crawler.sites import (
    BUNDLED_DIR,
    SiteDefError,
    UnknownSite,
    generic_site,
    load_site_file,
    load_sites,
    parse_site,
    pick_sites,
)

GOOD = """
name = "demo-city"
title = "示例市人民政府"
allowed_domains = ["www.example.gov.cn"]
every = "6h"
max_pages = 500

[[columns]]
name = "通知公告"
url = "http://www.example.gov.cn/tzgg/index.html"

[list]
item_selector = "div.list li"
article_pattern = '/t\\d{8}_\\d+\\.html$'
pagination = "trs"

[article]
title = "h1"

[politeness]
download_delay = 2.5
concurrency = 1

[incremental]
stop_after_known_pages = 2
revisit = "3d"
revisit_max = 50

[alerts]
webhook = "https://hooks.example.org/x"
"""


def write(tmp_path: Path, text: str, name: str = "site.toml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_bundled_definitions_load() -> None:
    sites = load_sites(environ={})
    assert "nmpa" in sites
    nmpa = sites["nmpa"]
    assert [c.name for c in nmpa.columns] == ["药品公告通告", "药品监管动态"]
    assert nmpa.every == timedelta(hours=6)
    assert nmpa.politeness.concurrency == 1


def test_full_definition(tmp_path: Path) -> None:
    site = load_site_file(write(tmp_path, GOOD))
    assert site.name == "demo-city" and site.max_pages == 500
    assert site.start_urls == ["http://www.example.gov.cn/tzgg/index.html"]
    assert site.listing.pagination == "trs" and site.listing.item_selector == "div.list li"
    assert site.politeness.download_delay == 2.5
    assert site.incremental.revisit == timedelta(days=3)
    assert site.incremental.stop_after_known_pages == 2
    assert site.alerts == {"webhook": "https://hooks.example.org/x"}
    assert site.home_url == "http://www.example.gov.cn/"


@pytest.mark.parametrize(
    ("change", "key", "problem"),
    [
        (('every = "6h"', 'every = "6x"'), "every", "invalid interval"),
        (('max_pages = 500', 'max_pages = "many"'), "max_pages", "expected an integer"),
        (('name = "demo-city"', 'name = "Demo City"'), "name", "lowercase"),
        (('pagination = "trs"', 'pagination = "magic"'), "list.pagination", "must be one of"),
        (("item_selector = \"div.list li\"", "item_selector = \"div[[\""), "list.item_selector",
         "invalid CSS selector"),
        (("article_pattern = '/t\\d{8}_\\d+\\.html$'", "article_pattern = '(['"),
         "list.article_pattern", "invalid regular expression"),
        (('concurrency = 1', 'concurency = 1'), "politeness.concurency", "unknown key"),
        (('url = "http://www.example.gov.cn/tzgg/index.html"', 'url = "ftp://x"'),
         "columns[0].url", "not an http(s) URL"),
        (('url = "http://www.example.gov.cn/tzgg/index.html"', 'url = "http://other.gov.cn/"'),
         "columns", "not in allowed_domains"),
    ],
)
def test_malformed_definition_names_file_key_problem(tmp_path: Path, change: tuple[str, str],
                                                     key: str, problem: str) -> None:
    old, new = change
    assert old in GOOD
    path = write(tmp_path, GOOD.replace(old, new, 1))
    with pytest.raises(SiteDefError) as info:
        load_site_file(path)
    message = str(info.value)
    assert str(path) in message and f"key '{key}'" in message and problem in message


def test_missing_columns_and_bad_toml(tmp_path: Path) -> None:
    with pytest.raises(SiteDefError, match="key 'columns': missing"):
        load_site_file(write(tmp_path, 'name = "x"\n'))
    with pytest.raises(SiteDefError, match="not valid TOML"):
        load_site_file(write(tmp_path, 'name = "x\n'))


def test_user_folder_overrides_bundled_and_env(tmp_path: Path) -> None:
    user = tmp_path / "mine"
    user.mkdir()
    write(user, GOOD.replace('name = "demo-city"', 'name = "nmpa"'), "nmpa.toml")
    env_dir = tmp_path / "env"
    env_dir.mkdir()
    write(env_dir, GOOD, "demo.toml")
    sites = load_sites(user, environ={"GOV_ARCHIVE_SITES": str(env_dir)})
    assert sites["nmpa"].title == "示例市人民政府"  # the user's definition wins
    assert "demo-city" in sites and "cmse" in sites


def test_duplicate_names_in_one_folder(tmp_path: Path) -> None:
    write(tmp_path, GOOD, "a.toml")
    write(tmp_path, GOOD, "b.toml")
    with pytest.raises(SiteDefError, match="already defined"):
        load_sites(tmp_path, environ={})


def test_intervals(tmp_path: Path) -> None:
    site = load_site_file(write(tmp_path, GOOD.replace('every = "6h"', 'every = "1h30m"'), "a.toml"))
    assert site.every == timedelta(minutes=90)
    with pytest.raises(SiteDefError, match="key 'every'"):
        load_site_file(write(tmp_path, GOOD.replace('every = "6h"', 'every = "soon"'), "b.toml"))


def test_unknown_site_names_are_one_error(tmp_path: Path) -> None:
    defined = load_sites(environ={})
    assert [s.name for s in pick_sites(defined, ["nmpa", "nmpa"])] == ["nmpa"]
    with pytest.raises(UnknownSite, match=r"unknown sites 'x', 'y' \(defined: .*nmpa"):
        pick_sites(defined, ["x", "nmpa", "y"])


def test_generic_site_is_named_after_the_host() -> None:
    site = generic_site("http://127.0.0.1:8080/tzgg/index.html")
    assert site.name == "127.0.0.1" and site.generic
    assert site.allowed_domains == ("127.0.0.1",)


def test_cli_reports_malformed_definition(tmp_path: Path) -> None:
    write(tmp_path, GOOD.replace('every = "6h"', "every = true"), "bad.toml")
    result = CliRunner().invoke(cli, ["crawl", "demo-city", "--sites", str(tmp_path),
                                      "--db", str(tmp_path / "a.db")])
    assert result.exit_code == 1
    assert result.output.startswith("Error: ")
    assert "bad.toml" in result.output and "key 'every'" in result.output
    result = CliRunner().invoke(cli, ["sites", "--sites", str(tmp_path)])
    assert result.exit_code == 1 and "key 'every'" in result.output


def test_cli_unknown_site_and_usage(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["crawl", "no-such-site", "--db", str(tmp_path / "a.db")])
    assert result.exit_code == 2
    assert "Error: Invalid value for SITE: unknown site 'no-such-site'" in result.output
    assert CliRunner().invoke(cli, ["crawl", "--db", str(tmp_path / "a.db")]).exit_code == 2
    assert not (tmp_path / "a.db").exists()


@pytest.mark.parametrize("command", ["crawl", "watch", "notify"])
def test_unknown_sites_are_the_same_usage_error_everywhere(tmp_path: Path, command: str) -> None:
    (tmp_path / "a.db").touch()  # notify needs an archive file before it looks at names
    result = CliRunner().invoke(cli, ["--db", str(tmp_path / "a.db"), command, "nmpa", "nope"])
    assert result.exit_code == 2, result.output
    assert "Error: Invalid value for SITE: unknown site 'nope' (defined: " in result.output


def test_cli_sites_lists_definitions(tmp_path: Path) -> None:
    write(tmp_path, GOOD, "demo.toml")
    result = CliRunner().invoke(cli, ["--db", str(tmp_path / "none.db"), "sites", "--json",
                                      "--sites", str(tmp_path)])
    assert result.exit_code == 0, result.output
    rows = {r["name"]: r for r in json.loads(result.output)}
    assert rows["demo-city"]["every"] == "6h"
    assert rows["demo-city"]["columns"][0]["name"] == "通知公告"
    assert rows["demo-city"]["last_crawl"] is None and rows["demo-city"]["watched"]
    assert "nmpa" not in rows  # the bundled definitions are a catalogue: listed apart
    result = CliRunner().invoke(cli, ["--db", str(tmp_path / "none.db"), "sites", "--catalogue",
                                      "--json"])
    catalogue = {r["name"]: r for r in json.loads(result.output)}
    assert catalogue["nmpa"]["watched"] is False and catalogue["nmpa"]["columns"]
    assert "demo-city" not in catalogue


def test_documented_example_is_valid() -> None:
    text = (BUNDLED_DIR.parent / "README.md").read_text(encoding="utf-8")
    example = re.search(r"```toml\n(.*?)```", text, re.S)
    assert example is not None
    site = parse_site(tomllib.loads(example.group(1)), "README.md")
    assert site.name == "city" and len(site.columns) == 2 and site.alerts["kinds"]


def test_generic_site_allows_the_gov_sites_other_hosts() -> None:
    site = generic_site("https://www.example.gov.cn/tzgg/index.html")
    assert site.name == "www.example.gov.cn"
    assert site.allowed_domains == ("example.gov.cn",)
    assert generic_site("http://127.0.0.1:8000/list/").allowed_domains == ("127.0.0.1",)
