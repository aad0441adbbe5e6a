"""Full-text search over the current version of every document, Chinese included.

The index is an FTS5 ``trigram`` table (``versions_fts``, external content = ``versions``)
holding only current versions: their title, body, ``search_meta`` (the 文号, 发文机关 and 索引号
metadata and the attachment names) and ``search_files`` (the text of the attachment files).
The two extra texts are written into the version row when it is indexed and cleared when it is
unindexed, so a delete repeats exactly what was indexed; each ends with a blank line, so every
character of them starts a trigram. A query is split on whitespace into terms that must all
occur, anywhere in those four (substring semantics, case-insensitive for ASCII); a quoted
phrase (``"…"``, ``“…”``, ``「…」``, ``『…』``) is one term, spaces included.

Spaces between a CJK character and a Latin letter or digit (``2022 年``, ``46.2 亿元``: PDF
text layers put them there) are not searched (`search_form`): the index holds the title and
body in that form (computed when indexing; the stored text keeps its spaces), the two extra
texts are stored in it, and query terms are put in it too. Snippets find a term in the stored
text with those spaces allowed (`term_pattern`).

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

import functools
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
    use_search_form(conn)
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
_STORED_AS_IS = ("d.title", "v.body")  # the extra texts are stored in search_form


def _contains_sql(terms: list[str]) -> tuple[str, list[str]]:
    """SQL that holds when every term occurs in a scanned place, and its arguments."""
    parts = [[_contains_one(place, term) for place in _SCANNED_PLACES] for term in terms]
    sql = " AND ".join("(" + " OR ".join(sql for sql, _ in places) + ")" for places in parts)
    return sql, [arg for places in parts for _, args in places for arg in args]


def _contains_one(place: str, term: str) -> tuple[str, list[str]]:
    """SQL: the place holds the term as search compares them (`occurs`, called only where
    a part of the term without gaps is found as it is)."""
    if place in _STORED_AS_IS and _has_gaps(term):
        return (f"(instr(lower({place}), ?) > 0 AND search_occurs({place}, ?))",
                [max(_GAP_PLACE.split(term), key=len), term])
    return f"instr(lower({place}), ?) > 0", [term]


def _scanned(conn: sqlite3.Connection, terms: list[str], where: str, params: list[Any]) -> bool:
    """True for a query with a one-character term found in most of the newest documents."""
    short = [t for t in terms if len(t) == 1]
    if not short:
        return False
    contains, args = _contains_sql(short)
    sql = (f"SELECT count(*), total(hit) FROM (SELECT {contains} AS hit {_SCAN_FROM}"
           f" WHERE 1 = 1{where} ORDER BY d.published DESC, d.id DESC LIMIT ?)")
    probed, hits = conn.execute(sql, [*args, *params, PROBE]).fetchone()
    return bool(probed) and hits >= COMMON_SHARE * probed


#: A query's terms: a quoted phrase ("…", “…”, 「…」, 『…』; unclosed: to the end) or a word.
_TOKEN = re.compile(r'"(?P<ascii>[^"]*)"?|“(?P<curly>[^”“"]*)[”“"]?|「(?P<corner>[^」]*)」?'
                    r'|『(?P<white>[^』]*)』?|(?P<word>[^\s"“”「」『』]+)')


def query_terms(query: str) -> list[str]:
    """The distinct terms of a query, in order, each of which must occur in a hit: its words
    (split on whitespace) and its quoted phrases (one term, inner spaces kept), lower-cased
    and in `search_form`."""
    seen: dict[str, None] = {}
    for found in _TOKEN.finditer(query):
        words = next(group for group in found.groups() if group is not None)
        term = search_form(" ".join(words.lower().split()))
        if term:
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
    contains, contained = _contains_sql(terms)
    sql = (f"SELECT d.id, d.title, d.published {_SCAN_FROM} WHERE {contains}{where}"
           " ORDER BY d.published DESC, d.id DESC LIMIT ?")
    args = [*contained, *params, RANK_WINDOW]
    found = {row[0]: row for row in conn.execute(sql, args)}
    for row in _recent_first(conn, _pending(conn, terms), where, params):  # extras not yet stored
        found.setdefault(row[0], row)
    return _title_then_newest(found.values(), terms, limit)


def _title_then_newest(found: Any, terms: list[str], limit: int) -> list[tuple[int, float]]:
    """Order (id, title, published) rows: most terms in the title, then newest, then newest id."""
    items = sorted(found, key=lambda r: r[0], reverse=True)
    items.sort(key=lambda r: r[2] or "", reverse=True)  # stable; no date sorts last
    scored = [(-sum(occurs(terms, title)), doc_id) for doc_id, title, _ in items]
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
    return all(occurs(terms, f"{title}\n{body}"))


def occurs(terms: Sequence[str], text: str) -> list[bool]:
    """Whether each (search-form) term occurs in `text` as search compares them: lower-cased,
    in `search_form` (found in the text as it is, or with spaces where search_form drops them:
    the same, without rewriting the whole text)."""
    lowered = text.lower()
    return [t in lowered or (_has_gaps(t) and _spaced_re(t).search(lowered) is not None)
            for t in terms]


@functools.lru_cache(maxsize=256)
def _spaced_re(term: str) -> re.Pattern[str]:
    return re.compile(_spaced(term))


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
        found = sum(occurs(terms, text))
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
    return _block(search_form(line) for line in lines if line)


def files_text(texts: Iterable[str]) -> str:
    """The text of a version's attachment files, in their order (in `index_form`, then
    `search_form`)."""
    return _block(search_form(index_form(text)).strip() for text in texts if text and text.strip())


_WRAPPED = re.compile(r"(?<=[\u3400-\u9fff\uf900-\ufaff\u3000-\u303f\uff00-\uffef])\n+"
                      r"(?=[\u3400-\u9fff\uf900-\ufaff\u3000-\u303f\uff00-\uffef])")


def index_form(text: str) -> str:
    """File text as searched: a line break between two CJK characters is a wrap of the page
    layout (PDF lines), not a break in the words, and is dropped."""
    return _WRAPPED.sub("", text)


#: Characters of CJK text: ideographs (with extensions and compatibility forms), CJK
#: punctuation and fullwidth forms (U+3000, the ideographic space, is a space).
_CJK = "\u3400-\u9fff\uf900-\ufaff\u3001-\u303f\uff00-\uffef\U00020000-\U0003134f"
_LATIN = "0-9A-Za-z"
_SPACE = "[ \t\u00a0\u3000]"
_GAP = re.compile(rf"(?<=[{_CJK}]){_SPACE}+(?=[{_LATIN}])|(?<=[{_LATIN}]){_SPACE}+(?=[{_CJK}])")
#: The places in a (search-form) term where stored text may have a gap: between a CJK
#: character and a Latin letter or digit.
_GAP_PLACE = re.compile(rf"(?<=[{_CJK}])(?=[{_LATIN}])|(?<=[{_LATIN}])(?=[{_CJK}])")


def search_form(text: str) -> str:
    """Text as search compares it: without the spaces between a CJK character and a Latin
    letter or a digit (``2022 年`` -> ``2022年``, ``GDP 增长`` -> ``GDP增长``), which PDF text
    layers (LibreOffice, Word) put there. Line breaks stay, and spaces between CJK characters.
    """
    return _GAP.sub("", text)


def _has_gaps(term: str) -> bool:
    """True if `search_form` would drop spaces somewhere between the characters of `term`."""
    return _GAP_PLACE.search(term) is not None


def term_pattern(terms: Iterable[str]) -> re.Pattern[str] | None:
    """A pattern finding any of the (search-form) terms in stored text, longest first,
    case-insensitive, spaces allowed wherever `search_form` drops them; None for no term."""
    ordered = sorted({t for t in terms if t}, key=len, reverse=True)
    if not ordered:
        return None
    return re.compile("|".join(_spaced(term) for term in ordered), re.IGNORECASE)


def _spaced(term: str) -> str:
    return f"{_SPACE}*".join(re.escape(part) for part in _GAP_PLACE.split(term))


def _block(parts: Iterable[str]) -> str:
    """Parts one after another, ending with a blank line ("" for none): every character of
    the text then starts a trigram, even the last one."""
    text = "\n".join(parts)
    return text + "\n\n" if text else ""


def apply_queue(conn: sqlite3.Connection) -> int:
    """Apply the queued index updates (inside the caller's transaction); returns how many.

    Unindexing repeats the values stored when the version was indexed (external content);
    indexing computes the extra texts, stores them in the version row and indexes the four
    (title and body in `search_form`, computed again to unindex them).
    """
    use_search_form(conn)
    conn.execute(
        "INSERT INTO versions_fts (versions_fts, rowid, title, body, search_meta, search_files) "
        "SELECT 'delete', v.id, search_form(v.title), search_form(v.body), v.search_meta, "
        "v.search_files FROM search_queue q "
        "JOIN versions v ON v.id = q.version_id WHERE q.action IN ('unindex', 'reindex')"
    )
    conn.execute("UPDATE versions SET search_meta = NULL, search_files = NULL WHERE id IN "
                 "(SELECT version_id FROM search_queue WHERE action = 'unindex')")
    _store_extras(conn)
    conn.execute(
        "INSERT INTO versions_fts (rowid, title, body, search_meta, search_files) "
        "SELECT v.id, search_form(v.title), search_form(v.body), v.search_meta, v.search_files "
        "FROM search_queue q "
        "JOIN versions v ON v.id = q.version_id WHERE q.action IN ('index', 'reindex')"
    )
    return int(conn.execute("DELETE FROM search_queue").rowcount)


def use_search_form(conn: sqlite3.Connection) -> None:
    """Give `conn` the SQL functions ``search_form(text)`` (`search_form`; NULL stays NULL)
    and ``search_occurs(text, term)`` (`occurs`)."""
    conn.create_function("search_form", 1, _sql_search_form, deterministic=True)
    conn.create_function("search_occurs", 2, _sql_occurs, deterministic=True)


def _sql_search_form(text: str | None) -> str | None:
    return None if text is None else search_form(str(text))


def _sql_occurs(text: str | None, term: str) -> bool:
    return text is not None and occurs([term], str(text))[0]


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
    pattern = term_pattern(terms)
    first = pattern.search(text) if pattern is not None else None
    if pattern is None or first is None:
        return ""
    start = max(0, first.start() - width)
    end = min(len(text), first.end() + width)
    excerpt = pattern.sub(lambda m: f"[{m.group(0)}]", text[start:end]).replace("\n", " ").strip()
    return ("…" if start > 0 else "") + excerpt + ("…" if end < len(text.rstrip("\n")) else "")
