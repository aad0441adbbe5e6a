"""What a crawl knows before it starts: the site's known documents and its previous crawl.

The spider reads its incremental state (which URLs are known, their ETag / Last-Modified,
when each was last checked, the sha256 of the capture behind its current version, and whether
the previous crawl was cut short) through one interface, `CrawlState`, whichever item
pipeline provides it:

- ``crawler.pipelines.ArchivePipeline``: read from the archive file (one machine);
- ``crawler.cluster.pipeline.ShipPipeline``: read from the snapshot the archive host shipped
  through Redis (a crawl worker, which has no archive).

The spider (and the attachment pipeline, for the files' validators) finds the provider with
``crawler.get_item_pipeline(CrawlState)``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

#: The fields of a known document the spider reads (``Archive.known_documents`` has more).
KNOWN_FIELDS = ("url", "status", "last_checked", "etag", "last_modified", "capture_sha")


class CrawlState:
    """Base class of the item pipelines that tell the spider what the site's archive knows."""

    #: The site's newest crawl before this one (``{"id", "finished_at", "outcome", ...}``), or None.
    previous_crawl: dict[str, Any] | None = None

    @property
    def state_ready(self) -> bool:
        """True once the state can be read (the archive or the snapshot is open)."""
        raise NotImplementedError

    @property
    def handled_urls(self) -> frozenset[str]:
        """Canonical URLs an earlier attempt of this crawl already handled (a crawl worker
        that died): not fetched again. Empty on one machine."""
        return frozenset()

    async def known_documents(self) -> list[dict[str, Any]]:
        """The site's known documents, each with at least `KNOWN_FIELDS`."""
        raise NotImplementedError

    async def dead_links(self) -> dict[str, dict[str, Any]]:
        """The links the site's columns listed that answered 404/410 and were never archived,
        by canonical URL: ``{"first_seen", "last_tried", "tries"}`` (`Archive.dead_links`).
        None on a crawl worker: it fetches them all."""
        return {}

    async def attachment_state(self, urls: Sequence[str]) -> dict[str, dict[str, Any]]:
        """``{url: {"sha256", "etag", "last_modified"}}`` of the attachment URLs archived
        before (crawler/attachments re-checks them conditionally)."""
        return {}
