"""Migration 005_canonical_urls on an archive of the last release (tests/fixtures/archive/
spellings.sqlite, written by 04f063f's own code: see make_spellings.py there), which saved the
spellings of one page as separate documents: they are merged without rewriting history.

No version is renumbered and every (document, version) pair keeps its content; no version
changes nothing; a page is new once; a merged-away id is never reused and reads as the page.
"""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

import pytest
from helpers_archive import at, check_consistency, rewind_before_canonical_urls

from archive import Archive
from archive.errors import VersionNotFound
from archive.migrations import SCHEMA_VERSION
from crawler.service.alerts import sink_name

SPELLINGS = Path(__file__).parent / "fixtures" / "archive" / "spellings.sqlite"
SITE = "www.city.gov.cn"
HOST = "http://www.city.gov.cn"
PAGE_B, PAGE_C, PAGE_E = 1, 2, 3  # the first seen spelling of each page: the survivors
SINKS = ("https://hooks.example/services/T0/B0/secret-token?key=abc",
         "https://hooks.example/other/T1/partial-token")


@pytest.fixture
def before(tmp_path: Path) -> Path:
    path = tmp_path / "spellings.sqlite"
    shutil.copy(SPELLINGS, path)
    return path


def _stored_versions(path: Path) -> dict[tuple[int, int], tuple[str, str]]:
    """(document id, version) -> (title, body), as the file holds them."""
    with sqlite3.connect(path) as conn:
        return {(doc, n): (title, body) for doc, n, title, body in conn.execute(
            "SELECT document_id, version, title, body FROM versions")}


def test_the_fixture_is_the_release_schema_with_two_spellings_of_pages(before: Path) -> None:
    with sqlite3.connect(before) as conn:
        assert conn.execute("PRAGMA user_version").fetchone()[0] == 1
        assert conn.execute("SELECT count(*) FROM documents").fetchone()[0] == 9
        assert conn.execute("SELECT count(*) FROM crawls WHERE finished_at IS NULL").fetchone()[0] == 1


def test_every_version_a_user_may_have_cited_keeps_its_content(before: Path) -> None:
    cited = _stored_versions(before)
    with Archive(before) as archive:
        assert archive.schema_version == SCHEMA_VERSION
        for (doc, n), (title, body) in cited.items():
            version = archive.version(doc, n)
            assert (version["title"], version["body"]) == (title, body), (doc, n)
        with pytest.raises(VersionNotFound):
            archive.version(6, 3)


def test_the_survivors_keep_their_numbers_and_gain_only_later_history(before: Path) -> None:
    with Archive(before) as archive:
        docs = {d["url"]: d for d in archive.export()}
        assert sorted(docs) == [f"{HOST}/a/b.html", f"{HOST}/c.html", f"{HOST}/c/~one.html",
                                f"{HOST}/d/plain.html", f"{HOST}/e.html"]
        titles = {doc: [v["title"] for v in archive.history(doc)] for doc in (1, 2, 3)}
        assert titles == {PAGE_B: ["乙通知", "乙通知（修订）"],
                          PAGE_C: ["丙通知", "丙通知（修订）"],  # v2: seen only as /%63.html
                          PAGE_E: ["戊通知", "戊通知（定稿）"]}
        moved = archive.version(PAGE_C, 2)
        assert moved["fetched_at"] == "2026-01-01T04:30:00+00:00" and moved["capture_sha"]
        assert moved["changed_fields"] == ["title", "body"]
        page_c = archive.document(PAGE_C)
        assert (page_c["status"], page_c["version"]) == ("gone", 2)  # withdrawn as /%63.html last
        assert archive.document(PAGE_B)["first_seen"] == "2026-01-01T00:00:00+00:00"
    with sqlite3.connect(before) as conn:
        assert conn.execute("SELECT count(*) FROM versions WHERE changed_fields = '[]'").fetchone()[0] == 0
    assert check_consistency(before) == []


def test_an_edit_only_the_other_spelling_saw_is_kept_read_only(before: Path) -> None:
    with Archive(before) as archive:
        kept = archive.version(8, 2)  # /./e.html saw 戊页乙版 between two versions of /e.html
        assert (kept["document_id"], kept["version"]) == (8, 2)
        assert (kept["title"], kept["body"]) == ("戊通知（过渡）", "戊页乙版正文\n")
        assert kept["url"] == f"{HOST}/./e.html" and kept["capture_sha"]
        assert kept["fetched_at"] == "2026-01-01T03:30:00+00:00"
        assert archive.diff(8, 1, 2)["changed_fields"] == ["title", "body"]
        assert archive.search("戊页乙版") == []  # history, not a current version


def test_a_merged_away_id_or_spelling_reads_as_the_page(before: Path) -> None:
    with Archive(before) as archive:
        assert archive.document(6)["id"] == PAGE_B
        assert archive.document(f"{HOST}/a/x/../b.html")["id"] == PAGE_B
        assert archive.document(9)["id"] == PAGE_B  # a third spelling
        assert archive.history(7) == archive.history(PAGE_C)
        assert archive.diff(6) == archive.diff(PAGE_B)
        assert archive.diff(7, 1, 2) == archive.diff(PAGE_C, 1, 2)


def test_each_page_is_new_once_and_no_change_is_announced_twice(before: Path) -> None:
    with Archive(before) as archive:
        assert [e["document_id"] for e in archive.new_documents()] == [1, 2, 3, 4, 5]
        changes = [(e["id"], e["kind"], e["document_id"], e["version"])
                   for e in archive.events() if e["kind"] != "new"]
        assert changes == [(10, "changed", PAGE_B, 2), (11, "changed", PAGE_C, 2),
                           (12, "changed", PAGE_E, 2), (13, "health", None, None),
                           (16, "gone", 5, 1), (17, "gone", PAGE_C, 2)]
        assert [e["id"] for e in archive.document_events(6)] == [1, 10]
    with sqlite3.connect(before) as conn:  # the repeats are kept, marked, for the record
        assert conn.execute("SELECT id FROM events WHERE detail = 'merged' ORDER BY id"
                            ).fetchall() == [(6,), (7,), (8,), (9,), (14,), (15,)]


def test_merged_away_ids_are_never_given_to_new_documents(before: Path) -> None:
    with Archive(before) as archive:
        result = archive.save(SITE, {"url": f"{HOST}/f.html", "title": "新通知", "body": "新。"},
                              crawl_id=None)
        assert result.document_id == 10  # 6-9 were the merged spellings
        assert archive.document(9)["id"] == PAGE_B


def test_saving_any_spelling_again_updates_the_page(before: Path) -> None:
    with Archive(before) as archive:
        result = archive.save(SITE, {"url": f"{HOST}/a/./b.html", "title": "乙通知（再修订）",
                                     "published": "2026-01-01", "body": "乙页第三版正文",
                                     "metadata": {"doc_no": "示〔2026〕1号"}, "attachments": []},
                              crawl_id=None)
        assert (result.outcome, result.document_id, result.version) == ("changed", PAGE_B, 3)
        assert [h["id"] for h in archive.search("乙页第三版")] == [PAGE_B]
    assert check_consistency(before) == []


def test_delivery_state_survives_the_merge_and_the_sink_rename(before: Path) -> None:
    with Archive(before) as archive:
        pending = {url: [e["id"] for e in archive.pending_deliveries(sink_name(url))]
                   for url in SINKS}
    assert pending == {SINKS[0]: [16, 17], SINKS[1]: [5, 10, 11, 12, 13, 16, 17]}
    with sqlite3.connect(before) as conn:
        sinks = {row[0] for row in conn.execute("SELECT DISTINCT sink FROM deliveries")}
    assert sinks == {sink_name(url) for url in SINKS}
    assert not any("token" in sink for sink in sinks)


def _two_spellings(path: Path, saves: list[tuple[str, str, int]]) -> None:
    """An archive whose `saves` ``(spelling, body, minute)`` of one page went to two documents,
    spelling "a" (``/p.html``, saved first) and "b" (``/x/../p.html``), as the release kept them."""
    with Archive(path, create=True) as archive:
        for spelling, body, minute in saves:
            url = f"{HOST}/{'p' if spelling == 'a' else 'q'}.html"
            archive.save(SITE, {"url": url, "title": "通知", "body": body}, crawl_id=None,
                         now=at(minute))
    with sqlite3.connect(path) as conn:
        conn.execute("UPDATE documents SET url = ? WHERE url = ?",
                     (f"{HOST}/x/../p.html", f"{HOST}/q.html"))
    rewind_before_canonical_urls(path)


def test_an_edit_seen_first_under_the_other_spelling_is_the_first_spellings_version(
        tmp_path: Path) -> None:
    path = tmp_path / "a.db"
    _two_spellings(path, [("a", "甲", 0), ("b", "乙", 5), ("a", "乙", 10)])
    with Archive(path) as archive:
        assert [v["body"] for v in archive.history(1)] == ["甲\n", "乙\n"]
        assert archive.version(2, 1)["version"] == 2  # the same content, seen 5 minutes later
        assert [e["document_id"] for e in archive.events()] == [1, 1]
    assert check_consistency(path) == []


def test_a_later_revert_under_the_other_spelling_is_the_pages_next_version(tmp_path: Path) -> None:
    path = tmp_path / "a.db"
    _two_spellings(path, [("a", "甲", 0), ("b", "甲", 1), ("a", "乙", 2), ("b", "丙", 3),
                          ("b", "乙", 5)])
    with Archive(path) as archive:
        assert [v["body"] for v in archive.history(1)] == ["甲\n", "乙\n", "丙\n", "乙\n"]
        assert archive.document(1)["body"] == "乙\n"
        assert [archive.version(2, n)["version"] for n in (1, 2, 3)] == [1, 3, 4]
        assert [(e["kind"], e["version"]) for e in archive.events()] == [
            ("new", 1), ("changed", 2), ("changed", 3), ("changed", 4)]
        assert [h["id"] for h in archive.search("乙")] == [1]
    assert check_consistency(path) == []
