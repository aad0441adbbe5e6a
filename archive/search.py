"""Full-text search over the current version of every document, Chinese included.

The index is an FTS5 ``trigram`` table (``versions_fts``, external content = ``versions``)
holding only current versions. Queries are split on whitespace into terms that must all occur
(substring semantics, case-insensitive for ASCII).

- Every term has 3+ characters: one FTS5 phrase query, ranked by bm25 (title weighted 5x).
- A two-character term (法治): trigram MATCH cannot express it, so it becomes the OR of every
  indexed trigram that *starts* with it (read from the fts5vocab table). Stored bodies end with
  a newline, so every occurrence in a body starts some trigram; titles are checked directly on
  the small ``documents`` table.
- A one-character term (税) is answered by scanning titles and bodies (instr).
- Queries with a short term rank title matches first, then the newest publication date.

Index updates are applied in batches (``search_queue``); versions still queued are found by
scanning them, so results are always complete (queued hits of a long query rank after the
bm25-ranked ones).
"""

from __future__ import annotations

import json
import re
import sqlite3
from datetime import date
from typing import Any

from .records import DOCUMENT_COLUMNS, DOCUMENT_FROM, rows
from .timeutil import as_date

TITLE_WEIGHT = 5.0  # also stored as the index's default rank: bm25(5.0, 1.0)
MAX_PREFIX_TERMS = 5000  # beyond this a short term is answered by a table scan instead
SNIPPET_WIDTH = 30
_MAX_CHAR = "\U0010ffff"


def search(conn: sqlite3.Connection, query: str, *, site: str | None = None,
           published_from: date | str | None = None, published_to: date | str | None = None,
           status: str | None = None, limit: int = 20) -> list[dict[str, Any]]:
    """Search hits: document dicts plus ``snippet`` and ``rank`` (lower ranks first)."""
    terms = _terms(query)
    if not terms or limit <= 0:
        return []
    where, params = _filters(site, published_from, published_to, status)
    if all(len(t) >= 3 for t in terms):
        ranked = _ranked_fts(conn, terms, where, params, limit)
    else:
        ranked = _ranked_short(conn, terms, where, params, limit)
    return _hits(conn, ranked, terms)


def _terms(query: str) -> list[str]:
    seen: dict[str, None] = {}
    for term in query.lower().split():
        seen.setdefault(term, None)
    return list(seen)


def _phrase(term: str) -> str:
    return '"' + term.replace('"', '""') + '"'


def _filters(site: str | None, published_from: date | str | None,
             published_to: date | str | None, status: str | None) -> tuple[str, list[Any]]:
    where: list[str] = []
    params: list[Any] = []
    if site is not None:
        where.append("d.site_id = (SELECT id FROM sites WHERE name = ?)")
        params.append(site)
    if published_from is not None:
        where.append("d.published >= ?")
        params.append(as_date(published_from))
    if published_to is not None:
        where.append("d.published <= ?")  # '~' sorts after any time suffix of that day
        params.append(f"{as_date(published_to)}~")
    if status is not None:
        where.append("d.status = ?")
        params.append(status)
    return "".join(f" AND {w}" for w in where), params


def _ranked_fts(conn: sqlite3.Connection, terms: list[str], where: str, params: list[Any],
                limit: int) -> list[tuple[int, float]]:
    match = " ".join(_phrase(t) for t in terms)
    # Joining on current_version_id also hides versions superseded since the last index batch.
    sql = (
        "SELECT d.id, f.rank FROM versions_fts f "
        "JOIN documents d ON d.current_version_id = f.rowid "
        f"WHERE versions_fts MATCH ?{where} ORDER BY f.rank LIMIT ?"
    )
    ranked = [(r[0], float(r[1])) for r in conn.execute(sql, [match, *params, limit])]
    pending = _pending_matches(conn, terms)
    if pending and len(ranked) < limit:
        sql = (f"SELECT d.id, 0.0 FROM documents d WHERE d.current_version_id IN "
               f"(SELECT value FROM json_each(?)){where} ORDER BY d.published DESC, d.id DESC LIMIT ?")
        ranked += [(r[0], r[1]) for r in conn.execute(
            sql, [json.dumps(sorted(pending)), *params, limit - len(ranked)])]
    return ranked


def _pending_matches(conn: sqlite3.Connection, terms: list[str]) -> set[int]:
    """Queued (not yet indexed) current versions containing every term."""
    sql = ("SELECT v.id, v.title, v.body FROM search_queue q JOIN versions v ON v.id = q.version_id "
           "WHERE q.action = 'index'")
    found = set()
    for version_id, title, body in conn.execute(sql):
        text = f"{title}\n{body}".lower()
        if all(t in text for t in terms):
            found.add(version_id)
    return found


def _ranked_short(conn: sqlite3.Connection, terms: list[str], where: str, params: list[Any],
                  limit: int) -> list[tuple[int, float]]:
    candidates: set[int] | None = None
    for term in sorted(terms, key=len, reverse=True):  # most selective first
        found = _version_ids(conn, term)
        candidates = found if candidates is None else candidates & found
        if not candidates:
            return []
    assert candidates is not None
    title_hits = " + ".join("(instr(lower(d.title), ?) > 0)" for _ in terms)
    sql = (
        f"SELECT d.id, -({title_hits}) AS rank FROM documents d "
        f"WHERE d.current_version_id IN (SELECT value FROM json_each(?)){where} "
        "ORDER BY rank, d.published IS NULL, d.published DESC, d.id DESC LIMIT ?"
    )
    args = [*terms, json.dumps(sorted(candidates)), *params, limit]
    return [(r[0], float(r[1])) for r in conn.execute(sql, args)]


def _version_ids(conn: sqlite3.Connection, term: str) -> set[int]:
    """Current version ids whose title or body contains ``term``."""
    if len(term) >= 3:
        sql = "SELECT rowid FROM versions_fts WHERE versions_fts MATCH ?"
        return {r[0] for r in conn.execute(sql, (_phrase(term),))} | _pending_matches(conn, [term])
    if len(term) == 1:
        return _scan(conn, term)
    trigrams = [r[0] for r in conn.execute(
        "SELECT term FROM versions_fts_terms WHERE term >= ? AND term < ?",
        (term, term + _MAX_CHAR),
    )]
    if len(trigrams) > MAX_PREFIX_TERMS:
        return _scan(conn, term)
    found: set[int] = set()
    if trigrams:
        match = " OR ".join(_phrase(t) for t in trigrams)
        found = {r[0] for r in conn.execute(
            "SELECT rowid FROM versions_fts WHERE versions_fts MATCH ?", (match,))}
    found.update(r[0] for r in conn.execute(
        "SELECT current_version_id FROM documents WHERE instr(lower(title), ?) > 0", (term,)))
    found.update(_pending_matches(conn, [term]))
    return found


def _scan(conn: sqlite3.Connection, term: str) -> set[int]:
    sql = (
        "SELECT d.current_version_id FROM documents d JOIN versions v ON v.id = d.current_version_id "
        "WHERE instr(lower(d.title), ?) > 0 OR instr(lower(v.body), ?) > 0"
    )
    return {r[0] for r in conn.execute(sql, (term, term))}


def _hits(conn: sqlite3.Connection, ranked: list[tuple[int, float]],
          terms: list[str]) -> list[dict[str, Any]]:
    if not ranked:
        return []
    ids = [doc_id for doc_id, _ in ranked]
    sql = f"SELECT {DOCUMENT_COLUMNS} {DOCUMENT_FROM} WHERE d.id IN (SELECT value FROM json_each(?))"
    docs = {d["id"]: d for d in rows(conn, sql, (json.dumps(ids),))}
    hits = []
    for doc_id, rank in ranked:
        doc = docs[doc_id]
        doc["snippet"] = snippet(doc["body"], terms) or snippet(doc["title"], terms)
        doc["rank"] = rank
        hits.append(doc)
    return hits


def snippet(text: str, terms: list[str], width: int = SNIPPET_WIDTH) -> str:
    """A one-line excerpt around the first match, matches wrapped in ``[...]``; "" if none."""
    pattern = re.compile("|".join(re.escape(t) for t in sorted(terms, key=len, reverse=True)),
                         re.IGNORECASE)
    first = pattern.search(text)
    if first is None:
        return ""
    start = max(0, first.start() - width)
    end = min(len(text), first.end() + width)
    excerpt = pattern.sub(lambda m: f"[{m.group(0)}]", text[start:end]).replace("\n", " ").strip()
    return ("…" if start > 0 else "") + excerpt + ("…" if end < len(text.rstrip("\n")) else "")
