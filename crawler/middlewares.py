"""Downloader middlewares: only web URLs, bounded responses, retries with exponential backoff.

See https://docs.scrapy.org/en/latest/topics/downloader-middleware.html
"""

from __future__ import annotations

import asyncio
import email.utils
import logging
import time
from typing import TYPE_CHECKING

from scrapy.downloadermiddlewares.httpcompression import HttpCompressionMiddleware
from scrapy.downloadermiddlewares.retry import get_retry_request
from scrapy.exceptions import DownloadCancelledError, IgnoreRequest, NotConfigured
from scrapy.utils.httpobj import urlparse_cached
from scrapy.utils.misc import load_object
from scrapy.utils.response import response_status_message

from archive.urls import WEB_SCHEMES
from crawler.extensions.stopping import CRAWL_STOPPING, set_aside, set_aside_waiting

if TYPE_CHECKING:
    from typing import Self

    from scrapy.crawler import Crawler
    from scrapy.http import Request, Response

logger = logging.getLogger(__name__)
REFUSED_SCHEME_STAT = "download/refused_scheme"
TOO_LARGE_STAT = "download/too_large"
BOMB_STAT = "download/decompression_refused"


class WebOnlyMiddleware:
    """Only http and https reach the downloader, whatever a page, a site definition or a
    redirect names (``file://``, ``ftp://``, ``data:``, ``s3://`` ...): such a request is
    refused and counted (``download/refused_scheme``). First in the chain, so every request
    passes it, retries and redirects included. Also counts answers refused for their size
    (``download/too_large``, over ``DOWNLOAD_MAXSIZE``)."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        return cls(crawler)

    def process_request(self, request: Request) -> None:
        scheme = urlparse_cached(request).scheme
        if scheme not in WEB_SCHEMES:
            self.crawler.stats.inc_value(REFUSED_SCHEME_STAT)
            logger.warning("Refused a %s: URL (only http and https are fetched): %s",
                           scheme or "scheme-less", request.url[:200])
            raise IgnoreRequest(f"not an http(s) URL: {request.url[:200]}")

    def process_exception(self, request: Request, exception: Exception) -> None:
        if isinstance(exception, DownloadCancelledError) and "max size" in str(exception):
            self.crawler.stats.inc_value(TOO_LARGE_STAT)


class StopGate:
    """The first Ctrl-C or SIGTERM (``CRAWL_STOPPING``, crawler/extensions/stopping.py): the
    requests waiting in the downloader are set aside for the next crawl, and so is every spider
    request that reaches the downloader afterwards (one the robots.txt middleware held back
    until its robots.txt came, say) instead of being sent."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.stopping = False

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        o = cls(crawler)
        crawler.signals.connect(o.stop, signal=CRAWL_STOPPING)
        return o

    def stop(self) -> None:
        self.stopping = True
        set_aside_waiting(self.crawler)

    def process_request(self, request: Request) -> None:
        if self.stopping and request.callback is not None:
            raise set_aside(self.crawler, request)


class AlreadyRequested(IgnoreRequest):
    """A spider request for a page this crawl has already requested."""


class OncePerCrawl:
    """Each page is requested once per crawl, however many paths queue it.

    The spider de-duplicates what it yields itself, but a resumed crawl also gets the
    requests its JOBDIR queue kept (crawler/extensions/jobdir.py): the list page or article
    the interrupted crawl had set aside, which the spider may find and request again. The
    second one ends here (``crawl/already_requested``). Spider requests only (a callback:
    robots.txt and attachment files have their own rules), by Scrapy's request fingerprint
    (method, URL, body: each Hanweb POST page is its own); a retry or a redirect of a request
    passes (two withdrawn articles may both redirect home).
    """

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.seen: set[bytes] = set()

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        return cls(crawler)

    def process_request(self, request: Request) -> None:
        meta = request.meta
        if request.callback is None or meta.get("retry_times") or meta.get("redirect_times"):
            return
        assert self.crawler.request_fingerprinter is not None
        fingerprint = self.crawler.request_fingerprinter.fingerprint(request)
        if fingerprint in self.seen:
            self.crawler.stats.inc_value("crawl/already_requested")
            raise AlreadyRequested(f"requested already in this crawl: {request.url}")
        self.seen.add(fingerprint)


class BoundedHttpCompressionMiddleware(HttpCompressionMiddleware):
    """Scrapy's decompression, which stops inflating at ``DOWNLOAD_MAXSIZE`` (a 1 MB gzip
    bomb never becomes 1 GB in memory), with the refused answers counted
    (``download/decompression_refused``)."""

    def process_response(  # type: ignore[override]
            self, request: Request, response: Response) -> Request | Response:
        try:
            return super().process_response(request, response)
        except IgnoreRequest:  # only raised when the inflated body passes DOWNLOAD_MAXSIZE
            if self.stats is not None:
                self.stats.inc_value(BOMB_STAT)
            raise


def retry_after_seconds(value: bytes | str | None, now: float | None = None) -> float | None:
    """Seconds from a Retry-After header (delta-seconds or an HTTP date)."""
    if not value:
        return None
    text = value.decode("latin-1") if isinstance(value, bytes) else value
    text = text.strip()
    if text.isdigit():
        return float(text)
    try:
        when = email.utils.parsedate_to_datetime(text)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - (time.time() if now is None else now))


class BackoffRetryMiddleware:
    """Scrapy's retries (``RETRY_*`` settings, ``get_retry_request``), waiting
    ``RETRY_BACKOFF_BASE * 2**(n-1)`` seconds before retry n (at most ``RETRY_BACKOFF_MAX``),
    or longer when the server sends Retry-After. Replaces Scrapy's RetryMiddleware."""

    def __init__(self, crawler: Crawler) -> None:
        settings = crawler.settings
        if not settings.getbool("RETRY_ENABLED"):
            raise NotConfigured
        self.crawler = crawler
        self.retry_http_codes = {int(x) for x in settings.getlist("RETRY_HTTP_CODES")}
        self.exceptions_to_retry = tuple(load_object(x) if isinstance(x, str) else x
                                         for x in settings.getlist("RETRY_EXCEPTIONS"))
        self.base = settings.getfloat("RETRY_BACKOFF_BASE")
        self.cap = settings.getfloat("RETRY_BACKOFF_MAX")
        self._stopping = asyncio.Event()  # set on CRAWL_STOPPING: back-offs end at once

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        o = cls(crawler)
        crawler.signals.connect(o._stopping.set, signal=CRAWL_STOPPING)
        return o

    def backoff(self, attempt: int, retry_after: float | None = None) -> float:
        """Seconds to wait before retry number `attempt`."""
        delay = self.base * (2 ** max(attempt - 1, 0))
        if retry_after is not None:
            delay = max(delay, retry_after)
        return min(delay, self.cap)

    def process_response(self, request: Request, response: Response) -> Request | Response:
        if request.meta.get("dont_retry") or response.status not in self.retry_http_codes:
            return response
        retry_after = retry_after_seconds(response.headers.get("Retry-After"))
        return self._retry(request, response_status_message(response.status),
                           retry_after) or response

    def process_exception(self, request: Request, exception: Exception) -> Request | None:
        if request.meta.get("dont_retry") or not isinstance(exception, self.exceptions_to_retry):
            return None
        return self._retry(request, exception)

    def _retry(self, request: Request, reason: str | Exception,
               retry_after: float | None = None) -> Request | None:
        """The retry request (with its backoff in ``retry_delay``), or None when retries ran out."""
        spider = self.crawler.spider
        assert spider is not None
        new = get_retry_request(
            request, spider=spider, reason=reason,
            max_retry_times=request.meta.get("max_retry_times"),
            priority_adjust=request.meta.get("priority_adjust"),
            give_up_log_level=request.meta.get("give_up_log_level"))
        if new is not None:
            new.meta["retry_delay"] = self.backoff(new.meta["retry_times"], retry_after)
        return new

    async def process_request(self, request: Request) -> None:
        """Wait the retry's back-off; a stopping crawl sets the retry aside instead."""
        delay = request.meta.pop("retry_delay", 0)
        if delay <= 0:
            return
        self.crawler.stats.inc_value("retry/backoff_seconds", delay)
        try:
            await asyncio.wait_for(self._stopping.wait(), timeout=delay)
        except TimeoutError:
            return
        raise set_aside(self.crawler, request)
