"""An archive written before attachment files (schema 001) migrates: same hashes, searchable
metadata, and its old documents take their files without an event."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from helpers_archive import at, check_consistency, record
from sqlite_utils import Database

from archive import Archive, AttachmentFile
from archive.hashing import record_hash, to_json
from archive.migrations import APPLICATION_ID, migrations

ATTACHMENTS_MIGRATION = "004_attachment_files_and_search_extras"


def old_archive(path: Path) -> list[str]:
    """Schema 001 only, with two documents saved and indexed as the old code did."""
    conn = sqlite3.connect(path, isolation_level=None)
    db = Database(conn)
    migrations.apply(db, stop_before=ATTACHMENTS_MIGRATION)
    conn.execute(f"PRAGMA application_id = {APPLICATION_ID}")
    conn.execute("PRAGMA user_version = 1")
    conn.execute("INSERT INTO sites (id, name, created_at) VALUES (1, 'example', ?)", (at(0).isoformat(),))
    hashes = []
    for n in (1, 2):
        rec = record(n, metadata={"doc_no": f"示政发〔2026〕{n}号", "issuer": "示例市财政局"})
        digest = record_hash(rec)
        hashes.append(digest)
        t = at(n).isoformat()
        conn.execute(
            "INSERT INTO versions (id, document_id, version, fetched_at, content_hash, changed_fields, "
            "title, published, metadata, attachments, body) VALUES (?, ?, 1, ?, ?, '[]', ?, ?, ?, ?, ?)",
            (n, n, t, digest, rec["title"], rec["published"],
             to_json(rec["metadata"]), to_json(rec["attachments"]), rec["body"] + "\n"))
        conn.execute(
            "INSERT INTO documents (id, site_id, url, version, current_version_id, title, published, "
            "content_hash, first_seen, last_seen, last_checked) VALUES (?, 1, ?, 1, ?, ?, ?, ?, ?, ?, ?)",
            (n, rec["url"], n, rec["title"], rec["published"], digest, t, t, t))
        conn.execute("INSERT INTO events (kind, time, site_id, document_id, version) VALUES "
                     "('new', ?, 1, ?, 1)", (t, n))
        conn.execute("INSERT INTO versions_fts (rowid, title, body) VALUES (?, ?, ?)",
                     (n, rec["title"], rec["body"] + "\n"))
    conn.close()
    return hashes


def test_an_old_archive_migrates(tmp_path):
    path = tmp_path / "old.db"
    hashes = old_archive(path)
    with Archive(path) as archive:
        assert [archive.document(n)["content_hash"] for n in (1, 2)] == hashes
        assert [h["id"] for h in archive.search("示政发〔2026〕2号")] == [2]  # metadata now searchable
        assert [h["id"] for h in archive.search("法治政府建设示范")] == [2, 1]
        pdf = record(1)["attachments"][0]["url"]
        unchanged = archive.save("example", record(1, metadata={"doc_no": "示政发〔2026〕1号",
                                                                 "issuer": "示例市财政局"}),
                                 crawl_id=None, files=[AttachmentFile(pdf, body=b"%PDF-1.4 x", text="附件正文")],
                                 now=at(9))
        assert (unchanged.outcome, unchanged.version) == ("unchanged", 1)  # completed in place
        assert [e["kind"] for e in archive.events()] == ["new", "new"]
        assert archive.search("附件正文")[0]["id"] == 1
    assert check_consistency(path) == []
