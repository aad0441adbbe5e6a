"""Shared helpers for the archive tests: records, a fake clock and consistency checks."""

from __future__ import annotations

import sqlite3
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from archive import Archive, Capture
from archive.search import search_form

T0 = datetime(2026, 11, 1, 8, 0, 0, tzinfo=UTC)


def at(minutes: int) -> datetime:
    """The fake clock: ``minutes`` after T0."""
    return T0 + timedelta(minutes=minutes)


def record(n: int = 1, **overrides: Any) -> dict[str, Any]:
    """A normalized announcement as the crawler would save it."""
    base = {
        "url": f"http://www.example.gov.cn/art/2026/11/{n}.html",
        "title": f"关于第{n}批法治政府建设示范项目的通知",
        "published": "2026-11-01",
        "body": f"为深入推进法治政府建设，现将第{n}批示范项目公布如下。\n各单位要认真组织实施。",
        "metadata": {"issuer": "市人民政府办公室", "doc_no": f"政办发〔2026〕{n}号"},
        "attachments": [{"url": f"http://www.example.gov.cn/files/{n}.pdf", "text": "附件1"}],
    }
    base.update(overrides)
    return base


def record_health(archive: Archive, site: str, kind: str, detail: str, *,
                  crawl_id: int | None = None, now: datetime | None = None) -> int:
    """Record one health event as the bookkeeping after a crawl does; returns its id."""
    (event_id,) = archive.record_site_outcome(site, {}, health=[(kind, detail, crawl_id)], now=now)
    return event_id


def rewind_before_canonical_urls(path: str | Path) -> None:
    """Make a current archive look like one written before migration 005 (and 006), so that
    opening it runs them again: their table dropped, their names unrecorded."""
    with sqlite3.connect(path) as conn:
        conn.execute("DELETE FROM _sqlite_migrations WHERE name IN "
                     "('005_canonical_urls', '006_redacted_sinks')")
        conn.execute("DROP TABLE merged_versions")
        conn.execute("DROP TABLE merged_documents")
        conn.execute("PRAGMA user_version = 4")


def check_consistency(path: str | Path) -> list[str]:
    """Problems found in an archive file (empty list = consistent)."""
    conn = sqlite3.connect(path)
    problems: list[str] = []
    if conn.execute("PRAGMA integrity_check").fetchone()[0] != "ok":
        problems.append("integrity_check failed")
    if conn.execute("PRAGMA foreign_key_check").fetchall():
        problems.append("foreign key violations")
    queries = {
        "document without its current version": """
            SELECT d.id FROM documents d LEFT JOIN versions v ON v.id = d.current_version_id
            WHERE v.id IS NULL OR v.document_id != d.id OR v.version != d.version""",
        "version numbers not contiguous": """
            SELECT document_id FROM versions GROUP BY document_id
            HAVING min(version) != 1 OR max(version) != count(*)""",
        "current version is not the latest": """
            SELECT d.id FROM documents d
            WHERE d.version != (SELECT max(version) FROM versions WHERE document_id = d.id)""",
        "re-extracted version with a capture of its own": """
            SELECT v.id FROM versions v JOIN versions p
              ON p.document_id = v.document_id AND p.version = v.version - 1
            WHERE v.reextracted AND (p.capture_id IS NOT v.capture_id OR p.fetched_at != v.fetched_at)""",
        "event without version": """
            SELECT e.id FROM events e LEFT JOIN versions v
              ON v.document_id = e.document_id AND v.version = e.version
            WHERE e.kind != 'health' AND v.id IS NULL""",
        "document without a new event": """
            SELECT d.id FROM documents d WHERE NOT EXISTS
              (SELECT 1 FROM events e WHERE e.document_id = d.id AND e.kind = 'new')""",
        "version without an event": """
            SELECT v.id FROM versions v WHERE NOT v.reextracted AND NOT EXISTS (SELECT 1 FROM events e
              WHERE e.document_id = v.document_id AND e.version = v.version)""",
    }
    for problem, sql in queries.items():
        if conn.execute(sql).fetchall():
            problems.append(problem)
    problems += _search_index_problems(conn)
    conn.close()
    return problems


def _search_index_problems(conn: sqlite3.Connection) -> list[str]:
    """The search index holds exactly the current versions, once queued updates are counted.

    Each version is probed by a trigram of its title (as indexed: in `search_form`).
    """
    rows = conn.execute(
        "SELECT v.id, v.title, d.current_version_id = v.id, q.action FROM versions v "
        "JOIN documents d ON d.id = v.document_id LEFT JOIN search_queue q ON q.version_id = v.id "
        "WHERE length(v.title) >= 3"
    ).fetchall()
    for version_id, title, is_current, queued in rows:
        if (queued == "index" and not is_current) or (queued == "unindex" and is_current):
            return [f"search queue wrong for version row {version_id}"]
        expected = (is_current and queued != "index") or queued == "unindex"
        phrase = '"' + search_form(title)[:3].replace('"', '""') + '"'
        hit = conn.execute(
            "SELECT 1 FROM versions_fts WHERE versions_fts MATCH ? AND rowid = ?", (phrase, version_id)
        ).fetchone()
        if bool(hit) != bool(expected):
            return [f"search index wrong for version row {version_id}"]
    return []


def writer_loop(path: str) -> None:
    """Save forever (new, changed, gone, restored, captures), printing the count after each save.

    Run in a subprocess by the kill test, which SIGKILLs it at an arbitrary instant.
    """
    with Archive(path, create=True) as a:
        a.index_batch = 7  # so that kills also land inside search-index batches
        crawl = a.start_crawl("example")
        i = 0
        while True:
            n = i % 40
            rec = record(n, body=f"第{i // 40}次修订。\n" + "正文内容。" * (50 + i % 7))
            if i % 11 == 0:
                a.mark_gone("example", rec["url"], crawl_id=crawl)
            page = Capture(f"<html>{i}</html>".encode() * 200, headers={"etag": str(i)})
            a.save("example", rec, crawl_id=crawl, capture=page)
            i += 1
            sys.stdout.write(f"{i}\n")
            sys.stdout.flush()
