"""How a re-extracted version (a newer extractor's reading of the same capture) is shown:
`history`, `diff` and `show --version` on the command line, and the web's document and diff pages."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from helpers_archive import at, record
from helpers_cli import run
from helpers_web import Client

from archive import Archive, Capture, Reextraction

URL = record(1)["url"]
EDIT = "截止日期延长。"


@pytest.fixture
def db(tmp_path: Path) -> Path:
    """Version 1 read by extractor 1; 2 its capture re-read by extractor 2; 3 a real edit."""
    path = tmp_path / "a.db"
    with Archive(path, create=True) as archive:
        crawl = archive.start_crawl("example-gov", now=at(0))
        archive.save("example-gov", record(1, metadata={}), crawl_id=crawl, extractor=1,
                     capture=Capture(b"<html>1</html>", url=URL), now=at(1))
        archive.finish_crawl(crawl, "finished", {}, now=at(2))
        crawl = archive.start_crawl("example-gov", now=at(60))
        current = archive.current_reading("example-gov", URL)
        assert current is not None
        archive.save("example-gov", record(1, body=record(1)["body"] + EDIT), crawl_id=crawl,
                     extractor=2, reextraction=Reextraction(current.version_id, record(1)),
                     capture=Capture(b"<html>2</html>", url=URL), now=at(61))
        archive.finish_crawl(crawl, "finished", {}, now=at(62))
    return path


def test_history_says_which_versions_are_reextracted(db: Path) -> None:
    table = run(db, "history", "1")
    assert table.exit_code == 0, table.output
    rows = [line.split() for line in table.stdout.splitlines()[1:]]
    assert [row[0] for row in rows] == ["1", "2", "3"]
    assert "re-extracted: metadata" in table.stdout.splitlines()[2]
    assert "re-extracted" not in table.stdout.splitlines()[3]
    versions = json.loads(run(db, "history", "1", "--json").stdout)
    assert [(v["version"], v["extractor"], v["reextracted"]) for v in versions] == [
        (1, 1, False), (2, 2, True), (3, 2, False)]


def test_show_and_diff_name_the_reextraction(db: Path) -> None:
    shown = run(db, "show", "1", "--version", "2").stdout
    assert re.search(r"Version:\s+2 \(re-extracted: version 1's capture read by a newer extractor", shown)
    assert "re-extracted" not in run(db, "show", "1").stdout
    plain = run(db, "diff", "1").stdout  # 2 -> 3: the publisher's edit only
    assert "changed: body" in plain and "re-extraction" not in plain
    wide = run(db, "diff", "1", "--from", "1", "--to", "3")
    assert "version 2 is a re-extraction" in wide.stdout
    assert json.loads(run(db, "diff", "1", "--from", "1", "--json").stdout)["reextracted"] == [2]


def test_the_web_pages_name_the_reextraction(db: Path) -> None:
    client = Client(db)
    page = client.get("/documents/1?version=2").text
    assert "Re-extracted, not an edit: Metadata" in page
    assert "(re-extracted: version 1" in page
    assert "is a re-extraction" in client.get("/documents/1/diff?from=1&to=2").text
    assert "re-extraction" not in client.get("/documents/1/diff").text
