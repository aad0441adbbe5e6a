"""new, changes and export: the event time axis, back-dating, --exit-code, output formats."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

import pytest
from helpers_cli import URL_A, URL_B, URL_C, URL_D, build_archive, run


@pytest.fixture(scope="module")
def populated(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Any]]:
    path = tmp_path_factory.mktemp("cli_events") / "archive.db"
    return path, build_archive(path)


def test_new_selects_by_first_seen(populated) -> None:
    db, _ = populated
    recent = json.loads(run(db, "new", "--since", "2d", "--json").stdout)
    assert {e["url"] for e in recent} == {URL_B, URL_D}
    everything = json.loads(run(db, "new", "--json").stdout)
    assert {e["url"] for e in everything} == {URL_A, URL_B, URL_C, URL_D}


def test_new_json_records(populated) -> None:
    db, _ = populated
    events = json.loads(run(db, "new", "--since", "2d", "--json").stdout)
    for event in events:
        assert event["kind"] == "new"
        for key in ("url", "time", "title", "published", "site", "first_seen", "backdated"):
            assert key in event


def test_new_flags_backdated_only_on_known_sites(populated) -> None:
    db, _ = populated
    events = {e["url"]: e for e in json.loads(run(db, "new", "--json").stdout)}
    assert events[URL_B]["backdated"] is True  # a year old, site crawled before
    assert events[URL_D]["backdated"] is False  # very old, but the site's first crawl
    assert events[URL_A]["backdated"] is False
    assert events[URL_C]["backdated"] is False


def test_new_table_shows_both_dates_and_flag(populated) -> None:
    db, info = populated
    result = run(db, "new", "--since", "2d")
    assert result.exit_code == 0, result.output
    header, *rows = result.stdout.splitlines()
    assert header.split() == ["ID", "FIRST", "SEEN", "(UTC)", "PUBLISHED", "SITE", "NOTE", "TITLE"]
    row_b = next(r for r in rows if "2025年税收统计公告" in r)
    assert "2025-11-01" in row_b
    assert "back-dated" in row_b
    assert info["times"]["crawl2"].strftime("%Y-%m-%d") in row_b


def test_new_site_filter(populated) -> None:
    db, _ = populated
    events = json.loads(run(db, "new", "--site", "other-gov", "--json").stdout)
    assert [e["url"] for e in events] == [URL_D]


def test_new_absolute_since(populated) -> None:
    db, info = populated
    since = info["times"]["crawl3"].strftime("%Y-%m-%dT%H:%M:%S+00:00")
    events = json.loads(run(db, "new", "--since", since, "--json").stdout)
    assert [e["url"] for e in events] == [URL_D]


def test_new_nl_and_csv(populated) -> None:
    db, _ = populated
    lines = run(db, "new", "--since", "2d", "--nl").stdout.splitlines()
    assert {json.loads(line)["url"] for line in lines} == {URL_B, URL_D}
    rows = list(csv.DictReader(io.StringIO(run(db, "new", "--since", "2d", "--csv").stdout)))
    assert {r["url"] for r in rows} == {URL_B, URL_D}
    assert {r["backdated"] for r in rows} == {"True", "False"}


def test_new_exit_code(populated) -> None:
    db, _ = populated
    assert run(db, "new", "--since", "2d", "--exit-code").exit_code == 1
    quiet = run(db, "new", "--since", "30m", "--exit-code")
    assert quiet.exit_code == 0, quiet.output
    assert "Nothing new" in quiet.stderr
    assert run(db, "new", "--since", "2d").exit_code == 0


def test_bad_since_is_usage_error(populated) -> None:
    db, _ = populated
    for command in ("new", "changes", "export"):
        result = run(db, command, "--since", "yesterday")
        assert result.exit_code == 2, command
        assert "Invalid value for '--since'" in result.stderr
        assert "Traceback" not in result.output


def test_changes_default_kinds(populated) -> None:
    db, _ = populated
    events = json.loads(run(db, "changes", "--json").stdout)
    assert [(e["kind"], e["url"]) for e in events] == [("changed", URL_A), ("gone", URL_C)]
    for event in events:
        for key in ("url", "kind", "time", "title", "site", "version"):
            assert key in event


def test_changes_kind_and_since(populated) -> None:
    db, _ = populated
    gone = json.loads(run(db, "changes", "--kind", "gone", "--json").stdout)
    assert [e["url"] for e in gone] == [URL_C]
    recent = json.loads(run(db, "changes", "--since", "2h", "--json").stdout)
    assert [e["kind"] for e in recent] == ["gone"]
    bad = run(db, "changes", "--kind", "new")
    assert bad.exit_code == 2


def test_changes_table(populated) -> None:
    db, _ = populated
    result = run(db, "changes")
    header, *rows = result.stdout.splitlines()
    assert header.split()[:3] == ["TIME", "(UTC)", "KIND"]
    assert [r.split()[2] for r in rows] == ["changed", "gone"]


def test_changes_exit_code(populated) -> None:
    db, _ = populated
    assert run(db, "changes", "--exit-code").exit_code == 1
    assert run(db, "changes", "--kind", "restored", "--exit-code").exit_code == 0


def test_changes_nl_and_csv(populated) -> None:
    db, _ = populated
    assert len(run(db, "changes", "--nl").stdout.splitlines()) == 2
    rows = list(csv.DictReader(io.StringIO(run(db, "changes", "--csv").stdout)))
    assert [r["kind"] for r in rows] == ["changed", "gone"]


def test_export_jsonl_default(populated) -> None:
    db, _ = populated
    result = run(db, "export")
    assert result.exit_code == 0, result.output
    docs = [json.loads(line) for line in result.stdout.splitlines()]
    assert {d["url"] for d in docs} == {URL_A, URL_B, URL_C, URL_D}
    for key in ("title", "published", "body", "site", "first_seen", "status"):
        assert key in docs[0]


def test_export_formats_agree(populated) -> None:
    db, _ = populated
    nl = [json.loads(x) for x in run(db, "export", "--site", "example-gov").stdout.splitlines()]
    array = json.loads(run(db, "export", "--site", "example-gov", "--json").stdout)
    rows = list(csv.DictReader(io.StringIO(run(db, "export", "--format", "csv",
                                                "--site", "example-gov").stdout)))
    assert [d["url"] for d in nl] == [d["url"] for d in array] == [r["url"] for r in rows]
    assert json.loads(rows[0]["metadata"]) == nl[0]["metadata"]
    assert run(db, "export", "--format", "csv", "--nl").exit_code == 2


def test_export_to_file(populated, tmp_path: Path) -> None:
    db, _ = populated
    out = tmp_path / "out.csv"
    result = run(db, "export", "--csv", "-o", str(out))
    assert result.exit_code == 0, result.output
    assert result.stdout == ""
    with out.open(encoding="utf-8") as f:
        assert len(list(csv.DictReader(f))) == 4
    assert [p.name for p in tmp_path.iterdir()] == ["out.csv"]  # no temp file left


def test_export_since(populated) -> None:
    db, _ = populated
    docs = [json.loads(x) for x in run(db, "export", "--since", "2d").stdout.splitlines()]
    assert URL_A in {d["url"] for d in docs}
    assert URL_D in {d["url"] for d in docs}
