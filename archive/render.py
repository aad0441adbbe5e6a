"""Output for people and programs: CJK-aware terminal tables, JSON, JSON lines and CSV.

Nothing here touches the database or click, so every function is testable on its own.
"""

from __future__ import annotations

import csv
import io
import json
import unicodedata
from collections.abc import Iterable, Iterator, Mapping, Sequence
from datetime import UTC

from .timeutil import parse_stored_time

# --- terminal tables ------------------------------------------------------------------------


def display_width(text: str) -> int:
    """Terminal cells taken by `text`: wide and fullwidth (CJK) characters take two."""
    return sum(
        0 if unicodedata.combining(ch) else 2 if unicodedata.east_asian_width(ch) in "WF" else 1
        for ch in text
    )


def truncate(text: str, width: int) -> str:
    """Cut `text` to at most `width` cells, marking the cut with an ellipsis."""
    if display_width(text) <= width:
        return text
    out, used = [], 0
    for ch in text:
        cells = display_width(ch)
        if used + cells > width - 1:
            break
        out.append(ch)
        used += cells
    return "".join(out) + "…"


def one_line(value: object) -> str:
    """A cell value on a single line (None shows as empty)."""
    if value is None:
        return ""
    if isinstance(value, list | tuple):
        value = ",".join(str(v) for v in value)
    return " ".join(str(value).split())


def format_table(
    headers: Sequence[str], rows: Iterable[Sequence[object]], *, width: int | None = None
) -> Iterator[str]:
    """Yield aligned lines, a header then one per row; the last column is not padded.

    With `width` (the terminal's), the last column is cut so that lines do not wrap.
    """
    cells = [[one_line(v) for v in row] for row in rows]
    widths = [display_width(h) for h in headers]
    for row in cells:
        widths = [max(w, display_width(c)) for w, c in zip(widths, row, strict=True)]
    room = None if width is None else max(width - sum(w + 2 for w in widths[:-1]), 12)
    for row in [list(headers), *cells]:
        padded = [c + " " * (w - display_width(c)) for c, w in zip(row[:-1], widths, strict=False)]
        last = row[-1] if room is None else truncate(row[-1], room)
        yield "  ".join([*padded, last]).rstrip()


def short_time(value: str | None) -> str:
    """`2026-11-25T17:40:06+00:00` -> `2026-11-25 17:40` (UTC) for table cells."""
    moment = parse_stored_time(value)
    if moment is None:
        return value or ""
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M")


def short_published(value: str | None) -> str:
    """A page's own date for table cells, in the page's time: `2026-11-24 16:30` or the day."""
    if not value:
        return ""
    return value[:16].replace("T", " ") if len(value) > 10 else value


# --- machine output -------------------------------------------------------------------------


def to_json(value: object) -> str:
    """UTF-8 JSON (Chinese stays readable), indented for single objects."""
    return json.dumps(value, ensure_ascii=False, indent=2, default=str)


def json_lines(rows: Iterable[Mapping[str, object]], *, nl: bool) -> Iterator[str]:
    """Stream rows as a JSON array with one object per line, or as newline-delimited JSON."""
    pending: str | None = None
    for row in rows:
        line = json.dumps(row, ensure_ascii=False, default=str)
        if nl:
            yield line
            continue
        if pending is not None:
            yield pending + ","
        pending = (" " if pending is not None else "[") + line
    if not nl:
        yield "[]" if pending is None else pending + "]"


def csv_lines(rows: Iterable[Mapping[str, object]]) -> Iterator[str]:
    """Stream CSV, header first (from the first row's keys); nested values become JSON."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    headers: list[str] | None = None
    for row in rows:
        if headers is None:
            headers = list(row)
            writer.writerow(headers)
        writer.writerow([_csv_cell(row.get(h)) for h in headers])
        yield buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()


def _csv_cell(value: object) -> object:
    if isinstance(value, dict | list | tuple):
        return json.dumps(value, ensure_ascii=False)
    return "" if value is None else value
