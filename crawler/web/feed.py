"""`/feed.atom`: the Atom feed `gov-archive feed` writes, built live from the archive."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

from archive import Archive, feed

EVENT_KINDS = ("new", "changed", "gone", "restored")
FEED_LIMIT = 100


def atom_document(archive: Archive, *, site: str | None = None, kinds: Sequence[str] = (),
                  limit: int = FEED_LIMIT) -> bytes:
    """The Atom document of the newest ``limit`` events of ``kinds`` (default: all four)."""
    chosen = list(kinds or EVENT_KINDS)
    events = archive.events(kinds=chosen, site=site, newest_first=True, limit=limit,
                            with_body=True)
    return feed.events_feed(events, site=site, kinds=chosen, updated=datetime.now(UTC))
