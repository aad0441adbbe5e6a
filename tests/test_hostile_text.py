"""Control characters: stripped from what the archive stores (tabs and newlines kept in bodies,
hashes of clean records unchanged), and never sent to a terminal, a feed or a CSV file, even
from an archive that already holds them."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from xml.etree import ElementTree as ET

import pytest
from click.testing import CliRunner
from helpers_archive import record

import archive.hashing
from archive import Archive, render
from archive.hashing import record_hash
from archive.text import printable, strip_controls
from crawler.cli import cli

DIRTY = "通知\x07\x1b[2J\x1b]0;pwned\x07\u202e\u2066反转\x9b31m\x00\ufffe"
BAD = ("\x07", "\x1b", "\u202e", "\u2066", "\x9b", "\x00", "\ufffe", "\r")


def test_saved_text_fields_lose_control_characters(tmp_path: Path) -> None:
    rec = record(1, title=DIRTY, body="第一段\x1b[31m红\x1b[0m\n\t缩进\x07段落\r\n第三段",
                 metadata={"文号\x07": "示\u202e〔2026〕1号"},
                 attachments=[{"url": "http://www.example.gov.cn/f.pdf", "text": "附件\x1b"}])
    with Archive(tmp_path / "a.db", create=True) as a:
        a.save("city", rec, crawl_id=a.start_crawl("city"))
        doc = a.document(1)
    assert doc["title"] == "通知[2J]0;pwned反转31m"
    assert doc["body"] == "第一段[31m红[0m\n缩进段落\n第三段\n"
    assert doc["metadata"] == {"文号": "示〔2026〕1号"}
    assert doc["attachments"][0]["text"] == "附件"
    assert not any(ch in json.dumps(doc, ensure_ascii=False) for ch in BAD)


def test_hashes_of_clean_records_are_what_they_were() -> None:
    clean = record(1)
    clean["body"] += "\n\t缩进\t段落"
    # Computed by main a8d783b, before control characters were stripped.
    assert record_hash(clean) == "01f1d810978fb5ff40577a24c3e92c94183c49994738d3736a94cebe36bc3481"
    dirty = {**clean, "title": clean["title"] + "\x07\u202e"}
    assert record_hash(dirty) == record_hash(clean)


def test_printable_keeps_tabs_and_newlines_only() -> None:
    assert printable("a\tb\nc\rd\x0be\x0cf" + DIRTY) == "a\tb\ncdef" + strip_controls(DIRTY)


@pytest.fixture
def dirty_archive(tmp_path: Path) -> Path:
    """An archive holding control characters, as one saved before they were stripped."""
    db = tmp_path / "dirty.db"
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(archive.hashing, "strip_controls", lambda text: text)
        with Archive(db, create=True) as a:
            crawl = a.start_crawl("city")
            a.save("city", record(1, title=DIRTY, body="正文\x1b[2J\u202e段落"), crawl_id=crawl)
            a.save("city", record(1, title=DIRTY + "二", body="正文\x1b[2J\u202e段落 改"),
                   crawl_id=crawl)
            a.finish_crawl(crawl, "finished", {})
    return db


@pytest.mark.parametrize("args", [
    ["show", "1"], ["show", "1", "--version", "1"], ["history", "1"], ["diff", "1"],
    ["search", "通知"], ["new"], ["changes"], ["export", "--format", "csv"],
    ["new", "--csv"], ["stats"],
])
def test_terminal_and_csv_output_carry_no_control_characters(dirty_archive: Path,
                                                             args: list[str]) -> None:
    result = CliRunner().invoke(cli, ["--db", str(dirty_archive), *args])
    assert result.exit_code == 0, result.output
    assert "通知" in result.output or args == ["stats"]
    assert not [ch for ch in BAD if ch in result.output], repr(result.output)


@pytest.mark.parametrize("args", [["show", "1", "--json"], ["new", "--json"], ["export"],
                                  ["search", "通知", "--nl"]])
def test_json_output_escapes_them_and_keeps_the_value(dirty_archive: Path,
                                                      args: list[str]) -> None:
    result = CliRunner().invoke(cli, ["--db", str(dirty_archive), *args])
    assert result.exit_code == 0, result.output
    assert not [ch for ch in BAD if ch in result.output], repr(result.output)
    first = result.output.strip().splitlines()[0]
    value = json.loads(result.output if args[-1] == "--json" else first)
    title = (value[0] if isinstance(value, list) else value)["title"]
    assert title.startswith(DIRTY)  # lossless: the escapes decode to the stored text


def test_csv_is_valid_and_the_feed_parses(dirty_archive: Path, tmp_path: Path) -> None:
    runner = CliRunner()
    exported = runner.invoke(cli, ["--db", str(dirty_archive), "export", "--format", "csv"])
    rows = list(csv.DictReader(io.StringIO(exported.output)))
    assert rows[0]["title"] == printable(DIRTY + "二")
    out = tmp_path / "feed.atom"
    result = runner.invoke(cli, ["--db", str(dirty_archive), "feed", "--out", str(out)])
    assert result.exit_code == 0, result.output
    feed = ET.fromstring(out.read_bytes())  # well-formed XML
    titles = [e.text for e in feed.iter("{http://www.w3.org/2005/Atom}title")]
    assert any(t and t.startswith("Changed: 通知") for t in titles)


def test_table_cells_are_printable() -> None:
    lines = list(render.format_table(["TITLE"], [[DIRTY]]))
    assert lines[1] == strip_controls(DIRTY)
