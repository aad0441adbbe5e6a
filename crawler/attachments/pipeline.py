"""The attachment pipeline: fetch the files behind an item's attachment links, read their text.

Runs before the archive pipeline (ITEM_PIPELINES 700 < 800), so an announcement is saved once,
with its files. For each link on the site's hosts or ATTACHMENT_HOSTS it sends a GET through
Scrapy's own downloader (``engine.download_async``: the same per-host slots, delays, robots.txt,
retries and redirects as pages), conditional on the validators of the URL's last fetch, with
``download_maxsize`` = ATTACHMENT_MAXSIZE. New bytes are read in a child process
(crawler/attachments/reader.py). Whatever happens is recorded as an ``AttachmentFile``; nothing
raises, and the item always goes on to the archive.

A page re-checked without change (``Unchanged``: 304 or the same bytes) still has its files
re-checked: a file can be replaced behind an unchanged link. Known bytes are not read again,
unless their archived reading failed for a reason that may not recur (time ran out, the reader
crashed: ``text_transient``); such a file is fetched whole and read again. A list item that was a file
(``Announcement.from_file``) brings its bytes along: they are read, not fetched again, and
their text becomes the body.
"""

from __future__ import annotations

import asyncio
import dataclasses
import hashlib
import logging
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any

from scrapy import signals
from scrapy.exceptions import NotConfigured

from archive import AttachmentFile
from archive.timeutil import iso, utcnow
from archive.urls import canonical_url
from crawler.attachments.fetch import answered, failed, fetchable, file_request, not_fetched
from crawler.attachments.reader import TextReader
from crawler.extract.files import FileText, sniff
from crawler.items import Announcement, Unchanged
from crawler.outcome import record_failure
from crawler.sites import SiteDef, site_of
from crawler.state import CrawlState

if TYPE_CHECKING:
    from typing import Self

    from scrapy.crawler import Crawler

logger = logging.getLogger(__name__)
NO_BYTES_KINDS = ("html", "empty")  # an answer of these kinds is not the file


class AttachmentPipeline:
    """Gives `Announcement` and `Unchanged` items their ``files`` (see the module docstring)."""

    def __init__(self, crawler: Crawler, site: SiteDef) -> None:
        settings = crawler.settings
        self.crawler = crawler
        self.site_domains = tuple(site.allowed_domains)
        self.file_hosts = tuple(h.lower().strip(".") for h in settings.getlist("ATTACHMENT_HOSTS"))
        self.maxsize = settings.getint("ATTACHMENT_MAXSIZE")
        self.reader = TextReader(timeout=settings.getfloat("ATTACHMENT_TEXT_TIMEOUT"),
                                 memory_mb=settings.getint("ATTACHMENT_TEXT_MEMORY_MB"),
                                 max_chars=settings.getint("ATTACHMENT_TEXT_MAX_CHARS"))
        self._thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="attachment-text")

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        if not crawler.settings.getbool("ATTACHMENTS_ENABLED"):
            raise NotConfigured("ATTACHMENTS_ENABLED is off")
        site = site_of(crawler.spider)
        if site is None:
            raise NotConfigured("not a gov-archive spider")
        o = cls(crawler, site)
        crawler.signals.connect(o.spider_closed, signal=signals.spider_closed)
        return o

    def spider_closed(self) -> None:
        self.reader.close()
        self._thread.shutdown(wait=True)

    # ------------------------------------------------------------ items

    async def process_item(self, item: Any) -> Any:
        if isinstance(item, Announcement) and item.from_file:
            await self._read_listed_file(item)
        if isinstance(item, (Announcement, Unchanged)):
            links = _links_besides(item.attachments, item.url)
            if links:
                item.files = [*item.files, *await self._fetch_all(links)]
        return item

    async def _read_listed_file(self, item: Announcement) -> None:
        """The item's own bytes are the file: read them; their text is the body."""
        text = await self._read(item.raw, item.final_url or item.url)
        item.body = text.text
        item.files = [AttachmentFile(item.url, body=item.raw, status=item.status,
                                     headers=dict(item.headers), content_type=text.content_type,
                                     text=text.text, text_error=text.error,
                                     text_transient=text.transient, fetched_at=iso(utcnow()))]
        self._count_read(text)

    async def _fetch_all(self, urls: Sequence[str]) -> list[AttachmentFile]:
        known = await self._known(urls)
        files = []
        for url in urls:
            if not fetchable(url, self.site_domains, self.file_hosts):
                self._inc("attachments/offsite")
                files.append(not_fetched(url, "not on the site's hosts or ATTACHMENT_HOSTS"))
                continue
            files.append(await self._fetch(url, known.get(url)))
        return files

    async def _known(self, urls: Sequence[str]) -> dict[str, dict[str, Any]]:
        """The validators of each URL's last fetch, from the archive or, on a crawl worker, the
        host's snapshot (none without one)."""
        try:
            state = self.crawler.get_item_pipeline(CrawlState)
        except RuntimeError:  # no engine: driven by hand (tests)
            return {}
        if state is None:
            return {}
        return await state.attachment_state(urls)

    async def _fetch(self, url: str, known: Mapping[str, Any] | None) -> AttachmentFile:
        self._inc("attachments/requests")
        engine = self.crawler.engine
        assert engine is not None
        try:
            response = await engine.download_async(file_request(url, known, self.maxsize))
        except Exception as exc:  # noqa: BLE001 — any download failure is recorded, the crawl goes on
            got = failed(url, exc, self.maxsize)
            logger.info("Attachment not fetched (%s): %s", got.error, url)
            return self._failed(got)
        got = answered(url, response, known)
        if got.body is None:
            if got.sha256:
                self._inc("attachments/not_modified")
                return got
            return self._failed(got)
        return await self._with_text(got, known)

    async def _with_text(self, got: AttachmentFile, known: Mapping[str, Any] | None) -> AttachmentFile:
        body = got.body or b""
        if (known and known.get("sha256") == hashlib.sha256(body).hexdigest()
                and not known.get("text_transient")):
            self._inc("attachments/same_bytes")  # its text is archived already
            text = FileText(*_kind_only(body, got.url))
        else:
            text = await self._read(body, got.url)
            self._count_read(text)
        if text.kind in NO_BYTES_KINDS:
            return self._failed(dataclasses.replace(got, body=None, content_type=text.content_type,
                                                    error=text.error))
        self._inc("attachments/fetched")
        self._inc("attachments/bytes", len(body))
        return dataclasses.replace(got, content_type=text.content_type, text=text.text,
                                   text_error=text.error, text_transient=text.transient)

    async def _read(self, data: bytes, url: str) -> FileText:
        return await asyncio.wrap_future(self._thread.submit(self.reader.read, data, url))

    def _count_read(self, text: FileText) -> None:
        self._inc(f"attachments/kind/{text.kind}")
        if text.error:
            self._inc("attachments/no_text")

    def _failed(self, got: AttachmentFile) -> AttachmentFile:
        """Count a file that could not be fetched, and name it in the crawl's problems."""
        self._inc("attachments/failed")
        assert self.crawler.stats is not None
        record_failure(self.crawler.stats, "attachment", got.error or "not fetched", got.url)
        return got

    def _inc(self, key: str, n: int = 1) -> None:
        assert self.crawler.stats is not None
        self.crawler.stats.inc_value(key, n)


def _links_besides(links: Sequence[Mapping[str, Any]], page_url: str) -> list[str]:
    """The distinct URLs of `links`, without the page itself (a listed file is its own link)."""
    page = canonical_url(page_url)
    urls = [str(link.get("url") or "") for link in links]
    return [u for u in dict.fromkeys(urls) if u and canonical_url(u) != page]


def _kind_only(data: bytes, url: str) -> tuple[str, str, str, None]:
    found = sniff(data, url)
    return found.kind, found.content_type, "", None
