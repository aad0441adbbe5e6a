"""Each column's outcome in a crawl, kept in the crawl stats (``column/<index>/...``).

A column (a start page of the site) is judged by its first list page: a list with announcement
links ("ok"), an article page archived as one document ("article"), a page without
announcement links ("not_list"), an HTTP error ("http_404" ...), an anti-bot challenge
("blocked"), or no answer at all ("dns", "refused", "timeout", "robots", "error"). Later list
pages only add to its counts. crawler/outcome.py reads these stats back (`column_results`);
the archive pipeline stores them per column when the crawl closes.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from scrapy.exceptions import (
    CannotResolveHostError,
    DownloadConnectionRefusedError,
    DownloadTimeoutError,
    IgnoreRequest,
)
from scrapy.statscollectors import StatsCollector
from twisted.internet.error import ConnectionRefusedError as TxConnectionRefusedError
from twisted.internet.error import DNSLookupError, TCPTimedOutError
from twisted.internet.error import TimeoutError as TxTimeoutError

from crawler.outcome import column_stat

_CAUSES: tuple[tuple[tuple[type[BaseException], ...], str, str], ...] = (
    ((CannotResolveHostError, DNSLookupError), "dns", "DNS lookup failed: no such host {host}"),
    ((DownloadConnectionRefusedError, TxConnectionRefusedError), "refused", "connection refused"),
    ((DownloadTimeoutError, TxTimeoutError, TCPTimedOutError), "timeout", "no answer (timed out)"),
    ((IgnoreRequest,), "robots", "not fetched: {message}"),
)


def failure_cause(failure: Any, url: str) -> tuple[str, str]:
    """``(outcome, detail)`` of a request that got no answer: DNS, refused, timeout ..."""
    host = urlsplit(url).hostname or url
    message = " ".join(str(failure.value).split())
    for types, outcome, detail in _CAUSES:
        if failure.check(*types):
            return outcome, detail.format(host=host, message=message or "ignored")
    return "error", f"{failure.type.__name__}: {message}" if message else failure.type.__name__


class ColumnTracker:
    """Writes the ``column/<index>/...`` stats of one crawl."""

    def __init__(self, stats: StatsCollector) -> None:
        self.stats = stats

    def start(self, index: int, url: str) -> None:
        """Column `index` of this crawl starts at `url` (every column is listed, answered or not)."""
        self.stats.set_value(column_stat(index, "url"), url)

    def answered(self, index: int | None, outcome: str, detail: str = "") -> None:
        """The outcome of the column's first list page (kept: later pages never change it).

        `index` None (a column this crawl does not walk) is ignored here and below.
        """
        if index is not None and self.stats.get_value(column_stat(index, "outcome")) is None:
            self.stats.set_value(column_stat(index, "outcome"), outcome)
            if detail:
                self.stats.set_value(column_stat(index, "detail"), detail)

    def listed(self, index: int | None, items: int) -> None:
        """A list page of the column showed `items` announcement links."""
        if index is None:
            return
        self.stats.inc_value(column_stat(index, "list_pages"))
        self.stats.inc_value(column_stat(index, "items"), items)

    def failed(self, index: int | None, failure: Any, url: str) -> None:
        """The column's first list page got no answer."""
        self.answered(index, *failure_cause(failure, url))
