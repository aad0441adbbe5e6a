"""What was fetched, read back as it was received: the part of `Archive` that serves page
captures and attachment files.

`Fetches` is mixed into `archive.db.Archive`. The raw bytes of each page (``captures``) and
attachment file (``version_attachments``) are kept content-addressed in ``capture_blobs``
(archive/captures.py, archive/attachments.py); these reads give them back checked against
their sha256 (`gov-archive files`, the web interface's downloads), list every fetch for the
WARC export (archive/warc.py), and give a crawl the validators for conditional re-checks of
attachment files (`attachment_state`).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator, Sequence
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from . import attachments as files_mod
from .captures import decompress, sha256
from .errors import ArchiveCorrupt, AttachmentNotFound, CaptureNotFound
from .queries import where_clause
from .timeutil import as_iso

if TYPE_CHECKING:
    from sqlite_utils import Database


class Fetches:
    """Capture and attachment-file reads of `archive.db.Archive`."""

    if TYPE_CHECKING:  # provided by Archive
        conn: sqlite3.Connection
        db: Database

        def _rows(self, sql: str, params: Sequence[Any] = ()) -> Iterator[dict[str, Any]]: ...
        def _first(self, sql: str, params: Sequence[Any] = ()) -> dict[str, Any] | None: ...
        def document(self, ref: int | str) -> dict[str, Any]: ...
        def version(self, ref: int | str, n: int) -> dict[str, Any]: ...

    # -- page captures ---------------------------------------------------------------------------

    def capture(self, sha: str) -> dict[str, Any]:
        """Metadata of the latest fetch with these bytes: status, url, headers, encodings."""
        found = self._first(
            "SELECT c.sha256 AS sha, c.status, c.url, c.headers, c.declared_encoding, "
            "c.used_encoding, c.fetched_at, b.size FROM captures c "
            "JOIN capture_blobs b ON b.sha256 = c.sha256 WHERE c.sha256 = ? ORDER BY c.id DESC LIMIT 1",
            [sha],
        )
        if found is None:
            raise CaptureNotFound(f"no capture with sha256 {sha}")
        return found

    def capture_bytes(self, sha: str) -> bytes:
        """The raw bytes of a capture, exactly as received."""
        blob = next(self.db["capture_blobs"].rows_where("sha256 = ?", [sha], select="codec, data"),
                    None)
        if blob is None:
            raise CaptureNotFound(f"no capture with sha256 {sha}")
        return decompress(blob["data"], blob["codec"])

    # -- attachment files ----------------------------------------------------------------------

    def attachments(self, ref: int | str, version: int | None = None) -> list[dict[str, Any]]:
        """The attachment files of a document's current (or given) version, as `show` lists
        them (archive.attachments.merged: ``position`` 1 = first)."""
        record = self.version(ref, version) if version else self.document(ref)
        return list(record["files"])

    def attachment_bytes(self, ref: int | str, n: int,
                         version: int | None = None) -> tuple[dict[str, Any], bytes]:
        """The N-th attachment (1-based) and its archived bytes, checked against its sha256.

        AttachmentNotFound when there is no such attachment or no bytes were archived for it;
        ArchiveCorrupt when the stored bytes do not match.
        """
        found = self.attachments(ref, version)
        if not 1 <= n <= len(found):
            count = f"{len(found)} attachment{'s' if len(found) != 1 else ''}" if found else "no attachments"
            raise AttachmentNotFound(f"document {ref} has {count}; there is no attachment {n}")
        entry = found[n - 1]
        if not entry["sha256"]:
            why = f": {entry['error']}" if entry["error"] else " (never fetched)"
            raise AttachmentNotFound(f"attachment {n} ({entry['name']}) has no archived bytes{why}")
        try:
            data = self.capture_bytes(entry["sha256"])
        except CaptureNotFound:
            raise ArchiveCorrupt(f"the bytes of attachment {n} ({entry['sha256']}) are missing") from None
        if sha256(data) != entry["sha256"]:
            raise ArchiveCorrupt(f"the stored bytes of attachment {n} do not match its sha256 "
                                 f"{entry['sha256']}")
        return entry, data

    def attachment_state(self, urls: Sequence[str]) -> dict[str, dict[str, Any]]:
        """For conditional re-checks: ``{url: {"sha256", "etag", "last_modified"}}`` of the
        attachment URLs archived before."""
        return files_mod.state(self.conn, urls)

    def site_attachment_state(self, site: str) -> dict[str, dict[str, Any]]:
        """`attachment_state` of the attachment URLs of the site's current versions (what a
        crawl worker re-checks; it has no archive to ask)."""
        urls = [row[0] for row in self.conn.execute(
            "SELECT DISTINCT a.url FROM version_attachments a "
            "JOIN documents d ON d.current_version_id = a.version_id "
            "JOIN sites s ON s.id = d.site_id WHERE s.name = ?", (site,))]
        return self.attachment_state(urls)

    def fetches(self, *, site: str | None = None,
                since: datetime | date | str | None = None) -> Iterator[dict[str, Any]]:
        """Every stored fetch, pages and attachment files, oldest first (for WARC export):
        ``kind`` ("page" | "attachment"), ``url``, ``status``, ``headers``, ``fetched_at``,
        ``sha256``, ``size``, ``document_url``. A file kept by several versions is one fetch."""
        conditions, params = [], []
        if site is not None:
            conditions.append("s.name = ?")
            params.append(site)
        if since is not None:
            conditions.append("f.fetched_at >= ?")
            params.append(as_iso(since))
        where = where_clause(conditions)
        sql = (
            "SELECT kind, url, status, headers, fetched_at, sha256, size, document_url FROM ("
            " SELECT 'page' AS kind, f.url, f.status, f.headers, f.fetched_at, f.sha256, b.size,"
            "  d.url AS document_url, s.name, f.id AS rank FROM captures f"
            "  JOIN capture_blobs b ON b.sha256 = f.sha256"
            "  JOIN versions v ON v.capture_id = f.id JOIN documents d ON d.id = v.document_id"
            f"  JOIN sites s ON s.id = d.site_id{where}"
            " UNION"
            " SELECT 'attachment', f.url, f.status, f.headers, f.fetched_at, f.sha256, f.size,"
            "  min(d.url), s.name, min(f.id) FROM version_attachments f"
            "  JOIN versions v ON v.id = f.version_id JOIN documents d ON d.id = v.document_id"
            f"  JOIN sites s ON s.id = d.site_id{where_clause([*conditions, 'f.sha256 IS NOT NULL'])}"
            "  GROUP BY f.url, f.sha256, f.fetched_at"
            ") ORDER BY fetched_at, kind DESC, rank"
        )
        yield from self._rows(sql, [*params, *params])
