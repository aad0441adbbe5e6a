"""The archive schema as an explicit, ordered list of migrations.

The schema version is the number of applied migrations; it is recorded in sqlite-utils'
``_sqlite_migrations`` table and mirrored in ``PRAGMA user_version``. ``PRAGMA application_id``
marks the file as a gov-archive.

A migration never calls live archive code: its data steps are frozen in archive/migration_steps
(an old archive runs them before later migrations' tables and columns exist).
"""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime

from sqlite_utils import Database, Migrations

from .errors import NotAnArchive, SchemaTooNew
from .migration_steps import m004_search_extras, m005_canonical_urls, m006_redacted_sinks, m010_search_spacing

MIGRATION_SET = "gov-archive"
APPLICATION_ID = 0x47764172  # "GvAr"

migrations = Migrations(MIGRATION_SET)

INITIAL_SCHEMA = """
CREATE TABLE sites (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    base_url TEXT,
    created_at TEXT NOT NULL
);
CREATE TABLE crawls (
    id INTEGER PRIMARY KEY,
    site_id INTEGER NOT NULL REFERENCES sites(id),
    started_at TEXT NOT NULL,
    finished_at TEXT,
    outcome TEXT,
    stats TEXT NOT NULL DEFAULT '{}'            -- JSON object
);
CREATE INDEX crawls_site ON crawls(site_id, id);

-- Raw bytes, content-addressed: identical responses are stored once.
CREATE TABLE capture_blobs (
    sha256 TEXT PRIMARY KEY,
    size INTEGER NOT NULL,                      -- raw length in bytes
    codec TEXT NOT NULL,                        -- xz | zlib | raw (archive.captures)
    data BLOB NOT NULL
);
-- One row per fetch that produced a version: what came with the bytes.
CREATE TABLE captures (
    id INTEGER PRIMARY KEY,
    sha256 TEXT NOT NULL REFERENCES capture_blobs(sha256),
    status INTEGER NOT NULL,
    url TEXT NOT NULL,                          -- final URL after redirects
    headers TEXT NOT NULL DEFAULT '{}',         -- JSON object, lower-cased names
    declared_encoding TEXT,
    used_encoding TEXT,
    fetched_at TEXT NOT NULL
);
CREATE INDEX captures_sha256 ON captures(sha256);

-- Current state: one row per announcement identity (site + canonical URL).
CREATE TABLE documents (
    id INTEGER PRIMARY KEY,
    site_id INTEGER NOT NULL REFERENCES sites(id),
    url TEXT NOT NULL,                          -- canonical URL
    status TEXT NOT NULL DEFAULT 'live' CHECK (status IN ('live', 'gone')),
    version INTEGER NOT NULL,                   -- current version number
    current_version_id INTEGER REFERENCES versions(id),
    title TEXT NOT NULL,                        -- copy of the current version's, for listings
    published TEXT,                             -- copy of the current version's, for filters
    content_hash TEXT NOT NULL,
    first_seen TEXT NOT NULL,
    last_seen TEXT NOT NULL,
    last_checked TEXT NOT NULL,
    gone_at TEXT,
    etag TEXT,
    last_modified TEXT,
    UNIQUE (url, site_id)
);
CREATE INDEX documents_published ON documents(published);
-- Search joins FTS hits (version ids) to documents and filters them without reading rows.
CREATE UNIQUE INDEX documents_current ON documents(current_version_id, site_id, status, published);
-- Short search terms: a title that ends with the term starts no trigram.
CREATE INDEX documents_title_tail ON documents(lower(substr(title, -2)));

-- Every distinct content of a document: a full copy of the normalized tracked fields.
CREATE TABLE versions (
    id INTEGER PRIMARY KEY,
    document_id INTEGER NOT NULL REFERENCES documents(id) DEFERRABLE INITIALLY DEFERRED,
    version INTEGER NOT NULL CHECK (version >= 1),
    crawl_id INTEGER REFERENCES crawls(id),
    fetched_at TEXT NOT NULL,
    capture_id INTEGER REFERENCES captures(id),
    content_hash TEXT NOT NULL,
    changed_fields TEXT NOT NULL,               -- JSON list of field names
    title TEXT NOT NULL,
    published TEXT,
    metadata TEXT NOT NULL DEFAULT '{}',        -- JSON object
    attachments TEXT NOT NULL DEFAULT '[]',     -- JSON list of {"url", "text"}
    body TEXT NOT NULL,                         -- newline-terminated lines
    UNIQUE (document_id, version)
);

-- Trigram index over the CURRENT version of each document only (maintained by the Archive;
-- do not run the FTS 'rebuild' command, it would index every version).
CREATE VIRTUAL TABLE versions_fts USING fts5(
    title, body, content="versions", content_rowid="id", tokenize="trigram"
);
INSERT INTO versions_fts(versions_fts, rank) VALUES ('rank', 'bm25(5.0, 1.0)');
-- Index updates arrive in many small batches: merging segments 16 at a time instead of 4
-- halves the indexing cost (measured by benchmarks/bench_archive.py).
INSERT INTO versions_fts(versions_fts, rank) VALUES ('automerge', 16);
CREATE VIRTUAL TABLE versions_fts_terms USING fts5vocab(versions_fts, row);
-- Index updates not yet applied to versions_fts: written in the same transaction as the
-- version, applied in batches (one FTS segment per item is slow); search scans these rows.
CREATE TABLE search_queue (
    version_id INTEGER PRIMARY KEY REFERENCES versions(id),
    action TEXT NOT NULL CHECK (action IN ('index', 'unindex'))
);

CREATE TABLE events (
    id INTEGER PRIMARY KEY,
    kind TEXT NOT NULL CHECK (kind IN ('new', 'changed', 'gone', 'restored', 'health')),
    time TEXT NOT NULL,
    site_id INTEGER NOT NULL REFERENCES sites(id),
    crawl_id INTEGER REFERENCES crawls(id),
    document_id INTEGER REFERENCES documents(id),
    version INTEGER,
    health_kind TEXT,                           -- health events only
    detail TEXT,                                -- health events only
    CHECK ((kind = 'health') = (document_id IS NULL)),
    FOREIGN KEY (document_id, version) REFERENCES versions(document_id, version)
);
CREATE INDEX events_time ON events(time);
CREATE INDEX events_document ON events(document_id);

CREATE TABLE deliveries (
    sink TEXT NOT NULL,
    event_id INTEGER NOT NULL REFERENCES events(id),
    delivered_at TEXT NOT NULL,
    PRIMARY KEY (sink, event_id)
) WITHOUT ROWID;

CREATE TABLE site_state (
    site_id INTEGER PRIMARY KEY REFERENCES sites(id),
    failures INTEGER NOT NULL DEFAULT 0,
    backoff_until TEXT,
    last_outcome TEXT,
    last_crawl_id INTEGER,
    last_attempt_at TEXT,
    last_success_at TEXT,
    next_due_at TEXT,
    data TEXT NOT NULL DEFAULT '{}'             -- JSON object for any other scheduler field
);

CREATE VIEW current_documents AS
SELECT d.id, d.url, s.name AS site, d.status, d.version, v.title, v.published, v.body,
       v.metadata, v.attachments, d.first_seen, d.last_seen, d.last_checked, d.gone_at,
       d.content_hash
FROM documents d
JOIN sites s ON s.id = d.site_id
JOIN versions v ON v.id = d.current_version_id;
"""


@migrations(name="001_initial_schema")
def initial_schema(db: Database) -> None:
    for statement in _statements(INITIAL_SCHEMA):
        db.conn.execute(statement)


READING_INDEXES = """
-- Per-site counts (live / gone) read from the index alone, and a site's newest documents.
CREATE INDEX documents_site ON documents(site_id, status);
-- Newest events of one kind (e.g. withdrawals), and of one kind on one site (health events).
CREATE INDEX events_kind ON events(kind);
CREATE INDEX events_site_kind ON events(site_id, kind);
-- One-character search terms: the places where no trigram starts (archive/search.py).
CREATE INDEX documents_title_last ON documents(lower(substr(title, -1)));
CREATE INDEX versions_body_last ON versions(lower(substr(body, -2, 1)));
"""


@migrations(name="002_indexes_for_site_kind_and_short_word_reads")
def reading_indexes(db: Database) -> None:
    """Indexes for `gov-archive serve` (home and site pages) and one-character searches."""
    for statement in _statements(READING_INDEXES):
        db.conn.execute(statement)


WATCH_LIST_SCHEMA = """
-- The sites `crawl --due` and `watch` crawl, besides the definitions in the user's own folders.
CREATE TABLE watch_list (
    site_id INTEGER PRIMARY KEY REFERENCES sites(id),
    definition TEXT,                            -- a bundled definition added by name; NULL: the
                                                -- site is its watched columns
    every TEXT,                                 -- crawl interval ("6h"); NULL: the definition's or 6h
    added_at TEXT NOT NULL
);
-- Column (list) pages: those on the watch list and every one a crawl walked.
CREATE TABLE columns (
    id INTEGER PRIMARY KEY,
    site_id INTEGER NOT NULL REFERENCES sites(id),
    url TEXT NOT NULL,                          -- canonical URL
    name TEXT,                                  -- its title (通知公告)
    watched INTEGER NOT NULL DEFAULT 0,         -- 1: on the watch list (`add URL`)
    added_at TEXT NOT NULL,
    failures INTEGER NOT NULL DEFAULT 0,        -- scheduler state: failed crawls in a row
    backoff_until TEXT,
    last_outcome TEXT,
    last_detail TEXT,
    last_crawl_id INTEGER,
    UNIQUE (site_id, url)
);
-- What each crawl found on each of its columns.
CREATE TABLE column_crawls (
    column_id INTEGER NOT NULL REFERENCES columns(id),
    crawl_id INTEGER NOT NULL REFERENCES crawls(id),
    outcome TEXT NOT NULL,                      -- ok | article | not_list | blocked | http_404 |
                                                -- dns | refused | timeout | robots | error | interrupted
    detail TEXT,
    list_pages INTEGER NOT NULL DEFAULT 0,
    items INTEGER NOT NULL DEFAULT 0,
    new INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (column_id, crawl_id)
) WITHOUT ROWID;
CREATE INDEX column_crawls_crawl ON column_crawls(crawl_id);
-- Which column listed a document (the first row of a document: where it was first seen).
CREATE TABLE document_columns (
    document_id INTEGER NOT NULL REFERENCES documents(id),
    column_id INTEGER NOT NULL REFERENCES columns(id),
    first_seen TEXT NOT NULL,
    crawl_id INTEGER REFERENCES crawls(id),
    PRIMARY KEY (document_id, column_id)
) WITHOUT ROWID;
CREATE INDEX document_columns_column ON document_columns(column_id);
"""


@migrations(name="003_watch_list")
def watch_list(db: Database) -> None:
    """The watch list and first-class columns. Sites crawled before stay unwatched: no release
    recorded the column a `crawl --url` started from (`sites.base_url` is the home page)."""
    for statement in _statements(WATCH_LIST_SCHEMA):
        db.conn.execute(statement)


ATTACHMENTS_SCHEMA = """
-- The file behind each attachment link of a version, in the order of versions.attachments
-- (only links whose file was fetched, or tried). The bytes are content-addressed in
-- capture_blobs, shared with page captures: one copy per distinct file in the archive.
CREATE TABLE version_attachments (
    id INTEGER PRIMARY KEY,
    version_id INTEGER NOT NULL REFERENCES versions(id),
    position INTEGER NOT NULL CHECK (position >= 1), -- 1-based index into versions.attachments
    url TEXT NOT NULL,
    name TEXT NOT NULL,                          -- the link text (else the file name)
    sha256 TEXT REFERENCES capture_blobs(sha256), -- NULL: no bytes (see error)
    size INTEGER,
    content_type TEXT,                           -- sniffed from the bytes, not the header
    status INTEGER,                              -- HTTP status of the fetch
    headers TEXT NOT NULL DEFAULT '{}',          -- JSON object, lower-cased names
    fetched_at TEXT,                             -- when these bytes were fetched
    error TEXT,                                  -- why there are no bytes
    UNIQUE (version_id, position)
);
CREATE INDEX version_attachments_url ON version_attachments(url, sha256);
CREATE INDEX version_attachments_sha256 ON version_attachments(sha256);
-- The text of each distinct file (NFKC-normalized), or why there is none.
CREATE TABLE attachment_texts (
    sha256 TEXT PRIMARY KEY REFERENCES capture_blobs(sha256),
    text TEXT NOT NULL,
    chars INTEGER NOT NULL,
    error TEXT                                   -- unreadable, encrypted, no text layer ...
);
-- Conditional re-checks: the validators of the latest fetch of each attachment URL.
CREATE TABLE attachment_state (
    url TEXT PRIMARY KEY,
    sha256 TEXT REFERENCES capture_blobs(sha256),
    etag TEXT,
    last_modified TEXT,
    checked_at TEXT NOT NULL
);

-- Search covers metadata, attachment names and attachment text: the text indexed for a
-- current version is kept in these columns (NULL once it is no longer indexed) so that it
-- can be unindexed exactly.
ALTER TABLE versions ADD COLUMN search_meta TEXT;
ALTER TABLE versions ADD COLUMN search_files TEXT;
DROP TABLE versions_fts_terms;
DROP TABLE versions_fts;
CREATE VIRTUAL TABLE versions_fts USING fts5(
    title, body, search_meta, search_files, content="versions", content_rowid="id",
    tokenize="trigram"
);
INSERT INTO versions_fts(versions_fts, rank) VALUES ('rank', 'bm25(5.0, 1.0, 2.0, 0.5)');
INSERT INTO versions_fts(versions_fts, rank) VALUES ('automerge', 16);
CREATE VIRTUAL TABLE versions_fts_terms USING fts5vocab(versions_fts, row);
-- 'reindex': a current version whose attachment files were completed in place.
DROP TABLE search_queue;
CREATE TABLE search_queue (
    version_id INTEGER PRIMARY KEY REFERENCES versions(id),
    action TEXT NOT NULL CHECK (action IN ('index', 'unindex', 'reindex'))
);
"""


@migrations(name="004_attachment_files_and_search_extras")
def attachment_files(db: Database) -> None:
    """Attachment files and their text; search over metadata and attachments (re-indexes)."""
    for statement in _statements(ATTACHMENTS_SCHEMA):
        db.conn.execute(statement)
    m004_search_extras.index_current_versions(db.conn)


MERGED_SCHEMA = """
-- Documents merged into another: one page saved under two spellings of its URL. An id here is
-- never given to a new document, and reads as its survivor.
CREATE TABLE merged_documents (
    old_id INTEGER PRIMARY KEY,
    survivor_id INTEGER NOT NULL REFERENCES documents(id),
    url TEXT NOT NULL,                          -- the URL it was saved under
    merged_at TEXT NOT NULL
);
CREATE INDEX merged_documents_survivor ON merged_documents(survivor_id);
-- Each version of a merged document: the version holding its content now, or, when no version
-- of the survivor can (an edit only that spelling saw), the version itself, kept read-only.
CREATE TABLE merged_versions (
    document_id INTEGER NOT NULL REFERENCES merged_documents(old_id),
    version INTEGER NOT NULL,
    version_id INTEGER REFERENCES versions(id),
    record TEXT,                                -- JSON: the whole version, when version_id is NULL
    PRIMARY KEY (document_id, version),
    CHECK ((version_id IS NULL) != (record IS NULL))
) WITHOUT ROWID;
"""


@migrations(name="005_canonical_urls")
def canonical_urls(db: Database) -> None:
    """Documents and columns under the canonical URL form that folds dot segments, escaped
    unreserved characters and repeated slashes; documents that turn out to be one page are
    merged without renumbering any version (archive/migration_steps/m005_canonical_urls.py)."""
    for statement in _statements(MERGED_SCHEMA):
        db.conn.execute(statement)
    m005_canonical_urls.recanonicalize(db.conn, datetime.now(UTC).isoformat(timespec="seconds"))


@migrations(name="006_redacted_sinks")
def redacted_sinks(db: Database) -> None:
    """Webhook sinks named without their secrets (``webhook:https://host/…#<digest>``)."""
    m006_redacted_sinks.redact_sinks(db.conn)


INGESTED_SCHEMA = """
-- What an archive host (`watch --redis`) applied of the items workers shipped through Redis:
-- one row per item of a crawl in progress, written in the transaction of its save, so a
-- redelivered message changes nothing. A crawl's rows are removed when it finishes.
CREATE TABLE ingested (
    key TEXT PRIMARY KEY,                       -- the item's idempotency key (crawl + canonical URL)
    crawl_id INTEGER NOT NULL REFERENCES crawls(id),
    url TEXT NOT NULL,                          -- canonical URL
    stats TEXT NOT NULL DEFAULT '[]',           -- JSON list: the crawl stats the item counted
    held TEXT,                                  -- JSON: a withdrawal held until the crawl ends
    at TEXT NOT NULL
) WITHOUT ROWID;
CREATE INDEX ingested_crawl ON ingested(crawl_id);
"""


@migrations(name="007_ingested")
def ingested(db: Database) -> None:
    """The idempotency log of items shipped by crawl workers (crawler/service/cluster)."""
    for statement in _statements(INGESTED_SCHEMA):
        db.conn.execute(statement)


EXTRACTOR_SCHEMA = """
-- The extractor version that read the version (NULL: saved before versions recorded it).
ALTER TABLE versions ADD COLUMN extractor INTEGER;
-- 1: a newer extractor's reading of the previous version's capture (no edit, no event).
ALTER TABLE versions ADD COLUMN reextracted INTEGER NOT NULL DEFAULT 0 CHECK (reextracted IN (0, 1));
"""


@migrations(name="008_extractor_version")
def extractor_version(db: Database) -> None:
    """Which extractor read each version, and the versions that are only a re-reading."""
    for statement in _statements(EXTRACTOR_SCHEMA):
        db.conn.execute(statement)


REVIEW_FIXES_SCHEMA = """
-- 1: the reading of the file failed or stopped for a reason that may not recur (the time ran
-- out, the reader crashed): the next crawl that meets the file reads it again.
ALTER TABLE attachment_texts ADD COLUMN transient INTEGER NOT NULL DEFAULT 0;
-- Readings stored before the mark, by the only words those readers gave these failures.
UPDATE attachment_texts SET transient = 1 WHERE error LIKE 'reading took longer than %'
    OR error LIKE 'the reader crashed on this file%' OR error LIKE 'read for % s; the rest is %';
"""


@migrations(name="009_review_fixes")
def review_fixes(db: Database) -> None:
    """Attachment readings that failed for a reason that may not recur are marked, to be read
    again (``attachment_texts.transient``)."""
    for statement in _statements(REVIEW_FIXES_SCHEMA):
        db.conn.execute(statement)


@migrations(name="010_search_spacing")
def search_spacing(db: Database) -> None:
    """Search ignores the spaces between CJK and Latin letters or digits (``46.2 亿元``): the
    index is filled again in that form (archive/migration_steps/m010_search_spacing.py)."""
    m010_search_spacing.reindex_without_gaps(db.conn)


DEAD_LINKS_SCHEMA = """
-- Links a column listed that answered 404/410 and were never archived: a crawl retries
-- each only after a back-off that grows with `tries` (crawler/spiders/base.py), instead of
-- fetching every dead link on every crawl. A link that becomes a document is ignored.
CREATE TABLE dead_links (
    column_id INTEGER NOT NULL REFERENCES columns(id),
    url TEXT NOT NULL,                          -- canonical URL
    first_seen TEXT NOT NULL,                   -- the first crawl that found it dead
    last_tried TEXT NOT NULL,                   -- the latest crawl that found it dead
    tries INTEGER NOT NULL,                     -- crawls that found it dead
    PRIMARY KEY (column_id, url)
) WITHOUT ROWID;
"""


@migrations(name="011_dead_links")
def dead_links(db: Database) -> None:
    """Listed links that answered 404/410, remembered per column (see DEAD_LINKS_SCHEMA)."""
    for statement in _statements(DEAD_LINKS_SCHEMA):
        db.conn.execute(statement)


def _statements(script: str) -> list[str]:
    """Split a script on complete statements (sqlite3.complete_statement handles quotes)."""
    lines = [line for line in script.splitlines() if not line.strip().startswith("--")]
    out, buffer = [], ""
    for line in lines:
        buffer += line + "\n"
        if sqlite3.complete_statement(buffer):
            out.append(buffer.strip())
            buffer = ""
    return out


KNOWN = [m.name for m in migrations._migrations]
SCHEMA_VERSION = len(KNOWN)


def schema_version(db: Database) -> int:
    """The schema version recorded in the file (0 for an empty file)."""
    return int(db.conn.execute("PRAGMA user_version").fetchone()[0])


def inspect(db: Database, path: str) -> bool:
    """Check that ``db`` is an archive we can use. Returns False if it is empty.

    Raises NotAnArchive or SchemaTooNew; never writes.
    """
    try:
        objects = db.conn.execute("SELECT count(*) FROM sqlite_master").fetchone()[0]
        app_id = db.conn.execute("PRAGMA application_id").fetchone()[0]
    except sqlite3.DatabaseError as e:
        raise NotAnArchive(f"{path} is not a gov-archive database ({e})") from None
    if objects == 0 and app_id == 0:
        return False
    if app_id != APPLICATION_ID:
        raise NotAnArchive(f"{path} is an SQLite database but not a gov-archive archive")
    applied = {m.name for m in migrations.applied(db)}
    unknown = applied - set(KNOWN)
    version = schema_version(db)
    if unknown or version > SCHEMA_VERSION:
        raise SchemaTooNew(
            f"{path} uses archive schema version {max(version, len(applied))}, newer than "
            f"this gov-archive understands ({SCHEMA_VERSION}); upgrade gov-archive to open it"
        )
    return True


def needs_migration(db: Database) -> bool:
    """True if migrations are pending."""
    return bool(migrations.pending(db))


def migrate(db: Database) -> None:
    """Apply pending migrations under one write lock and record the schema version."""
    db.conn.execute("BEGIN IMMEDIATE")
    try:
        migrations.apply(db)  # nests as savepoints inside our transaction
        db.conn.execute(f"PRAGMA application_id = {APPLICATION_ID}")
        db.conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
        db.conn.execute("COMMIT")
    except BaseException:
        if db.conn.in_transaction:
            db.conn.execute("ROLLBACK")
        raise
