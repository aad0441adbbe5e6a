"""Atom 1.0 feeds of archive events: permanent tag: ids, both dates, a summary per entry.

Pure: events in (as ``Archive.events(..., with_body=True)`` returns them), bytes out. Always
well-formed XML: text and attributes pass through archive.text.printable.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from urllib.parse import quote, urlsplit
from xml.etree import ElementTree as ET

from .text import printable
from .timeutil import parse_stored_time

ATOM_NS = "http://www.w3.org/2005/Atom"
#: Namespace for the fields Atom has no element for (our first-seen time, the event kind).
GA_NS = "https://github.com/gov-archive/gov-archive/ns/feed"

_KIND_PREFIX = {"changed": "Changed: ", "gone": "Withdrawn: ", "restored": "Restored: "}
_TAG_SAFE = "/?=&;:@!$'()*+,-._~%"  # RFC 4151 "specific" characters left as they are


def events_feed(
    events: Sequence[Mapping[str, object]],
    *,
    site: str | None,
    kinds: Sequence[str],
    updated: datetime,
) -> bytes:
    """The Atom document for `events` (newest first, each with its ``body``) of `kinds` on `site`.

    The feed's id and title name the site (or all sites) and the kinds, so they are stable.
    """
    entries = [(event, summarize(_opt_str(event.get("body")))) for event in events]
    return atom_feed(
        entries,
        feed_id=f"tag:gov-archive,2026:feed/{site or 'all'}/{'+'.join(kinds)}",
        title=f"gov-archive: {', '.join(kinds)} announcements on {site or 'all sites'}",
        updated=updated,
    )


def atom_feed(
    entries: Sequence[tuple[Mapping[str, object], str]],
    *,
    feed_id: str,
    title: str,
    updated: datetime,
) -> bytes:
    """A complete Atom 1.0 document: `entries` are (event, summary) pairs, newest first.

    The feed's <updated> is its newest entry's time, else `updated`.
    """
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


def atom_entry(event: Mapping[str, object], summary: str) -> ET.Element:
    """One <entry> for an archive event; `summary` is the start of the page body."""
    entry = ET.Element(f"{{{ATOM_NS}}}entry")
    title = str(event.get("title") or event["url"])
    _sub(entry, "id", event_tag(event))
    _sub(entry, "title", _KIND_PREFIX.get(str(event["kind"]), "") + title)
    ET.SubElement(entry, f"{{{ATOM_NS}}}link", rel="alternate", href=printable(str(event["url"])))
    _sub(entry, "updated", atom_time(str(event["time"])))
    published = atom_time(_opt_str(event.get("published")))
    if published:
        _sub(entry, "published", published)
    author = ET.SubElement(entry, f"{{{ATOM_NS}}}author")
    _sub(author, "name", str(event.get("site") or "gov-archive"))
    ET.SubElement(entry, f"{{{ATOM_NS}}}category", term=str(event["kind"]))
    if summary:
        _sub(entry, "summary", summary)
    for name in ("kind", "first_seen", "site", "published"):
        if event.get(name):
            ET.SubElement(entry, f"{{{GA_NS}}}{name}").text = printable(str(event[name]))
    return entry


def event_tag(event: Mapping[str, object]) -> str:
    """A permanent, unique tag: URI for one event (RFC 4151)."""
    parts = urlsplit(str(event["url"]))
    day = str(event["time"])[:10]
    path = quote(parts.path + ("?" + parts.query if parts.query else ""), safe=_TAG_SAFE)
    return (
        f"tag:{parts.hostname or 'gov-archive'},{day}:{path or '/'};"
        f"{event['kind']};v{event.get('version') or 0};e{event['id']}"
    )


def atom_time(value: str | None) -> str | None:
    """An RFC 3339 date-time for Atom from a stored time or a page's (possibly date-only) date."""
    moment = parse_stored_time(value)
    return moment.isoformat() if moment else None


def summarize(body: str | None, limit: int = 280) -> str:
    """The first `limit` characters of a body on one line."""
    text = " ".join((body or "").split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _sub(parent: ET.Element, name: str, text: str | None) -> ET.Element:
    child = ET.SubElement(parent, f"{{{ATOM_NS}}}{name}")
    child.text = None if text is None else printable(text)
    return child


def _opt_str(value: object) -> str | None:
    return None if value is None else str(value)
