"""search, show, history, diff and stats on a small archive, in every output format."""

from __future__ import annotations

import csv
import io
import json
import re
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from helpers_cli import URL_A, URL_B, URL_C, build_archive, run

from archive.migrations import SCHEMA_VERSION


@pytest.fixture(scope="module")
def populated(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Any]]:
    path = tmp_path_factory.mktemp("cli_query") / "archive.db"
    return path, build_archive(path)


def test_search_table(populated) -> None:
    db, _ = populated
    result = run(db, "search", "法治")
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0].split() == ["ID", "PUBLISHED", "SITE", "STATUS", "TITLE", "SNIPPET"]
    assert "关于开展法治宣传工作的通知" in result.stdout
    assert "关于开展[法治]宣传工作的通知" in lines[1]  # the snippet, match marked


def test_search_single_character(populated) -> None:
    db, _ = populated
    result = run(db, "search", "税", "--json")
    assert result.exit_code == 0, result.output
    hits = json.loads(result.stdout)
    assert [h["title"] for h in hits] == ["2025年税收统计公告"]
    assert {"url", "title", "published", "body", "site", "first_seen", "status"} <= set(hits[0])


def test_search_takes_several_words(populated) -> None:
    db, _ = populated
    result = run(db, "search", "税收", "公告", "--json")
    assert result.exit_code == 0, result.output
    assert [h["title"] for h in json.loads(result.stdout)] == ["2025年税收统计公告"]
    assert json.loads(run(db, "search", "税收", "招标", "--json").stdout) == []  # every word


@pytest.mark.parametrize("phrase", ['"法治宣传"', "“法治宣传”", "「法治宣传」", "『法治宣传』"])
def test_search_quoted_phrase(populated, phrase: str) -> None:
    db, _ = populated
    result = run(db, "search", phrase)
    assert result.exit_code == 0, result.output
    assert "关于开展[法治宣传]工作的通知" in result.stdout


def test_search_filters(populated) -> None:
    db, _ = populated
    gone = json.loads(run(db, "search", "招标", "--status", "gone", "--json").stdout)
    assert [h["url"] for h in gone] == [URL_C]
    assert json.loads(run(db, "search", "招标", "--status", "live", "--json").stdout) == []
    old = json.loads(run(db, "search", "公告", "--to", "2025-12-31", "--json").stdout)
    assert [h["title"] for h in old] == ["2025年税收统计公告"]
    other = json.loads(run(db, "search", "文件", "--site", "other-gov", "--json").stdout)
    assert [h["site"] for h in other] == ["other-gov"]


def test_search_nl_and_csv(populated) -> None:
    db, _ = populated
    nl = run(db, "search", "公告", "--nl")
    rows = [json.loads(line) for line in nl.stdout.splitlines()]
    assert rows and all("url" in r for r in rows)
    table = list(csv.DictReader(io.StringIO(run(db, "search", "公告", "--csv").stdout)))
    assert {r["url"] for r in table} == {r["url"] for r in rows}


def test_search_no_match_says_so_on_stderr(populated) -> None:
    db, _ = populated
    result = run(db, "search", "不存在的词语")
    assert result.exit_code == 0
    assert result.stdout == ""
    assert "No matches" in result.stderr


def test_search_bad_date_is_usage_error(populated) -> None:
    db, _ = populated
    result = run(db, "search", "税", "--from", "2026-13-45")
    assert result.exit_code == 2
    assert "not a date" in result.stderr


def test_output_flags_are_exclusive(populated) -> None:
    db, _ = populated
    result = run(db, "search", "税", "--json", "--csv")
    assert result.exit_code == 2
    assert "Use just one of --json, --nl or --csv" in result.stderr


def test_show_by_id_and_url(populated) -> None:
    db, info = populated
    by_id = run(db, "show", str(info["ids"]["A"]))
    by_url = run(db, "show", URL_A)
    assert by_id.exit_code == 0, by_id.output
    assert by_id.stdout == by_url.stdout
    assert "Title:      关于开展法治宣传工作的通知" in by_id.stdout
    assert "issuer: 司法局" in by_id.stdout
    assert "请于12月底前完成" in by_id.stdout


def test_show_accepts_a_non_canonical_url(populated) -> None:
    db, info = populated
    messy = URL_A.replace("https://www.example.gov.cn", "HTTPS://WWW.Example.gov.cn") + "#top"
    doc = json.loads(run(db, "show", messy, "--json").stdout)
    assert doc["id"] == info["ids"]["A"]


def test_show_json_document(populated) -> None:
    db, info = populated
    doc = json.loads(run(db, "show", str(info["ids"]["C"]), "--json").stdout)
    assert doc["url"] == URL_C
    assert doc["status"] == "gone"
    for key in ("title", "published", "body", "site", "first_seen", "status", "version"):
        assert key in doc


def test_show_old_version(populated) -> None:
    db, _ = populated
    old = json.loads(run(db, "show", URL_A, "--version", "1", "--json").stdout)
    assert old["version"] == 1
    assert old["title"] == "关于开展法治宣传的通知"
    text = run(db, "show", URL_A, "--version", "1").stdout
    assert "请于11月底前完成" in text


def test_history_table_and_json(populated) -> None:
    db, _ = populated
    table = run(db, "history", URL_A)
    assert table.exit_code == 0, table.output
    lines = table.stdout.splitlines()
    assert lines[0].split()[:2] == ["VERSION", "FETCHED"]
    assert len(lines) == 3
    versions = json.loads(run(db, "history", URL_A, "--json").stdout)
    assert [v["version"] for v in versions] == [1, 2]
    assert all(v["url"] == URL_A for v in versions)
    for key in ("title", "published", "body", "site", "first_seen", "status"):
        assert key in versions[0]


def test_history_nl_and_csv(populated) -> None:
    db, _ = populated
    assert len(run(db, "history", URL_A, "--nl").stdout.splitlines()) == 2
    rows = list(csv.DictReader(io.StringIO(run(db, "history", URL_A, "--csv").stdout)))
    assert [r["version"] for r in rows] == ["1", "2"]


@pytest.mark.parametrize("ref", [URL_A.replace("https://", "http://"), URL_A.removeprefix("https://")])
def test_show_finds_a_url_given_with_the_other_scheme_or_none(populated, ref: str) -> None:
    db, _ = populated
    result = run(db, "show", ref, "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["url"] == URL_A


def test_diff_shows_fields_and_body(populated) -> None:
    db, _ = populated
    result = run(db, "diff", URL_A)
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert "version 1 -> 2" in out
    assert "changed: title, body" in out
    assert "title:" in out
    assert "  - 关于开展法治宣传的通知" in out
    assert "  + 关于开展法治宣传工作的通知" in out
    assert "~请于1[-1-]{+2+}月底前完成。" in out.splitlines()  # the changed character marked
    assert "\x1b[" not in out  # no color when not a terminal


def test_diff_colored_on_terminal(populated) -> None:
    db, _ = populated
    result = run(db, "diff", URL_A, color=True)
    assert "\x1b[32m" in result.stdout  # the title's added line
    changed = next(line for line in result.stdout.splitlines() if "月底前完成" in line)
    assert changed.startswith("~请于1") and "[-" not in changed
    assert "\x1b[9m1" in changed.replace("\x1b[31m", "")  # removed: struck through (and red)
    assert "\x1b[4m2" in changed.replace("\x1b[32m", "").replace("\x1b[1m", "")  # added: underlined


def test_diff_without_color_marks_the_characters(populated, monkeypatch) -> None:
    db, _ = populated
    monkeypatch.setenv("NO_COLOR", "1")
    result = run(db, "diff", URL_A, color=True)
    assert "\x1b[" not in result.stdout
    assert "~请于1[-1-]{+2+}月底前完成。" in result.stdout.splitlines()


def test_diff_json(populated) -> None:
    db, _ = populated
    data = json.loads(run(db, "diff", URL_A, "--from", "1", "--to", "2", "--json").stdout)
    assert data["url"] == URL_A
    assert (data["from"], data["to"]) == (1, 2)
    assert set(data["fields"]) == {"title"}
    assert data["changed_fields"] == ["title", "body"]
    assert "+请于12月底前完成。" in data["body_diff"]


def test_diff_of_a_document_with_one_version(populated) -> None:
    db, info = populated
    result = run(db, "diff", str(info["ids"]["B"]))
    assert result.exit_code == 0, result.output
    assert result.stdout == f"Only one version of {URL_B}: nothing to compare.\n"
    data = json.loads(run(db, "diff", str(info["ids"]["B"]), "--json").stdout)
    assert (data["from"], data["to"]) == (None, 1)
    assert "+税收收入稳步增长。" in data["body_diff"]  # --json keeps its fields
    first = run(db, "diff", URL_A, "--to", "1")
    assert first.exit_code == 0
    assert first.stdout == f"Version 1 is the first version of {URL_A}: nothing to compare it with.\n"


def test_diff_unknown_version_is_error(populated) -> None:
    db, _ = populated
    result = run(db, "diff", URL_A, "--to", "9")
    assert result.exit_code == 1
    assert result.stderr.startswith("Error: ")


def test_stats(populated) -> None:
    db, info = populated
    result = run(db, "stats", "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    last_crawl = info["times"]["crawl3"] + timedelta(minutes=5)  # other-gov's first crawl
    assert data == {
        "path": str(db),
        "file_size": db.stat().st_size,
        "schema_version": SCHEMA_VERSION,
        "sites": 2,
        "crawls": 4,
        "last_crawl_at": last_crawl.replace(microsecond=0).isoformat(),
        "documents": 4,
        "live": 3,  # A, B, D; C is gone
        "gone": 1,
        "versions": 5,  # A twice, B, C, D
        "events": 6,  # 4 new, A changed, C gone
        "captures": 0,
        "capture_blobs": 0,
        "capture_raw_bytes": 0,
        "capture_stored_bytes": 0,
        "attachment_files": 0,
        "attachment_bytes": 0,
        "search_queue": 0,
    }


def test_stats_table(populated) -> None:
    db, _ = populated
    result = run(db, "stats")
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0] == f"path: {db}"
    for line in ("sites: 2", "crawls: 4", "documents: 4", "live: 3", "gone: 1", "versions: 5",
                 "events: 6", "capture raw size: 0 bytes", "search queue: 0"):
        assert line in lines
    assert any(re.fullmatch(r"file size: \d+(\.\d)? kB", line) for line in lines), lines
