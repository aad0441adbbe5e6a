"""The event log: the part of `Archive` that knows the ``events`` table.

`Events` is mixed into `archive.db.Archive`. An event says what happened when: a document was
seen first (``new``), ``changed``, withdrawn (``gone``) or ``restored``, or a site's crawl
raised a ``health`` alarm. `Archive.save` and the crawl bookkeeping write them (`_event`,
inside their transaction); `events` and `new_documents` read them oldest first, for the
queries, feeds and webhooks. `EVENT_COLUMNS`, `EVENT_FROM` and `event_filters` are the
shape of an event record for the other reads of events (archive/webreads.py,
archive/bookkeeping.py).

A ``new`` event is back-dated (`is_backdated`) when the page's own date is long before we first
saw it in a column that had been crawled before.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Iterator, Sequence
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any

from .queries import MAX_SQL_INT, limit_value, where_clause
from .timeutil import as_iso, parse_stored_time
from .watchlist import COLUMN_KNOWN

#: A page whose own date is this much older than our first sighting of it is "back-dated".
BACKDATED_AFTER = timedelta(days=30)
#: An event record's columns (README "JSON output"), from the tables of `EVENT_FROM`.
EVENT_COLUMNS = """
    e.id, e.kind, e.time, e.crawl_id, e.document_id, e.version, d.url, s.name AS site,
    v.title, v.published, d.first_seen, d.status, e.health_kind, e.detail
"""
EVENT_FROM = """
    FROM events e
    JOIN sites s ON s.id = e.site_id
    LEFT JOIN documents d ON d.id = e.document_id
    LEFT JOIN versions v ON v.document_id = e.document_id AND v.version = e.version
"""
#: Events that are not repeats: migration 005 kept, marked ``detail = 'merged'``, the events of
#: a merged-away document that only repeat what the surviving document reported.
REPORTED = "(e.kind = 'health' OR e.detail IS NOT 'merged')"
#: Whether the event's site had a finished crawl, other than the event's own, before it.
SITE_KNOWN = """
    EXISTS (SELECT 1 FROM crawls c WHERE c.site_id = e.site_id AND c.id IS NOT e.crawl_id
            AND c.finished_at <= e.time) AS site_known
"""


class Events:
    """Event-log methods of `archive.db.Archive`."""

    if TYPE_CHECKING:  # provided by Archive
        def _rows(self, sql: str, params: Sequence[Any] = ()) -> Iterator[dict[str, Any]]: ...

    def _event(self, c: sqlite3.Connection, kind: str, t: str, site_id: int, crawl_id: int | None,
               doc_id: int | None, version: int | None, health_kind: str | None = None,
               detail: str | None = None) -> int:
        """Write one event in the transaction `c`; returns its id."""
        cur = c.execute(
            "INSERT INTO events (kind, time, site_id, crawl_id, document_id, version, health_kind, "
            "detail) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (kind, t, site_id, crawl_id, doc_id, version, health_kind, detail),
        )
        return int(cur.lastrowid or 0)

    def events(self, *, since: datetime | date | str | None = None, kinds: Iterable[str] | None = None,
               site: str | None = None, after_id: int | None = None, limit: int | None = None,
               newest_first: bool = False, with_body: bool = False) -> list[dict[str, Any]]:
        """Events in the order they happened (ascending id), or the newest first.

        ``limit`` applies in that order: with ``newest_first`` it reads only the newest N.
        ``with_body`` adds the ``body`` of each event's version (feeds summarize it).
        """
        conditions, params = event_filters(since=since, kinds=kinds, site=site, after_id=after_id)
        columns = EVENT_COLUMNS + (", v.body" if with_body else "")
        return list(self._events(columns, conditions, params, newest_first=newest_first,
                                 limit=limit))

    def new_documents(self, *, since: datetime | date | str | None = None,
                      site: str | None = None) -> list[dict[str, Any]]:
        """"new" events (documents by first sighting), oldest first, each flagged ``backdated``.

        Back-dated: the page's own date is more than ``BACKDATED_AFTER`` before we first saw
        it in a column that had been crawled before: the first complete crawl of a column is
        its baseline, so the older items of a newly added column are not back-dated. A
        document no column listed (saved directly) is judged by its site: one that had a
        finished crawl (other than this one) before (``is_backdated``).
        """
        conditions, params = event_filters(since=since, kinds=["new"], site=site)
        found = self._events(EVENT_COLUMNS + ", " + SITE_KNOWN + ", " + COLUMN_KNOWN,
                             conditions, params)
        return [_flag_backdated(event) for event in found]

    def _events(self, columns: str, conditions: list[str], params: list[Any], *,
                newest_first: bool = False, limit: int | None = None) -> Iterator[dict[str, Any]]:
        order = " ORDER BY e.id DESC" if newest_first else " ORDER BY e.id"
        sql = f"SELECT {columns} {EVENT_FROM}{where_clause([REPORTED, *conditions])}{order} LIMIT ?"
        return self._rows(sql, [*params, limit_value(limit)])


def event_filters(*, since: datetime | date | str | None = None, kinds: Iterable[str] | None = None,
                  site: str | None = None,
                  after_id: int | None = None) -> tuple[list[str], list[Any]]:
    """SQL conditions on ``EVENT_FROM`` and their parameters."""
    where: list[str] = []
    params: list[Any] = []
    if since is not None:
        where.append("e.time >= ?")
        params.append(as_iso(since))
    if kinds is not None:
        kinds = [kinds] if isinstance(kinds, str) else list(kinds)
        where.append(f"e.kind IN ({', '.join('?' * len(kinds))})")
        params += kinds
    if site is not None:
        where.append("s.name = ?")
        params.append(site)
    if after_id is not None:
        where.append("e.id > ?")
        params.append(min(int(after_id), MAX_SQL_INT))
    return where, params


def is_backdated(published: str | None, first_seen: str | None, *, site_known: bool) -> bool:
    """True when a page claims a date long before we first saw it, on a site crawled before.

    `site_known` says whether the site had a finished crawl before this sighting: on a first
    crawl every old page is "new to us" and nothing is back-dated.
    """
    pub, seen = parse_stored_time(published), parse_stored_time(first_seen)
    if not site_known or pub is None or seen is None:
        return False
    return seen - pub > BACKDATED_AFTER


def _flag_backdated(event: dict[str, Any]) -> dict[str, Any]:
    """A new-document event read with ``SITE_KNOWN`` and ``COLUMN_KNOWN``, flagged ``backdated``
    instead: by its column when one listed it, else by its site."""
    column_known = event.pop("column_known")
    site_known = bool(event.pop("site_known") if column_known is None else column_known)
    seen = event.get("first_seen") or event["time"]
    event["backdated"] = is_backdated(event.get("published"), seen, site_known=site_known)
    return event
