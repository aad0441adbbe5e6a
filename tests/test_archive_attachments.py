"""Attachment files in the archive: stored once, part of their version, never lost to a failure."""

from __future__ import annotations

import hashlib
import sqlite3

import pytest
from helpers_archive import at, check_consistency, record

from archive import Archive, ArchiveCorrupt, AttachmentFile, AttachmentNotFound
from archive.hashing import record_hash

PDF_URL = "http://www.example.gov.cn/files/1.pdf"
XLSX_URL = "http://www.example.gov.cn/files/名单.xlsx"
PDF = b"%PDF-1.7 first edition" + bytes(range(256)) * 40
PDF2 = b"%PDF-1.7 second edition" + bytes(range(256)) * 40


def two_links(**overrides):
    return record(1, attachments=[{"url": PDF_URL, "text": "附件1：方案.pdf"},
                                  {"url": XLSX_URL, "text": "附件2：名单.xlsx"}], **overrides)


def fetched(url, body, text="", **kw):
    return AttachmentFile(url, body=body, status=200, content_type="application/pdf", text=text,
                          headers={"ETag": '"v1"'}, **kw)


def failed(url, error="HTTP 404", status=404):
    return AttachmentFile(url, status=status, error=error)


@pytest.fixture
def archive(tmp_path):
    with Archive(tmp_path / "a.db", create=True) as a:
        yield a


def save(archive, rec, files, minute=1):
    return archive.save("example", rec, crawl_id=None, files=files, now=at(minute))


def test_files_are_recorded_per_version_and_stored_once(archive):
    result = save(archive, two_links(), [fetched(PDF_URL, PDF, "法治政府建设方案全文"),
                                         failed(XLSX_URL)])
    files = archive.attachments(result.document_id)
    assert [f["position"] for f in files] == [1, 2]
    pdf, xlsx = files
    assert pdf == {"position": 1, "name": "附件1：方案.pdf", "url": PDF_URL,
                   "sha256": hashlib.sha256(PDF).hexdigest(), "size": len(PDF),
                   "content_type": "application/pdf", "status": 200, "error": None,
                   "text_chars": len("法治政府建设方案全文"), "fetched_at": "2026-11-01T08:01:00+00:00"}
    assert (xlsx["sha256"], xlsx["status"], xlsx["error"]) == (None, 404, "HTTP 404")
    # the same bytes under another link of another document: one blob
    save(archive, record(2, attachments=[{"url": "http://x/copy.pdf", "text": "副本"}]),
         [fetched("http://x/copy.pdf", PDF)])
    assert archive.conn.execute("SELECT count(*) FROM capture_blobs").fetchone()[0] == 1
    stats = archive.stats()
    assert (stats["attachment_files"], stats["attachment_bytes"]) == (1, len(PDF))
    assert check_consistency(archive.path) == []


def test_a_document_without_files_hashes_as_before(archive):
    rec = two_links()
    result = save(archive, rec, [failed(PDF_URL), failed(XLSX_URL, "timeout", None)])
    assert archive.document(result.document_id)["content_hash"] == record_hash(rec)


def test_other_bytes_under_the_same_link_are_a_new_version(archive):
    save(archive, two_links(), [fetched(PDF_URL, PDF, "第一版 名单")])
    result = save(archive, two_links(), [fetched(PDF_URL, PDF2, "第二版 名单")], minute=2)
    assert (result.outcome, result.version, result.changed_fields) == ("changed", 2, ["attachments"])
    diff = archive.diff(result.document_id)
    assert diff["changed_fields"] == ["attachments"] and "attachments" not in diff["fields"]
    [change] = diff["attachment_changes"]
    assert change["name"] == "附件1：方案.pdf"
    assert (change["old_sha256"], change["new_sha256"]) == (hashlib.sha256(PDF).hexdigest(),
                                                              hashlib.sha256(PDF2).hexdigest())
    assert "-第一版 名单\n+第二版 名单\n" in change["text_diff"]
    assert archive.history(result.document_id)[0]["files"][0]["sha256"] == hashlib.sha256(PDF).hexdigest()


def test_a_failed_download_is_never_a_change(archive):
    first = save(archive, two_links(), [fetched(PDF_URL, PDF)])
    for minute, files in enumerate([[failed(PDF_URL)], [failed(PDF_URL, "timeout", None)], [], None], 2):
        result = save(archive, two_links(), files, minute=minute)
        assert (result.outcome, result.version) == ("unchanged", 1)
    assert archive.attachments(first.document_id)[0]["sha256"] == hashlib.sha256(PDF).hexdigest()
    # an edit of the page while the file fails: the new version keeps the last known file
    changed = save(archive, two_links(title="更正后的标题"), [failed(PDF_URL)], minute=9)
    assert changed.changed_fields == ["title"]
    assert archive.attachments(first.document_id)[0]["sha256"] == hashlib.sha256(PDF).hexdigest()
    assert [e["kind"] for e in archive.events()] == ["new", "changed"]


def test_not_modified_confirms_the_known_file(archive):
    first = save(archive, two_links(), [fetched(PDF_URL, PDF)])
    state = archive.attachment_state([PDF_URL, XLSX_URL])
    assert state == {PDF_URL: {"sha256": hashlib.sha256(PDF).hexdigest(), "etag": '"v1"',
                               "last_modified": None, "text_transient": False}}
    confirmed = AttachmentFile(PDF_URL, sha256=state[PDF_URL]["sha256"], status=304)
    result = save(archive, two_links(), [confirmed], minute=2)
    assert (result.outcome, result.version) == ("unchanged", 1)
    # a 304 on a file known from another document's link
    other = save(archive, record(5, attachments=[{"url": PDF_URL, "text": "同一附件"}]), [confirmed])
    assert archive.attachments(other.document_id)[0]["sha256"] == hashlib.sha256(PDF).hexdigest()
    assert first.document_id != other.document_id


def test_first_bytes_complete_the_current_version_without_an_event(archive):
    first = save(archive, two_links(), [failed(PDF_URL)])
    assert not archive.search("采购需求清单")
    result = save(archive, two_links(), [fetched(PDF_URL, PDF, "政府采购需求清单")], minute=2)
    assert (result.outcome, result.version) == ("unchanged", 1)
    assert [e["kind"] for e in archive.events()] == ["new"]
    doc = archive.document(first.document_id)
    assert doc["content_hash"] == archive.version(first.document_id, 1)["content_hash"]
    assert doc["files"][0]["sha256"] == hashlib.sha256(PDF).hexdigest()
    assert [h["id"] for h in archive.search("采购需求清单")] == [first.document_id]
    archive.index_pending()
    hit = archive.search("采购需求清单")[0]
    assert (hit["matched_in"], hit["matched_name"]) == ("attachment", "附件1：方案.pdf")
    assert "[采购需求清单]" in hit["snippet"]
    assert check_consistency(archive.path) == []


def test_recheck_of_an_unchanged_page_finds_an_edited_file(archive):
    first = save(archive, two_links(), [fetched(PDF_URL, PDF, "旧名单")])
    same = archive.recheck_attachments("example", PDF_URL.replace("files/1.pdf", "art/2026/11/1.html"),
                                       [fetched(PDF_URL, PDF)], crawl_id=None, now=at(2))
    assert (same.outcome, same.version) == ("unchanged", 1)
    edited = archive.recheck_attachments("example", two_links()["url"], [fetched(PDF_URL, PDF2, "新名单")],
                                         crawl_id=None, now=at(3))
    assert (edited.outcome, edited.version, edited.changed_fields) == ("changed", 2, ["attachments"])
    assert archive.document(first.document_id)["body"] == archive.version(first.document_id, 1)["body"]
    assert archive.recheck_attachments("example", "http://nowhere/x", [], crawl_id=None) is None


def test_search_covers_metadata_names_and_file_text(archive):
    rec = two_links(metadata={"doc_no": "示政发〔2026〕88号", "issuer": "示例市财政局"})
    doc = save(archive, rec, [fetched(PDF_URL, PDF, "本项目预算为壹佰万元")]).document_id
    for indexed in (False, True):
        if indexed:
            archive.index_pending()
        for query, place, name in [("示政发〔2026〕88号", "metadata", "doc_no"),
                                   ("名单.xlsx", "attachment", "附件2：名单.xlsx"),
                                   ("壹佰万元", "attachment", "附件1：方案.pdf"),
                                   ("预算 法治政府", "body", None), ("项目的通知", "title", None)]:
            [hit] = archive.search(query)
            assert hit["id"] == doc, query
            assert (hit["matched_in"], hit["matched_name"]) == (place, name), query
    assert archive.search("佰")[0]["matched_in"] == "attachment"  # one character: scanned
    assert archive.document(doc)["body"] == record(1)["body"] + "\n"  # body stays the page's


def test_attachment_bytes_come_back_verified(archive):
    doc = save(archive, two_links(), [fetched(PDF_URL, PDF), failed(XLSX_URL)]).document_id
    entry, data = archive.attachment_bytes(doc, 1)
    assert data == PDF and entry["name"] == "附件1：方案.pdf"
    with pytest.raises(AttachmentNotFound, match="HTTP 404"):
        archive.attachment_bytes(doc, 2)
    with pytest.raises(AttachmentNotFound, match="2 attachments; there is no attachment 3"):
        archive.attachment_bytes(doc, 3)
    archive.conn.execute("UPDATE capture_blobs SET codec = 'raw', data = ?", (b"tampered",))
    with pytest.raises(ArchiveCorrupt, match="do not match"):
        archive.attachment_bytes(doc, 1)


def test_incompressible_files_are_stored_raw(archive):
    noise = hashlib.sha256(b"seed").digest() * 1  # 32 bytes
    random_bytes = b"".join(hashlib.sha256(noise + bytes([i % 256, i // 256])).digest()
                            for i in range(4000))
    text_like = "附件正文内容。".encode() * 5000
    save(archive, two_links(), [fetched(PDF_URL, random_bytes), fetched(XLSX_URL, text_like)])
    codecs = dict(archive.conn.execute("SELECT size, codec FROM capture_blobs"))
    assert codecs == {len(random_bytes): "raw", len(text_like): "zlib"}


def test_export_with_text(archive):
    save(archive, two_links(), [fetched(PDF_URL, PDF, "附件的全文")])
    [plain] = archive.export()
    assert "file_text" not in plain["files"][0]
    [full] = archive.export(with_text=True)
    assert [f["file_text"] for f in full["files"]] == ["附件的全文", None]


def test_export_since_finds_restorations_and_files_completed_in_place(archive):
    restored = save(archive, record(2), [], minute=1).document_id
    archive.mark_gone("example", record(2)["url"], crawl_id=None, now=at(2))
    completed = save(archive, two_links(), [failed(PDF_URL)], minute=3).document_id
    save(archive, record(3), [], minute=4)
    save(archive, record(2), [], minute=10)  # back: restored, no new version
    save(archive, two_links(), [fetched(PDF_URL, PDF, "全文")], minute=11)  # first bytes
    assert [d["id"] for d in archive.export(since=at(10))] == [restored, completed]
    assert [d["id"] for d in archive.export(since=at(12))] == []


def test_a_reading_that_may_not_recur_is_replaced_by_a_later_one(archive):
    slow = fetched(PDF_URL, PDF, "", text_error="reading took longer than 60 s", text_transient=True)
    first = save(archive, two_links(), [slow])
    archive.index_pending()
    assert archive.attachment_state([PDF_URL])[PDF_URL]["text_transient"]
    assert not archive.search("政府采购需求清单")
    # the same bytes, read in full: under another document's link, then the first one's again
    other = save(archive, record(7, attachments=[{"url": "http://x/copy.pdf", "text": "副本"}]),
                 [fetched("http://x/copy.pdf", PDF, "政府采购需求清单")], minute=2)
    assert [h["id"] for h in archive.search("政府采购需求清单")] == [other.document_id, first.document_id]
    archive.index_pending()  # the first document's current version was re-indexed with the text
    assert [h["id"] for h in archive.search("政府采购需求清单")] == [other.document_id, first.document_id]
    entry = archive.attachments(first.document_id)[0]
    assert (entry["text_chars"], entry["error"]) == (len("政府采购需求清单"), None)
    assert not archive.attachment_state([PDF_URL])[PDF_URL]["text_transient"]
    assert [e["kind"] for e in archive.events()] == ["new", "new"]  # text is not a change
    assert check_consistency(archive.path) == []


def test_a_complete_or_refused_reading_stays(archive):
    save(archive, two_links(), [fetched(PDF_URL, PDF, "第一次读出的全文")])
    crashed = fetched(PDF_URL, PDF, "", text_error="the reader crashed on this file", text_transient=True)
    save(archive, record(8, attachments=[{"url": PDF_URL, "text": "附件"}]), [crashed], minute=2)
    assert [h["title"] for h in archive.search("第一次读出")] != []
    refused = fetched(XLSX_URL, PDF2, "", text_error="encrypted PDF (a password is needed)")
    result = save(archive, two_links(), [refused], minute=3)
    save(archive, record(9, attachments=[{"url": XLSX_URL, "text": "附件"}]),
         [fetched(XLSX_URL, PDF2, "不会有的文字")], minute=4)
    assert archive.attachments(result.document_id)[1]["error"].startswith("encrypted PDF")


def test_readings_stored_before_the_mark_are_marked_by_the_migration(tmp_path):
    path = tmp_path / "a.db"
    with Archive(path, create=True) as a:  # as schema 8 stored them: no mark
        save(a, two_links(), [fetched(PDF_URL, PDF, "", text_error="reading took longer than 60 s"),
                              fetched(XLSX_URL, PDF2, "", text_error="encrypted PDF")])
    with sqlite3.connect(path) as conn:
        conn.execute("DELETE FROM _sqlite_migrations WHERE name = '009_review_fixes'")
        conn.execute("ALTER TABLE attachment_texts DROP COLUMN transient")
        conn.execute("PRAGMA user_version = 8")
    with Archive(path) as a:
        state = a.attachment_state([PDF_URL, XLSX_URL])
        assert (state[PDF_URL]["text_transient"], state[XLSX_URL]["text_transient"]) == (True, False)
