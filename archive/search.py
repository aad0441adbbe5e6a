"""Full-text search over the current version of every document, Chinese included.

The index is an FTS5 ``trigram`` table (``versions_fts``, external content = ``versions``)
holding only current versions: their title, body, ``search_meta`` (the 文号, 发文机关 and 索引号
metadata and the attachment names) and ``search_files`` (the text of the attachment files).
The two extra texts are written into the version row when it is indexed and cleared when it is
unindexed, so a delete repeats exactly what was indexed; each ends with a blank line, so every
character of them starts a trigram. A query is split on whitespace into terms that must all
occur, anywhere in those four (substring semantics, case-insensitive for ASCII).

- Terms of 3+ characters are FTS5 phrases.
- A two-character term (法治) cannot be a trigram phrase, so it becomes the OR of every indexed
  trigram that *starts* with it (read from the fts5vocab table ``versions_fts_terms``). Stored
  bodies end with a newline, so every occurrence in a body starts some trigram; a title that
  *ends* with the term is found through the ``documents_title_tail`` index.
- A one-character term (税) goes the same way: the OR of the trigrams that start with it. The
  places where no trigram starts (the last two characters of a title, the last character of a
  body before its final newline) are looked up in expression indexes. A character found in at
  least half of the newest documents (``COMMON_SHARE``, probed on ``PROBE`` of them) is
  answered by scanning titles, bodies and the extra texts (instr), newest first: its window fills at once, while
  its trigrams would be many and their doclists long.

Ranking: with only long terms, bm25 (title 5, body 1, metadata and names 2, file text 0.5);
with a short term, title matches first, then the newest publication date. Ranking looks at the
``RANK_WINDOW`` most recently archived matching documents (after filters; for a scanned common
character the newest by publication date), so a term found in most of a large archive still
answers in milliseconds; below that many matches the ranking is exact.

Index updates are applied in batches (``search_queue``); queued versions are found by scanning
them, so results are always complete (queued hits of a long query rank after bm25 ones).
"""

from __future__ import annotations

import json
import re
import sqlite3
from collections.abc import Iterable, Mapping, Sequence
from datetime import date
from typing import Any

from .timeutil import as_date

RANK_WINDOW = 2000
SNIPPET_WIDTH = 30
#: A one-character term in at least this share of the newest PROBE documents is scanned for.
#: Through the trigrams a character in 1 document in 12 takes 1-10 ms against 250-550 ms for
#: the scan (100,000 documents, benchmarks/bench_web.py); a character in most documents fills
#: the scan's window within a few thousand, while its trigrams are many with long doclists.
COMMON_SHARE = 0.5
PROBE = 200
_MAX_CHAR = "\U0010ffff"
_TAIL = 2  # documents_title_tail indexes substr(title, -2)
#: Metadata searched besides title and body: 文号, 发文机关/发布机构, 索引号.
META_KEYS = ("doc_no", "issuer", "index_no")
BM25 = "bm25(versions_fts, 5.0, 1.0, 2.0, 0.5)"


def rank(conn: sqlite3.Connection, query: str, *, site: str | None = None,
         published_from: date | str | None = None, published_to: date | str | None = None,
         status: str | None = None, limit: int = 20) -> list[tuple[int, float]]:
    """The best `limit` matching documents as ``(document id, rank)``, best (lowest) first.

    At most ``RANK_WINDOW`` matches are ranked (more with queued ones): ``rank(...,
    limit=RANK_WINDOW)`` also says how many there are, up to that.
    """
    if status not in (None, "live", "gone"):
        raise ValueError(f"status must be 'live' or 'gone', not {status!r}")
    found = query_terms(query)
    if not found or limit <= 0:
        return []
    where, params = _filters(site, published_from, published_to, status)
    return _ranked(conn, found, where, params, limit)


def _ranked(conn: sqlite3.Connection, terms: list[str], where: str, params: list[Any],
            limit: int) -> list[tuple[int, float]]:
    if _scanned(conn, terms, where, params):
        return _ranked_scan(conn, terms, where, params, limit)
    if all(len(t) >= 3 for t in terms):
        return _ranked_bm25(conn, terms, where, params, limit)
    return _ranked_short(conn, terms, where, params, limit)


_SCAN_FROM = "FROM documents d JOIN versions v ON v.id = d.current_version_id"


_SCANNED_PLACES = ("d.title", "v.body", "v.search_meta", "v.search_files")


def _contains_sql(terms: list[str]) -> str:
    return " AND ".join(
        "(" + " OR ".join(f"instr(lower({p}), ?) > 0" for p in _SCANNED_PLACES) + ")" for _ in terms)


def _contains_args(terms: list[str]) -> list[str]:
    return [t for t in terms for _ in _SCANNED_PLACES]


def _scanned(conn: sqlite3.Connection, terms: list[str], where: str, params: list[Any]) -> bool:
    """True for a query with a one-character term found in most of the newest documents."""
    short = [t for t in terms if len(t) == 1]
    if not short:
        return False
    sql = (f"SELECT count(*), total(hit) FROM (SELECT {_contains_sql(short)} AS hit {_SCAN_FROM}"
           f" WHERE 1 = 1{where} ORDER BY d.published DESC, d.id DESC LIMIT ?)")
    probed, hits = conn.execute(sql, [*_contains_args(short), *params, PROBE]).fetchone()
    return bool(probed) and hits >= COMMON_SHARE * probed


def query_terms(query: str) -> list[str]:
    """The distinct lower-cased words of a query, in order: each must occur in a hit."""
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


def _match(conn: sqlite3.Connection, terms: list[str]) -> str | None:
    """The FTS5 expression for the terms; None if a short term starts no trigram."""
    parts = []
    for term in terms:
        if len(term) >= 3:
            parts.append(_phrase(term))
            continue
        trigrams = [r[0] for r in conn.execute(
            "SELECT term FROM versions_fts_terms WHERE term >= ? AND term < ?",
            (term, term + _MAX_CHAR),
        )]
        if not trigrams:
            return None
        parts.append("(" + " OR ".join(_phrase(t) for t in trigrams) + ")")
    return " AND ".join(parts)


def _ranked_bm25(conn: sqlite3.Connection, terms: list[str], where: str, params: list[Any],
                 limit: int) -> list[tuple[int, float]]:
    # The join on current_version_id also hides versions superseded since the last index batch.
    sql = (
        "SELECT id, score FROM ("
        f"  SELECT d.id, {BM25} AS score FROM versions_fts f"
        "  JOIN documents d ON d.current_version_id = f.rowid"
        f" WHERE versions_fts MATCH ?{where} ORDER BY f.rowid DESC LIMIT ?"
        ") ORDER BY score, id DESC LIMIT ?"
    )
    match = " ".join(_phrase(t) for t in terms)
    ranked = [(r[0], float(r[1])) for r in conn.execute(sql, [match, *params, RANK_WINDOW, limit])]
    if len(ranked) < limit:
        seen = {doc_id for doc_id, _ in ranked}
        extra = [c for c in _recent_first(conn, _pending(conn, terms), where, params) if c[0] not in seen]
        ranked += [(c[0], 0.0) for c in extra[: limit - len(ranked)]]
    return ranked


def _ranked_short(conn: sqlite3.Connection, terms: list[str], where: str, params: list[Any],
                  limit: int) -> list[tuple[int, float]]:
    match = _match(conn, terms)
    found: dict[int, tuple[int, str, str | None]] = {}
    if match is not None:
        sql = (
            "SELECT d.id, d.title, d.published FROM versions_fts f"
            " JOIN documents d ON d.current_version_id = f.rowid"
            f" WHERE versions_fts MATCH ?{where} ORDER BY f.rowid DESC LIMIT ?"
        )
        for row in conn.execute(sql, [match, *params, RANK_WINDOW]):
            found[row[0]] = row
    for row in _recent_first(conn, _pending(conn, terms), where, params):
        found.setdefault(row[0], row)
    for row in _tails(conn, terms, where, params):
        found.setdefault(row[0], row)
    return _title_then_newest(found.values(), terms, limit)


def _ranked_scan(conn: sqlite3.Connection, terms: list[str], where: str, params: list[Any],
                 limit: int) -> list[tuple[int, float]]:
    sql = (f"SELECT d.id, d.title, d.published {_SCAN_FROM} WHERE {_contains_sql(terms)}{where}"
           " ORDER BY d.published DESC, d.id DESC LIMIT ?")
    args = [*_contains_args(terms), *params, RANK_WINDOW]
    found = {row[0]: row for row in conn.execute(sql, args)}
    for row in _recent_first(conn, _pending(conn, terms), where, params):  # extras not yet stored
        found.setdefault(row[0], row)
    return _title_then_newest(found.values(), terms, limit)


def _title_then_newest(found: Any, terms: list[str], limit: int) -> list[tuple[int, float]]:
    """Order (id, title, published) rows: most terms in the title, then newest, then newest id."""
    items = sorted(found, key=lambda r: r[0], reverse=True)
    items.sort(key=lambda r: r[2] or "", reverse=True)  # stable; no date sorts last
    scored = [(-sum(t in title.lower() for t in terms), doc_id) for doc_id, title, _ in items]
    scored.sort(key=lambda s: s[0])
    return [(doc_id, float(score)) for score, doc_id in scored[:limit]]


def _pending(conn: sqlite3.Connection, terms: list[str]) -> set[int]:
    """Queued (not yet indexed) current versions containing every term."""
    sql = ("SELECT v.id, v.title, v.body FROM search_queue q JOIN versions v ON v.id = q.version_id "
           "WHERE q.action IN ('index', 'reindex')")
    queued = conn.execute(sql).fetchall()
    extras = _extra_texts(conn, [vid for vid, _, _ in queued])
    return {vid for vid, title, body in queued
            if _contains(title, body + "\n" + "\n".join(extras[vid]), terms)}


def _tails(conn: sqlite3.Connection, terms: list[str], where: str,
           params: list[Any]) -> list[tuple[int, str, str | None]]:
    """Documents with a short term where no trigram starts: at the end of the title or body."""
    found = []
    for term in (t for t in terms if len(t) <= _TAIL):
        for sql, args in _tail_queries(term, where):
            for doc_id, title, published, version_id in conn.execute(
                    sql, [*args, *params, RANK_WINDOW]):
                if len(terms) == 1 or _contains(title, _body(conn, version_id), terms):
                    found.append((doc_id, title, published))
    return found


def _tail_queries(term: str, where: str) -> list[tuple[str, list[str]]]:
    """(SQL, arguments) per place a ``term`` of 1 or 2 characters starts no trigram."""
    columns = "SELECT d.id, d.title, d.published, d.current_version_id FROM documents d"
    newest = f"{where} ORDER BY d.current_version_id DESC LIMIT ?"
    if len(term) == _TAIL:  # the whole title tail (documents_title_tail)
        return [(f"{columns} WHERE lower(substr(d.title, -2)) = ?{newest}", [term])]
    return [
        # next to last character of the title (documents_title_tail, as a range)
        ((f"{columns} WHERE lower(substr(d.title, -2)) >= ? AND lower(substr(d.title, -2)) < ?"
          f"{newest}"), [term, term + _MAX_CHAR]),
        # last character of the title (documents_title_last)
        (f"{columns} WHERE lower(substr(d.title, -1)) = ?{newest}", [term]),
        # last character of the body, before its final newline (versions_body_last)
        (("SELECT d.id, d.title, d.published, d.current_version_id FROM versions v"
          " JOIN documents d ON d.current_version_id = v.id"
          f" WHERE lower(substr(v.body, -2, 1)) = ?{where} ORDER BY v.id DESC LIMIT ?"), [term]),
    ]


def _body(conn: sqlite3.Connection, version_id: int) -> str:
    """The body with the version's indexed metadata and file text: all a term may be in."""
    return str(conn.execute("SELECT body || char(10) || coalesce(search_meta, '') || "
                            "coalesce(search_files, '') FROM versions WHERE id = ?",
                            (version_id,)).fetchone()[0])


def _contains(title: str, body: str, terms: list[str]) -> bool:
    text = f"{title}\n{body}".lower()
    return all(t in text for t in terms)


def _recent_first(conn: sqlite3.Connection, version_ids: set[int], where: str,
                  params: list[Any]) -> list[tuple[int, str, str | None]]:
    if not version_ids:
        return []
    sql = (f"SELECT d.id, d.title, d.published FROM documents d WHERE d.current_version_id IN "
           f"(SELECT value FROM json_each(?)){where} ORDER BY d.published DESC, d.id DESC")
    return conn.execute(sql, [json.dumps(sorted(version_ids)), *params]).fetchall()


def hit_place(places: Iterable[tuple[str, str | None, str]],
              terms: list[str]) -> tuple[str, str | None, str]:
    """Where a hit matched: the place holding the most terms (the first of equals).

    ``places`` are ``(field, name, text)`` in reading order (title, body, metadata,
    attachments); returns the chosen place with a snippet of it instead of its text.
    """
    best: tuple[str, str | None, str] = ("", None, "")
    most = 0
    for field, name, text in places:
        lowered = text.lower()
        found = sum(t in lowered for t in terms)
        if found > most:
            best, most = (field, name, snippet(text, terms)), found
            if found == len(terms):
                break
    return best


# --- what is indexed ---------------------------------------------------------------------------


def meta_text(metadata: Mapping[str, Any], attachments: Sequence[Mapping[str, Any]]) -> str:
    """The searchable metadata of a version (META_KEYS) and its attachment names, one a line."""
    lines = [str(metadata[key]) for key in META_KEYS if metadata.get(key)]
    lines += [str(a.get("text") or a.get("url") or "") for a in attachments]
    return _block(line for line in lines if line)


def files_text(texts: Iterable[str]) -> str:
    """The text of a version's attachment files, in their order (in `index_form`)."""
    return _block(index_form(text).strip() for text in texts if text and text.strip())


_WRAPPED = re.compile(r"(?<=[\u3400-\u9fff\uf900-\ufaff\u3000-\u303f\uff00-\uffef])\n+"
                      r"(?=[\u3400-\u9fff\uf900-\ufaff\u3000-\u303f\uff00-\uffef])")


def index_form(text: str) -> str:
    """File text as searched: a line break between two CJK characters is a wrap of the page
    layout (PDF lines), not a break in the words, and is dropped."""
    return _WRAPPED.sub("", text)


def _block(parts: Iterable[str]) -> str:
    """Parts one after another, ending with a blank line ("" for none): every character of
    the text then starts a trigram, even the last one."""
    text = "\n".join(parts)
    return text + "\n\n" if text else ""


def apply_queue(conn: sqlite3.Connection) -> int:
    """Apply the queued index updates (inside the caller's transaction); returns how many.

    Unindexing repeats the values stored when the version was indexed (external content);
    indexing computes the extra texts, stores them in the version row and indexes the four.
    """
    conn.execute(
        "INSERT INTO versions_fts (versions_fts, rowid, title, body, search_meta, search_files) "
        "SELECT 'delete', v.id, v.title, v.body, v.search_meta, v.search_files FROM search_queue q "
        "JOIN versions v ON v.id = q.version_id WHERE q.action IN ('unindex', 'reindex')"
    )
    conn.execute("UPDATE versions SET search_meta = NULL, search_files = NULL WHERE id IN "
                 "(SELECT version_id FROM search_queue WHERE action = 'unindex')")
    _store_extras(conn)
    conn.execute(
        "INSERT INTO versions_fts (rowid, title, body, search_meta, search_files) "
        "SELECT v.id, v.title, v.body, v.search_meta, v.search_files FROM search_queue q "
        "JOIN versions v ON v.id = q.version_id WHERE q.action IN ('index', 'reindex')"
    )
    return int(conn.execute("DELETE FROM search_queue").rowcount)


def _store_extras(conn: sqlite3.Connection) -> None:
    queued = [r[0] for r in conn.execute(
        "SELECT version_id FROM search_queue WHERE action IN ('index', 'reindex')")]
    extras = _extra_texts(conn, queued)
    conn.executemany("UPDATE versions SET search_meta = ?, search_files = ? WHERE id = ?",
                     [(meta, files, vid) for vid, (meta, files) in extras.items()])


def _extra_texts(conn: sqlite3.Connection, version_ids: list[int]) -> dict[int, tuple[str, str]]:
    """``{version id: (search_meta, search_files)}`` computed from the version and its files."""
    if not version_ids:
        return {}
    ids = json.dumps(version_ids)
    texts: dict[int, list[str]] = {vid: [] for vid in version_ids}
    for vid, text in conn.execute(
            "SELECT a.version_id, t.text FROM version_attachments a "
            "JOIN attachment_texts t ON t.sha256 = a.sha256 "
            "WHERE a.version_id IN (SELECT value FROM json_each(?)) ORDER BY a.version_id, a.position",
            (ids,)):
        texts[vid].append(text)
    out = {}
    for vid, metadata, attachments in conn.execute(
            "SELECT id, metadata, attachments FROM versions WHERE id IN (SELECT value FROM json_each(?))",
            (ids,)):
        out[vid] = (meta_text(json.loads(metadata), json.loads(attachments)), files_text(texts[vid]))
    return out


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
