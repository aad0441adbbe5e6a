"""Row -> JSON-ready dict conversion for the public record shapes."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from typing import Any

JSON_COLUMNS = frozenset({"metadata", "attachments", "changed_fields", "stats", "headers", "data"})

DOCUMENT_COLUMNS = """
    d.id, d.url, s.name AS site, v.title, v.published, v.body, v.metadata, v.attachments,
    d.first_seen, d.last_seen, d.last_checked, d.status, d.gone_at, d.version, d.content_hash
"""
DOCUMENT_FROM = """
    FROM documents d
    JOIN sites s ON s.id = d.site_id
    JOIN versions v ON v.id = d.current_version_id
"""
VERSION_SELECT = """
    SELECT v.document_id, d.url, s.name AS site, v.version, v.title, v.published, v.body,
           v.metadata, v.attachments, v.content_hash, v.changed_fields, v.crawl_id,
           v.fetched_at, c.sha256 AS capture_sha, d.first_seen, d.status
    FROM versions v
    JOIN documents d ON d.id = v.document_id
    JOIN sites s ON s.id = d.site_id
    LEFT JOIN captures c ON c.id = v.capture_id
"""
EVENT_SELECT = """
    SELECT e.id, e.kind, e.time, e.crawl_id, e.document_id, e.version, d.url, s.name AS site,
           v.title, v.published, d.first_seen, d.status, e.health_kind, e.detail
    FROM events e
    JOIN sites s ON s.id = e.site_id
    LEFT JOIN documents d ON d.id = e.document_id
    LEFT JOIN versions v ON v.document_id = e.document_id AND v.version = e.version
"""
CRAWL_SELECT = """
    SELECT c.id, s.name AS site, c.started_at, c.finished_at, c.outcome, c.stats
    FROM crawls c JOIN sites s ON s.id = c.site_id
"""


def rows(conn: sqlite3.Connection, sql: str, params: Any = ()) -> Iterator[dict[str, Any]]:
    """Run ``sql`` and yield dicts, decoding JSON columns."""
    cursor = conn.execute(sql, params)
    keys = [d[0] for d in cursor.description]
    for row in cursor:
        yield decode(dict(zip(keys, row)))


def one(conn: sqlite3.Connection, sql: str, params: Any = ()) -> dict[str, Any] | None:
    """First row of ``sql`` as a dict, or None."""
    return next(rows(conn, sql, params), None)


def decode(record: dict[str, Any]) -> dict[str, Any]:
    """Parse the JSON-encoded columns of a row in place."""
    for key in JSON_COLUMNS.intersection(record):
        if isinstance(record[key], str):
            record[key] = json.loads(record[key])
    return record
