"""One status line per site on stderr while crawling (``PROGRESS_ENABLED``).

``gov-archive crawl`` turns it on when stderr is a terminal:
``nmpa: pages 120  new 14  changed 2  gone 0  errors 1``, rewritten from the crawl's stats
every `REFRESH_SECONDS`, with the summary's error count (crawler/outcome.py `error_count`).
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Any, TextIO

from scrapy import signals
from scrapy.exceptions import NotConfigured
from scrapy.utils.asyncio import create_looping_call

from crawler.extensions.stopping import CRAWL_STOPPING
from crawler.outcome import count, error_count
from crawler.sites import site_of

if TYPE_CHECKING:
    from typing import Self

    from scrapy.crawler import Crawler

REFRESH_SECONDS = 0.2
CLEAR_LINE = "\r\x1b[K"


class ProgressLine:
    """Rewrites the site's status line every `REFRESH_SECONDS` while the crawl runs."""

    def __init__(self, crawler: Crawler, stream: TextIO) -> None:
        self.crawler = crawler
        self.stream = stream
        self.frozen = False  # stopping: the runner says what is left
        self.ticker = create_looping_call(self.update)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        if not crawler.settings.getbool("PROGRESS_ENABLED"):
            raise NotConfigured
        o = cls(crawler, sys.stderr)
        crawler.signals.connect(o.start, signal=signals.spider_opened)
        crawler.signals.connect(o.clear, signal=signals.spider_closed)
        crawler.signals.connect(o.freeze, signal=CRAWL_STOPPING)
        return o

    @property
    def name(self) -> str:
        spider = self.crawler.spider
        site = site_of(spider)
        return site.name if site is not None else getattr(spider, "name", "?")

    def start(self, **kwargs: Any) -> None:
        self.ticker.start(REFRESH_SECONDS, now=False)

    def update(self, **kwargs: Any) -> None:
        if self.frozen:
            return
        self.stream.write(CLEAR_LINE + status_line(self.name, self.crawler.stats.get_stats()))
        self.stream.flush()

    def clear(self, **kwargs: Any) -> None:
        if self.ticker.running:
            self.ticker.stop()
        self.stream.write(CLEAR_LINE)
        self.stream.flush()

    def freeze(self, **kwargs: Any) -> None:
        """The crawl is stopping: clear the line and stop counting."""
        self.frozen = True
        self.clear()


def status_line(name: str, stats: dict[str, Any]) -> str:
    errors = error_count(stats)
    return (f"{name}: pages {count(stats, 'response_received_count')}  "
            f"new {count(stats, 'archive/new')}  changed {count(stats, 'archive/changed')}  "
            f"gone {count(stats, 'archive/gone')}  errors {errors}")
