"""Stored documents and columns under a new canonical URL form (migration 005_canonical_urls).

When `archive.urls.canonical_url` learns to fold more spellings of one URL (dot segments,
escaped unreserved characters, repeated slashes), rows saved before keep their old `url`.
`recanonicalize` rewrites each to its canonical form. Documents that turn out to be one page
(``/a/x/../b.html`` and ``/a/b.html`` were saved apart) are merged into the first seen, losing
nothing: every version moves over, renumbered in the order it was fetched, every event follows
its version (events keep their kind: they say what was reported then), and the columns that
listed either list the merged one. Columns that turn out to be one page are merged into the
oldest: its crawls' findings and its documents move over.
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
    """Give every document and column its canonical URL, merging the ones that collide;
    returns the number of rows merged away. Runs inside the caller's transaction."""
    conn.execute("PRAGMA defer_foreign_keys = ON")  # rows move between documents and columns
    merged = 0
    for table, merge in (("documents", merge_documents), ("columns", merge_columns)):
        for url, ids, renamed in _collisions(conn, table):
            if len(ids) > 1:
                merge(conn, ids, url)
                merged += len(ids) - 1
            elif renamed:
                conn.execute(f"UPDATE {table} SET url = ? WHERE id = ?", (url, ids[0]))
    return merged


def _collisions(conn: sqlite3.Connection, table: str) -> list[tuple[str, list[int], bool]]:
    """(canonical URL, ids of the rows of one site under it, whether a URL changes)."""
    groups: dict[tuple[int, str], list[tuple[int, str]]] = defaultdict(list)
    for row_id, site_id, url in conn.execute(f"SELECT id, site_id, url FROM {table} ORDER BY id"):
        groups[(site_id, canonical_url(url))].append((row_id, url))
    return [(url, [row_id for row_id, _ in rows], any(old != url for _, old in rows))
            for (_site, url), rows in groups.items()]


def merge_columns(conn: sqlite3.Connection, column_ids: Sequence[int], url: str) -> int:
    """Merge the columns `column_ids` (one site) into the oldest, under `url`; its id."""
    survivor, others = column_ids[0], list(column_ids[1:])
    marks = _marks(others)
    # The same crawl may have walked both spellings: its findings add up.
    conn.execute(
        "INSERT INTO column_crawls (column_id, crawl_id, outcome, detail, list_pages, items, new) "
        f"SELECT ?, crawl_id, outcome, detail, list_pages, items, new FROM column_crawls "
        f"WHERE column_id IN ({marks}) ORDER BY column_id "
        "ON CONFLICT (column_id, crawl_id) DO UPDATE SET list_pages = list_pages + "
        "excluded.list_pages, items = items + excluded.items, new = new + excluded.new",
        [survivor, *others])
    _move_document_columns(conn, "column_id", others, survivor)
    conn.execute(
        f"UPDATE columns SET url = ?, watched = (SELECT max(watched) FROM columns "
        f"WHERE id IN ({_marks(column_ids)})), name = coalesce(name, (SELECT name FROM columns "
        f"WHERE id IN ({marks}) AND name IS NOT NULL ORDER BY id LIMIT 1)) WHERE id = ?",
        [url, *column_ids, *others, survivor])
    conn.execute(f"DELETE FROM column_crawls WHERE column_id IN ({marks})", others)
    conn.execute(f"DELETE FROM columns WHERE id IN ({marks})", others)
    return survivor


def _move_document_columns(conn: sqlite3.Connection, key: str, old_ids: Sequence[int],
                           new_id: int) -> None:
    """Re-point ``document_columns`` rows from `old_ids` to `new_id` (``key``: document_id or
    column_id); where the pair exists already the earlier sighting wins."""
    other = "column_id" if key == "document_id" else "document_id"
    marks = _marks(old_ids)
    conn.execute(
        f"INSERT INTO document_columns ({key}, {other}, first_seen, crawl_id) "
        f"SELECT ?, {other}, first_seen, crawl_id FROM document_columns WHERE {key} IN ({marks}) "
        f"ORDER BY first_seen ON CONFLICT (document_id, column_id) DO UPDATE SET "
        "crawl_id = CASE WHEN excluded.first_seen < first_seen THEN excluded.crawl_id "
        "ELSE crawl_id END, first_seen = min(first_seen, excluded.first_seen)",
        [new_id, *old_ids])
    conn.execute(f"DELETE FROM document_columns WHERE {key} IN ({marks})", list(old_ids))


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
    _move_document_columns(conn, "document_id", duplicates, survivor)
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
