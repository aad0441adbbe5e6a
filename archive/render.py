"""Output for people and programs: CJK-aware terminal tables, records and diffs as text,
JSON, JSON lines and CSV.

Nothing here touches the database or click, so every function is testable on its own.
"""

from __future__ import annotations

import csv
import io
import json
import unicodedata
from collections.abc import Iterable, Iterator, Mapping, Sequence
from datetime import UTC
from typing import Any

from .text import escape_unprintable, printable
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
    """A cell value on a single line, printable (None shows as empty)."""
    if value is None:
        return ""
    if isinstance(value, list | tuple):
        value = ",".join(str(v) for v in value)
    return " ".join(printable(str(value)).split())


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
    """UTF-8 JSON (Chinese stays readable), indented for single objects; characters unsafe on
    a terminal are escaped (archive.text.escape_unprintable)."""
    return escape_unprintable(json.dumps(value, ensure_ascii=False, indent=2, default=str))


def json_lines(rows: Iterable[Mapping[str, object]], *, nl: bool) -> Iterator[str]:
    """Stream rows as a JSON array with one object per line, or as newline-delimited JSON."""
    pending: str | None = None
    for row in rows:
        line = escape_unprintable(json.dumps(row, ensure_ascii=False, default=str))
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
        return escape_unprintable(json.dumps(value, ensure_ascii=False))
    return printable(value) if isinstance(value, str) else "" if value is None else value


# --- records as text ------------------------------------------------------------------------

#: A line of text and its tone: "heading", "removed", "added", "hunk" or None (plain).
Line = tuple[str, str | None]


def record_lines(record: Mapping[str, Any]) -> Iterator[str]:
    """A document or version for reading: labelled fields, metadata, attachments, the body."""
    return (printable(line) for line in _record_lines(record))


def _record_lines(record: Mapping[str, Any]) -> Iterator[str]:
    status = record.get("status") or ""
    if record.get("gone_at"):
        status += f" (since {record['gone_at']})"
    fields = [
        ("Title", record.get("title")),
        ("URL", record.get("url")),
        ("Site", record.get("site")),
        ("Published", record.get("published")),
        ("Status", status),
        ("First seen", record.get("first_seen")),
        ("Last seen", record.get("last_seen")),
        ("Fetched", record.get("fetched_at")),
        ("Version", record.get("version")),
    ]
    for label, value in fields:
        if value not in (None, ""):
            yield f"{label + ':':<12}{value}"
    metadata = record.get("metadata") or {}
    if metadata:
        yield "Metadata:"
        yield from (f"  {key}: {value}" for key, value in metadata.items())
    attachments = record.get("attachments") or []
    if attachments:
        yield "Attachments:"
        yield from (f"  {a.get('text') or ''} <{a.get('url')}>".strip() for a in attachments)
    yield ""
    yield (record.get("body") or "").rstrip("\n")


def diff_lines(result: Mapping[str, Any]) -> Iterator[Line]:
    """An ``Archive.diff`` result for reading: the changed fields, then the body's diff."""
    return ((printable(text), tone) for text, tone in _diff_lines(result))


def _diff_lines(result: Mapping[str, Any]) -> Iterator[Line]:
    yield f"{result['url']}", "heading"
    older = "(none)" if result["from"] is None else result["from"]
    yield f"version {older} -> {result['to']}", "heading"
    fields = result.get("fields") or {}
    if not fields and not result.get("body_diff"):
        yield "No differences.", None
        return
    yield f"changed: {', '.join(result.get('changed_fields') or fields)}", None
    for name, change in fields.items():
        if name == "body":
            continue
        yield f"{name}:", None
        yield from _field_change_lines(change.get("old"), change.get("new"))
    body_diff = result.get("body_diff") or ""
    if body_diff:
        yield "", None
        yield from ((line, _body_diff_tone(line)) for line in body_diff.rstrip("\n").splitlines())


def _field_change_lines(old: object, new: object) -> Iterator[Line]:
    """One line per changed key (dicts) or added/removed item (lists); else old and new."""
    if isinstance(old, dict | None) and isinstance(new, dict | None) and (old or new):
        yield from _dict_change_lines(old or {}, new or {})
    elif isinstance(old, list | None) and isinstance(new, list | None) and (old or new):
        yield from _list_change_lines(old or [], new or [])
    else:
        yield f"  - {_field_text(old)}", "removed"
        yield f"  + {_field_text(new)}", "added"


def _dict_change_lines(old: dict[str, Any], new: dict[str, Any]) -> Iterator[Line]:
    for key in sorted(set(old) | set(new)):
        if key not in new:
            yield f"  - {key}: {_field_text(old[key])} (removed)", "removed"
        elif key not in old:
            yield f"  + {key}: {_field_text(new[key])} (added)", "added"
        elif old[key] != new[key]:
            yield f"  ~ {key}: {_field_text(old[key])} \u2192 {_field_text(new[key])}", None


def _list_change_lines(old: list[Any], new: list[Any]) -> Iterator[Line]:
    old_keys, new_keys = [_item_key(i) for i in old], [_item_key(i) for i in new]
    removed = [i for i, k in zip(old, old_keys, strict=True) if k not in new_keys]
    added = [i for i, k in zip(new, new_keys, strict=True) if k not in old_keys]
    for item in removed:
        yield f"  - {_item_text(item)} (removed)", "removed"
    for item in added:
        yield f"  + {_item_text(item)} (added)", "added"
    if not removed and not added:
        same = sorted(old_keys) == sorted(new_keys)
        yield ("  ~ same items, new order" if same else "  ~ duplicates changed"), None


def _item_key(item: object) -> str:
    return to_json(item) if isinstance(item, dict | list) else str(item)


def _item_text(item: object) -> str:
    """An attachment as ``text  url``; other items as compact text."""
    if isinstance(item, dict) and set(item) <= {"url", "text"}:
        return "  ".join(str(item[k]) for k in ("text", "url") if item.get(k))
    return _field_text(item)


def _field_text(value: object) -> str:
    if isinstance(value, dict | list):
        return to_json(value).replace("\n", " ")
    return "" if value is None else str(value)


def _body_diff_tone(line: str) -> str | None:
    if line.startswith(("+++", "---")):
        return "heading"
    if line.startswith("@@"):
        return "hunk"
    if line.startswith("+"):
        return "added"
    if line.startswith("-"):
        return "removed"
    return None


def stats_lines(data: Mapping[str, Any], indent: str = "") -> Iterator[str]:
    """``label: value`` lines; nested mappings indent, lists of mappings become tables."""
    for key, value in data.items():
        label = str(key).replace("_", " ")
        if isinstance(value, Mapping):
            yield f"{indent}{label}:"
            yield from stats_lines(value, indent + "  ")
        elif isinstance(value, list) and value and all(isinstance(v, Mapping) for v in value):
            yield f"{indent}{label}:"
            headers = list(value[0])
            table = format_table(
                [h.upper() for h in headers], [[v.get(h) for h in headers] for v in value]
            )
            yield from (indent + "  " + line for line in table)
        else:
            yield f"{indent}{label}: {one_line(value)}"
