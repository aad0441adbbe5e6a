"""Pieces of SQL shared by the modules of `archive.db.Archive`: WHERE clauses and LIMIT values."""

from __future__ import annotations

from collections.abc import Sequence

#: The largest integer SQLite stores: a larger id, version or limit matches nothing.
MAX_SQL_INT = 2**63 - 1


def where_clause(conditions: Sequence[str]) -> str:
    """`` WHERE`` and the `conditions` joined by AND; nothing without conditions."""
    return (" WHERE " + " AND ".join(conditions)) if conditions else ""


def limit_value(limit: int | None) -> int:
    """The value for ``LIMIT ?``: -1 is no limit in SQLite."""
    return -1 if limit is None else min(int(limit), MAX_SQL_INT)
