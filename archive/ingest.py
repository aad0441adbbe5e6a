"""The idempotency log of shipped items: the part of `Archive` that knows the ``ingested`` table.

`IngestLog` is mixed into `archive.db.Archive`. An archive host (crawler/service/cluster)
applies each item a crawl worker shipped inside `exactly_once`: the item's archive calls and
its row here commit in one transaction, so a message delivered twice (the host died after
its commit, before acknowledging it) finds its row and changes nothing. A row keeps the crawl
stats the item counted (the crawl's ``archive/*`` counters are their sum, exact across host
restarts) and, for a withdrawal held until the crawl ends, the withdrawal itself. A crawl's
rows are removed when it is finished (`forget_ingested`).
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from .timeutil import iso, utcnow
from .urls import canonical_url


@dataclass
class Ingest:
    """One item inside `IngestLog.exactly_once`: what an earlier delivery did, what this one does.

    ``seen`` is True when an earlier delivery was committed: ``stats`` then holds what it
    counted and ``held`` its held withdrawal (None once settled). Call `record` to commit this
    delivery's effect with the transaction; nothing is recorded otherwise.
    """

    key: str
    seen: bool = False
    stats: list[str] = field(default_factory=list)
    held: dict[str, Any] | None = None
    _record: tuple[list[str], dict[str, Any] | None] | None = None

    def record(self, stats: Sequence[str], *, held: dict[str, Any] | None = None) -> None:
        """Commit `stats` (the crawl stats counted so far) and a still `held` withdrawal."""
        self._record = (list(stats), held)


class IngestLog:
    """Idempotency-log methods of `archive.db.Archive`."""

    if TYPE_CHECKING:  # provided by Archive
        conn: sqlite3.Connection

        def _write(self) -> AbstractContextManager[sqlite3.Connection]: ...
        def _rows(self, sql: str, params: Sequence[Any] = ()) -> Iterator[dict[str, Any]]: ...

    @contextmanager
    def exactly_once(self, key: str, *, crawl_id: int, url: str,
                     now: datetime | None = None) -> Iterator[Ingest]:
        """One write transaction applying the item `key` (of crawl `crawl_id`, at `url`) once.

        Archive writes made inside the block join the transaction; `Ingest.record` adds the
        item's row to it. An exception rolls back both.
        """
        with self._write() as c:
            row = c.execute("SELECT stats, held FROM ingested WHERE key = ?", (key,)).fetchone()
            entry = Ingest(key)
            if row is not None:
                entry.seen, entry.stats = True, json.loads(row[0])
                entry.held = json.loads(row[1]) if row[1] else None
            yield entry
            if entry._record is not None:
                stats, held = entry._record
                c.execute(
                    "INSERT INTO ingested (key, crawl_id, url, stats, held, at) VALUES (?, ?, ?, ?, ?, ?) "
                    "ON CONFLICT (key) DO UPDATE SET stats = excluded.stats, held = excluded.held",
                    (key, crawl_id, canonical_url(url), json.dumps(stats),
                     json.dumps(held, ensure_ascii=False) if held is not None else None,
                     iso(now or utcnow())))

    def ingested_stats(self, crawl_id: int) -> dict[str, int]:
        """The crawl stats counted by the items of `crawl_id` applied so far (summed)."""
        return {row["name"]: int(row["n"]) for row in self._rows(
            "SELECT j.value AS name, count(*) AS n FROM ingested i, json_each(i.stats) j "
            "WHERE i.crawl_id = ? GROUP BY j.value ORDER BY j.value", [crawl_id])}

    def held_items(self, crawl_id: int) -> list[dict[str, Any]]:
        """The withdrawals of `crawl_id` held until it ends: ``{"key", "url", "held"}``."""
        return [{"key": row["key"], "url": row["url"], "held": json.loads(row["held"])}
                for row in self._rows("SELECT key, url, held FROM ingested WHERE crawl_id = ? "
                                      "AND held IS NOT NULL ORDER BY at, key", [crawl_id])]

    def ingested_count(self, crawl_id: int) -> int:
        """Items of `crawl_id` applied so far."""
        return int(self.conn.execute("SELECT count(*) FROM ingested WHERE crawl_id = ?",
                                     (crawl_id,)).fetchone()[0])

    def forget_ingested(self, crawl_id: int) -> int:
        """Remove the rows of a finished crawl (its items can no longer arrive); how many."""
        with self._write() as c:
            return int(c.execute("DELETE FROM ingested WHERE crawl_id = ?", (crawl_id,)).rowcount)

    def prune_ingested(self) -> int:
        """Remove the rows of every finished crawl (left by a host stopped in between); how many."""
        with self._write() as c:
            return int(c.execute(
                "DELETE FROM ingested WHERE crawl_id IN "
                "(SELECT id FROM crawls WHERE finished_at IS NOT NULL)").rowcount)
