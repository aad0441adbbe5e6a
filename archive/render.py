"""Pure helpers for the query CLI: `--since` parsing, terminal tables, back-dating, Atom feeds.

Nothing here touches the database or click, so every function is testable on its own.
"""

from __future__ import annotations

import csv
import io
import json
import unicodedata
from collections.abc import Iterable, Iterator, Mapping, Sequence
from datetime import UTC, datetime, timedelta, timezone
from urllib.parse import quote, urlsplit
from xml.etree import ElementTree as ET

from .timeutil import is_relative_interval, parse_interval, parse_iso

#: A page whose own date is this much older than our first sighting of it is "back-dated".
BACKDATED_AFTER = timedelta(days=30)
#: Timezone assumed for a date-only `published` value when it must become a datetime (Atom):
#: the archived sites are Chinese government sites, whose pages carry Beijing dates.
PAGE_TZ = timezone(timedelta(hours=8))

ATOM_NS = "http://www.w3.org/2005/Atom"
#: Namespace for the fields Atom has no element for (our first-seen time, the event kind).
GA_NS = "https://github.com/gov-archive/gov-archive/ns/feed"

def parse_since(text: str, *, now: datetime | None = None) -> datetime:
    """Parse `30m`, `12h`, `1h30m`, `2d`, `1w`, `2026-11-01` or an ISO datetime (aware, UTC).

    Relative values (the interval grammar of ``archive.timeutil``, units required) count
    back from `now`. A date means midnight UTC; a datetime without an offset is taken as UTC.
    Raises ValueError with a short, user-facing message.
    """
    value = text.strip()
    try:
        if value and is_relative_interval(value):
            since = (now or datetime.now(UTC)).astimezone(UTC)
            return since - parse_interval(value, allow_zero=True)
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


def parse_stored_time(value: str | None) -> datetime | None:
    """Parse a stored time or a page's `published` value; None if it is not ISO 8601.

    Date-only values are midnight in PAGE_TZ (Beijing), other values without an offset UTC.
    """
    try:
        return parse_iso(value, date_tz=PAGE_TZ)
    except ValueError:
        return None


def is_backdated(published: str | None, first_seen: str | None, *, site_known: bool) -> bool:
    """True when a page claims a date long before we first saw it, on a site crawled before.

    `site_known` says whether the site had a finished crawl before this sighting: on a first
    crawl every old page is "new to us" and nothing is back-dated.
    """
    pub, seen = parse_stored_time(published), parse_stored_time(first_seen)
    if not site_known or pub is None or seen is None:
        return False
    return seen - pub > BACKDATED_AFTER


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


# --- Atom -----------------------------------------------------------------------------------

_KIND_PREFIX = {"changed": "Changed: ", "gone": "Withdrawn: ", "restored": "Restored: "}


def atom_time(value: str | None) -> str | None:
    """An RFC 3339 date-time for Atom from a stored time or a page's (possibly date-only) date."""
    moment = parse_stored_time(value)
    return moment.isoformat() if moment else None


_TAG_SAFE = "/?=&;:@!$'()*+,-._~%"  # RFC 4151 "specific" characters left as they are


def event_tag(event: Mapping[str, object]) -> str:
    """A permanent, unique tag: URI for one event (RFC 4151)."""
    parts = urlsplit(str(event["url"]))
    day = str(event["time"])[:10]
    path = quote(parts.path + ("?" + parts.query if parts.query else ""), safe=_TAG_SAFE)
    return (
        f"tag:{parts.hostname or 'gov-archive'},{day}:{path or '/'};"
        f"{event['kind']};v{event.get('version') or 0};e{event['id']}"
    )


def atom_entry(event: Mapping[str, object], summary: str) -> ET.Element:
    """One <entry> for an archive event; `summary` is the start of the page body."""
    entry = ET.Element(f"{{{ATOM_NS}}}entry")
    title = str(event.get("title") or event["url"])
    _sub(entry, "id", event_tag(event))
    _sub(entry, "title", _KIND_PREFIX.get(str(event["kind"]), "") + title)
    ET.SubElement(entry, f"{{{ATOM_NS}}}link", rel="alternate", href=str(event["url"]))
    _sub(entry, "updated", atom_time(str(event["time"])))
    published = atom_time(_opt_str(event.get("published")))
    if published:
        _sub(entry, "published", published)
    author = ET.SubElement(entry, f"{{{ATOM_NS}}}author")
    _sub(author, "name", str(event.get("site") or "gov-archive"))
    ET.SubElement(entry, f"{{{ATOM_NS}}}category", term=str(event["kind"]))
    if summary:
        _sub(entry, "summary", summary)
    for name in ("kind", "first_seen", "site"):
        if event.get(name):
            ET.SubElement(entry, f"{{{GA_NS}}}{name}").text = str(event[name])
    if event.get("published"):
        ET.SubElement(entry, f"{{{GA_NS}}}published").text = str(event["published"])
    return entry


def atom_feed(
    entries: Sequence[tuple[Mapping[str, object], str]],
    *,
    feed_id: str,
    title: str,
    updated: datetime,
) -> bytes:
    """A complete Atom 1.0 document: `entries` are (event, summary) pairs, newest first."""
    ET.register_namespace("", ATOM_NS)
    ET.register_namespace("ga", GA_NS)
    feed = ET.Element(f"{{{ATOM_NS}}}feed")
    _sub(feed, "id", feed_id)
    _sub(feed, "title", title)
    newest = max((atom_time(str(e["time"])) or "" for e, _ in entries), default="")
    _sub(feed, "updated", newest or updated.astimezone(UTC).replace(microsecond=0).isoformat())
    author = ET.SubElement(feed, f"{{{ATOM_NS}}}author")
    _sub(author, "name", "gov-archive")
    _sub(feed, "generator", "gov-archive")
    for event, summary in entries:
        feed.append(atom_entry(event, summary))
    ET.indent(feed)
    text = ET.tostring(feed, encoding="unicode")
    return ('<?xml version="1.0" encoding="utf-8"?>\n' + text + "\n").encode("utf-8")


def summarize(body: str | None, limit: int = 280) -> str:
    """The first `limit` characters of a body on one line."""
    text = " ".join((body or "").split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _sub(parent: ET.Element, name: str, text: str | None) -> ET.Element:
    child = ET.SubElement(parent, f"{{{ATOM_NS}}}{name}")
    child.text = text
    return child


def _opt_str(value: object) -> str | None:
    return None if value is None else str(value)


