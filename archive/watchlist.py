"""The watch list and columns: the part of `Archive` that knows their tables.

`WatchList` is mixed into `archive.db.Archive` (it uses the archive's transactions and reads):

- the watch list (``watch_list``): the sites `crawl --due` and `watch` crawl, each either a bundled
  definition added by name or a set of watched columns (``columns.watched``);
- columns (``columns``): every column page the watch list holds or a crawl walked, with its
  scheduler state (failures, back-off, last outcome), so one failing column never touches the
  others of its site;
- what each crawl found on each column (``column_crawls``) and which column listed a document
  (``document_columns``): a column's first complete crawl is its baseline for ``backdated``.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager
from datetime import datetime
from typing import TYPE_CHECKING, Any

from .timeutil import iso, utcnow
from .urls import canonical_url

#: The scheduler state kept on each column (``columns``), as `update_column_states` takes it.
COLUMN_STATE_COLUMNS = ("failures", "backoff_until", "last_outcome", "last_detail", "last_crawl_id")
COLUMN_CRAWL_FIELDS = ("outcome", "detail", "list_pages", "items", "new")
#: A column outcome that counts as having walked the column (a baseline when the crawl finished).
COLUMN_WALKED = ("ok", "article")

COLUMN_SELECT = """
    SELECT col.id, s.name AS site, col.url, col.name, col.watched, col.added_at, col.failures,
           col.backoff_until, col.last_outcome, col.last_detail, col.last_crawl_id,
           (SELECT count(*) FROM document_columns dc WHERE dc.column_id = col.id) AS documents,
           (SELECT count(*) FROM dead_links dl WHERE dl.column_id = col.id AND NOT EXISTS (
                SELECT 1 FROM documents d WHERE d.site_id = col.site_id AND d.url = dl.url)
           ) AS dead_links
    FROM columns col JOIN sites s ON s.id = col.site_id
"""
#: Whether the column that first listed the event's document had been walked by a finished
#: crawl (other than the event's own) before: NULL when no column listed it then.
COLUMN_KNOWN = f"""
    (SELECT max(EXISTS (
         SELECT 1 FROM column_crawls cc JOIN crawls c ON c.id = cc.crawl_id
         WHERE cc.column_id = dc.column_id AND cc.outcome IN {COLUMN_WALKED!r}
           AND c.outcome = 'finished' AND c.id IS NOT e.crawl_id AND c.finished_at <= e.time))
     FROM document_columns dc WHERE dc.document_id = e.document_id AND dc.first_seen <= e.time
    ) AS column_known
"""


class WatchList:
    """Watch-list and column methods of `archive.db.Archive`."""

    if TYPE_CHECKING:  # provided by Archive
        conn: sqlite3.Connection

        def _write(self) -> AbstractContextManager[sqlite3.Connection]: ...
        def _rows(self, sql: str, params: Sequence[Any] = ()) -> Iterator[dict[str, Any]]: ...
        def ensure_site(self, name: str, *, base_url: str | None = None,
                        now: datetime | None = None) -> int: ...
        def _find_site(self, name: str) -> int | None: ...

    # -- the watch list -------------------------------------------------------------------

    def watch_site(self, site: str, *, definition: str | None = None, every: str | None = None,
                   now: datetime | None = None) -> bool:
        """Put `site` on the watch list (a bundled `definition` by name, or its watched columns).

        `every` (an interval such as "6h") replaces the recorded one when given. True if the
        site was not watched.
        """
        with self._write() as c:
            site_id = self.ensure_site(site)
            return self._watch(c, site_id, iso(now or utcnow()), every=every,
                               definition=definition)

    def watch_column(self, site: str, url: str, *, name: str | None = None,
                     every: str | None = None, now: datetime | None = None) -> bool:
        """Put the column `url` (titled `name`) of `site` on the watch list, and the site (its
        bundled definition, if it has one, stays); True if the column was not watched. One
        transaction: the site is never watched without the column."""
        t = iso(now or utcnow())
        with self._write() as c:
            site_id = self.ensure_site(site)
            self._watch(c, site_id, t, every=every, keep_definition=True)
            column_id = self._ensure_column(c, site_id, url, name, t)
            was = c.execute("SELECT watched FROM columns WHERE id = ?", (column_id,)).fetchone()[0]
            c.execute("UPDATE columns SET watched = 1 WHERE id = ?", (column_id,))
        return not was

    def _watch(self, c: sqlite3.Connection, site_id: int, t: str, *, every: str | None,
               definition: str | None = None, keep_definition: bool = False) -> bool:
        """The site's watch-list row: `every` replaces the recorded one when given, and
        `definition` the recorded one unless `keep_definition`; True if it was not watched."""
        known = c.execute("SELECT 1 FROM watch_list WHERE site_id = ?", (site_id,)).fetchone()
        kept = "coalesce(excluded.definition, definition)" if keep_definition else "excluded.definition"
        c.execute(
            "INSERT INTO watch_list (site_id, definition, every, added_at) VALUES (?, ?, ?, ?) "
            f"ON CONFLICT (site_id) DO UPDATE SET definition = {kept}, "
            "every = coalesce(excluded.every, every)",
            (site_id, definition, every, t))
        return known is None

    def unwatch_site(self, site: str) -> bool:
        """Take `site` and its columns off the watch list (its archive stays); True if it was on."""
        site_id = self._find_site(site)
        if site_id is None:
            return False
        with self._write() as c:
            removed = c.execute("DELETE FROM watch_list WHERE site_id = ?", (site_id,)).rowcount
            c.execute("UPDATE columns SET watched = 0 WHERE site_id = ?", (site_id,))
        return bool(removed)

    def unwatch_column(self, column_id: int) -> bool:
        """Take one column off the watch list; its site too when no watched column is left.

        True if the site was taken off as well.
        """
        with self._write() as c:
            c.execute("UPDATE columns SET watched = 0 WHERE id = ?", (column_id,))
            site_id = c.execute("SELECT site_id FROM columns WHERE id = ?", (column_id,)).fetchone()[0]
            left = c.execute("SELECT count(*) FROM columns WHERE site_id = ? AND watched = 1",
                             (site_id,)).fetchone()[0]
            if left:
                return False
            return bool(c.execute("DELETE FROM watch_list WHERE site_id = ? AND definition IS NULL",
                                  (site_id,)).rowcount)

    def watched_sites(self) -> list[dict[str, Any]]:
        """The watch list by site name: ``{"site","definition","every","added_at",
        "columns": [{"id","url","name"}]}`` (the watched columns, oldest first)."""
        sites = list(self._rows(
            "SELECT w.site_id, s.name AS site, w.definition, w.every, w.added_at "
            "FROM watch_list w JOIN sites s ON s.id = w.site_id ORDER BY s.name"))
        for site in sites:
            site["columns"] = list(self._rows(
                "SELECT id, url, name FROM columns WHERE site_id = ? AND watched = 1 ORDER BY id",
                [site.pop("site_id")]))
        return sites

    def find_columns(self, url: str) -> list[dict[str, Any]]:
        """The columns at `url` (canonicalized), in any site: rows as `columns` returns them."""
        return list(self._rows(COLUMN_SELECT + " WHERE col.url = ? ORDER BY col.id",
                               [canonical_url(url)]))

    # -- columns ----------------------------------------------------------------------------

    def ensure_columns(self, site: str, columns: Iterable[tuple[str, str | None]], *,
                       now: datetime | None = None) -> list[int]:
        """The ids of `site`'s columns ``(url, name)``, in order, recording new ones."""
        site_id = self.ensure_site(site)
        t = iso(now or utcnow())
        with self._write() as c:
            return [self._ensure_column(c, site_id, url, name, t) for url, name in columns]

    def _ensure_column(self, c: sqlite3.Connection, site_id: int, url: str, name: str | None,
                       t: str) -> int:
        c.execute("INSERT INTO columns (site_id, url, name, added_at) VALUES (?, ?, ?, ?) "
                  "ON CONFLICT (site_id, url) DO UPDATE SET name = coalesce(excluded.name, name)",
                  (site_id, canonical_url(url), name or None, t))
        return int(c.execute("SELECT id FROM columns WHERE site_id = ? AND url = ?",
                             (site_id, canonical_url(url))).fetchone()[0])

    def columns(self, site: str | None = None) -> list[dict[str, Any]]:
        """Columns (of `site`), each with its state, the number of documents it listed and its
        latest crawl: ``last_crawl`` = ``{"crawl_id","finished_at","crawl_outcome","outcome",
        "detail","list_pages","items","new"}`` or None."""
        where, params = ("", []) if site is None else (" WHERE s.name = ?", [site])
        rows = list(self._rows(COLUMN_SELECT + where + " ORDER BY s.name, col.id", params))
        for row in rows:
            row["watched"] = bool(row["watched"])
            row["last_crawl"] = next(iter(self.column_crawls(row["id"], limit=1)), None)
        return rows

    def column_page_names(self, site: str, *, sample: int = 200) -> dict[str, str]:
        """The name the pages of each column of `site` give it, by column URL: the 栏目
        (``column_name`` metadata) most of its newest `sample` documents carry."""
        found = {}
        for column_id, url in self.conn.execute(
                "SELECT col.id, col.url FROM columns col JOIN sites s ON s.id = col.site_id "
                "WHERE s.name = ?", (site,)):
            row = self.conn.execute(
                "SELECT name FROM (SELECT json_extract(v.metadata, '$.column_name') AS name "
                "FROM document_columns dc JOIN documents d ON d.id = dc.document_id "
                "JOIN versions v ON v.id = d.current_version_id WHERE dc.column_id = ? "
                "ORDER BY dc.document_id DESC LIMIT ?) WHERE name IS NOT NULL AND name != '' "
                "GROUP BY name ORDER BY count(*) DESC, name LIMIT 1", (column_id, sample)).fetchone()
            if row is not None:
                found[url] = str(row[0])
        return found

    def column_crawls(self, column_id: int, *, limit: int | None = None) -> list[dict[str, Any]]:
        """What the crawls of a column found, newest first (finished crawls only)."""
        return list(self._rows(
            "SELECT cc.crawl_id, c.finished_at, c.outcome AS crawl_outcome, cc.outcome, cc.detail, "
            "cc.list_pages, cc.items, cc.new FROM column_crawls cc JOIN crawls c ON c.id = cc.crawl_id "
            "WHERE cc.column_id = ? AND c.finished_at IS NOT NULL ORDER BY c.id DESC LIMIT ?",
            [column_id, -1 if limit is None else int(limit)]))

    def column_states(self, site: str, urls: Iterable[str], *, ignore: Iterable[str] = (),
                      ignore_crawls: Iterable[str] = ()) -> list[dict[str, Any]]:
        """The scheduler's view of `site`'s columns at `urls`, in order: ``{"url","id",
        "failures","backoff_until","last_outcome","last_detail","last_crawl_id","last_crawled_at"}``.

        ``last_crawled_at``: when the newest finished crawl of the column ended, leaving out
        column outcomes in `ignore` and crawl outcomes in `ignore_crawls` (None: never). A URL
        the archive does not know gets ``id`` None and no state.
        """
        skip, skip_crawls = list(ignore), list(ignore_crawls)
        site_id = self._find_site(site)
        out = []
        for url in urls:
            key = canonical_url(url)
            row = None if site_id is None else next(self._rows(
                "SELECT col.id, col.failures, col.backoff_until, col.last_outcome, col.last_detail, "
                "col.last_crawl_id, (SELECT max(c.finished_at) FROM column_crawls cc "
                "JOIN crawls c ON c.id = cc.crawl_id WHERE cc.column_id = col.id "
                "AND c.finished_at IS NOT NULL "
                "AND cc.outcome NOT IN (SELECT value FROM json_each(?)) "
                "AND c.outcome NOT IN (SELECT value FROM json_each(?))) AS last_crawled_at "
                "FROM columns col WHERE col.site_id = ? AND col.url = ?",
                [_json_list(skip), _json_list(skip_crawls), site_id, key]), None)
            state = dict.fromkeys(COLUMN_STATE_COLUMNS) | {"failures": 0, "id": None,
                                                           "last_crawled_at": None}
            out.append({**state, **(row or {}), "url": key})
        return out

    def crawl_columns(self, crawl_id: int) -> list[dict[str, Any]]:
        """What one crawl found on each of its columns, with each column's current state."""
        return list(self._rows(
            "SELECT cc.column_id, col.url, col.name, cc.outcome, cc.detail, cc.list_pages, cc.items, "
            "cc.new, col.failures, col.backoff_until, col.last_outcome, col.last_crawl_id "
            "FROM column_crawls cc JOIN columns col ON col.id = cc.column_id "
            "WHERE cc.crawl_id = ? ORDER BY col.id", [crawl_id]))

    # -- writes inside the Archive's own transactions ------------------------------------------

    def dead_links(self, site: str) -> dict[str, dict[str, Any]]:
        """The links `site`'s columns listed that answered 404/410 and are not documents, by
        canonical URL: ``{"first_seen", "last_tried", "tries"}`` (the most tried row of a URL
        several columns list)."""
        rows = self._rows(
            "SELECT dl.url, min(dl.first_seen) AS first_seen, max(dl.last_tried) AS last_tried, max(dl.tries) AS tries "
            "FROM dead_links dl JOIN columns col ON col.id = dl.column_id "
            "JOIN sites s ON s.id = col.site_id WHERE s.name = ? AND NOT EXISTS ("
            "SELECT 1 FROM documents d WHERE d.site_id = col.site_id AND d.url = dl.url) "
            "GROUP BY dl.url", [site])
        return {row.pop("url"): row for row in rows}

    def _record_column_crawls(self, c: sqlite3.Connection, crawl_id: int,
                              rows: Iterable[Mapping[str, Any]], t: str) -> None:
        """``column_crawls`` rows of a crawl (``{"column_id", "outcome", ...}``), and the links
        each column listed that answered 404/410 (``"dead"``: canonical URLs) at `t`."""
        for row in rows:
            for url in row.get("dead") or ():
                c.execute("INSERT INTO dead_links (column_id, url, first_seen, last_tried, tries) "
                          "VALUES (?, ?, ?, ?, 1) ON CONFLICT (column_id, url) DO UPDATE SET "
                          "last_tried = excluded.last_tried, tries = tries + 1",
                          (row["column_id"], url, t, t))
            values = [row.get(name) for name in COLUMN_CRAWL_FIELDS]
            c.execute("INSERT OR REPLACE INTO column_crawls (column_id, crawl_id, outcome, detail, "
                      "list_pages, items, new) VALUES (?, ?, ?, ?, ?, ?, ?)",
                      (row["column_id"], crawl_id, values[0], values[1], *(int(v or 0) for v in values[2:])))

    def _update_column_states(self, c: sqlite3.Connection,
                              states: Mapping[int, Mapping[str, Any]]) -> None:
        for column_id, fields in states.items():
            known = {k: v for k, v in fields.items() if k in COLUMN_STATE_COLUMNS}
            if known:
                assignments = ", ".join(f"{name} = ?" for name in known)
                # Column names from COLUMN_STATE_COLUMNS only, values as parameters.
                c.execute(f"UPDATE columns SET {assignments} WHERE id = ?",
                          [*known.values(), column_id])

    def _link_column(self, c: sqlite3.Connection, document_id: int, column_id: int,
                     crawl_id: int | None, t: str) -> None:
        """Record that `column_id` listed the document (the first time only)."""
        c.execute("INSERT OR IGNORE INTO document_columns (document_id, column_id, first_seen, "
                  "crawl_id) VALUES (?, ?, ?, ?)", (document_id, column_id, t, crawl_id))


def _json_list(values: Sequence[str]) -> str:
    return json.dumps(list(values))
