"""Output for people and programs: CJK-aware terminal tables, records and diffs as text,
JSON, JSON lines and CSV.

Nothing here touches the database or click, so every function is testable on its own.
"""

from __future__ import annotations

import csv
import difflib
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
    headers: Sequence[str], rows: Iterable[Sequence[object]], *, width: int | None = None,
    flexible: Sequence[int] = (-1,),
) -> Iterator[str]:
    """Yield aligned lines, a header then one per row; the last column is not padded.

    With `width` (the terminal's), the `flexible` columns (by index; the last by default)
    are cut so that lines do not wrap.
    """
    cells = [[one_line(v) for v in row] for row in rows]
    widths = [display_width(h) for h in headers]
    for row in cells:
        widths = [max(w, display_width(c)) for w, c in zip(widths, row, strict=True)]
    if width is not None:
        widths = _fit(widths, [i % len(widths) for i in flexible], width)
    for row in [list(headers), *cells]:
        fitted = [truncate(c, w) for c, w in zip(row, widths, strict=True)]
        padded = [c + " " * (w - display_width(c)) for c, w in zip(fitted[:-1], widths, strict=False)]
        yield "  ".join([*padded, fitted[-1]]).rstrip()


#: No flexible column is cut below this many cells.
MIN_FLEXIBLE_WIDTH = 12


def _fit(widths: list[int], flexible: list[int], total: int) -> list[int]:
    """Column widths within `total` cells (two between columns): the room left by the fixed
    columns is shared among the flexible ones, the narrower ones keeping their full width."""
    room = total - sum(w for i, w in enumerate(widths) if i not in flexible) - 2 * (len(widths) - 1)
    fitted = list(widths)
    pending = sorted(flexible, key=lambda i: widths[i])
    while pending:
        share = max(room // len(pending), MIN_FLEXIBLE_WIDTH)
        column = pending.pop(0)
        fitted[column] = min(widths[column], share)
        room -= fitted[column]
    return fitted


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


#: The UTF-8 byte order mark: without it Excel reads a UTF-8 CSV in the local code page.
BOM = "\ufeff"


def csv_lines(rows: Iterable[Mapping[str, object]], *, fields: Sequence[str] = (),
              bom: bool = False) -> Iterator[str]:
    """Stream CSV, header first (the first row's keys, or `fields` when there is no row);
    nested values become JSON. With `bom`, a UTF-8 byte order mark comes first."""
    buffer = io.StringIO()
    buffer.write(BOM if bom else "")
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
    if headers is None and fields:
        writer.writerow(fields)
    if buffer.tell():
        yield buffer.getvalue()


def _csv_cell(value: object) -> object:
    if isinstance(value, dict | list | tuple):
        return escape_unprintable(json.dumps(value, ensure_ascii=False))
    return printable(value) if isinstance(value, str) else "" if value is None else value


# --- records as text ------------------------------------------------------------------------

#: A line of text and its tone: "heading", "removed", "added", "changed", "hunk" or None (plain).
Line = tuple[str, str | None]
#: A piece of a changed line: its text and whether its characters were "removed", "added" or
#: kept (None).
Span = tuple[str, str | None]
#: A line as spans (one, unless the line is "changed") and its tone.
SpanLine = tuple[tuple[Span, ...], str | None]
_Piece = tuple[str | tuple[Span, ...], str | None]  # a Line, or a SpanLine of a changed line


def version_label(record: Mapping[str, Any]) -> str | None:
    """A record's version number, saying so when it is a re-extraction (not an edit)."""
    number = record.get("version")
    if number is None or not record.get("reextracted"):
        return None if number is None else str(number)
    return f"{number} (re-extracted: version {number - 1}'s capture read by a newer extractor; not an edit)"


def reextracted_note(versions: Sequence[int]) -> str:
    """What a diff says of the re-extracted versions in its range."""
    names = ", ".join(str(n) for n in versions)
    what = "is a re-extraction" if len(versions) == 1 else "are re-extractions"
    return (f"version {names} {what}: a newer extractor read the same capture again; what "
            "it changed is not an edit by the publisher")


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
        ("Version", version_label(record)),
    ]
    for label, value in fields:
        if value not in (None, ""):
            yield f"{label + ':':<12}{value}"
    metadata = record.get("metadata") or {}
    if metadata:
        yield "Metadata:"
        yield from (f"  {key}: {value}" for key, value in metadata.items())
    files = record.get("files")
    attachments = record.get("attachments") or []
    if files:
        yield "Attachments:"
        yield from attachment_lines(files)
    elif attachments:
        yield "Attachments:"
        yield from (f"  {a.get('text') or ''} <{a.get('url')}>".strip() for a in attachments)
    yield ""
    yield (record.get("body") or "").rstrip("\n")


#: Short names of the file types gov-archive reads, by sniffed content type.
FILE_TYPES = {
    "application/pdf": "PDF",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": "DOCX",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": "XLSX",
    "application/vnd.openxmlformats-officedocument.presentationml.presentation": "PPTX",
    "application/msword": "DOC",
    "application/vnd.ms-works": "WPS",
    "application/vnd.ms-excel": "XLS",
    "application/vnd.ms-powerpoint": "PPT",
    "application/ofd": "OFD",
    "application/zip": "ZIP",
    "application/vnd.rar": "RAR",
    "text/html": "HTML",
    "text/plain": "text",
}
#: Where a search hit matched, for metadata keys: their Chinese labels.
META_LABELS = {"doc_no": "文号", "issuer": "发文机关", "index_no": "索引号"}


def attachment_lines(files: Sequence[Mapping[str, Any]]) -> Iterator[str]:
    """One line per attachment (position, name, then type, size, text length and sha256, or
    why there is no file), its URL below."""
    for f in files:
        if f.get("sha256"):
            facts = [*file_facts(f), f"sha256 {f['sha256'][:16]}…"]
            if f.get("error"):
                facts.append(f["error"])
        else:
            facts = [f"not archived: {f['error']}" if f.get("error") else "not fetched"]
        yield f"  {f.get('position')}. {f.get('name')}  ({', '.join(facts)})"
        yield f"     {f.get('url')}"


def file_facts(f: Mapping[str, Any]) -> list[str]:
    """What an archived file is: its type, its size, how much text was read from it."""
    kind = FILE_TYPES.get(f.get("content_type") or "", f.get("content_type") or "file")
    chars = f"{f['text_chars']:,} characters" if f.get("text_chars") else "no text"
    return [kind, human_size(f.get("size") or 0), chars]


def hit_place(hit: Mapping[str, Any]) -> str:
    """Where a search hit matched, when not in its title or body: 'in 附件1：名单.xlsx', 'in 文号'."""
    place, name = hit.get("matched_in"), hit.get("matched_name")
    if place == "attachment" and name:
        return f"in {name}"
    if place == "metadata" and name:
        return f"in {META_LABELS.get(name, name)}"
    return ""


#: How a changed line marks its characters in plain text (``git diff --word-diff=plain``'s).
INLINE_MARKS = {"removed": ("[-", "-]"), "added": ("{+", "+}")}
#: A removed and an added line less alike than this are shown as they are, not as one line.
PAIR_RATIO = 0.3


def diff_lines(result: Mapping[str, Any]) -> Iterator[Line]:
    """An ``Archive.diff`` result for reading: the changed fields, then the body's diff (and
    each changed file's). A removed line followed by an added one like it is one "changed"
    line, ``~`` then the text with its removed and added characters marked ``[-…-]{+…+}``."""
    for spans, tone in diff_spans(result):
        yield "".join(_marked(text, kind) for text, kind in spans), tone


def diff_spans(result: Mapping[str, Any]) -> Iterator[SpanLine]:
    """`diff_lines` with a changed line's removed and added characters as spans of their own
    (to colour them) instead of marked."""
    for text, tone in _diff_lines(result):
        pieces = ((text, None),) if isinstance(text, str) else text
        yield tuple((printable(piece), kind) for piece, kind in pieces), tone


def _marked(text: str, kind: str | None) -> str:
    if kind is None:
        return text
    start, end = INLINE_MARKS[kind]
    return f"{start}{text}{end}"


def _diff_lines(result: Mapping[str, Any]) -> Iterator[_Piece]:
    yield f"{result['url']}", "heading"
    older = "(none)" if result["from"] is None else result["from"]
    yield f"version {older} -> {result['to']}", "heading"
    fields = result.get("fields") or {}
    files = result.get("attachment_changes") or []
    if not fields and not result.get("body_diff") and not files:
        yield "No differences.", None
        return
    yield f"changed: {', '.join(result.get('changed_fields') or fields)}", None
    if result.get("reextracted"):
        yield reextracted_note(result["reextracted"]), None
    for name, change in fields.items():
        if name == "body":
            continue
        yield f"{name}:", None
        yield from _field_change_lines(change.get("old"), change.get("new"))
    body_diff = result.get("body_diff") or ""
    if body_diff:
        yield "", None
        yield from _unified_lines(body_diff)
    for change in files:
        yield "", None
        yield from _file_change_lines(change)


def _file_change_lines(change: Mapping[str, Any]) -> Iterator[_Piece]:
    """An attachment whose file changed: what happened, then the diff of its text."""
    old, new = change.get("old_sha256"), change.get("new_sha256")
    if old and new:
        what = (f"file replaced ({human_size(change.get('old_size') or 0)} -> "
                f"{human_size(change.get('new_size') or 0)}, sha256 {old[:12]}… -> {new[:12]}…)")
    else:
        what = "file added" if new else "file removed"
    yield f"attachment {change.get('name')}: {what}", "heading"
    text_diff = change.get("text_diff") or ""
    if not text_diff:
        yield "  (same text)", None
    yield from _unified_lines(text_diff)


def _unified_lines(diff: str) -> Iterator[_Piece]:
    """A unified diff's lines with their tones; each run of removed lines followed by added
    ones is paired in order, and a pair alike enough (`PAIR_RATIO`) becomes one changed line."""
    removed: list[str] = []
    added: list[str] = []
    for line in [*diff.rstrip("\n").splitlines(), ""]:
        tone = _body_diff_tone(line)
        if tone == "removed" and not added:
            removed.append(line[1:])
        elif tone == "added":
            added.append(line[1:])
        else:
            yield from _paired(removed, added)
            removed, added = ([line[1:]], []) if tone == "removed" else ([], [])
            if tone != "removed" and line:
                yield line, tone
    yield from _paired(removed, added)


def _paired(removed: list[str], added: list[str]) -> Iterator[_Piece]:
    for index in range(max(len(removed), len(added))):
        old = removed[index] if index < len(removed) else None
        new = added[index] if index < len(added) else None
        if old is not None and new is not None and _alike(old, new):
            yield (("~", None), *_char_spans(old, new)), "changed"
            continue
        if old is not None:
            yield f"-{old}", "removed"
        if new is not None:
            yield f"+{new}", "added"


def _alike(old: str, new: str) -> bool:
    return difflib.SequenceMatcher(None, old, new, autojunk=False).ratio() >= PAIR_RATIO


def _char_spans(old: str, new: str) -> Iterator[Span]:
    """`old` turned into `new`, character by character (Chinese has no spaces between words:
    a word diff would mark the whole sentence)."""
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(None, old, new, autojunk=False).get_opcodes():
        if tag == "equal":
            yield old[i1:i2], None
            continue
        if i2 > i1:
            yield old[i1:i2], "removed"
        if j2 > j1:
            yield new[j1:j2], "added"


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


def human_size(size: int) -> str:
    """A byte count for people, in decimal units: ``980 bytes``, ``75.0 kB``, ``492 kB``."""
    if size < 1000:
        return f"{size} byte{'' if size == 1 else 's'}"
    value = float(size)
    for unit in ("kB", "MB", "GB", "TB"):
        value /= 1000
        if value < 999.5 or unit == "TB":
            break
    return f"{value:.1f} {unit}" if value < 99.95 else f"{value:.0f} {unit}"


def is_size(key: str) -> bool:
    """Keys whose value is a number of bytes: ``file_size``, ``capture_raw_bytes`` ..."""
    return key.endswith(("_size", "_bytes"))


def stats_lines(data: Mapping[str, Any], indent: str = "") -> Iterator[str]:
    """``label: value`` lines; nested mappings indent, lists of mappings become tables, byte
    counts (``is_size``) are shown in kB, MB ... (``capture_raw_bytes`` as ``capture raw size``)."""
    for key, value in data.items():
        if is_size(str(key)) and isinstance(value, int):
            label = str(key).removesuffix("_bytes").removesuffix("_size").replace("_", " ")
            yield f"{indent}{label} size: {human_size(value)}"
            continue
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
