"""Downloader middlewares: retries with exponential backoff.

See https://docs.scrapy.org/en/latest/topics/downloader-middleware.html
"""

from __future__ import annotations

import asyncio
import email.utils
import time
from typing import TYPE_CHECKING

from scrapy.downloadermiddlewares.retry import RetryMiddleware

if TYPE_CHECKING:
    from typing_extensions import Self

    from scrapy.crawler import Crawler
    from scrapy.http import Request, Response
    from scrapy.settings import BaseSettings


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


class BackoffRetryMiddleware(RetryMiddleware):
    """Scrapy's RetryMiddleware, waiting ``RETRY_BACKOFF_BASE * 2**(n-1)`` seconds before
    retry n (at most ``RETRY_BACKOFF_MAX``), or longer when the server sends Retry-After."""

    def __init__(self, settings: BaseSettings) -> None:
        super().__init__(settings)
        self.base = settings.getfloat("RETRY_BACKOFF_BASE", 2.0)
        self.cap = settings.getfloat("RETRY_BACKOFF_MAX", 60.0)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        o = cls(crawler.settings)
        o.crawler = crawler
        return o

    def backoff(self, attempt: int, retry_after: float | None = None) -> float:
        delay = self.base * (2 ** max(attempt - 1, 0))
        if retry_after is not None:
            delay = max(delay, retry_after)
        return min(delay, self.cap)

    def _retry(self, request: Request, reason: object) -> Request | None:  # type: ignore[override]
        new = super()._retry(request, reason)  # type: ignore[arg-type]
        if new is not None:
            retry_after = request.meta.pop("_retry_after", None)
            new.meta["retry_delay"] = self.backoff(new.meta.get("retry_times", 1), retry_after)
        return new

    def process_response(self, request: Request, response: Response) -> Request | Response:  # type: ignore[override]
        if response.status in self.retry_http_codes:
            request.meta["_retry_after"] = retry_after_seconds(response.headers.get("Retry-After"))
        return super().process_response(request, response)

    async def process_request(self, request: Request) -> None:
        delay = request.meta.pop("retry_delay", 0)
        if delay > 0:
            self.crawler.stats.inc_value("retry/backoff_seconds", delay)
            await asyncio.sleep(delay)
