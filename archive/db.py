"""The Archive: a versioned archive of announcements in one SQLite file, and its core.

`Archive` here owns the connection and its transactions, sites and crawls, saving (versions,
captures, attachment files, the search queue) and the reads of documents, versions, search,
export and stats. Its other parts are mixins, one concern per module (listed in its
docstring). Together they are the only code that knows table names and SQL.
"""

from __future__ import annotations

import dataclasses
import json
import os
import sqlite3
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlite_utils import Database

from . import attachments as files_mod
from . import migrations
from . import search as search_mod
from .attachments import AttachmentFile
from .bookkeeping import Bookkeeping
from .captures import DEFAULT_CODEC, Capture, compress, compress_best, sha256
from .connect import open_connection
from .diffs import version_diff
from .errors import (
    ArchiveBusy,
    ArchiveEmpty,
    ArchiveError,
    ArchiveWriteError,
    DocumentNotFound,
    NotAnArchive,
    VersionNotFound,
)
from .events import EVENT_COLUMNS, EVENT_FROM, Events
from .fetches import Fetches
from .hashing import TRACKED_FIELDS, changed_fields, normalize_record, record_hash, to_json
from .ingest import IngestLog
from .queries import MAX_SQL_INT, limit_value, where_clause
from .readings import Readings, Reextraction
from .timeutil import as_iso, iso, utcnow
from .urls import canonical_url, url_variants
from .watchlist import WatchList
from .webreads import WebReads

_BUSY = {"SQLITE_BUSY", "SQLITE_LOCKED"}
EXPORT_BATCH = 500  # documents read at a time by export (their files in one query)

# The public record shapes (README "JSON output"): what a document, version, event, crawl is
# (an event's columns: archive/events.py).
JSON_COLUMNS = frozenset({"metadata", "attachments", "changed_fields", "stats", "headers", "data"})
BOOLEAN_COLUMNS = frozenset({"reextracted"})
# `_vid` (the version row) is read to add the files to `attachments`, then dropped.
DOCUMENT_SELECT = """
    SELECT d.id, d.url, s.name AS site, v.title, v.published, v.body, v.metadata, v.attachments,
           d.first_seen, d.last_seen, d.last_checked, d.status, d.gone_at, d.version, d.content_hash,
           v.id AS _vid
    FROM documents d
    JOIN sites s ON s.id = d.site_id
    JOIN versions v ON v.id = d.current_version_id
"""
VERSION_SELECT = """
    SELECT v.document_id, d.url, s.name AS site, v.version, v.title, v.published, v.body,
           v.metadata, v.attachments, v.content_hash, v.changed_fields, v.crawl_id,
           v.fetched_at, c.sha256 AS capture_sha, d.first_seen, d.status, v.extractor, v.reextracted,
           v.id AS _vid
    FROM versions v
    JOIN documents d ON d.id = v.document_id
    JOIN sites s ON s.id = d.site_id
    LEFT JOIN captures c ON c.id = v.capture_id
"""
#: A new document's id: above every id a document ever had (merged-away ids stay taken).
NEXT_DOCUMENT_ID = """
    SELECT max(coalesce((SELECT max(id) FROM documents), 0),
               coalesce((SELECT max(old_id) FROM merged_documents), 0)) + 1
"""
#: Each record shape's query, and the keys added to its rows after reading.
RECORD_SHAPES: dict[str, tuple[str, tuple[str, ...]]] = {
    "document": (DOCUMENT_SELECT, ("files",)),
    "hit": (DOCUMENT_SELECT, ("files", "snippet", "matched_in", "matched_name", "rank")),
    "version": (VERSION_SELECT, ("files",)),
    "event": (f"SELECT {EVENT_COLUMNS} {EVENT_FROM}", ()),
    "new": (f"SELECT {EVENT_COLUMNS} {EVENT_FROM}", ("backdated",)),
}
CRAWL_SELECT = """
    SELECT c.id, s.name AS site, c.started_at, c.finished_at, c.outcome, c.stats
    FROM crawls c JOIN sites s ON s.id = c.site_id
"""


@dataclass(frozen=True)
class SaveResult:
    """What :meth:`Archive.save` did."""

    outcome: str  # "new" | "changed" | "unchanged" | "restored"
    document_id: int
    version: int
    changed_fields: list[str]
    reextracted: int | None = None  # the number of the re-extracted version recorded first


@dataclass
class _Current:
    id: int
    status: str
    version: int
    content_hash: str
    version_id: int
    extractor: int | None  # the current version's


class Archive(WatchList, IngestLog, Readings, Events, Fetches, Bookkeeping, WebReads):
    """A versioned archive of announcements in one SQLite file.

    ::

        with Archive("archive.db", create=True) as a:
            crawl = a.start_crawl("example")
            a.save("example", {"url": ..., "title": ..., "body": ...}, crawl_id=crawl)

    :param path: the database file
    :param create: create (and initialize) the file if it does not exist or is empty
    :param busy_timeout: seconds a write waits for another writer before ``ArchiveBusy``
    :param read_only: open for reading only even if the file is writable (never migrates)

    Its other parts, one module each:

    - archive/watchlist.py (`WatchList`): the watch list and columns;
    - archive/ingest.py (`IngestLog`): the idempotency log of items shipped by crawl workers;
    - archive/readings.py (`Readings`): which extractor read a version, and the re-readings of
      newer ones;
    - archive/events.py (`Events`): the event log (new, changed, gone, restored, health);
    - archive/fetches.py (`Fetches`): page captures and attachment files as received;
    - archive/bookkeeping.py (`Bookkeeping`): scheduler state and webhook deliveries;
    - archive/webreads.py (`WebReads`): the reads of the web interface.

    Opening the file: archive/connect.py; the diff between two versions: archive/diffs.py.
    """

    def __init__(self, path: str | os.PathLike[str], *, create: bool = False,
                 busy_timeout: float = 10.0, read_only: bool = False) -> None:
        self.path = str(path)
        self.busy_timeout = busy_timeout
        self.conn, self.read_only = open_connection(self.path, create=create, read_only=read_only,
                                                    busy_timeout=busy_timeout)
        self._site_ids: dict[str, int] = {}
        self._queued = 0  # search-index updates this connection queued since the last batch
        self._depth = 0  # nesting of `_write` transactions
        self._wrote = False
        self._closed = False
        try:
            self.db = Database(self.conn, execute_plugins=False)
            self._prepare(create)
        except BaseException:
            self.conn.close()
            raise

    def _prepare(self, create: bool) -> None:
        try:
            initialized = migrations.inspect(self.db, self.path)
        except sqlite3.OperationalError as e:
            raise self._translate(e) from None
        if not initialized and not create:
            raise ArchiveEmpty(f"{self.path} is empty, not a gov-archive archive")
        self.conn.execute("PRAGMA foreign_keys = ON")
        self.conn.execute("PRAGMA synchronous = NORMAL")  # WAL: durable at checkpoints, never corrupt
        # One transaction per saved item: checkpoint (and fsync) every ~40 MB of WAL, not 4 MB.
        self.conn.execute("PRAGMA wal_autocheckpoint = 10000")
        if not initialized or migrations.needs_migration(self.db):
            if self.read_only:
                raise ArchiveWriteError(
                    f"{self.path} needs a schema upgrade but is read-only for this user"
                )
            try:
                if self.db.journal_mode != "wal":
                    self.db.enable_wal()
                migrations.migrate(self.db)
            except sqlite3.Error as e:
                raise self._translate(e) from None

    # -- lifecycle -------------------------------------------------------------------------

    index_batch = 500  # new versions per search-index batch

    def close(self) -> None:
        """Apply queued search-index updates (if this connection saved anything) and close."""
        if self._closed:
            return
        self._closed = True
        try:
            if self._wrote and self._queue_size():
                self._try_index()  # on failure the queue stays: searchable, indexed by the next writer
        finally:
            self.conn.close()

    def _queue_size(self) -> int:
        return self.db["search_queue"].count

    def __enter__(self) -> Archive:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def schema_version(self) -> int:
        """The schema version recorded in the file."""
        return migrations.schema_version(self.db)

    # -- transactions and errors ---------------------------------------------------------

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        """One IMMEDIATE transaction: the write lock is taken up front or ArchiveBusy.

        Nested inside another `_write` it joins the outer transaction (archive/ingest.py
        commits an item's save and its idempotency row together).
        """
        if self._depth:
            self._depth += 1
            try:
                yield self.conn
            except sqlite3.Error as e:
                raise self._translate(e) from None
            finally:
                self._depth -= 1
            return
        try:
            self.conn.execute("BEGIN IMMEDIATE")
        except sqlite3.Error as e:
            raise self._translate(e) from None
        self._depth = 1
        try:
            yield self.conn
            self.conn.execute("COMMIT")
            self._wrote = True
        except BaseException as e:
            if self.conn.in_transaction:
                self.conn.execute("ROLLBACK")
            self._site_ids.clear()  # ids read or made inside the rolled-back transaction
            if isinstance(e, sqlite3.Error):
                raise self._translate(e) from None
            raise
        finally:
            self._depth = 0

    def _translate(self, e: sqlite3.Error) -> ArchiveError:
        name = getattr(e, "sqlite_errorname", "") or ""
        if name in _BUSY or "locked" in str(e):
            return ArchiveBusy(
                f"archive {self.path} is locked by another writer (waited "
                f"{self.busy_timeout:g}s); try again when it has finished"
            )
        if name == "SQLITE_FULL":
            return ArchiveWriteError(
                f"disk full while writing {self.path}: the change was rolled back, "
                "earlier versions are intact"
            )
        if name == "SQLITE_NOTADB":
            return NotAnArchive(f"{self.path} is not a gov-archive database ({e})")
        return ArchiveWriteError(f"could not write {self.path}: {e}; the change was rolled back")

    # -- sites and crawls --------------------------------------------------------------------

    def ensure_site(self, name: str, *, base_url: str | None = None, now: datetime | None = None) -> int:
        """Return the id of site ``name``, creating it if needed."""
        if name in self._site_ids and base_url is None:
            return self._site_ids[name]
        with self._write() as c:
            c.execute(
                "INSERT INTO sites (name, base_url, created_at) VALUES (?, ?, ?) "
                "ON CONFLICT (name) DO UPDATE SET base_url = coalesce(excluded.base_url, base_url)",
                (name, base_url, iso(now or utcnow())),
            )
            site_id = c.execute("SELECT id FROM sites WHERE name = ?", (name,)).fetchone()[0]
        self._site_ids[name] = site_id
        return int(site_id)

    def _find_site(self, name: str) -> int | None:
        if name in self._site_ids:
            return self._site_ids[name]
        row = next(self.db["sites"].rows_where("name = ?", [name], select="id"), None)
        return int(row["id"]) if row else None

    def sites(self) -> list[dict[str, Any]]:
        """All sites, by name: ``{"id","name","base_url","created_at"}``."""
        return list(self.db["sites"].rows_where(select="id, name, base_url, created_at",
                                                order_by="name"))

    def start_crawl(self, site: str, *, now: datetime | None = None) -> int:
        """Record the start of a crawl of ``site``; returns the crawl id."""
        site_id = self.ensure_site(site)
        with self._write():
            crawls = self.db.table("crawls").insert({"site_id": site_id,
                                                     "started_at": iso(now or utcnow())})
        return int(crawls.last_rowid or 0)

    def finish_crawl(self, crawl_id: int, outcome: str, stats: Mapping[str, Any],
                     *, columns: Iterable[Mapping[str, Any]] = (),
                     now: datetime | None = None) -> None:
        """Record the end of a crawl with its outcome and stats (JSON-encoded).

        `columns`: what the crawl found on each column (``{"column_id", "outcome", "detail",
        "list_pages", "items", "new", "dead"}``, ``dead``: the listed links that answered
        404/410, see `dead_links`), written in the same transaction.
        """
        t = iso(now or utcnow())
        with self._write() as c:
            c.execute(
                "UPDATE crawls SET finished_at = ?, outcome = ?, stats = ? WHERE id = ?",
                (t, outcome, json.dumps(dict(stats), ensure_ascii=False, default=str), crawl_id),
            )
            self._record_column_crawls(c, crawl_id, columns, t)
        if self._queue_size():
            self._try_index()

    def crawl(self, crawl_id: int) -> dict[str, Any] | None:
        """One crawl: ``{"id","site","started_at","finished_at","outcome","stats"}``."""
        return self._first(CRAWL_SELECT + " WHERE c.id = ?", [crawl_id])

    def last_finished_crawl(self, site: str) -> dict[str, Any] | None:
        """The most recent crawl of ``site`` that has finished (any outcome), or None."""
        return self._first(
            CRAWL_SELECT + " WHERE s.name = ? AND c.finished_at IS NOT NULL ORDER BY c.id DESC LIMIT 1",
            [site],
        )

    def open_crawls(self) -> list[dict[str, Any]]:
        """Crawls that have not recorded an end (running, or their process died), oldest first."""
        return list(self._rows(CRAWL_SELECT + " WHERE c.finished_at IS NULL ORDER BY c.id"))

    def finish_open_crawls(self, site: str, outcome: str, stats: Mapping[str, Any], *,
                           now: datetime | None = None) -> list[int]:
        """Finish the site's crawls that never recorded an end, with `outcome`; returns their ids.

        For a caller that knows no crawl of ``site`` is running (it holds the site's crawl
        lock): such rows are a dead process's. ``stats`` are merged into each row's own.
        """
        site_id = self._find_site(site)
        if site_id is None:
            return []
        patch = json.dumps(dict(stats), ensure_ascii=False, default=str)
        with self._write() as c:
            ids = [int(row[0]) for row in c.execute(
                "SELECT id FROM crawls WHERE site_id = ? AND finished_at IS NULL ORDER BY id",
                (site_id,))]
            c.execute("UPDATE crawls SET finished_at = ?, outcome = ?, "
                      "stats = json_patch(coalesce(stats, '{}'), ?) "
                      "WHERE site_id = ? AND finished_at IS NULL",
                      (iso(now or utcnow()), outcome, patch, site_id))
        return ids

    def crawls(self, site: str | None = None, limit: int | None = None, *,
               after_id: int | None = None) -> list[dict[str, Any]]:
        """Crawls (of `site`, later than crawl `after_id`), newest first."""
        conditions, params = [], []
        if site is not None:
            conditions.append("s.name = ?")
            params.append(site)
        if after_id is not None:
            conditions.append("c.id > ?")
            params.append(min(int(after_id), MAX_SQL_INT))
        sql = CRAWL_SELECT + where_clause(conditions) + " ORDER BY c.id DESC LIMIT ?"
        return list(self._rows(sql, [*params, limit_value(limit)]))

    # -- saving ------------------------------------------------------------------------------

    def save(self, site: str, record: Mapping[str, Any] | Any, *, crawl_id: int | None,
             capture: Capture | None = None, files: Sequence[AttachmentFile] | None = None,
             column_id: int | None = None, extractor: int | None = None,
             reextraction: Reextraction | None = None,
             now: datetime | None = None) -> SaveResult:
        """Save one announcement in one transaction.

        Unchanged content (by the whitespace-insensitive content hash) writes no version and no
        event, only ``last_seen``/``last_checked``. A gone document saved again is "restored".
        `column_id`: the column (`ensure_columns`) whose list led to the page.

        ``files``: what the crawl learned about the files behind the record's attachment links
        (archive.attachments). Their bytes are part of the version; a link without new bytes
        keeps the file of the current version, so a failed download is never a change. The
        first bytes of links that had none complete the current version in place.

        ``extractor``: the version of the extractor that read `record` (recorded with a new
        version). ``reextraction``: that extractor's reading of the current version's capture
        (archive/readings.py); when it differs from the current version it is recorded first,
        as a ``reextracted`` version without an event, and `record` is compared with it.
        """
        record = _as_dict(record)
        if not record.get("url"):
            raise ValueError("cannot save a record without a url")
        site_id = self.ensure_site(site)
        url = canonical_url(record["url"])
        digest = record_hash(record)
        t = iso(now or utcnow())
        with self._write() as c:
            current = stored = self._current(site_id, url)
            if current is not None and reextraction is not None:
                current = self._reextract(c, current, digest, reextraction, extractor, crawl_id, t)
            if current is not None and not files and current.content_hash == digest:
                result = self._touch(c, current, site_id, crawl_id, capture, t)  # the hot path
            elif current is None and not files:
                result = self._insert_new(c, site_id, url, normalize_record(record), digest,
                                          crawl_id, capture, t, extractor=extractor)
            else:
                result = self._save_with_files(c, site_id, url, current, record, digest, files or (),
                                               crawl_id, capture, t, extractor=extractor)
            if current is not stored:  # a re-extracted version was recorded first
                result = dataclasses.replace(result, reextracted=current.version)
            if column_id is not None:
                self._link_column(c, result.document_id, column_id, crawl_id, t)
        self._maybe_index()
        return result

    def recheck_attachments(self, site: str, url: str, files: Sequence[AttachmentFile], *,
                            crawl_id: int | None, now: datetime | None = None) -> SaveResult | None:
        """Re-checked files of an unchanged page: a new version if a file now has other bytes.

        None for an unknown document. Like :meth:`save` with the current version's fields.
        """
        t = iso(now or utcnow())
        with self._locate(site, url) as found:
            if found is None:
                return None
            c, site_id, current = found
            fields = self._version_fields(current.version_id)
            result = self._save_with_files(c, site_id, canonical_url(url), current, fields,
                                           record_hash(fields), files, crawl_id, None, t,
                                           extractor=current.extractor)
        self._maybe_index()
        return result

    def _save_with_files(self, c: sqlite3.Connection, site_id: int, url: str,
                         current: _Current | None, record: Mapping[str, Any], digest: str,
                         files: Sequence[AttachmentFile], crawl_id: int | None,
                         capture: Capture | None, t: str, *, extractor: int | None) -> SaveResult:
        """`save` once the files are known: resolve them against the current version's."""
        fields = normalize_record(record)
        previous = files_mod.rows_of(c, current.version_id) if current is not None else []
        rows = files_mod.resolve(fields["attachments"], files, previous,
                                 files_mod.known_rows(c, files), t)
        self._store_files(c, files, t)
        old_pairs, new_pairs = files_mod.file_pairs(previous), files_mod.file_pairs(rows)
        full = files_mod.with_files(digest, new_pairs)
        if current is None:
            return self._insert_new(c, site_id, url, fields, full, crawl_id, capture, t, rows,
                                    extractor=extractor)
        if current.content_hash == full:
            self._refresh_failures(c, current.version_id, previous, rows)
            return self._touch(c, current, site_id, crawl_id, capture, t)
        if (files_mod.with_files(digest, old_pairs) == current.content_hash
                and files_mod.completes(old_pairs, new_pairs)):
            return self._complete(c, current, site_id, full, rows, crawl_id, capture, t)
        return self._insert_change(c, current, site_id, fields, full, crawl_id, capture, t, rows,
                                   files_changed=bool(files_mod.changed_urls(old_pairs, new_pairs)),
                                   extractor=extractor)

    def _store_files(self, c: sqlite3.Connection, files: Sequence[AttachmentFile], t: str) -> None:
        for f in files:
            if f.body is not None:
                self._store_blob(c, f.body, compress_best)  # files: often compressed already
        for sha in files_mod.store_texts(c, files):  # a failed reading replaced: search it
            self._queued += c.execute(
                "INSERT INTO search_queue (version_id, action) SELECT DISTINCT "
                "d.current_version_id, 'reindex' FROM version_attachments a JOIN documents d "
                "ON d.current_version_id = a.version_id WHERE a.sha256 = ? "
                "ON CONFLICT (version_id) DO NOTHING", (sha,)).rowcount
        files_mod.remember(c, files, t)

    def _refresh_failures(self, c: sqlite3.Connection, version_id: int,
                          previous: Sequence[Mapping[str, Any]],
                          rows: Sequence[Mapping[str, Any]]) -> None:
        """An unchanged version keeps its files but learns why links without bytes still have
        none (the latest error)."""
        had = {r["position"]: r for r in previous}
        fresh = [r for r in rows if r["sha256"] is None and not had.get(r["position"], {}).get("sha256")]
        c.executemany("DELETE FROM version_attachments WHERE version_id = ? AND position = ?",
                      [(version_id, r["position"]) for r in fresh])
        files_mod.insert_rows(c, version_id, fresh)

    def _complete(self, c: sqlite3.Connection, current: _Current, site_id: int, digest: str,
                  rows: Sequence[Mapping[str, Any]], crawl_id: int | None,
                  capture: Capture | None, t: str) -> SaveResult:
        """First bytes for links that had none: the current version is completed, not changed."""
        c.execute("DELETE FROM version_attachments WHERE version_id = ?", (current.version_id,))
        files_mod.insert_rows(c, current.version_id, rows)
        c.execute("UPDATE versions SET content_hash = ? WHERE id = ?", (digest, current.version_id))
        c.execute("UPDATE documents SET content_hash = ? WHERE id = ?", (digest, current.id))
        self._reindex(c, current.version_id)
        return self._touch(c, current, site_id, crawl_id, capture, t)

    def _current(self, site_id: int, url: str) -> _Current | None:
        row = self.conn.execute(
            "SELECT d.id, d.status, d.version, d.content_hash, d.current_version_id, v.extractor "
            "FROM documents d JOIN versions v ON v.id = d.current_version_id "
            "WHERE d.url = ? AND d.site_id = ?",
            (url, site_id),
        ).fetchone()
        return _Current(*row) if row else None

    def _insert_new(self, c: sqlite3.Connection, site_id: int, url: str, fields: dict[str, Any],
                    digest: str, crawl_id: int | None, capture: Capture | None, t: str,
                    rows: Sequence[Mapping[str, Any]] = (), *, extractor: int | None) -> SaveResult:
        etag, last_modified = _validators(capture)
        # The version row goes first (its document FK is deferred to commit) so the document
        # row is written once, already pointing at its current version.
        doc_id = c.execute(NEXT_DOCUMENT_ID).fetchone()[0]
        changed = list(TRACKED_FIELDS)
        version_id = self._insert_version(c, doc_id, 1, fields, digest, changed, crawl_id,
                                          self._capture_id(c, capture, t), t, extractor=extractor)
        files_mod.insert_rows(c, version_id, rows)
        c.execute(
            "INSERT INTO documents (id, site_id, url, version, current_version_id, title, published, "
            "content_hash, first_seen, last_seen, last_checked, etag, last_modified) "
            "VALUES (?, ?, ?, 1, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (doc_id, site_id, url, version_id, fields["title"], fields["published"], digest, t, t, t,
             etag, last_modified),
        )
        self._index(c, version_id)
        self._event(c, "new", t, site_id, crawl_id, doc_id, 1)
        return SaveResult("new", doc_id, 1, changed)

    def _touch(self, c: sqlite3.Connection, current: _Current, site_id: int,
               crawl_id: int | None, capture: Capture | None, t: str) -> SaveResult:
        self._seen(c, current.id, capture, t)
        if current.status == "gone":
            self._restore(c, current.id, site_id, crawl_id, current.version, t)
            return SaveResult("restored", current.id, current.version, [])
        return SaveResult("unchanged", current.id, current.version, [])

    def _insert_change(self, c: sqlite3.Connection, current: _Current, site_id: int,
                       fields: dict[str, Any], digest: str, crawl_id: int | None,
                       capture: Capture | None, t: str, rows: Sequence[Mapping[str, Any]] = (),
                       *, files_changed: bool = False, extractor: int | None) -> SaveResult:
        old = self._version_fields(current.version_id)
        changed = changed_fields(old, fields)
        if files_changed and "attachments" not in changed:
            changed = [n for n in TRACKED_FIELDS if n in changed or n == "attachments"]
        number = current.version + 1
        version_id = self._insert_version(c, current.id, number, fields, digest, changed, crawl_id,
                                          self._capture_id(c, capture, t), t, extractor=extractor)
        files_mod.insert_rows(c, version_id, rows)
        c.execute(
            "UPDATE documents SET version = ?, current_version_id = ?, title = ?, published = ?, "
            "content_hash = ?, status = 'live', gone_at = NULL WHERE id = ?",
            (number, version_id, fields["title"], fields["published"], digest, current.id),
        )
        self._seen(c, current.id, capture, t)
        self._unindex(c, current.version_id)
        self._index(c, version_id)
        kind = "restored" if current.status == "gone" else "changed"
        self._event(c, kind, t, site_id, crawl_id, current.id, number)
        return SaveResult(kind, current.id, number, changed)

    def _insert_version(self, c: sqlite3.Connection, doc_id: int, number: int,
                        fields: dict[str, Any], digest: str, changed: list[str],
                        crawl_id: int | None, capture_id: int | None, t: str, *,
                        extractor: int | None, reextracted: bool = False) -> int:
        cur = c.execute(
            "INSERT INTO versions (document_id, version, crawl_id, fetched_at, capture_id, "
            "content_hash, changed_fields, title, published, metadata, attachments, body, "
            "extractor, reextracted) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (doc_id, number, crawl_id, t, capture_id, digest, to_json(changed), fields["title"],
             fields["published"], to_json(fields["metadata"]), to_json(fields["attachments"]),
             fields["body"], extractor, int(reextracted)),
        )
        return int(cur.lastrowid or 0)

    def _capture_id(self, c: sqlite3.Connection, capture: Capture | None, t: str) -> int | None:
        return self._store_capture(c, capture, t) if capture is not None else None

    def _reextract(self, c: sqlite3.Connection, current: _Current, digest: str, again: Reextraction,
                   extractor: int | None, crawl_id: int | None, t: str) -> _Current:
        """Record a newer extractor's reading of the current version's capture as a version
        of its own (``reextracted``: same capture, files and fetch time; `crawl_id` is the crawl
        that re-read it; no event); returns the new current.

        Nothing is written if the current version is not the one re-read any more, if the
        saved record (its fields' `digest`) reads as the current version does (nothing to
        explain), or if the re-reading does (the extractor change did not touch this page).
        """
        if again.version_id != current.version_id:
            return current
        old = self._version_fields(current.version_id)
        if record_hash(old) == digest:
            return current
        fields = normalize_record(again.record)
        previous = files_mod.rows_of(c, current.version_id)
        rows = files_mod.resolve(fields["attachments"], (), previous, {}, t)
        old_pairs, new_pairs = files_mod.file_pairs(previous), files_mod.file_pairs(rows)
        reread = files_mod.with_files(record_hash(again.record), new_pairs)
        if reread == current.content_hash:
            return current
        changed = changed_fields(old, fields)
        if files_mod.changed_urls(old_pairs, new_pairs) and "attachments" not in changed:
            changed = [n for n in TRACKED_FIELDS if n in changed or n == "attachments"]
        number = current.version + 1
        # the capture re-read, fetched when the current version's was: the same fetch
        capture_id, fetched_at = c.execute("SELECT capture_id, fetched_at FROM versions WHERE id = ?",
                                           (current.version_id,)).fetchone()
        version_id = self._insert_version(c, current.id, number, fields, reread, changed, crawl_id,
                                          capture_id, fetched_at, extractor=extractor, reextracted=True)
        files_mod.insert_rows(c, version_id, rows)
        c.execute("UPDATE documents SET version = ?, current_version_id = ?, title = ?, published = ?, "
                  "content_hash = ? WHERE id = ?",
                  (number, version_id, fields["title"], fields["published"], reread, current.id))
        self._unindex(c, current.version_id)
        self._index(c, version_id)
        return _Current(current.id, current.status, number, reread, version_id, extractor)

    def _version_fields(self, version_id: int) -> dict[str, Any]:
        row = self.conn.execute(
            "SELECT title, published, body, metadata, attachments FROM versions WHERE id = ?",
            (version_id,),
        ).fetchone()
        title, published, body, metadata, attachments = row
        return {"title": title, "published": published, "body": body,
                "metadata": json.loads(metadata), "attachments": json.loads(attachments)}

    def _index(self, c: sqlite3.Connection, version_id: int) -> None:
        c.execute("INSERT INTO search_queue (version_id, action) VALUES (?, 'index')", (version_id,))
        self._queued += 1

    def _unindex(self, c: sqlite3.Connection, version_id: int) -> None:
        # A version still waiting to be indexed is simply dropped from the queue: deleting an
        # unindexed row from an external-content FTS5 table would corrupt it.
        dropped = c.execute("DELETE FROM search_queue WHERE version_id = ? AND action = 'index'",
                            (version_id,)).rowcount
        if not dropped:
            c.execute("INSERT INTO search_queue (version_id, action) VALUES (?, 'unindex') "
                      "ON CONFLICT (version_id) DO UPDATE SET action = 'unindex'", (version_id,))

    def _reindex(self, c: sqlite3.Connection, version_id: int) -> None:
        """An indexed version's extra texts changed (its files were completed)."""
        c.execute("INSERT INTO search_queue (version_id, action) VALUES (?, 'reindex') "
                  "ON CONFLICT (version_id) DO NOTHING", (version_id,))
        self._queued += 1

    def index_pending(self) -> int:
        """Apply queued search-index updates in one transaction; returns how many were applied.

        ``save`` calls this every ``index_batch`` new versions, ``finish_crawl`` and ``close``
        call it too. Until then, search finds queued versions by scanning them.
        """
        with self._write() as c:
            applied = search_mod.apply_queue(c)
        self._queued = 0
        return applied

    def _maybe_index(self) -> None:
        if self._queued >= self.index_batch:
            self._try_index()

    def _try_index(self) -> None:
        """Index the queue, but never fail the write that triggered it (that one committed)."""
        try:
            self.index_pending()
        except ArchiveError:
            self._queued = 0  # retry after another batch; queued versions stay searchable

    def _store_blob(self, c: sqlite3.Connection, data: bytes,
                    pack: Callable[[bytes], tuple[str, bytes]]) -> str:
        """Store `data` once by its sha256, packed as ``(codec, blob)`` by `pack`."""
        digest = sha256(data)
        if c.execute("SELECT 1 FROM capture_blobs WHERE sha256 = ?", (digest,)).fetchone() is None:
            codec, blob = pack(data)
            c.execute("INSERT INTO capture_blobs (sha256, size, codec, data) VALUES (?, ?, ?, ?)",
                      (digest, len(data), codec, blob))
        return digest

    def _store_capture(self, c: sqlite3.Connection, capture: Capture, t: str) -> int:
        digest = self._store_blob(c, capture.body, lambda data: (DEFAULT_CODEC, compress(data)))
        headers = {k.lower(): v for k, v in capture.headers.items()}
        cur = c.execute(
            "INSERT INTO captures (sha256, status, url, headers, declared_encoding, used_encoding, "
            "fetched_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
            (digest, capture.status, capture.url, to_json(headers), capture.declared_encoding,
             capture.used_encoding, t),
        )
        return int(cur.lastrowid or 0)

    def _seen(self, c: sqlite3.Connection, doc_id: int, capture: Capture | None, t: str) -> None:
        if capture is None:
            c.execute("UPDATE documents SET last_seen = ?, last_checked = ? WHERE id = ?", (t, t, doc_id))
            return
        etag, last_modified = _validators(capture)
        c.execute(
            "UPDATE documents SET last_seen = ?, last_checked = ?, etag = ?, last_modified = ? "
            "WHERE id = ?",
            (t, t, etag, last_modified, doc_id),
        )

    def _restore(self, c: sqlite3.Connection, doc_id: int, site_id: int, crawl_id: int | None,
                 version: int, t: str) -> None:
        c.execute("UPDATE documents SET status = 'live', gone_at = NULL WHERE id = ?", (doc_id,))
        self._event(c, "restored", t, site_id, crawl_id, doc_id, version)

    def mark_checked(self, site: str, url: str, *, crawl_id: int | None,
                     now: datetime | None = None) -> bool:
        """A cheap re-check (e.g. HTTP 304): bump last_seen/last_checked. False if unknown."""
        t = iso(now or utcnow())
        with self._locate(site, url) as found:
            if found is None:
                return False
            c, site_id, current = found
            self._touch(c, current, site_id, crawl_id, None, t)
        return True

    def mark_gone(self, site: str, url: str, *, crawl_id: int | None,
                  now: datetime | None = None) -> bool:
        """Mark a live document gone (writes a "gone" event). True if its status changed."""
        t = iso(now or utcnow())
        with self._locate(site, url) as found:
            if found is None or found[2].status == "gone":
                return False
            c, site_id, current = found
            c.execute("UPDATE documents SET status = 'gone', gone_at = ?, last_checked = ? WHERE id = ?",
                      (t, t, current.id))
            self._event(c, "gone", t, site_id, crawl_id, current.id, current.version)
        return True

    @contextmanager
    def _locate(self, site: str, url: str) -> Iterator[tuple[sqlite3.Connection, int, _Current] | None]:
        """A write transaction holding `url`'s document on `site`: (conn, site_id, current).

        Yields None, without a transaction, for an unknown site; inside one for an unknown URL.
        """
        site_id = self._find_site(site)
        if site_id is None:
            yield None
            return
        with self._write() as c:
            current = self._current(site_id, canonical_url(url))
            yield (c, site_id, current) if current is not None else None

    # -- reading -------------------------------------------------------------------------------

    def known_documents(self, site: str) -> list[dict[str, Any]]:
        """What a crawler needs to re-check a site's documents cheaply.

        ``capture_sha`` is the sha256 of the raw bytes behind the current version (or None);
        ``title``, ``published`` and ``attachments`` (the links) are the current version's.
        """
        return list(self._rows(
            "SELECT d.id, d.url, d.status, d.last_checked, d.etag, d.last_modified, d.content_hash, "
            "c.sha256 AS capture_sha, v.title, v.published, v.attachments "
            "FROM documents d JOIN sites s ON s.id = d.site_id "
            "JOIN versions v ON v.id = d.current_version_id LEFT JOIN captures c ON c.id = v.capture_id "
            "WHERE s.name = ? ORDER BY d.id",
            [site],
        ))

    def document_status(self, site: str, url: str) -> str | None:
        """``live`` or ``gone`` for the document at `url` on `site`; None if unknown."""
        site_id = self._find_site(site)
        if site_id is None:
            return None
        current = self._current(site_id, canonical_url(url))
        return current.status if current is not None else None

    def _document_id(self, ref: int | str) -> int:
        return self._reference(ref)[0]

    def _reference(self, ref: int | str) -> tuple[int, int | None]:
        """The document `ref` (an id, int or digits, or a URL) names, and the merged-away id it
        named (None for a document's own id or URL): that id reads as its survivor."""
        if isinstance(ref, int) or (isinstance(ref, str) and ref.strip().isdigit()):
            doc_id = int(ref)
            if doc_id <= MAX_SQL_INT and self.db["documents"].count_where("id = ?", [doc_id]):
                return doc_id, None
            merged = self.conn.execute("SELECT survivor_id FROM merged_documents WHERE old_id = ?",
                                       (min(doc_id, MAX_SQL_INT),)).fetchone()
            if merged is not None:
                return int(merged[0]), doc_id
            raise DocumentNotFound(f"no document with id {doc_id}")
        return self._document_by_url(str(ref)), None

    def _document_by_url(self, url: str) -> int:
        """The document at `url`, else at its one other spelling that is archived (the other
        scheme, or a scheme added to an address without one): DocumentNotFound, naming them,
        if there are two or none."""
        found = {}
        for spelling in [url, *url_variants(url)]:
            row = next(self.db["documents"].rows_where(
                "url = ?", [canonical_url(spelling)], select="id, url",
                order_by="last_seen DESC, id DESC", limit=1), None)
            if row is not None:
                if spelling == url:
                    return int(row["id"])
                found[row["url"]] = int(row["id"])
        if len(found) == 1:
            return next(iter(found.values()))
        hint = f"; did you mean {' or '.join(found)}?" if found else ""
        raise DocumentNotFound(f"no document with URL {url}{hint}")

    def document(self, ref: int | str) -> dict[str, Any]:
        """The current state of a document, by id (int or digits) or URL."""
        doc_id = self._document_id(ref)
        found = self._first(DOCUMENT_SELECT + " WHERE d.id = ?", [doc_id])
        assert found is not None
        return self._with_files([found])[0]

    def history(self, ref: int | str) -> list[dict[str, Any]]:
        """Every version of a document, oldest first."""
        doc_id = self._document_id(ref)
        return self._with_files(list(self._rows(
            VERSION_SELECT + " WHERE v.document_id = ? ORDER BY v.version", [doc_id])))

    def version(self, ref: int | str, n: int) -> dict[str, Any]:
        """Version ``n`` (1-based) of a document; VersionNotFound if there is none.

        Of a merged-away id (migration 005), its own version ``n``: the version that holds its
        content now (under the surviving document's id and number), or the version itself,
        kept read-only, when none does.
        """
        doc_id, merged = self._reference(ref)
        number = min(int(n), MAX_SQL_INT)
        if merged is not None:
            return self._merged_version(merged, number)
        found = self._first(VERSION_SELECT + " WHERE v.document_id = ? AND v.version = ?",
                            [doc_id, number])
        if found is None:
            raise VersionNotFound(f"document {doc_id} has no version {n}")
        return self._with_files([found])[0]

    def _merged_version(self, old_id: int, n: int) -> dict[str, Any]:
        row = self.conn.execute("SELECT version_id, record FROM merged_versions "
                                "WHERE document_id = ? AND version = ?", (old_id, n)).fetchone()
        if row is None:
            raise VersionNotFound(f"document {old_id} has no version {n}")
        version_id, record = row
        if version_id is not None:
            found = self._first(VERSION_SELECT + " WHERE v.id = ?", [version_id])
            assert found is not None
            return self._with_files([found])[0]
        return self._kept_version(old_id, n, json.loads(record))

    def _kept_version(self, old_id: int, n: int, record: dict[str, Any]) -> dict[str, Any]:
        """A version kept read-only by migration 005, in the shape of `version`'s records."""
        survivor = self._first(
            "SELECT m.url, s.name AS site, d.status FROM merged_documents m JOIN documents d "
            "ON d.id = m.survivor_id JOIN sites s ON s.id = d.site_id WHERE m.old_id = ?", [old_id])
        assert survivor is not None
        capture = self.conn.execute("SELECT sha256 FROM captures WHERE id = ?",
                                    (record["capture_id"],)).fetchone()
        found = {"document_id": old_id, "url": survivor["url"], "site": survivor["site"],
                 "version": n, **{k: record[k] for k in (
                     "title", "published", "body", "metadata", "attachments", "content_hash",
                     "changed_fields", "crawl_id", "fetched_at")},
                 "capture_sha": capture[0] if capture else None,
                 "first_seen": record["first_seen"], "status": survivor["status"],
                 "extractor": None, "reextracted": False}  # read before versions recorded it
        found["files"] = files_mod.merged(found["attachments"],
                                          files_mod.with_texts(self.conn, record["files"]))
        return found

    def diff(self, ref: int | str, from_version: int | None = None,
             to_version: int | None = None) -> dict[str, Any]:
        """Field changes and a unified diff of the body between two versions.

        Defaults: ``to`` = current version, ``from`` = the one before it (None before version 1,
        i.e. a diff against nothing). Numbers given for a merged-away id are its own.
        ``reextracted`` lists the versions of the range that are only a newer extractor's
        reading of the same capture: their differences are no edit.
        """
        doc = self.document(ref)
        to_ref = ref if to_version is not None else doc["id"]
        to_n = int(to_version) if to_version is not None else doc["version"]
        from_ref = ref if from_version is not None else to_ref
        from_n = int(from_version) if from_version is not None else (to_n - 1 or None)
        new = self.version(to_ref, to_n)
        old = self.version(from_ref, from_n) if from_n is not None else None
        result = version_diff(doc["url"], old, new, lambda sha: files_mod.text_of(self.conn, sha) or "")
        result["reextracted"] = self._reextracted_between(doc["id"], old["version"] if old else 0,
                                                          new["version"])
        return result

    def _reextracted_between(self, doc_id: int, a: int, b: int) -> list[int]:
        """The re-extracted versions after the older of `a`, `b` up to the newer (a diff's range)."""
        return [row[0] for row in self.conn.execute(
            "SELECT version FROM versions WHERE document_id = ? AND reextracted = 1 "
            "AND version > ? AND version <= ? ORDER BY version", (doc_id, min(a, b), max(a, b)))]

    def search(self, query: str, *, site: str | None = None,
               published_from: date | str | None = None, published_to: date | str | None = None,
               status: str | None = None, limit: int = 20) -> list[dict[str, Any]]:
        """Full-text search over the current version of every document (see archive.search).

        Hits are documents plus ``snippet`` (matches in ``[...]``), ``rank`` (lower first),
        ``matched_in`` (title, body, metadata, attachment) and ``matched_name``.
        """
        hits, _ = self.search_page(query, site=site, published_from=published_from,
                                   published_to=published_to, status=status, limit=limit)
        return hits

    def search_page(self, query: str, *, site: str | None = None,
                    published_from: date | str | None = None,
                    published_to: date | str | None = None, status: str | None = None,
                    offset: int = 0, limit: int = 20) -> tuple[list[dict[str, Any]], int]:
        """Hits ``offset`` to ``offset + limit`` of :meth:`search`, and how many matched.

        The ranking window (``archive.search.RANK_WINDOW`` matches) is ranked once and only the
        page's documents are read; a count of ``RANK_WINDOW`` or more means "at least that".
        """
        window = max(search_mod.RANK_WINDOW, offset + limit)
        ranked = search_mod.rank(self.conn, query, site=site, published_from=published_from,
                                 published_to=published_to, status=status,
                                 limit=min(window, MAX_SQL_INT))
        page = ranked[offset:offset + limit]
        docs = {d["id"]: d for d in self._documents([doc_id for doc_id, _ in page])}
        terms = search_mod.query_terms(query)
        hits = [{**docs[doc_id], **self._hit_place(docs[doc_id], terms), "rank": rank}
                for doc_id, rank in page]
        return hits, len(ranked)

    def _hit_place(self, doc: dict[str, Any], terms: list[str]) -> dict[str, Any]:
        """``snippet``, ``matched_in`` (title, body, metadata, attachment) and ``matched_name``
        (the metadata key or attachment name) of a search hit."""
        metadata = doc.get("metadata") or {}
        places: list[tuple[str, str | None, str]] = [("body", None, doc["body"]),
                                                     ("title", None, doc["title"])]
        places += [("metadata", key, str(metadata[key])) for key in search_mod.META_KEYS
                   if metadata.get(key)]
        places += [("attachment", a["name"], a["name"]) for a in doc["files"]]
        field, name, text = search_mod.hit_place(places, terms)
        if not field:  # in the text of an attachment file
            shas = [(a["name"], a["sha256"]) for a in doc["files"] if a["sha256"]]
            texts = ((n, search_mod.index_form(files_mod.text_of(self.conn, sha) or ""))
                     for n, sha in shas)
            field, name, text = search_mod.hit_place(
                (("attachment", n, t) for n, t in texts), terms)
        return {"snippet": text, "matched_in": field or None, "matched_name": name}

    def _documents(self, ids: Sequence[int]) -> list[dict[str, Any]]:
        if not ids:
            return []
        return self._with_files(list(self._rows(
            DOCUMENT_SELECT + " WHERE d.id IN (SELECT value FROM json_each(?))",
            [json.dumps(list(ids))])))

    def _with_files(self, records: list[dict[str, Any]], *,
                    with_text: bool = False) -> list[dict[str, Any]]:
        """Records read with `_vid`, given ``files``: one entry per attachment link with its
        archived file (archive.attachments.merged)."""
        files = files_mod.rows_of_versions(self.conn, [r["_vid"] for r in records])
        for record in records:
            rows = files[record.pop("_vid")]
            record["files"] = files_mod.merged(record.get("attachments") or [], rows)
            if with_text:
                for entry in record["files"]:
                    entry["file_text"] = (files_mod.text_of(self.conn, entry["sha256"])
                                          if entry["sha256"] else None)
        return records

    def export(self, *, since: datetime | date | str | None = None, site: str | None = None,
               with_text: bool = False) -> Iterator[dict[str, Any]]:
        """Current documents whose content or status changed at or after ``since``: new,
        changed, withdrawn or restored then, or whose current version got its first file bytes
        then (completed in place).

        ``with_text`` adds ``file_text`` (the extracted text, or None) to each attachment.
        """
        conditions, params = [], []
        if since is not None:
            conditions.append(
                "(d.id IN (SELECT document_id FROM events WHERE time >= ? AND document_id IS NOT "
                "NULL) OR EXISTS (SELECT 1 FROM version_attachments a WHERE a.version_id = "
                "d.current_version_id AND a.sha256 IS NOT NULL AND a.fetched_at >= ?))")
            params += [as_iso(since)] * 2
        if site is not None:
            conditions.append("s.name = ?")
            params.append(site)
        batch: list[dict[str, Any]] = []
        for row in self._rows(DOCUMENT_SELECT + where_clause(conditions) + " ORDER BY d.id", params):
            batch.append(row)
            if len(batch) >= EXPORT_BATCH:
                yield from self._with_files(batch, with_text=with_text)
                batch = []
        yield from self._with_files(batch, with_text=with_text)

    def stats(self) -> dict[str, Any]:
        """Counts and sizes for the whole archive."""
        count = {name: self.db[name].count for name in ("sites", "crawls", "versions", "events",
                                                         "captures")}
        # Aggregates: always exactly one row.
        documents = next(self.db.query("SELECT count(*) AS n, total(status = 'live') AS live, "
                                       "total(status = 'gone') AS gone FROM documents"))
        blobs = next(self.db.query("SELECT count(*) AS n, total(size) AS raw, "
                                   "total(length(data)) AS stored FROM capture_blobs"))
        files = next(self.db.query(
            "SELECT count(*) AS n, total(b.size) AS raw FROM capture_blobs b WHERE b.sha256 IN "
            "(SELECT sha256 FROM version_attachments WHERE sha256 IS NOT NULL)"))
        last = next(self.db.query("SELECT max(started_at) AS started_at FROM crawls"))
        return {
            "path": self.path,
            "file_size": os.path.getsize(self.path) if os.path.exists(self.path) else 0,
            "schema_version": self.schema_version,
            "sites": count["sites"],
            "crawls": count["crawls"],
            "last_crawl_at": last["started_at"],
            "documents": documents["n"],
            "live": int(documents["live"]),
            "gone": int(documents["gone"]),
            "versions": count["versions"],
            "events": count["events"],
            "captures": count["captures"],
            "capture_blobs": blobs["n"],
            "capture_raw_bytes": int(blobs["raw"]),
            "capture_stored_bytes": int(blobs["stored"]),
            "attachment_files": files["n"],  # distinct files (their blobs count as captures too)
            "attachment_bytes": int(files["raw"]),
            "search_queue": self._queue_size(),
        }

    def fields(self, shape: str) -> list[str]:
        """The keys of a record shape, in output order (a CSV header even with no rows):
        ``document`` (show, export), ``hit`` (search), ``version`` (history), ``event``
        (changes) or ``new`` (new_documents)."""
        select, extra = RECORD_SHAPES[shape]
        cursor = self.conn.execute(f"SELECT * FROM ({select}) LIMIT 0")
        return [column[0] for column in cursor.description if not column[0].startswith("_")] + list(extra)

    # -- reading helpers -----------------------------------------------------------------------

    def _rows(self, sql: str, params: Sequence[Any] = ()) -> Iterator[dict[str, Any]]:
        """The rows of a read (sqlite-utils' ``db.query``) as dicts, JSON columns decoded."""
        return (_decode(row) for row in self.db.query(sql, params))

    def _first(self, sql: str, params: Sequence[Any] = ()) -> dict[str, Any] | None:
        return next(self._rows(sql, params), None)



def _as_dict(record: Any) -> dict[str, Any]:
    """The record's fields, shallow: an item's raw bytes are not copied."""
    if dataclasses.is_dataclass(record) and not isinstance(record, type):
        return {f.name: getattr(record, f.name) for f in dataclasses.fields(record)}
    return dict(record)


def _validators(capture: Capture | None) -> tuple[str | None, str | None]:
    if capture is None:
        return None, None
    headers = {k.lower(): v for k, v in capture.headers.items()}
    return headers.get("etag"), headers.get("last-modified")


def _decode(row: dict[str, Any]) -> dict[str, Any]:
    """Parse the JSON-encoded columns of a row in place, the 0/1 flags as booleans."""
    for key in JSON_COLUMNS.intersection(row):
        if isinstance(row[key], str):
            row[key] = json.loads(row[key])
    for key in BOOLEAN_COLUMNS.intersection(row):
        row[key] = bool(row[key])
    return row
