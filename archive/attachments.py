"""Attachment files: what a version records about the file behind each attachment link.

A version's ``attachments`` JSON stays the page's links (``{"url", "text"}``). The files are
recorded beside it, one row per link whose file was fetched or tried (``version_attachments``):
the bytes content-addressed in ``capture_blobs`` (shared with page captures), their text by
sha256 in ``attachment_texts``. The bytes are part of the version: the content hash of a version
with files is the hash of its fields plus the ``(url, sha256)`` of each file
(:func:`with_files`); a version without files hashes exactly as before.

What a crawl learned about a link (:class:`AttachmentFile`) is resolved against the current
version's rows (:func:`resolve`): new bytes make a new row; a file confirmed unchanged (HTTP
304), a failed download or no fetch at all keeps the last known row, so a failure is never a
change.
"""

from __future__ import annotations

import hashlib
import json
import posixpath
import sqlite3
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote, urlsplit

from .hashing import collapse, to_json

#: The stored columns of a file row, in table order (without id, version_id, position).
ROW_COLUMNS = ("url", "name", "sha256", "size", "content_type", "status", "headers", "fetched_at",
               "error")
#: The public record of an attachment file (``files`` in ``show --json``).
PUBLIC_KEYS = ("name", "url", "sha256", "size", "content_type", "status", "error", "text_chars",
               "fetched_at")


@dataclass(frozen=True)
class AttachmentFile:
    """What a crawl learned about the file behind one attachment link.

    Exactly one of: new bytes (``body``), a stored file confirmed unchanged (``sha256``, e.g.
    an HTTP 304 to a conditional request), or neither (``error`` says why: ``HTTP 404``,
    ``timeout``, ``larger than 50 MB`` ...). ``content_type`` is sniffed from the bytes;
    ``text`` (NFKC-normalized) and ``text_error`` come from reading them; ``text_transient``:
    the reading failed or stopped for a reason that may not recur (time, a crash).
    """

    url: str
    body: bytes | None = None
    sha256: str | None = None
    status: int | None = None
    headers: Mapping[str, str] = field(default_factory=dict)
    content_type: str | None = None
    text: str | None = None
    text_error: str | None = None
    text_transient: bool = False
    error: str | None = None
    fetched_at: str | None = None  # stored ISO time; the save's time when None

    @property
    def digest(self) -> str | None:
        """The sha256 of the file's bytes, new or confirmed; None without bytes."""
        if self.body is not None:
            return hashlib.sha256(self.body).hexdigest()
        return self.sha256


def file_name(url: str) -> str:
    """The last path segment of `url`, percent-decoded (a name for an unnamed link)."""
    return unquote(posixpath.basename(urlsplit(url).path)) or url


def link_name(link: Mapping[str, Any]) -> str:
    """What a link is called: its text, else its file name."""
    return str(link.get("text") or file_name(str(link.get("url") or "")))


def with_files(digest: str, pairs: Sequence[tuple[str, str]]) -> str:
    """The content hash of a version: its fields' `digest`, plus its files' (url, sha256)."""
    if not pairs:
        return digest
    key = digest + "\x1f" + to_json([list(p) for p in pairs])
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def file_pairs(rows: Iterable[Mapping[str, Any]]) -> list[tuple[str, str]]:
    """(url, sha256) of the rows that have bytes, in link order."""
    ordered = sorted(rows, key=lambda r: r["position"])
    return [(r["url"], r["sha256"]) for r in ordered if r.get("sha256")]


def completes(old: Sequence[tuple[str, str]], new: Sequence[tuple[str, str]]) -> bool:
    """True if `new` only adds files to links that had none in `old` (a first fetch)."""
    before, after = dict(old), dict(new)
    return len(after) > len(before) and all(after.get(url) == sha for url, sha in before.items())


def changed_urls(old: Sequence[tuple[str, str]], new: Sequence[tuple[str, str]]) -> list[str]:
    """URLs whose file differs between two versions (new, gone or other bytes)."""
    before, after = dict(old), dict(new)
    return [url for url in dict.fromkeys([*before, *after]) if before.get(url) != after.get(url)]


# --- resolving a crawl's files against the current version ------------------------------------


def resolve(links: Sequence[Mapping[str, Any]], files: Sequence[AttachmentFile] | None,
            previous: Sequence[Mapping[str, Any]], known: Mapping[tuple[str, str], Mapping[str, Any]],
            t: str) -> list[dict[str, Any]]:
    """The file rows of a version with these `links`, in link order (positions from 1).

    `previous` are the current version's rows; `known` maps ``(url, sha256)`` to a stored row
    (for a file confirmed by a 304). A link keeps its previous row unless the crawl brought new
    bytes for it; a link with neither gets a row only when the crawl tried it (its error).
    """
    by_url = {f.url: f for f in files or ()}
    before = {r["url"]: r for r in previous}
    rows = []
    for position, link in enumerate(links, start=1):
        url = str(link.get("url") or "")
        row = _row(url, link_name(link), by_url.get(url), before.get(url), known, t)
        if row is not None:
            rows.append({**row, "position": position})
    return rows


def _row(url: str, name: str, got: AttachmentFile | None, before: Mapping[str, Any] | None,
         known: Mapping[tuple[str, str], Mapping[str, Any]], t: str) -> dict[str, Any] | None:
    if got is not None and got.body is not None:
        return {"url": url, "name": name, "sha256": got.digest, "size": len(got.body),
                "content_type": got.content_type, "status": got.status,
                "headers": dict(got.headers), "fetched_at": got.fetched_at or t, "error": None}
    if got is not None and got.sha256:
        if before is not None and before.get("sha256") == got.sha256:
            return {**_stored(before), "name": name}
        if (url, got.sha256) in known:
            return {**_stored(known[(url, got.sha256)]), "url": url, "name": name}
    if before is not None and (before.get("sha256") or got is None):
        return {**_stored(before), "name": name}  # last known bytes: a failure is no change
    if got is None:
        return None
    return {"url": url, "name": name, "sha256": None, "size": None, "content_type": got.content_type,
            "status": got.status, "headers": dict(got.headers), "fetched_at": got.fetched_at or t,
            "error": got.error or (f"HTTP {got.status}" if got.status else "not fetched")}


def _stored(row: Mapping[str, Any]) -> dict[str, Any]:
    return {k: row.get(k) for k in ROW_COLUMNS}


# --- SQL ----------------------------------------------------------------------------------------

_ROW_SELECT = ("SELECT a.position, a.url, a.name, a.sha256, a.size, a.content_type, a.status, "
               "a.headers, a.fetched_at, a.error, t.chars AS text_chars, t.error AS text_error "
               "FROM version_attachments a LEFT JOIN attachment_texts t ON t.sha256 = a.sha256 ")


def rows_of(conn: sqlite3.Connection, version_id: int) -> list[dict[str, Any]]:
    """The file rows of one version, in link order (headers decoded)."""
    cur = conn.execute(_ROW_SELECT + "WHERE a.version_id = ? ORDER BY a.position", (version_id,))
    return [_decoded(cur, row) for row in cur.fetchall()]


def rows_of_versions(conn: sqlite3.Connection,
                     version_ids: Sequence[int]) -> dict[int, list[dict[str, Any]]]:
    """``{version id: rows}`` for many versions at once."""
    out: dict[int, list[dict[str, Any]]] = {vid: [] for vid in version_ids}
    if not version_ids:
        return out
    cur = conn.execute("SELECT a.version_id, " + _ROW_SELECT[len("SELECT "):]
                       + "WHERE a.version_id IN (SELECT value FROM json_each(?)) "
                       "ORDER BY a.version_id, a.position", (json.dumps(list(version_ids)),))
    for row in cur.fetchall():
        record = _decoded(cur, row)
        out[record.pop("version_id")].append(record)
    return out


def with_texts(conn: sqlite3.Connection,
               rows: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """File rows read elsewhere (a version kept read-only), with ``text_chars`` and
    ``text_error`` as `rows_of` reads them."""
    out = []
    for row in rows:
        text = conn.execute("SELECT chars, error FROM attachment_texts WHERE sha256 = ?",
                            (row.get("sha256"),)).fetchone() if row.get("sha256") else None
        out.append({**row, "text_chars": text[0] if text else None,
                    "text_error": text[1] if text else None})
    return out


def known_rows(conn: sqlite3.Connection,
               files: Sequence[AttachmentFile]) -> dict[tuple[str, str], dict[str, Any]]:
    """The newest stored row of each ``(url, sha256)`` that a crawl confirmed without bytes."""
    out = {}
    for f in files:
        if f.body is None and f.sha256:
            cur = conn.execute(_ROW_SELECT + "WHERE a.url = ? AND a.sha256 = ? ORDER BY a.id DESC "
                               "LIMIT 1", (f.url, f.sha256))
            row = cur.fetchone()
            if row is not None:
                out[(f.url, f.sha256)] = _decoded(cur, row)
    return out


def insert_rows(conn: sqlite3.Connection, version_id: int, rows: Sequence[Mapping[str, Any]]) -> None:
    conn.executemany(
        "INSERT INTO version_attachments (version_id, position, url, name, sha256, size, "
        "content_type, status, headers, fetched_at, error) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [(version_id, r["position"], r["url"], r["name"], r["sha256"], r["size"], r["content_type"],
          r["status"], to_json(r.get("headers") or {}), r["fetched_at"], r["error"]) for r in rows],
    )


def store_texts(conn: sqlite3.Connection, files: Sequence[AttachmentFile]) -> list[str]:
    """Record the text of each new file; returns the sha256 of those whose stored text was
    replaced. A reading stays, unless it failed or stopped for a reason that may not recur
    (``transient``) and this one did not, or got further."""
    replaced = []
    for f in files:
        if f.body is None:
            continue
        text = f.text or ""
        stored = conn.execute("SELECT transient, chars FROM attachment_texts WHERE sha256 = ?",
                              (f.digest,)).fetchone()
        if stored is None:
            conn.execute("INSERT INTO attachment_texts (sha256, text, chars, error, transient) "
                         "VALUES (?, ?, ?, ?, ?)", (f.digest, text, len(text), f.text_error,
                                                    int(f.text_transient)))
        elif stored[0] and (not f.text_transient or len(text) > stored[1]):
            conn.execute("UPDATE attachment_texts SET text = ?, chars = ?, error = ?, "
                         "transient = ? WHERE sha256 = ?",
                         (text, len(text), f.text_error, int(f.text_transient), f.digest))
            replaced.append(str(f.digest))
    return replaced


def remember(conn: sqlite3.Connection, files: Sequence[AttachmentFile], t: str) -> None:
    """Keep each fetched URL's validators (ETag, Last-Modified) for the next conditional check."""
    for f in files:
        if f.digest is None:
            continue
        headers = {k.lower(): v for k, v in f.headers.items()}
        if f.body is None:  # a 304: the stored validators still hold
            conn.execute("UPDATE attachment_state SET checked_at = ? WHERE url = ?", (t, f.url))
            continue
        conn.execute(
            "INSERT INTO attachment_state (url, sha256, etag, last_modified, checked_at) "
            "VALUES (?, ?, ?, ?, ?) ON CONFLICT (url) DO UPDATE SET sha256 = excluded.sha256, "
            "etag = excluded.etag, last_modified = excluded.last_modified, "
            "checked_at = excluded.checked_at",
            (f.url, f.digest, headers.get("etag"), headers.get("last-modified"), t),
        )


def state(conn: sqlite3.Connection, urls: Sequence[str]) -> dict[str, dict[str, Any]]:
    """``{url: {"sha256", "etag", "last_modified", "text_transient"}}`` of the URLs fetched
    before (with bytes); ``text_transient``: their text is to be read again."""
    if not urls:
        return {}
    cur = conn.execute(
        "SELECT s.url, s.sha256, s.etag, s.last_modified, coalesce(t.transient, 0) "
        "FROM attachment_state s JOIN capture_blobs b ON b.sha256 = s.sha256 "
        "LEFT JOIN attachment_texts t ON t.sha256 = s.sha256 "
        "WHERE s.url IN (SELECT value FROM json_each(?))",
        (json.dumps(list(urls)),))
    return {row[0]: {"sha256": row[1], "etag": row[2], "last_modified": row[3],
                     "text_transient": bool(row[4])} for row in cur}


def text_of(conn: sqlite3.Connection, sha: str) -> str | None:
    row = conn.execute("SELECT text FROM attachment_texts WHERE sha256 = ?", (sha,)).fetchone()
    return None if row is None else str(row[0])


def _decoded(cur: sqlite3.Cursor, row: tuple[Any, ...]) -> dict[str, Any]:
    record = dict(zip([d[0] for d in cur.description], row, strict=True))
    record["headers"] = json.loads(record["headers"] or "{}")
    return record


# --- the public record --------------------------------------------------------------------------


def merged(links: Sequence[Mapping[str, Any]],
           rows: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """One entry per link, in order: ``position`` (1 = first) and ``name, url, sha256, size,
    content_type, status, error, text_chars, fetched_at`` (None where the file was never
    fetched). ``error`` says why there are no bytes, else why there is no text."""
    by_position = {r["position"]: r for r in rows}
    out = []
    for position, link in enumerate(links, start=1):
        row = by_position.get(position, {})
        entry: dict[str, Any] = {"position": position, **{k: row.get(k) for k in PUBLIC_KEYS}}
        entry["name"] = collapse(str(row.get("name") or link_name(link)))
        entry["url"] = link.get("url")
        if entry["error"] is None and row.get("text_error"):
            entry["error"] = row["text_error"]
        out.append(entry)
    return out
