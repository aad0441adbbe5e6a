"""Migration 005_canonical_urls, frozen: stored URLs under the canonical form of 005, and the
documents that turn out to be one page merged without rewriting history.

005's canonical form folds dot segments (``/a/x/../b.html``), escaped unreserved characters
(``%62``) and repeated slashes, which the released code saved as separate documents. Each
document and column gets its canonical URL; those that collide are merged into the first seen.

A merge never renumbers the survivor's versions and keeps every ``(document, version)`` pair
meaning what it meant. The merged-away document is recorded in ``merged_documents`` (its id is
never given to another document, and resolves to the survivor), and each of its versions in
``merged_versions``, pointing at the version that now holds its content:

- a version whose content the survivor had at the time (or had right after: the same edit, seen
  first under the other spelling) points at that survivor version and is removed;
- a version newer than all of the survivor's, with content the survivor did not have then, moves
  over as the survivor's next version (its capture, files and events with it): the page's later
  history under the other spelling;
- a version with content the survivor never had, fetched between two of the survivor's versions
  (an intermediate edit only the other spelling saw), cannot take a place in the survivor's
  numbering: it is kept read-only, whole, in ``merged_versions.record``.

The merged-away document's events follow its versions. Those that only repeat what the survivor
reported (its ``new``; a ``changed`` to content the survivor reported) are kept for the record
but marked ``detail = 'merged'``, and every listing leaves them out, so no page is listed as new
twice and no ``changed`` event announces a version that changes nothing. Columns that turn out to
be one page are merged into the oldest: its crawls' findings and its documents move over.
"""

from __future__ import annotations

import json
import re
import sqlite3
from collections import defaultdict
from collections.abc import Sequence
from functools import partial
from typing import Any
from urllib.parse import quote, unquote_plus, urlsplit, urlunsplit

#: ``events.detail`` of a merged-away document's event that repeats what the survivor reported.
MERGED = "merged"
TRACKED_FIELDS = ("title", "published", "body", "metadata", "attachments")


def recanonicalize(conn: sqlite3.Connection, merged_at: str) -> int:
    """Give every document and column its canonical URL, merging the ones that collide;
    returns the number of rows merged away. Runs inside the caller's transaction."""
    conn.execute("PRAGMA defer_foreign_keys = ON")  # rows move between documents and columns
    merged = 0
    merges = (("documents", partial(merge_documents, merged_at=merged_at)),
              ("columns", merge_columns))
    for table, merge in merges:
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


# --- columns ---------------------------------------------------------------------------------


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


# --- documents -------------------------------------------------------------------------------


def merge_documents(conn: sqlite3.Connection, doc_ids: Sequence[int], url: str, *,
                    merged_at: str) -> int:
    """Merge the documents `doc_ids` (one site) into the first seen, under `url`; its id."""
    docs = _rows(conn, "SELECT * FROM documents WHERE id IN ({}) ORDER BY first_seen, id", doc_ids)
    survivor = docs[0]
    for doc in docs:  # the search index is rebuilt for the merged document below
        _unindex(conn, doc["current_version_id"])
    for duplicate in docs[1:]:
        _fold(conn, survivor, duplicate, merged_at)
        survivor = _rows(conn, "SELECT * FROM documents WHERE id IN ({})", [survivor["id"]])[0]
    conn.execute("UPDATE documents SET url = ? WHERE id = ?", (url, survivor["id"]))
    conn.execute("INSERT INTO search_queue (version_id, action) VALUES (?, 'index')",
                 (survivor["current_version_id"],))
    return int(survivor["id"])


def _fold(conn: sqlite3.Connection, survivor: dict[str, Any], duplicate: dict[str, Any],
          merged_at: str) -> None:
    """Merge one `duplicate` document into `survivor` (module docstring)."""
    mine = _versions(conn, survivor["id"])
    theirs = _versions(conn, duplicate["id"])
    placed: dict[int, dict[str, Any] | None] = {}  # their number -> the version holding it
    for version in theirs:
        placed[version["version"]] = _place(conn, survivor["id"], version, mine)
    _repoint_events(conn, duplicate["id"], survivor["id"], theirs, placed, mine)
    for version in theirs:
        _record_version(conn, duplicate, version, placed[version["version"]])
    _move_document_columns(conn, "document_id", [duplicate["id"]], survivor["id"])
    conn.execute("UPDATE merged_documents SET survivor_id = ? WHERE survivor_id = ?",
                 (survivor["id"], duplicate["id"]))
    conn.execute("INSERT INTO merged_documents (old_id, survivor_id, url, merged_at) "
                 "VALUES (?, ?, ?, ?)", (duplicate["id"], survivor["id"], duplicate["url"], merged_at))
    conn.execute("DELETE FROM documents WHERE id = ?", (duplicate["id"],))
    _update_survivor(conn, survivor, duplicate, mine[-1])


def _place(conn: sqlite3.Connection, survivor_id: int, version: dict[str, Any],
           mine: list[dict[str, Any]]) -> dict[str, Any] | None:
    """The survivor's version that holds `version`'s content (appending it when it is the
    page's later history); None when it is kept read-only. `mine` grows with appended ones."""
    fetched = version["fetched_at"]
    then = _current_at(mine, fetched)
    if version["content_hash"] == then["content_hash"]:
        return then
    if fetched > mine[-1]["fetched_at"]:
        mine.append(_append(conn, survivor_id, version, mine[-1]))
        return mine[-1]
    same = [v for v in mine if v["content_hash"] == version["content_hash"]]
    later = [v for v in same if v["fetched_at"] >= fetched]
    if later:
        return later[0]  # the same edit, seen first under the other spelling
    return same[-1] if same else None


def _current_at(versions: list[dict[str, Any]], fetched_at: str) -> dict[str, Any]:
    """The version of `versions` (in order) that was current at `fetched_at` (else the first)."""
    earlier = [v for v in versions if v["fetched_at"] <= fetched_at]
    return earlier[-1] if earlier else versions[0]


def _append(conn: sqlite3.Connection, survivor_id: int, version: dict[str, Any],
            previous: dict[str, Any]) -> dict[str, Any]:
    """Move `version` over as the survivor's next version, changed against `previous`."""
    number = previous["version"] + 1
    # The hashes differ: if no field does, the files do (a version's hash covers its files).
    changed = _changed_fields(previous, version) or ["attachments"]
    conn.execute("UPDATE versions SET document_id = ?, version = ?, changed_fields = ? WHERE id = ?",
                 (survivor_id, number, _json(changed), version["id"]))
    return {**version, "document_id": survivor_id, "version": number, "changed_fields": changed}


def _repoint_events(conn: sqlite3.Connection, old_id: int, survivor_id: int,
                    theirs: list[dict[str, Any]], placed: dict[int, dict[str, Any] | None],
                    mine: list[dict[str, Any]]) -> None:
    """The duplicate's events follow its versions; repeats are marked ``MERGED``."""
    fetched = {v["version"]: v["fetched_at"] for v in theirs}
    moved = {n for n, held in placed.items() if held is not None and held["id"] in
             {v["id"] for v in theirs}}
    for event_id, kind, number in conn.execute(
            "SELECT id, kind, version FROM events WHERE document_id = ?", (old_id,)).fetchall():
        held = placed.get(number) or _current_at(mine, fetched.get(number, ""))
        repeat = kind == "new" or (kind == "changed" and number not in moved)
        conn.execute("UPDATE events SET document_id = ?, version = ?, "
                     "detail = CASE WHEN ? THEN ? ELSE detail END WHERE id = ?",
                     (survivor_id, held["version"], repeat, MERGED, event_id))


def _record_version(conn: sqlite3.Connection, duplicate: dict[str, Any], version: dict[str, Any],
                    held: dict[str, Any] | None) -> None:
    """``merged_versions`` row of one of the duplicate's versions; removes the version unless
    it moved over (kept read-only in the row when no survivor version holds its content)."""
    record = None if held is not None else _json(_whole_version(conn, duplicate, version))
    conn.execute("INSERT INTO merged_versions (document_id, version, version_id, record) "
                 "VALUES (?, ?, ?, ?)",
                 (duplicate["id"], version["version"], held["id"] if held else None, record))
    if held is None or held["id"] != version["id"]:
        conn.execute("DELETE FROM search_queue WHERE version_id = ?", (version["id"],))
        conn.execute("DELETE FROM version_attachments WHERE version_id = ?", (version["id"],))
        conn.execute("DELETE FROM versions WHERE id = ?", (version["id"],))


def _whole_version(conn: sqlite3.Connection, duplicate: dict[str, Any],
                   version: dict[str, Any]) -> dict[str, Any]:
    """A version kept read-only: its fields, provenance and file rows (its capture stays)."""
    files = _rows(conn, "SELECT position, url, name, sha256, size, content_type, status, headers, "
                        "fetched_at, error FROM version_attachments WHERE version_id IN ({}) "
                        "ORDER BY position", [version["id"]])
    keys = ("title", "published", "body", "content_hash", "crawl_id", "fetched_at", "capture_id")
    return {**{k: version[k] for k in keys}, "metadata": version["metadata"],
            "attachments": version["attachments"], "changed_fields": version["changed_fields"],
            "first_seen": duplicate["first_seen"],
            "files": [{**f, "headers": json.loads(f["headers"] or "{}")} for f in files]}


def _update_survivor(conn: sqlite3.Connection, survivor: dict[str, Any], duplicate: dict[str, Any],
                     current: dict[str, Any]) -> None:
    """The survivor's row: its current version, first and last sightings, and the status and
    validators of whichever spelling was checked last (what was known last)."""
    latest = max((survivor, duplicate), key=lambda d: (d["last_checked"], d["id"]))
    conn.execute(
        "UPDATE documents SET version = ?, current_version_id = ?, title = ?, published = ?, "
        "content_hash = ?, first_seen = ?, last_seen = ?, last_checked = ?, status = ?, "
        "gone_at = ?, etag = ?, last_modified = ? WHERE id = ?",
        (current["version"], current["id"], current["title"], current["published"],
         current["content_hash"], min(survivor["first_seen"], duplicate["first_seen"]),
         max(survivor["last_seen"], duplicate["last_seen"]), latest["last_checked"],
         latest["status"], latest["gone_at"], latest["etag"], latest["last_modified"],
         survivor["id"]))


def _unindex(conn: sqlite3.Connection, version_id: int) -> None:
    """Take a current version out of the search index (or its queue) now: it may be removed.

    An indexed version is deleted from the external-content index with the values it was
    indexed with (stored in the row); one still queued for indexing is only dequeued.
    """
    queued = conn.execute("SELECT action FROM search_queue WHERE version_id = ?",
                          (version_id,)).fetchone()
    conn.execute("DELETE FROM search_queue WHERE version_id = ?", (version_id,))
    if queued is not None and queued[0] == "index":
        return
    conn.execute("INSERT INTO versions_fts (versions_fts, rowid, title, body, search_meta, "
                 "search_files) SELECT 'delete', id, title, body, search_meta, search_files "
                 "FROM versions WHERE id = ?", (version_id,))
    conn.execute("UPDATE versions SET search_meta = NULL, search_files = NULL WHERE id = ?",
                 (version_id,))


def _versions(conn: sqlite3.Connection, doc_id: int) -> list[dict[str, Any]]:
    rows = _rows(conn, "SELECT * FROM versions WHERE document_id IN ({}) ORDER BY version", [doc_id])
    for row in rows:
        for key in ("metadata", "attachments", "changed_fields"):
            row[key] = json.loads(row[key])
    return rows


# --- comparing stored fields (archive.hashing as of 005) -----------------------------------------

_SPACES = re.compile(r"\s+")


def _changed_fields(old: dict[str, Any], new: dict[str, Any]) -> list[str]:
    """Tracked field names whose stored values differ other than by whitespace."""
    return [n for n in TRACKED_FIELDS if _field_key(old.get(n)) != _field_key(new.get(n))]


def _field_key(value: Any) -> str:
    return _json(_without_spaces(value))


def _without_spaces(value: Any) -> Any:
    if isinstance(value, str):
        return _SPACES.sub("", value)
    if isinstance(value, dict):
        items = ((str(k), _without_spaces(v)) for k, v in value.items())
        return {k: v for k, v in sorted(items) if v not in (None, "", [], {})}
    if isinstance(value, list):
        return [_without_spaces(v) for v in value]
    return value


def _json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


# --- the canonical URL form of 005 (archive.urls.canonical_url as of this migration) ---------

TRACKING_PARAMS = frozenset(
    {
        "spm", "from", "scm", "share_token", "sharer", "share_from", "share_source",
        "isappinstalled", "scene", "clicktime", "enterid", "nsukey", "wfr", "vd_source",
        "gclid", "dclid", "fbclid", "msclkid", "yclid", "igshid", "mc_cid", "mc_eid",
        "_hsenc", "_hsmi", "ref_src", "_",
    }
)
DEFAULT_PORTS = {"http": 80, "https": 443}
_PERCENT = re.compile(r"%([0-9a-fA-F]{2})")
_UNRESERVED = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")
_SLASHES = re.compile(r"/{2,}")
_PATH_SAFE = "/%:@!$&'()*+,;=-._~"
_QUERY_SAFE = _PATH_SAFE + "?"


def canonical_url(url: str) -> str:
    """005's identity form of a URL (never raises: a malformed URL is kept as given)."""
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:
        return url.strip()
    scheme = parts.scheme.lower()
    netloc = _host(parts.hostname or "")
    if parts.username or parts.password:
        userinfo = parts.username or ""
        if parts.password:
            userinfo += f":{parts.password}"
        netloc = f"{userinfo}@{netloc}"
    if port is not None and DEFAULT_PORTS.get(scheme) != port:
        netloc = f"{netloc}:{port}"
    path = _canonical_path(parts.path) or ("/" if netloc else "")
    return urlunsplit((scheme, netloc, path, _clean_query(parts.query), ""))


def _host(hostname: str) -> str:
    host = hostname.lower()
    if host.isascii():
        return f"[{host}]" if ":" in host else host
    try:
        return host.encode("idna").decode("ascii")
    except UnicodeError:
        return host


def _canonical_path(path: str) -> str:
    path = quote(_normalize_escapes(path), safe=_PATH_SAFE)
    return _remove_dot_segments(_SLASHES.sub("/", path))


def _remove_dot_segments(path: str) -> str:
    segments = path.split("/")
    if "." not in segments and ".." not in segments:
        return path
    out: list[str] = []
    for segment in segments:
        if segment == "..":
            if len(out) > 1:
                out.pop()
        elif segment != ".":
            out.append(segment)
    if segments[-1] in (".", ".."):
        out.append("")
    return "/".join(out) or "/"


def _clean_query(query: str) -> str:
    if not query:
        return ""
    pieces = [p for p in query.split("&") if p]
    kept = [p for p in pieces if not _is_tracking(unquote_plus(p.split("=", 1)[0]))]
    return quote(_normalize_escapes("&".join(kept)), safe=_QUERY_SAFE)


def _is_tracking(name: str) -> bool:
    lowered = name.lower()
    return lowered in TRACKING_PARAMS or lowered.startswith("utm_")


def _normalize_escapes(text: str) -> str:
    def fix(match: re.Match[str]) -> str:
        char = chr(int(match.group(1), 16))
        return char if char in _UNRESERVED else match.group(0).upper()

    return _PERCENT.sub(fix, text)


def _rows(conn: sqlite3.Connection, sql: str, ids: Sequence[int]) -> list[dict[str, Any]]:
    cursor = conn.execute(sql.format(_marks(ids)), list(ids))
    names = [c[0] for c in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor]


def _marks(ids: Sequence[int]) -> str:
    return ", ".join("?" * len(ids))
