"""UTC timestamps stored as ISO 8601 strings with an explicit offset."""

from __future__ import annotations

from datetime import date, datetime, timezone


def utcnow() -> datetime:
    """The current time, timezone-aware, in UTC."""
    return datetime.now(timezone.utc)


def iso(dt: datetime) -> str:
    """Format as ``2026-11-25T17:40:06+00:00`` (UTC, whole seconds).

    A naive datetime is taken to be UTC already.
    """
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=timezone.utc)
    return dt.astimezone(timezone.utc).replace(microsecond=0).isoformat()


def as_iso(value: datetime | date | str | None) -> str | None:
    """Normalize a ``since``-style bound (datetime, date or ISO string) to the stored format."""
    if value is None:
        return None
    if isinstance(value, datetime):
        return iso(value)
    if isinstance(value, date):
        return iso(datetime(value.year, value.month, value.day, tzinfo=timezone.utc))
    text = value.strip()
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        raise ValueError(f"not an ISO 8601 date or time: {value!r}") from None
    return iso(parsed)


def as_date(value: datetime | date | str | None) -> str | None:
    """Normalize a published-date bound to ``YYYY-MM-DD`` (the first ten characters)."""
    if value is None:
        return None
    if isinstance(value, (datetime, date)):
        return value.strftime("%Y-%m-%d")
    text = value.strip()[:10]
    try:
        date.fromisoformat(text)
    except ValueError:
        raise ValueError(f"not a YYYY-MM-DD date: {value!r}") from None
    return text
