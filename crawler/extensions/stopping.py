"""A quick, clean stop on the first Ctrl-C or SIGTERM.

Scrapy's graceful stop waits for every request the engine has handed to the downloader. With
a download delay per host, up to ``CONCURRENT_REQUESTS`` of them wait in the host's queue, one
delay after another: a Ctrl-C took about 12 s with the default settings, the progress line
still counting. The runner (crawler/service/runner.py) sends `CRAWL_STOPPING` to each crawl
before stopping it; crawler.middlewares.StopGate then sets aside the requests that are only
waiting (`set_aside_waiting`: for the host's delay; crawler.middlewares.BackoffRetryMiddleware
does the same for a retry's back-off): the engine is paused, so the scheduler hands out nothing
more, and each such request goes back to the scheduler, whose JOBDIR queue the resumed crawl
starts from, and ends here with `CrawlStopping`; so does every request that reaches the
downloader later (released by the robots.txt middleware, say). Only the transfers under way
finish (`in_flight`).
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from scrapy.exceptions import IgnoreRequest

if TYPE_CHECKING:
    from scrapy.core.engine import ExecutionEngine
    from scrapy.crawler import Crawler
    from scrapy.http import Request

logger = logging.getLogger(__name__)

#: Sent (``crawler.signals.send_catch_log``) when a stop was asked for, before ``crawler.stop``.
CRAWL_STOPPING = object()
SET_ASIDE_STAT = "crawl/set_aside_at_stop"


class CrawlStopping(IgnoreRequest):
    """A request not sent because the crawl is stopping; a copy is back in the scheduler."""


def set_aside(crawler: Crawler, request: Request) -> CrawlStopping:
    """Give a copy of `request` back to the scheduler; the exception to end the original with.

    Only the spider's requests (with a callback) are kept: a robots.txt request is made again
    by the next crawl."""
    engine = _engine(crawler)
    if request.callback is not None and engine is not None and engine.spider is not None:
        engine.crawl(request.copy())  # not sent while stopping; kept in the JOBDIR queue
    crawler.stats.inc_value(SET_ASIDE_STAT)
    return CrawlStopping(f"the crawl is stopping: {request.url}")


def in_flight(crawler: Crawler) -> int:
    """Transfers under way in the crawl's downloader (the requests a stop waits for)."""
    engine = _engine(crawler)
    if engine is None:
        return 0
    return sum(len(slot.transferring) for slot in engine.downloader.slots.values())


def _engine(crawler: Crawler) -> ExecutionEngine | None:
    """The crawl's engine, or None before the crawl started."""
    try:
        return crawler.engine
    except RuntimeError:  # Crawler.engine is only set once the crawl starts
        return None


def set_aside_waiting(crawler: Crawler) -> int:
    """Pause the engine and set aside the requests waiting in the downloader's host queues
    (not yet transferring); how many."""
    engine = _engine(crawler)
    if engine is None:
        return 0
    engine.pause()  # the scheduler hands out nothing more: set-aside copies stay in it
    waiting = 0
    # Downloader.slots and Slot.queue: (request, deferred) pairs not yet transferring.
    for slot in engine.downloader.slots.values():
        queued = list(slot.queue)
        slot.queue.clear()
        for request, deferred in queued:
            deferred.errback(set_aside(crawler, request))
            waiting += 1
    if waiting:
        logger.info("Stopping: %d waiting request(s) kept for the next crawl", waiting)
    return waiting
