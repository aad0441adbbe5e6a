"""Migration 010_search_spacing, frozen: the search index without the spaces between CJK and
Latin letters or digits.

Until 010 the index held titles, bodies and the two extra texts (``search_meta``,
``search_files``) as written, so ``46.2亿元`` missed a PDF's ``46.2 亿元``. From 010 on, the
spaces between a CJK character and a Latin letter or a digit are not indexed: the extra texts
are stored without them, titles and bodies are indexed without them (the stored text keeps
them). This empties the index and fills it again in that form with what was indexed
(``search_meta IS NOT NULL``); versions still queued for indexing stay queued (re-queued as
'index': their old entries are gone), queued removals are done.
"""

from __future__ import annotations

import re
import sqlite3

_CJK = "\u3400-\u9fff\uf900-\ufaff\u3001-\u303f\uff00-\uffef\U00020000-\U0003134f"
_LATIN = "0-9A-Za-z"
_SPACE = "[ \t\u00a0\u3000]"
_GAP = re.compile(rf"(?<=[{_CJK}]){_SPACE}+(?=[{_LATIN}])|(?<=[{_LATIN}]){_SPACE}+(?=[{_CJK}])")
FUNCTION = "m010_search_form"


def _search_form(text: str | None) -> str | None:
    return None if text is None else _GAP.sub("", str(text))


def reindex_without_gaps(conn: sqlite3.Connection) -> int:
    """Index every indexed version again without those spaces; returns how many.
    Inside the caller's transaction."""
    conn.create_function(FUNCTION, 1, _search_form, deterministic=True)
    conn.execute("INSERT INTO versions_fts (versions_fts) VALUES ('delete-all')")
    conn.execute("UPDATE versions SET search_meta = NULL, search_files = NULL WHERE id IN "
                 "(SELECT version_id FROM search_queue WHERE action = 'unindex')")
    conn.execute("DELETE FROM search_queue WHERE action = 'unindex'")
    conn.execute("UPDATE search_queue SET action = 'index' WHERE action = 'reindex'")
    indexed = ("FROM versions v WHERE v.search_meta IS NOT NULL "
               "AND v.id NOT IN (SELECT version_id FROM search_queue)")
    conn.execute(f"UPDATE versions SET search_meta = {FUNCTION}(search_meta), "
                 f"search_files = {FUNCTION}(search_files) WHERE id IN (SELECT v.id {indexed})")
    return conn.execute(
        "INSERT INTO versions_fts (rowid, title, body, search_meta, search_files) "
        f"SELECT v.id, {FUNCTION}(v.title), {FUNCTION}(v.body), v.search_meta, v.search_files {indexed}"
    ).rowcount
