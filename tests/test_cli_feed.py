"""`feed` writes valid Atom 1.0: namespace, unique permanent ids, dates, links and summaries."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Any
from xml.etree import ElementTree as ET

import pytest
from helpers_cli import URL_A, URL_B, URL_C, URL_D, build_archive, run

from archive.feed import GA_NS

A = "{http://www.w3.org/2005/Atom}"
GA = "{" + GA_NS + "}"


@pytest.fixture(scope="module")
def populated(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Any]]:
    path = tmp_path_factory.mktemp("cli_feed") / "archive.db"
    return path, build_archive(path)


def write_feed(db: Path, out: Path, *args: str) -> ET.Element:
    result = run(db, "feed", "--out", str(out), *args)
    assert result.exit_code == 0, result.output
    return ET.parse(out).getroot()


def rfc3339(value: str) -> datetime:
    parsed = datetime.fromisoformat(value)
    assert parsed.tzinfo is not None, value
    return parsed


def test_feed_is_atom_with_required_elements(populated, tmp_path: Path) -> None:
    db, _ = populated
    root = write_feed(db, tmp_path / "all.atom")
    assert root.tag == f"{A}feed"
    for name in ("id", "title", "updated", "author"):
        assert root.find(f"{A}{name}") is not None, name
    rfc3339(root.findtext(f"{A}updated"))
    entries = root.findall(f"{A}entry")
    assert len(entries) == 6  # 4 new + changed + gone
    ids = [e.findtext(f"{A}id") for e in entries]
    assert len(set(ids)) == len(ids)
    assert all(i.startswith("tag:") for i in ids)
    for entry in entries:
        for name in ("id", "title", "updated"):
            assert entry.findtext(f"{A}{name}"), name
        rfc3339(entry.findtext(f"{A}updated"))
        assert entry.find(f"{A}link").get("href").startswith("https://")


def test_feed_new_entries_carry_both_dates(populated, tmp_path: Path) -> None:
    db, info = populated
    root = write_feed(db, tmp_path / "new.atom", "--kind", "new")
    entries = {e.find(f"{A}link").get("href"): e for e in root.findall(f"{A}entry")}
    assert set(entries) == {URL_A, URL_B, URL_C, URL_D}
    b = entries[URL_B]
    assert rfc3339(b.findtext(f"{A}published")).date().isoformat() == "2025-11-01"
    assert b.findtext(f"{GA}published") == "2025-11-01"
    first_seen = rfc3339(b.findtext(f"{GA}first_seen"))
    assert abs((first_seen - info["times"]["crawl2"]).total_seconds()) < 120
    assert b.findtext(f"{A}title") == "2025年税收统计公告"
    assert "税收收入稳步增长" in b.findtext(f"{A}summary")


def test_feed_is_newest_first_and_limited(populated, tmp_path: Path) -> None:
    db, _ = populated
    root = write_feed(db, tmp_path / "two.atom", "--limit", "2")
    entries = root.findall(f"{A}entry")
    assert len(entries) == 2
    times = [rfc3339(e.findtext(f"{A}updated")) for e in entries]
    assert times == sorted(times, reverse=True)
    assert root.findtext(f"{A}updated") == entries[0].findtext(f"{A}updated")


def test_feed_ids_are_stable(populated, tmp_path: Path) -> None:
    db, _ = populated
    first = write_feed(db, tmp_path / "1.atom")
    second = write_feed(db, tmp_path / "2.atom", "--site", "example-gov")
    ids_all = {e.findtext(f"{A}id") for e in first.findall(f"{A}entry")}
    ids_site = {e.findtext(f"{A}id") for e in second.findall(f"{A}entry")}
    assert ids_site and ids_site <= ids_all
    assert first.findtext(f"{A}id") != second.findtext(f"{A}id")


def test_feed_kind_titles(populated, tmp_path: Path) -> None:
    db, _ = populated
    root = write_feed(db, tmp_path / "gone.atom", "--kind", "gone", "--kind", "changed")
    titles = {e.find(f"{A}link").get("href"): e.findtext(f"{A}title")
              for e in root.findall(f"{A}entry")}
    assert titles[URL_C].startswith("Withdrawn: ")
    assert titles[URL_A].startswith("Changed: ")
    assert URL_D not in titles


def test_feed_empty_is_still_valid(populated, tmp_path: Path) -> None:
    db, _ = populated
    root = write_feed(db, tmp_path / "empty.atom", "--kind", "restored")
    assert root.findall(f"{A}entry") == []
    rfc3339(root.findtext(f"{A}updated"))


def test_feed_to_stdout_and_json_summary(populated, tmp_path: Path) -> None:
    db, _ = populated
    result = run(db, "feed", "--out", "-", "--site", "other-gov")
    assert result.exit_code == 0, result.output
    assert ET.fromstring(result.stdout.encode()).tag == f"{A}feed"
    out = tmp_path / "o.atom"
    summary = run(db, "feed", "--out", str(out), "--json")
    assert json.loads(summary.stdout) == {"out": str(out), "entries": 6}


def test_feed_writes_to_stdout_by_default(populated) -> None:
    db, _ = populated
    result = run(db, "feed", "--site", "other-gov")
    assert result.exit_code == 0, result.output
    root = ET.fromstring(result.stdout.encode())
    assert root.tag == f"{A}feed" and root.findall(f"{A}entry")
    assert "Wrote 1 entry to standard output" in result.stderr
    events = json.loads(run(db, "feed", "--site", "other-gov", "--json").stdout)
    assert [e["kind"] for e in events] == ["new"]


def test_feed_out_must_name_a_file(populated) -> None:
    db, _ = populated
    result = run(db, "feed", "--out", "")
    assert result.exit_code == 2
    assert "the file name is empty" in result.stderr
