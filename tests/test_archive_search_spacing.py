"""Search ignores the spaces between CJK and Latin letters or digits (PDF text layers write
``46.2 亿元``), in the index and in the query alike, and takes quoted phrases (``"…"``,
``“…”``, ``「…」``, ``『…』``) as one term.
An archive indexed by the code before 010 (spaces indexed) migrates to the same index a new
archive has."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from helpers_archive import at, check_consistency, record

from archive import Archive, AttachmentFile, search
from archive.migrations import SCHEMA_VERSION

PDF_TEXT = "2022 年，全市促进整改 46.2 亿元。\n加强 GDP 核算，推进法治\n政府建设。"
REPORT = record(
    1, title="临沂市 2022 年法治政府建设情况报告", body="全市 2022 年法治政府建设取得新成效。\n",
    metadata={"doc_no": "临政发〔2023〕 3 号"},
    attachments=[{"url": "http://www.example.gov.cn/files/1.pdf", "text": "附件 1：报告全文.pdf"}])
OTHER = record(2, title="关于交通管制的通告", body="因道路施工，实行交通 管制。各单位：“法治政府”建设。\n",
               attachments=[])


def report_file(text: str = PDF_TEXT) -> list[AttachmentFile]:
    return [AttachmentFile(REPORT["attachments"][0]["url"], body=text.encode(), text=text)]


def build(path: Path, *, indexed: bool = True) -> Archive:
    archive = Archive(path, create=True)
    archive.save("city", REPORT, crawl_id=None, files=report_file(), now=at(1))
    archive.save("city", OTHER, crawl_id=None, now=at(2))
    if indexed:
        archive.index_pending()
    else:
        archive.index_batch = 10**9
    return archive


@pytest.fixture(params=["indexed", "queued"])
def archive(tmp_path, request):
    with build(tmp_path / "a.db", indexed=request.param == "indexed") as a:
        yield a


def ids(hits):
    return [h["id"] for h in hits]


# --- spaces next to CJK -------------------------------------------------------------------------


@pytest.mark.parametrize("query", ["46.2亿元", "促进整改46.2亿元", "gdp核算", "法治政府建设 46.2亿"])
def test_attachment_text_found_without_the_pdf_spaces(archive, query):
    assert ids(archive.search(query)) == [1]


def test_the_snippet_marks_the_stored_text(archive):
    (hit,) = archive.search("46.2亿元")
    assert hit["matched_in"] == "attachment"
    assert "[46.2 亿元]" in hit["snippet"]


@pytest.mark.parametrize("query", ["2022年法治", "临沂市2022年", "临政发〔2023〕3号", "附件1：报告"])
def test_title_body_metadata_and_names_found_without_spaces(archive, query):
    assert ids(archive.search(query)) == [1]


@pytest.mark.parametrize("query", ['"46.2 亿元"', '"2022 年法治"', "“GDP 核算”", "「46.2亿元」"])
def test_spaces_in_a_quoted_phrase_are_ignored_alike(archive, query):
    assert ids(archive.search(query)) == [1]


def test_spaces_between_cjk_characters_are_searched_as_written(archive):
    assert ids(archive.search("“交通 管制”")) == [2]
    assert ids(archive.search("「交通管制」")) == [2]  # in its title
    assert ids(archive.search("“实行交通管制”")) == []  # the body has 实行交通 管制


def test_a_one_character_query_beside_a_gap_term_is_scanned_alike(archive, monkeypatch):
    monkeypatch.setattr(search, "COMMON_SHARE", 0.0)  # every one-character term is scanned
    assert ids(archive.search("市 46.2亿元")) == [1]
    assert ids(archive.search("年 2022年法治")) == [1]


def test_search_form_drops_only_spaces_between_cjk_and_latin():
    assert search.search_form("2022 年 GDP 增长 5 %\n通 知") == "2022年GDP增长5 %\n通 知"
    assert search.search_form("Air quality\u3000空气 质量\t2") == "Air quality空气 质量2"


# --- quoted phrases -----------------------------------------------------------------------------


@pytest.mark.parametrize("query", ['"法治政府"', "“法治政府”", "「法治政府」", "『法治政府』", '"法治政府'])
def test_quotes_delimit_a_phrase(archive, query):
    assert sorted(ids(archive.search(query))) == [1, 2]


def test_query_terms_split_words_and_phrases():
    assert search.query_terms('交通 "Road  Works" “法治 政府”「2022 年」 交通') == [
        "交通", "road works", "法治 政府", "2022年"]
    assert search.query_terms('"" “ ” 「」') == []


def test_a_phrase_with_a_latin_space_is_one_term(tmp_path):
    with Archive(tmp_path / "b.db", create=True) as a:
        a.save("s", record(1, title="Air quality report", body="quality air"), crawl_id=None)
        assert ids(a.search("air quality")) == [1]
        assert ids(a.search('"air quality"')) == [1]
        assert ids(a.search('"quality air report"')) == []


# --- an archive indexed before 010 ----------------------------------------------------------------


def as_before_010(path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """An archive saved and indexed as the code before 010 did (spaces indexed as written)."""
    with monkeypatch.context() as patched:
        patched.setattr(search, "search_form", lambda text: text)
        with build(path) as archive:
            archive.save("city", record(3, title="关于 2023 年预算的公告"), crawl_id=None, now=at(3))
            archive.save("city", record(3, title="关于 2024 年预算的公告"), crawl_id=None, now=at(4))
            archive.save("city", record(4), crawl_id=None, now=at(5))  # queued: indexed by 010's code
            archive.index_batch = 10**9
            archive.db.execute("DELETE FROM _sqlite_migrations WHERE name = '010_search_spacing'")
            archive.db.execute(f"PRAGMA user_version = {SCHEMA_VERSION - 1}")
            archive._wrote = False  # leave the queue as it is
        conn = sqlite3.connect(path)
        assert conn.execute("SELECT count(*) FROM search_queue").fetchone()[0] == 2
        conn.close()


def index_terms(path: Path) -> list[tuple[str, int, int]]:
    conn = sqlite3.connect(path)
    try:
        return conn.execute("SELECT term, doc, cnt FROM versions_fts_terms ORDER BY term").fetchall()
    finally:
        conn.close()


def test_an_archive_indexed_before_010_migrates_to_the_same_index(tmp_path, monkeypatch):
    old, new = tmp_path / "old.db", tmp_path / "new.db"
    as_before_010(old, monkeypatch)
    with Archive(old) as archive:
        assert ids(archive.search("46.2亿元")) == [1]
        assert ids(archive.search("2024年预算")) == [3]
        assert ids(archive.search("法治政府建设示范")) == [4]  # still queued
        archive.index_pending()
    with build(new) as archive:
        archive.save("city", record(3, title="关于 2024 年预算的公告"), crawl_id=None, now=at(4))
        archive.save("city", record(4), crawl_id=None, now=at(5))
    assert index_terms(old) == index_terms(new)
    for path in (old, new):  # an edit unindexes exactly what 010 indexed
        with Archive(path) as archive:
            archive.save("city", {**REPORT, "body": "全市 2023 年工作。\n"}, crawl_id=None,
                         files=report_file("全市 50 亿元"), now=at(9))
            archive.index_pending()
            assert ids(archive.search("46.2亿元")) == []
            assert ids(archive.search("50亿元 2023年工作")) == [1]
        assert check_consistency(path) == []
    assert index_terms(old) == index_terms(new)
