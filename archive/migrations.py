"""The archive schema as an explicit, ordered list of migrations.

The schema version is the number of applied migrations; it is recorded in sqlite-utils'
``_sqlite_migrations`` table and mirrored in ``PRAGMA user_version``. ``PRAGMA application_id``
marks the file as a gov-archive.
"""

from __future__ import annotations

import sqlite3

from sqlite_utils import Database, Migrations

from .errors import NotAnArchive, SchemaTooNew
from .identity import recanonicalize
from .urls import private_url_key

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


@migrations(name="004_canonical_urls")
def canonical_urls(db: Database) -> None:
    """Documents under the canonical URL form that folds dot segments, escaped unreserved
    characters and repeated slashes; documents that turn out to be one page are merged."""
    recanonicalize(db.conn)


@migrations(name="005_redacted_sinks")
def redacted_sinks(db: Database) -> None:
    """Webhook sinks named without their secrets (``webhook:https://host/…#<digest>``)."""
    sinks = [row[0] for row in db.conn.execute(
        "SELECT DISTINCT sink FROM deliveries WHERE sink LIKE 'webhook:%'")]
    for sink in sinks:
        url = sink.removeprefix("webhook:")
        db.conn.execute("UPDATE deliveries SET sink = ? WHERE sink = ?",
                        ("webhook:" + private_url_key(url), sink))


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
