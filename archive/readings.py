"""Which extractor read a version, and what a newer one reads in the same capture.

Extraction improves between releases. A page whose bytes differ on every visit (a visit
counter, a timestamp, a token) is read again on each revisit, and a newer extractor may read
it differently (a new metadata key, a better date): that is no edit by the publisher. So each
version records the ``extractor`` that read it (a number the crawler bumps when extraction
output changes; NULL for versions saved before it was recorded), and the crawler
(crawler/pipelines.py, `ItemWriter`) compares a new reading with today's reading of the
current version's stored capture before anything counts as changed.

`Readings` is mixed into `archive.db.Archive`; `Archive.save` takes the re-reading
(`Reextraction`) and records it, when it differs from the stored version, as a version of its
own flagged ``reextracted``: the same capture, no event, no alert.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .captures import Capture, decompress
from .urls import canonical_url


@dataclass(frozen=True)
class StoredReading:
    """A document's current version as its extractor read it (`Readings.current_reading`)."""

    version_id: int
    version: int
    extractor: int | None  # None: saved before versions recorded their extractor
    fields: dict[str, Any]  # the tracked fields as stored (title, published, body, metadata, attachments)
    capture_sha: str | None  # the raw page the version was read from (None: saved without one)

    def read_before(self, extractor: int) -> bool:
        """True if an older (or unrecorded) extractor made this version than `extractor`."""
        return self.extractor is None or self.extractor < extractor


@dataclass(frozen=True)
class Reextraction:
    """A newer extractor's reading (`record`: the tracked fields) of the capture of the
    version `version_id`, for `Archive.save`. Ignored if that version is no longer current."""

    version_id: int
    record: Mapping[str, Any]


class Readings:
    """Reads of `archive.db.Archive` for re-extraction: the current reading and its capture."""

    if TYPE_CHECKING:  # provided by Archive
        conn: sqlite3.Connection

        def _rows(self, sql: str, params: Sequence[Any] = ()) -> Iterator[dict[str, Any]]: ...

    def current_reading(self, site: str, url: str) -> StoredReading | None:
        """The current version of the document at `url` on `site` and who read it; None if unknown."""
        row = self.conn.execute(
            "SELECT v.id, v.version, v.extractor, v.title, v.published, v.body, v.metadata, "
            "v.attachments, c.sha256 FROM documents d JOIN sites s ON s.id = d.site_id "
            "JOIN versions v ON v.id = d.current_version_id LEFT JOIN captures c ON c.id = v.capture_id "
            "WHERE s.name = ? AND d.url = ?", (site, canonical_url(url))).fetchone()
        if row is None:
            return None
        version_id, version, extractor, title, published, body, metadata, attachments, sha = row
        fields = {"title": title, "published": published, "body": body,
                  "metadata": json.loads(metadata), "attachments": json.loads(attachments)}
        return StoredReading(version_id, version, extractor, fields, sha)

    def version_capture(self, version_id: int) -> Capture | None:
        """The raw response a version was read from, as received; None without one."""
        row = self.conn.execute(
            "SELECT c.status, c.url, c.headers, c.declared_encoding, c.used_encoding, b.codec, b.data "
            "FROM versions v JOIN captures c ON c.id = v.capture_id "
            "JOIN capture_blobs b ON b.sha256 = c.sha256 WHERE v.id = ?", (version_id,)).fetchone()
        if row is None:
            return None
        status, url, headers, declared, used, codec, data = row
        return Capture(body=decompress(data, codec), status=status, url=url,
                       headers=json.loads(headers or "{}"), declared_encoding=declared,
                       used_encoding=used)
