"""Output details: CSV with a BOM (or not) and always a header, `feed --json --out -`, stats
sizes, and the search count and checks."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

import pytest
from helpers_cli import URL_A, build_archive, run

from archive import Archive
from archive.render import display_width, human_size

BOM = "\ufeff"


@pytest.fixture(scope="module")
def populated(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Any]]:
    path = tmp_path_factory.mktemp("cli_output") / "archive.db"
    return path, build_archive(path)


def csv_rows(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text.removeprefix(BOM))))


# --- CSV ----------------------------------------------------------------------------------------

#: Each list command twice: with rows, and with none.
LISTS = {
    "search": (["search", "公告"], ["search", "不存在的词语"]),
    "history": (["history", URL_A], None),
    "new": (["new"], ["new", "--since", "1m"]),
    "changes": (["changes"], ["changes", "--kind", "restored"]),
    "export": (["export", "--format", "csv"], ["export", "--format", "csv", "--since", "1m"]),
}


@pytest.mark.parametrize("name", sorted(LISTS))
def test_csv_starts_with_a_bom_unless_no_bom(populated, name: str) -> None:
    db, _ = populated
    args = [*LISTS[name][0], "--csv"]
    with_bom = run(db, *args)
    assert with_bom.exit_code == 0, with_bom.output
    assert with_bom.stdout.startswith(BOM + "id,") or with_bom.stdout.startswith(BOM + "document_id,")
    without = run(db, *args, "--no-bom")
    assert without.stdout == with_bom.stdout.removeprefix(BOM)


@pytest.mark.parametrize("name", sorted(n for n, (_, empty) in LISTS.items() if empty))
def test_an_empty_csv_still_has_its_header(populated, name: str) -> None:
    db, _ = populated
    full, empty = LISTS[name]
    header, *rows = csv_rows(run(db, *full, "--csv").stdout)
    assert rows
    result = run(db, *empty, "--csv")
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith(BOM)
    assert csv_rows(result.stdout) == [header]


def test_csv_export_to_a_file_has_the_bom(populated, tmp_path: Path) -> None:
    db, _ = populated
    out = tmp_path / "out.csv"
    assert run(db, "export", "--format", "csv", "-o", str(out)).exit_code == 0
    assert out.read_bytes().startswith(b"\xef\xbb\xbfid,")
    with out.open(encoding="utf-8-sig", newline="") as f:  # what Excel and pandas read
        assert len(list(csv.DictReader(f))) == 4
    assert run(db, "export", "--csv", "--no-bom", "-o", str(out)).exit_code == 0
    assert out.read_bytes().startswith(b"id,")


def test_export_format_names_are_the_output_options(populated, tmp_path: Path) -> None:
    db, _ = populated
    assert run(db, "export", "--format", "csv").stdout == run(db, "export", "--csv").stdout
    assert run(db, "export", "--format", "jsonl").stdout == run(db, "export", "--nl").stdout
    result = run(db, "export", "--format", "warc", "--csv", "-o", str(tmp_path / "x.warc.gz"))
    assert result.exit_code == 2
    assert "--format warc writes WARC: leave out --json, --nl, --csv and --with-text" in result.stderr
    assert not (tmp_path / "x.warc.gz").exists()


def test_archive_fields_match_the_records(populated) -> None:
    db, _ = populated
    with Archive(db) as archive:
        assert archive.fields("document") == list(archive.document(URL_A))
        assert archive.fields("version") == list(archive.history(URL_A)[0])
        assert archive.fields("hit") == list(archive.search("法治")[0])
        assert archive.fields("event") == list(archive.events()[0])
        assert archive.fields("new") == list(archive.new_documents()[0])


# --- feed, stats ------------------------------------------------------------------------------


def test_feed_json_to_stdout_is_json(populated) -> None:
    db, _ = populated
    result = run(db, "feed", "--out", "-", "--json", "--kind", "new")
    assert result.exit_code == 0, result.output
    entries = json.loads(result.stdout)
    assert len(entries) == 4 and {e["kind"] for e in entries} == {"new"}
    assert {"url", "title", "time", "published", "body"} <= set(entries[0])
    assert entries == sorted(entries, key=lambda e: e["id"], reverse=True)  # newest first
    newest = run(db, "feed", "--out", "-", "--kind", "new", "--json", "--limit", "1")
    assert json.loads(newest.stdout) == entries[:1]


def test_feed_json_to_a_file_prints_the_summary(populated, tmp_path: Path) -> None:
    db, _ = populated
    out = tmp_path / "f.atom"
    result = run(db, "feed", "--out", str(out), "--json")
    assert json.loads(result.stdout) == {"out": str(out), "entries": 6}
    assert out.read_bytes().startswith(b"<?xml")


def test_stats_sizes_are_for_people_and_bytes_in_json(populated) -> None:
    db, _ = populated
    data = json.loads(run(db, "stats", "--json").stdout)
    assert isinstance(data["file_size"], int) and data["file_size"] > 1000
    text = run(db, "stats").stdout.splitlines()
    assert f"file size: {human_size(data['file_size'])}" in text
    assert "capture stored size: 0 bytes" in text


@pytest.mark.parametrize(("size", "text"), [
    (0, "0 bytes"), (1, "1 byte"), (999, "999 bytes"), (1000, "1.0 kB"), (74_985, "75.0 kB"),
    (491_520, "492 kB"), (999_600, "1.0 MB"), (12_345_678, "12.3 MB"), (3 * 10**12, "3.0 TB"),
    (5 * 10**15, "5000 TB"),
])
def test_human_size(size: int, text: str) -> None:
    assert human_size(size) == text


# --- search -------------------------------------------------------------------------------------


def test_search_says_how_many_when_cut(populated) -> None:
    db, _ = populated
    result = run(db, "search", "公告", "--limit", "1")
    assert result.exit_code == 0, result.output
    assert len(result.stdout.splitlines()) == 2  # header and one hit
    assert result.stderr.strip() == "1 of 2 matches (use --limit)"
    as_json = run(db, "search", "公告", "--limit", "1", "--json")
    assert len(json.loads(as_json.stdout)) == 1 and "1 of 2 matches" in as_json.stderr
    whole = run(db, "search", "公告")
    assert whole.stderr == ""


def test_search_table_cuts_title_and_snippet_to_the_terminal(populated, monkeypatch) -> None:
    db, _ = populated
    monkeypatch.setattr("crawler.cli.output._terminal_width", lambda: 80)
    lines = run(db, "search", "法治").stdout.splitlines()
    assert lines[0].split()[-2:] == ["TITLE", "SNIPPET"]
    assert all(display_width(line) <= 80 for line in lines)
    assert "…" in lines[1]


@pytest.mark.parametrize("query", ["", "   "])
def test_search_without_words_is_a_usage_error(populated, query: str) -> None:
    db, _ = populated
    result = run(db, "search", query)
    assert result.exit_code == 2
    assert "Invalid value for 'QUERY': it is empty" in result.stderr


def test_search_from_after_to_is_a_usage_error(populated) -> None:
    db, _ = populated
    result = run(db, "search", "公告", "--from", "2026-02-01", "--to", "2026-01-31")
    assert result.exit_code == 2
    assert "--from 2026-02-01 is after --to 2026-01-31" in result.stderr
    assert run(db, "search", "公告", "--from", "2025-11-01", "--to", "2025-11-01").exit_code == 0


@pytest.mark.parametrize("args", [["search", "公告"], ["new"], ["changes"], ["export"],
                                  ["feed", "--out", "-"]])
def test_an_unknown_site_is_a_usage_error_everywhere(populated, args: list[str]) -> None:
    db, _ = populated
    result = run(db, *args, "--site", "example-gov.cn")
    assert result.exit_code == 2, result.output
    assert "Invalid value for '--site': no site 'example-gov.cn'" in result.stderr
    assert "did you mean example-gov?" in result.stderr
    assert result.stdout == ""
    listed = run(db, *args, "--site", "zzz")
    assert "its sites are example-gov, other-gov" in listed.stderr
