"""Migration 004_attachment_files_and_search_extras, frozen: index every current version anew.

004 recreates the search index with two more columns (``search_meta``: 文号, 发文机关, 索引号 and
the attachment names; ``search_files``: the text of attachment files) and leaves it empty. This
fills it with the current version of every document, storing the two texts in the version row
(unindexing repeats them). No attachment file is known yet at step 4 (its tables are new), so
``search_files`` is empty.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

META_KEYS = ("doc_no", "issuer", "index_no")
BATCH = 1000


def index_current_versions(conn: sqlite3.Connection) -> int:
    """Index the current version of every document; returns how many. Inside the caller's
    transaction."""
    conn.execute("DELETE FROM search_queue")
    rows = conn.execute("SELECT v.id, v.metadata, v.attachments FROM versions v "
                        "JOIN documents d ON d.current_version_id = v.id").fetchall()
    for start in range(0, len(rows), BATCH):
        batch = rows[start:start + BATCH]
        conn.executemany("UPDATE versions SET search_meta = ?, search_files = '' WHERE id = ?",
                         [(meta_text(json.loads(metadata), json.loads(links)), vid)
                          for vid, metadata, links in batch])
    conn.execute("INSERT INTO versions_fts (rowid, title, body, search_meta, search_files) "
                 "SELECT v.id, v.title, v.body, v.search_meta, v.search_files FROM versions v "
                 "JOIN documents d ON d.current_version_id = v.id")
    return len(rows)


def meta_text(metadata: Mapping[str, Any], attachments: Sequence[Mapping[str, Any]]) -> str:
    """The searchable metadata of a version and its attachment names, one a line."""
    lines = [str(metadata[key]) for key in META_KEYS if metadata.get(key)]
    lines += [str(a.get("text") or a.get("url") or "") for a in attachments]
    return _block(line for line in lines if line)


def _block(parts: Iterable[str]) -> str:
    """Parts one after another, ending with a blank line ("" for none): every character then
    starts a trigram, even the last one."""
    text = "\n".join(parts)
    return text + "\n\n" if text else ""
