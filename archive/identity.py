"""Stored documents under a new canonical URL form (migration 004_canonical_urls).

When `archive.urls.canonical_url` learns to fold more spellings of one URL (dot segments,
escaped unreserved characters, repeated slashes), documents saved before keep their old
`url`. `recanonicalize` rewrites each to its canonical form; documents that turn out to be
one page (``/a/x/../b.html`` and ``/a/b.html`` were saved apart) are merged into the first
seen, losing nothing: every version moves over, renumbered in the order it was fetched, and
every event follows its version (events keep their kind: they say what was reported then).
"""

from __future__ import annotations

import json
import sqlite3
from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from .hashing import TRACKED_FIELDS, changed_fields, to_json
from .urls import canonical_url


def recanonicalize(conn: sqlite3.Connection) -> int:
    """Give every document its canonical URL, merging the ones that collide; returns the
    number of documents merged away. Runs inside the caller's transaction."""
    groups: dict[tuple[int, str], list[tuple[int, str]]] = defaultdict(list)
    for doc_id, site_id, url in conn.execute("SELECT id, site_id, url FROM documents ORDER BY id"):
        groups[(site_id, canonical_url(url))].append((doc_id, url))
    conn.execute("PRAGMA defer_foreign_keys = ON")  # versions and events move between documents
    merged = 0
    for (_site, url), docs in groups.items():
        if len(docs) > 1:
            merge_documents(conn, [doc_id for doc_id, _ in docs], url)
            merged += len(docs) - 1
        elif docs[0][1] != url:
            conn.execute("UPDATE documents SET url = ? WHERE id = ?", (url, docs[0][0]))
    return merged


def merge_documents(conn: sqlite3.Connection, doc_ids: Sequence[int], url: str) -> int:
    """Merge the documents `doc_ids` (one site) into the first seen, under `url`; its id."""
    docs = _rows(conn, "SELECT * FROM documents WHERE id IN ({}) ORDER BY first_seen, id", doc_ids)
    survivor = docs[0]["id"]
    versions = _rows(conn, "SELECT * FROM versions WHERE document_id IN ({}) "
                           "ORDER BY fetched_at, id", doc_ids)
    events = _rows(conn, "SELECT id, document_id, version FROM events "
                         "WHERE document_id IN ({})", doc_ids)
    numbers = _renumber(conn, versions, survivor)
    for event in events:  # by id: (document, version) pairs are being reused as we go
        conn.execute("UPDATE events SET document_id = ?, version = ? WHERE id = ?",
                     (survivor, numbers[(event["document_id"], event["version"])], event["id"]))
    current = versions[-1]
    _reindex(conn, {d["current_version_id"] for d in docs}, current["id"])
    duplicates = [d["id"] for d in docs[1:]]
    conn.execute(f"DELETE FROM documents WHERE id IN ({_marks(duplicates)})", duplicates)
    latest = max(docs, key=lambda d: (d["last_checked"], d["id"]))  # what we knew last
    conn.execute(
        "UPDATE documents SET url = ?, version = ?, current_version_id = ?, title = ?, "
        "published = ?, content_hash = ?, first_seen = ?, last_seen = ?, last_checked = ?, "
        "status = ?, gone_at = ?, etag = ?, last_modified = ? WHERE id = ?",
        (url, len(versions), current["id"], current["title"], current["published"],
         current["content_hash"], min(d["first_seen"] for d in docs),
         max(d["last_seen"] for d in docs), latest["last_checked"], latest["status"],
         latest["gone_at"], latest["etag"], latest["last_modified"], survivor))
    return int(survivor)


def _renumber(conn: sqlite3.Connection, versions: list[dict[str, Any]],
              survivor: int) -> dict[tuple[int, int], int]:
    """Move `versions` (in fetch order) to `survivor` as 1..n with fresh changed_fields;
    the map from (old document, old number) to the new number."""
    # Two steps around UNIQUE (document_id, version): first above every number in use.
    offset = max(v["version"] for v in versions) + len(versions)
    previous: dict[str, Any] | None = None
    numbers = {}
    for number, v in enumerate(versions, start=1):
        fields = _fields(v)
        changed = list(TRACKED_FIELDS) if previous is None else changed_fields(previous, fields)
        conn.execute("UPDATE versions SET document_id = ?, version = ?, changed_fields = ? "
                     "WHERE id = ?", (survivor, offset + number, to_json(changed), v["id"]))
        numbers[(v["document_id"], v["version"])] = number
        previous = fields
    conn.execute("UPDATE versions SET version = version - ? WHERE document_id = ?",
                 (offset, survivor))
    return numbers


def _reindex(conn: sqlite3.Connection, old_currents: set[int], current: int) -> None:
    """Queue search-index updates: only `current` stays indexed (as Archive._unindex does)."""
    for version_id in old_currents - {current}:
        dropped = conn.execute("DELETE FROM search_queue WHERE version_id = ? AND action = 'index'",
                               (version_id,)).rowcount
        if not dropped:
            conn.execute("INSERT OR IGNORE INTO search_queue (version_id, action) "
                         "VALUES (?, 'unindex')", (version_id,))
    if current in old_currents:
        return
    # An older version becomes current: still indexed if its unindexing is only queued.
    undone = conn.execute("DELETE FROM search_queue WHERE version_id = ? AND action = 'unindex'",
                          (current,)).rowcount
    if not undone:
        conn.execute("INSERT INTO search_queue (version_id, action) VALUES (?, 'index')",
                     (current,))


def _fields(version: dict[str, Any]) -> dict[str, Any]:
    return {"title": version["title"], "published": version["published"],
            "body": version["body"], "metadata": json.loads(version["metadata"]),
            "attachments": json.loads(version["attachments"])}


def _rows(conn: sqlite3.Connection, sql: str, ids: Sequence[int]) -> list[dict[str, Any]]:
    cursor = conn.execute(sql.format(_marks(ids)), list(ids))
    names = [c[0] for c in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor]


def _marks(ids: Sequence[int]) -> str:
    return ", ".join("?" * len(ids))
