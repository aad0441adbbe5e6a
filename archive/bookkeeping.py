"""Scheduler state and webhook deliveries: the part of `Archive` that the bookkeeping after
crawls (crawler/service/bookkeeping.py) writes and reads.

`Bookkeeping` is mixed into `archive.db.Archive`:

- each site's scheduler state (``site_state``): failures, back-off, the last outcome, the
  last crawl booked; `record_site_outcome` books a crawl (its health events, the site's and
  its columns' new state) in one transaction, once;
- webhook deliveries (``deliveries``): which events each sink received, and the write probe
  (`write_problem`) a sender asks before it sends what it could not record afterwards.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Iterator, Mapping
from contextlib import AbstractContextManager
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from .events import EVENT_COLUMNS, event_filters
from .timeutil import iso, utcnow

if TYPE_CHECKING:
    from sqlite_utils import Database

#: The scheduler state kept in columns of ``site_state`` (other keys go to its JSON ``data``).
SITE_STATE_COLUMNS = (
    "failures",
    "backoff_until",
    "last_outcome",
    "last_crawl_id",
    "last_attempt_at",
    "last_success_at",
    "next_due_at",
)


class Bookkeeping:
    """Scheduler-state and delivery methods of `archive.db.Archive`."""

    if TYPE_CHECKING:  # provided by Archive
        conn: sqlite3.Connection
        db: Database

        def _write(self) -> AbstractContextManager[sqlite3.Connection]: ...
        def _events(self, columns: str, conditions: list[str], params: list[Any], *,
                    newest_first: bool = False, limit: int | None = None) -> Iterator[dict[str, Any]]: ...
        def _event(self, c: sqlite3.Connection, kind: str, t: str, site_id: int, crawl_id: int | None,
                   doc_id: int | None, version: int | None, health_kind: str | None = None,
                   detail: str | None = None) -> int: ...
        def ensure_site(self, name: str, *, base_url: str | None = None,
                        now: datetime | None = None) -> int: ...
        def _find_site(self, name: str) -> int | None: ...
        def _update_column_states(self, c: sqlite3.Connection,
                                  states: Mapping[int, Mapping[str, Any]]) -> None: ...

    # -- each site's scheduler state ----------------------------------------------------------

    def site_state(self, site: str) -> dict[str, Any]:
        """Scheduler state of a site (defaults if never set): failures, backoff_until, ..."""
        site_id = self._find_site(site)
        row = next(self.db["site_state"].rows_where("site_id = ?", [site_id]), None)  # none if None
        state: dict[str, Any] = dict.fromkeys(SITE_STATE_COLUMNS)
        state["failures"] = 0
        if row:
            extra = json.loads(row.pop("data") or "{}")
            row.pop("site_id")
            state.update(row)
            state.update(extra)
        state["site"] = site
        return state

    def set_site_state(self, site: str, **fields: Any) -> None:
        """Update scheduler state; unknown keys are kept in a JSON column and returned too."""
        site_id = self.ensure_site(site)
        with self._write() as c:
            self._update_site_state(c, site_id, fields)

    def record_site_outcome(self, site: str, state: Mapping[str, Any], *,
                            crawl_id: int | None = None,
                            health: Iterable[tuple[str, str, int | None]] = (),
                            columns: Mapping[int, Mapping[str, Any]] | None = None,
                            now: datetime | None = None) -> list[int] | None:
        """Record health events and update the site's scheduler state in one transaction.

        The bookkeeping after a crawl: a crash leaves both or neither, so the health alerts of
        a crawl are never raised twice. ``health`` items are ``(kind, detail, crawl_id)``;
        ``state`` is as for :meth:`set_site_state`; ``columns`` maps column ids to their new
        state (failures, backoff_until, last_outcome, last_detail, last_crawl_id). Returns the
        ids of the health events.

        `crawl_id`: the crawl booked, recorded as ``last_crawl_id``. Compare-and-set: when that
        crawl (or a later one) is booked already, by another process, nothing is written and
        the result is None.
        """
        site_id = self.ensure_site(site)
        t = iso(now or utcnow())
        with self._write() as c:
            if crawl_id is not None:
                booked = c.execute("SELECT last_crawl_id FROM site_state WHERE site_id = ?",
                                   (site_id,)).fetchone()
                if booked is not None and booked[0] is not None and booked[0] >= crawl_id:
                    return None
                state = {**state, "last_crawl_id": crawl_id}
            ids = [self._event(c, "health", t, site_id, crawl, None, None,
                               health_kind=kind, detail=detail)
                   for kind, detail, crawl in health]
            self._update_site_state(c, site_id, state)
            self._update_column_states(c, columns or {})
        return ids

    def _update_site_state(self, c: sqlite3.Connection, site_id: int,
                           fields: Mapping[str, Any]) -> None:
        known = {k: v for k, v in fields.items() if k in SITE_STATE_COLUMNS}
        extra = {k: v for k, v in fields.items() if k not in SITE_STATE_COLUMNS and k != "site"}
        self.db.table("site_state").upsert({"site_id": site_id, **known}, pk="site_id")
        if extra:
            c.execute("UPDATE site_state SET data = json_patch(data, ?) WHERE site_id = ?",
                      (json.dumps(extra, ensure_ascii=False, default=str), site_id))

    # -- webhook deliveries ---------------------------------------------------------------------

    def pending_deliveries(self, sink: str, *, site: str | None = None,
                           kinds: Iterable[str] | None = None,
                           since: datetime | date | str | None = None,
                           limit: int | None = None) -> list[dict[str, Any]]:
        """Events not yet delivered to ``sink``, oldest first (``since``: event time bound)."""
        conditions, params = event_filters(since=since, site=site, kinds=kinds)
        conditions.append(
            "NOT EXISTS (SELECT 1 FROM deliveries x WHERE x.sink = ? AND x.event_id = e.id)")
        return list(self._events(EVENT_COLUMNS, conditions, [*params, sink], limit=limit))

    def mark_delivered(self, sink: str, event_ids: Iterable[int], *, now: datetime | None = None) -> None:
        """Record that ``event_ids`` were delivered to ``sink`` (idempotent)."""
        t = iso(now or utcnow())
        delivered = [{"sink": sink, "event_id": int(i), "delivered_at": t} for i in event_ids]
        with self._write():
            self.db.table("deliveries").insert_all(delivered, ignore=True)

    def write_problem(self) -> str | None:
        """Why this archive cannot be written right now (busy, read-only ...), or None.

        For callers that must not act unless they can record it afterwards (webhook delivery).
        A real write (``user_version`` set to itself) in an IMMEDIATE transaction, rolled back:
        BEGIN IMMEDIATE alone succeeds on a read-only file. None inside a transaction.
        """
        if self.conn.in_transaction:
            return None
        try:
            self.conn.execute("BEGIN IMMEDIATE")
            try:
                version = int(self.conn.execute("PRAGMA user_version").fetchone()[0])
                self.conn.execute(f"PRAGMA user_version = {version}")
            finally:
                if self.conn.in_transaction:
                    self.conn.execute("ROLLBACK")
        except sqlite3.Error as exc:
            return _write_problem(exc)
        return None


def _write_problem(error: sqlite3.Error) -> str:
    """Why a write failed, in a few words (busy, read-only, else SQLite's)."""
    name = getattr(error, "sqlite_errorname", "") or ""
    if name.startswith("SQLITE_BUSY") or "locked" in str(error):
        return "archive is busy (another process is writing)"
    if name.startswith("SQLITE_READONLY"):
        return "archive is read-only for this process"
    return "archive cannot be written: " + (" ".join(str(error).split()) or type(error).__name__)
