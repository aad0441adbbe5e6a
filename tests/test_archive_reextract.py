"""The archive's side of re-extraction (archive/readings.py): which extractor read each version,
and a newer extractor's reading of a stored capture recorded as a version without an event."""

from __future__ import annotations

import hashlib
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from helpers_archive import at, check_consistency, record

from archive import Archive, AttachmentFile, Capture, Reextraction

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "archive"
PAGE = b"<html><body><h1>raw page, counter 1</h1></body></html>"
PDF = b"%PDF-1.7 " + bytes(range(256)) * 8
OLD, NEW = 1, 2
URL = record(1)["url"]
PDF_URL = record(1)["attachments"][0]["url"]


def old_reading() -> dict[str, Any]:
    """Version 1 as an older extractor read it: the site name in the title, one key less."""
    return record(1, title=record(1)["title"] + "_示例市人民政府", metadata={"issuer": "市人民政府办公室"})


def new_reading(**overrides: Any) -> dict[str, Any]:
    return record(1, **overrides)


@pytest.fixture
def archive(tmp_path: Path) -> Iterator[Archive]:
    with Archive(tmp_path / "a.db", create=True) as a:
        crawl = a.start_crawl("example", now=at(0))
        a.save("example", old_reading(), crawl_id=crawl, extractor=OLD, now=at(1),
               capture=Capture(PAGE, url=URL, headers={"content-type": "text/html"}),
               files=[AttachmentFile(PDF_URL, body=PDF, status=200, content_type="application/pdf")])
        a.finish_crawl(crawl, "finished", {}, now=at(2))
        yield a


def current_id(archive: Archive) -> int:
    reading = archive.current_reading("example", URL)
    assert reading is not None
    return reading.version_id


def save(archive: Archive, rec: dict[str, Any], reextraction: Reextraction | None,
         minute: int = 60) -> Any:
    crawl = archive.start_crawl("example", now=at(minute))
    return archive.save("example", rec, crawl_id=crawl, extractor=NEW, reextraction=reextraction,
                        capture=Capture(PAGE.replace(b"1", b"2"), url=URL), now=at(minute))


def test_the_current_reading_and_its_capture(archive: Archive) -> None:
    reading = archive.current_reading("example", URL)
    assert reading is not None and (reading.version, reading.extractor) == (1, OLD)
    assert reading.read_before(NEW) and not reading.read_before(OLD)
    assert reading.fields["title"] == old_reading()["title"]
    assert reading.capture_sha == hashlib.sha256(PAGE).hexdigest()
    capture = archive.version_capture(reading.version_id)
    assert capture == Capture(PAGE, url=URL, headers={"content-type": "text/html"})
    assert archive.current_reading("example", "http://elsewhere/") is None
    assert archive.current_reading("nowhere", URL) is None


def test_a_reextraction_is_a_version_without_an_event(archive: Archive) -> None:
    result = save(archive, new_reading(), Reextraction(current_id(archive), new_reading()))
    assert (result.outcome, result.version, result.reextracted) == ("unchanged", 2, 2)
    v1, v2 = archive.history(URL)
    assert (v2["reextracted"], v2["extractor"], v2["changed_fields"]) == (True, NEW, ["title", "metadata"])
    assert (v2["capture_sha"], v2["fetched_at"]) == (v1["capture_sha"], v1["fetched_at"])
    assert v2["crawl_id"] == 2  # the crawl that read it again
    assert [f["sha256"] for f in v2["files"]] == [f["sha256"] for f in v1["files"]]  # same files
    assert [e["kind"] for e in archive.events()] == ["new"]
    assert archive.document(URL)["content_hash"] == v2["content_hash"] != v1["content_hash"]
    assert check_consistency(archive.path) == []


def test_a_real_edit_is_compared_with_the_reextraction(archive: Archive) -> None:
    edited = new_reading(body=record(1)["body"] + "\n截止日期延长。")
    result = save(archive, edited, Reextraction(current_id(archive), new_reading()))
    assert (result.outcome, result.version, result.changed_fields, result.reextracted) == (
        "changed", 3, ["body"], 2)
    assert [(e["kind"], e["version"]) for e in archive.events()] == [("new", 1), ("changed", 3)]
    assert archive.history(URL)[2]["extractor"] == NEW
    assert archive.diff(URL)["changed_fields"] == ["body"]
    assert archive.diff(URL, 1, 3)["reextracted"] == archive.diff(URL, 3, 1)["reextracted"] == [2]
    assert check_consistency(archive.path) == []


@pytest.mark.parametrize("why", ["reads as stored", "record unchanged", "stale"])
def test_nothing_to_explain_writes_no_reextraction(archive: Archive, why: str) -> None:
    version_id = current_id(archive)
    reextraction = Reextraction(version_id, old_reading() if why == "reads as stored" else new_reading())
    rec = old_reading() if why == "record unchanged" else new_reading()
    if why == "stale":  # another save made a new current version in between
        save(archive, new_reading(body="另一版本。"), None, minute=30)
    result = save(archive, rec, reextraction)
    assert result.reextracted is None
    assert not any(v["reextracted"] for v in archive.history(URL))


def test_a_withdrawn_page_back_with_a_new_reading_is_restored_without_a_change(archive: Archive) -> None:
    archive.mark_gone("example", URL, crawl_id=None, now=at(30))
    result = save(archive, new_reading(), Reextraction(current_id(archive), new_reading()))
    assert (result.outcome, result.version, result.reextracted) == ("restored", 2, 2)
    assert [(e["kind"], e["version"]) for e in archive.events()] == [
        ("new", 1), ("gone", 1), ("restored", 2)]
    assert archive.document(URL)["status"] == "live"


def test_an_archive_from_before_records_no_extractor(tmp_path: Path) -> None:
    path = tmp_path / "before.sqlite"
    shutil.copy(FIXTURES / "spellings.sqlite", path)  # the last release's
    with Archive(path) as archive:
        doc = archive.known_documents(archive.sites()[0]["name"])[0]
        versions = archive.history(doc["id"])
        assert {(v["extractor"], v["reextracted"]) for v in versions} == {(None, False)}
        reading = archive.current_reading(archive.sites()[0]["name"], doc["url"])
        assert reading is not None and reading.read_before(1)


def test_an_attachment_link_the_old_extractor_missed_is_no_change(tmp_path: Path) -> None:
    """Today's extractor finds a link the old one missed: the re-reading has the link, the new
    reading brings its file, which completes the re-extracted version in place."""
    with Archive(tmp_path / "a.db", create=True) as archive:
        archive.save("example", record(1, attachments=[]), crawl_id=None, extractor=OLD,
                     capture=Capture(PAGE, url=URL), now=at(1))
        pdf = AttachmentFile(PDF_URL, body=PDF, status=200, content_type="application/pdf")
        crawl = archive.start_crawl("example", now=at(60))
        result = archive.save("example", new_reading(), crawl_id=crawl, extractor=NEW, files=[pdf],
                              reextraction=Reextraction(current_id(archive), new_reading()),
                              capture=Capture(PAGE.replace(b"1", b"2"), url=URL), now=at(60))
        assert (result.outcome, result.reextracted) == ("unchanged", 2)
        assert [e["kind"] for e in archive.events()] == ["new"]
        v2 = archive.history(URL)[1]
        assert v2["changed_fields"] == ["attachments"]
        assert v2["files"][0]["sha256"] == hashlib.sha256(PDF).hexdigest()
        assert check_consistency(archive.path) == []
