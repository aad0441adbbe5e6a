"""`/feed.atom`: the Atom feed `gov-archive feed` writes, built live from the archive.

Same feed id, title and entries as the CLI's ``build_feed`` (crawler/cli/query.py), which this
package may not import. When the Atom code moves to ``archive/feed.py`` (with
``Archive.events(newest_first=True, limit=N)``), ``atom_document`` becomes a call to it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from archive import Archive, render

EVENT_KINDS = ("new", "changed", "gone", "restored")
FEED_LIMIT = 100


def atom_document(archive: Archive, *, site: str | None = None, kinds: Sequence[str] = (),
                  limit: int = FEED_LIMIT) -> bytes:
    """The Atom document of the newest ``limit`` events of ``kinds`` (default: all four)."""
    chosen = list(kinds or EVENT_KINDS)
    events = archive.recent_events(kinds=chosen, site=site, limit=limit)
    entries = [(event, render.summarize(_event_body(archive, event))) for event in events]
    return render.atom_feed(
        entries,
        feed_id=f"tag:gov-archive,2026:feed/{site or 'all'}/{'+'.join(chosen)}",
        title=f"gov-archive: {', '.join(chosen)} announcements on {site or 'all sites'}",
        updated=datetime.now(UTC),
    )


def _event_body(archive: Archive, event: Mapping[str, Any]) -> str:
    return str(archive.version(event["document_id"], event["version"]).get("body") or "")
