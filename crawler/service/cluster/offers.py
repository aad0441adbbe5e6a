"""Crawl offers: what the archive host puts in Redis for a worker to crawl, and reads back.

Offering a site's crawl (`offer`) opens its crawl row in the archive (as `ArchivePipeline` does
on one machine: site, columns, the previous crawl read first), then writes in one Redis
transaction the crawl's record (``crawl:{id}``: site, definition restricted to the due
columns, the host's ``-s`` settings, the archive ids of the columns, status ``offered``), its
state snapshot (``state:{id}``: known documents and previous crawl) and one entry on the
offers stream. A crawl's record goes ``offered`` -> ``running`` (a worker took it, attempt n)
-> ``ended`` (its ``end`` was shipped) -> ``closed`` (the host finished its row), then expires.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import redis

from archive import Archive
from archive.timeutil import iso, utcnow
from crawler.cluster.keys import Keys
from crawler.cluster.messages import encode_snapshot
from crawler.service.cluster.ingest import CrawlContext
from crawler.sites import SiteDef, site_from_data, site_to_data

CLOSED_RECORD_SECONDS = 7 * 24 * 3600  # a closed crawl's record stays this long (late workers)


@dataclass(frozen=True)
class CrawlRecord:
    """A crawl's record in Redis (``crawl:{id}``)."""

    crawl_id: int
    site: SiteDef
    status: str
    column_ids: tuple[int, ...]
    settings: dict[str, Any]
    attempts: int = 0
    worker: str = ""
    sent: int = 0

    @classmethod
    def read(cls, client: redis.Redis, keys: Keys, crawl_id: int) -> CrawlRecord | None:
        """The record of `crawl_id`, or None if there is none (or it is unreadable)."""
        raw = client.hgetall(keys.crawl(crawl_id))
        if not raw or b"definition" not in raw:
            return None
        fields = {k.decode(): v.decode() for k, v in raw.items()}
        try:
            return cls(crawl_id, site_from_data(json.loads(fields["definition"])),
                       fields.get("status", ""), tuple(json.loads(fields.get("columns") or "[]")),
                       json.loads(fields.get("settings") or "{}"), int(fields.get("attempts") or 0),
                       fields.get("worker", ""), int(fields.get("sent") or 0))
        except (KeyError, TypeError, ValueError):
            return None

    @property
    def context(self) -> CrawlContext:
        return CrawlContext(self.crawl_id, self.site.name, self.column_ids, self.site.article)


def offer(client: redis.Redis, keys: Keys, archive: Archive, site: SiteDef,
          settings: Mapping[str, Any] | None = None) -> CrawlContext:
    """Open a crawl of `site` (its due columns) in the archive and offer it."""
    archive.ensure_site(site.name, base_url=site.home_url)
    column_ids = archive.ensure_columns(site.name, [(c.url, c.name) for c in site.columns])
    previous = next(iter(archive.crawls(site=site.name, limit=1)), None)
    known = archive.known_documents(site.name)
    files = archive.site_attachment_state(site.name)
    crawl_id = archive.start_crawl(site.name)
    with client.pipeline(transaction=True) as pipe:
        pipe.set(keys.state(crawl_id), encode_snapshot(known, previous, files))
        pipe.hset(keys.crawl(crawl_id), mapping={
            "site": site.name, "definition": json.dumps(site_to_data(site), ensure_ascii=False),
            "settings": json.dumps(dict(settings or {}), default=str),
            "columns": json.dumps(column_ids), "status": "offered", "offered_at": iso(utcnow()),
            "known": len(known)})
        pipe.xadd(keys.offers, {"crawl": str(crawl_id), "site": site.name})
        pipe.execute()
    return CrawlContext(crawl_id, site.name, tuple(column_ids), site.article)


def close(client: redis.Redis, keys: Keys, crawl_id: int) -> None:
    """Mark a finished crawl closed and drop its snapshot and done set."""
    with client.pipeline(transaction=True) as pipe:
        pipe.hset(keys.crawl(crawl_id), mapping={"status": "closed", "closed_at": iso(utcnow())})
        pipe.expire(keys.crawl(crawl_id), CLOSED_RECORD_SECONDS)
        pipe.delete(keys.state(crawl_id), keys.done(crawl_id))
        pipe.execute()
