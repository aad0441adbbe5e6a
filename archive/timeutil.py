"""Time in one place: UTC timestamps stored as ISO 8601 strings with an explicit offset,
the one parser that reads them back (``parse_iso``), the interval grammar (``30m``, ``6h``,
``1d``, ``1h30m``) shared by every command and site definition, and ``--since`` values.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta, timezone, tzinfo

#: Timezone assumed for a date-only `published` value when it must become a datetime: the
#: archived sites are Chinese government sites, whose pages carry Beijing dates.
PAGE_TZ = timezone(timedelta(hours=8))
#: Seconds per interval unit (``min`` is an alias of ``m``).
INTERVAL_UNITS = {"s": 1, "m": 60, "min": 60, "h": 3600, "d": 86400, "w": 604800}
INTERVAL_HINT = "use e.g. 30m, 6h, 1d, 1h30m or a number of seconds"
#: The longest interval anything accepts: longer is a typo, and timestamps would overflow.
MAX_INTERVAL = timedelta(days=3650)
_INTERVAL_PART = re.compile(r"(\d+(?:\.\d+)?)\s*(min|[smhdw])")
_INTERVAL = re.compile(r"(?:\d+(?:\.\d+)?\s*(?:min|[smhdw])\s*)+")
_SECONDS = re.compile(r"\d+(?:\.\d+)?")


def utcnow() -> datetime:
    """The current time, timezone-aware, in UTC."""
    return datetime.now(UTC)


def iso(dt: datetime) -> str:
    """Format as ``2026-11-25T17:40:06+00:00`` (UTC, whole seconds).

    A naive datetime is taken to be UTC already.
    """
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=UTC)
    return dt.astimezone(UTC).replace(microsecond=0).isoformat()


def as_iso(value: datetime | date | str | None) -> str | None:
    """Normalize a ``since``-style bound (datetime, date or ISO string) to the stored format."""
    if value is None:
        return None
    if isinstance(value, date) and not isinstance(value, datetime):
        value = datetime(value.year, value.month, value.day, tzinfo=UTC)
    parsed = parse_iso(value)
    if parsed is None:
        raise ValueError(f"not an ISO 8601 date or time: {value!r}")
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


# --- intervals ------------------------------------------------------------------------------


class IntervalError(ValueError):
    """A value that is not an interval; the message names it."""

    def __init__(self, value: object, problem: str) -> None:
        super().__init__(f"invalid interval {value!r}: {problem}")
        self.value, self.problem = value, problem


def parse_interval(value: str | int | float | timedelta, *, allow_zero: bool = False,
                   maximum: timedelta = MAX_INTERVAL) -> timedelta:
    """``"30m"``, ``"6h"``, ``"1d"``, ``"2w"``, ``"1h30m"``, ``"90min"`` or seconds -> timedelta.

    Units s, m (or min), h, d, w, combinable, case-insensitive; a plain number (str, int or
    float) is seconds. Zero is refused unless `allow_zero`, anything above `maximum` (by
    default `MAX_INTERVAL`, ten years) always. Raises IntervalError (a ValueError).
    """
    try:
        if isinstance(value, timedelta):
            delta = value
        elif isinstance(value, (int, float)) and not isinstance(value, bool):
            delta = timedelta(seconds=value)
        else:
            delta = _parse_interval_text(value)
    except OverflowError:
        delta = timedelta.max
    except ValueError as exc:  # nan
        if isinstance(exc, IntervalError):
            raise
        raise IntervalError(value, INTERVAL_HINT) from None
    if delta < timedelta(0) or (delta == timedelta(0) and not allow_zero):
        raise IntervalError(value, "must be longer than zero")
    if delta > maximum:
        raise IntervalError(value, f"must be at most {maximum.days}d")
    return delta


def _parse_interval_text(value: object) -> timedelta:
    spec = str(value).strip().lower()
    if _SECONDS.fullmatch(spec):
        return timedelta(seconds=float(spec))
    if not _INTERVAL.fullmatch(spec):
        raise IntervalError(value, INTERVAL_HINT)
    return timedelta(seconds=sum(float(n) * INTERVAL_UNITS[u] for n, u in _INTERVAL_PART.findall(spec)))


def is_relative_interval(text: str) -> bool:
    """True if `text` is an interval spelled with units (``1h30m``), not a bare number."""
    return bool(_INTERVAL.fullmatch(text.strip().lower()))


def format_interval(value: timedelta | None) -> str:
    """The ``1d6h`` spelling of `value` (whole seconds) that parse_interval reads back.

    ``"0s"`` for zero or less, ``""`` for None.
    """
    if value is None:
        return ""
    seconds = int(value.total_seconds())
    if seconds <= 0:
        return "0s"
    parts = []
    for unit in ("w", "d", "h", "m", "s"):
        count, seconds = divmod(seconds, INTERVAL_UNITS[unit])
        if count:
            parts.append(f"{count}{unit}")
    return "".join(parts)


# --- stored times ---------------------------------------------------------------------------


def parse_iso(value: str | datetime | None, *, date_tz: tzinfo = UTC) -> datetime | None:
    """A stored ISO 8601 time (or a datetime) as an aware datetime; None for None or "".

    A value without an offset is UTC; a date alone (``2026-11-25``) is midnight in `date_tz`.
    Raises ValueError naming a value that is not ISO 8601.
    """
    if value is None:
        return None
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    text = str(value).strip()
    if not text:
        return None
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        raise ValueError(f"not an ISO 8601 date or time: {value!r}") from None
    if parsed.tzinfo is not None:
        return parsed
    return parsed.replace(tzinfo=date_tz if _is_date(text) else UTC)


def _is_date(text: str) -> bool:
    try:
        date.fromisoformat(text)
    except ValueError:
        return False
    return True


def parse_stored_time(value: str | None, *, date_tz: tzinfo = PAGE_TZ) -> datetime | None:
    """``parse_iso`` for display and comparison: None, not an error, for a value that is not
    ISO 8601 (a page's odd date). A date alone is midnight in `date_tz` (Beijing).
    """
    try:
        return parse_iso(value, date_tz=date_tz)
    except ValueError:
        return None


# --- --since ----------------------------------------------------------------------------------


def parse_since(text: str, *, now: datetime | None = None) -> datetime:
    """Parse `30m`, `12h`, `1h30m`, `2d`, `1w`, `2026-11-01` or an ISO datetime (aware, UTC).

    Relative values (the interval grammar above, units required) count back from `now`.
    A date means midnight UTC; a datetime without an offset is taken as UTC.
    Raises ValueError with a short, user-facing message.
    """
    value = text.strip()
    try:
        if value and is_relative_interval(value):
            since = (now or utcnow()).astimezone(UTC)
            return since - parse_interval(value, allow_zero=True, maximum=timedelta.max)
        parsed = parse_iso(value)
        if parsed is not None:
            return parsed.astimezone(UTC)
    except OverflowError:
        raise ValueError(f"{text!r} is out of the range of dates") from None
    except ValueError:
        pass
    raise ValueError(
        f"{text!r} is not a time: use 30m, 12h, 1h30m, 2d, 1w, YYYY-MM-DD or an ISO datetime"
    )
