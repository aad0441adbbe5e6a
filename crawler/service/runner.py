"""Run crawls in-process (one call per process: the reactor cannot restart).

`run_crawls()` builds one Scrapy crawler per site inside one ``AsyncCrawlerProcess`` and
returns a `CrawlSummary` of each crawl's verdict, as the archive pipeline recorded it when
the spider closed (crawler/outcome.py). A crawl that never got that far (it did not start,
or a second Ctrl-C stopped it) is judged here from its stats, the same way.

Ctrl-C / SIGTERM: the first stops the crawls gracefully: it says at once how many requests
are still being transferred ("stopping, finishing N requests…"), sets aside the ones only
waiting for their turn (crawler/extensions/stopping.py: kept in the JOBDIR for the next crawl)
and calls ``process.stop()`` (spiders close, JOBDIRs stay resumable); a stop takes seconds, the
transfers under way. A second signal stops the reactor at once. The handlers are in place
before the crawls are created. The summary says which signal came: exit 130 after Ctrl-C,
143 after SIGTERM.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from scrapy.crawler import AsyncCrawlerProcess
from scrapy.utils.ossignal import install_shutdown_handlers, signal_names

from crawler.extensions.stopping import CRAWL_STOPPING, in_flight
from crawler.outcome import Verdict, assess, count
from crawler.service.overrides import project_settings
from crawler.sites import SiteDef
from crawler.spiders.base import GovSpider
from crawler.spiders.generic import GenericSpider
from crawler.spiders.sites import spider_class

if TYPE_CHECKING:
    from scrapy.crawler import Crawler

logger = logging.getLogger(__name__)

SUMMARY_KEYS = (
    "archive/new", "archive/changed", "archive/unchanged", "archive/not_modified", "archive/gone",
    "archive/restored", "archive/gone_held", "archive/rechecked", "archive/reextracted", "archive/errors",
    "pages/list",
    "pages/article", "pages/antibot", "pages/soft404", "pages/empty", "pages/js_shell", "pages/binary",
    "pages/notfound", "pages/error",
    "pages/failed", "downloader/request_count", "crawl/revisits", "list/stopped_known",
)
NETWORK_LOGGERS = ("scrapy.downloadermiddlewares.robotstxt", "scrapy.downloadermiddlewares.retry",
                   "scrapy.core.downloader")


@dataclass
class SiteResult:
    site: str
    outcome: str
    healthy: bool
    problems: list[str]
    stats: dict[str, Any]


@dataclass
class CrawlSummary:
    """What `run_crawls()` returns (and `gov-archive crawl --json` prints)."""

    db: str
    sites: list[SiteResult] = field(default_factory=list)
    seconds: float = 0.0
    interrupted: bool = False  # Ctrl-C / SIGTERM stopped the crawl
    signal: int | None = None  # the first shutdown signal received

    @property
    def healthy(self) -> bool:
        return bool(self.sites) and all(s.healthy for s in self.sites)

    @property
    def exit_code(self) -> int:
        if self.interrupted:
            return 128 + (self.signal or 2)  # shell convention: 130 after Ctrl-C, 143 SIGTERM
        return 0 if self.healthy else 1

    def totals(self) -> dict[str, int]:
        if not self.sites:
            return {}
        return {k: sum(count(s.stats, k) for s in self.sites) for k in SUMMARY_KEYS}

    def to_dict(self) -> dict[str, Any]:
        return {"db": self.db, "healthy": self.healthy, "exit_code": self.exit_code,
                "interrupted": self.interrupted,
                "seconds": round(self.seconds, 2), "totals": self.totals(),
                "sites": [asdict(s) for s in self.sites]}


# ---------------------------------------------------------------- Ctrl-C and SIGTERM


class ShutdownSignals:
    """Our handlers for SIGINT / SIGTERM while crawling (Scrapy's, with a memory).

    The first signal stops the crawls gracefully through ``process.stop()``; a second one
    stops the reactor at once; later ones are ignored. `received` lists the signals.
    """

    def __init__(self, process: AsyncCrawlerProcess,
                 notify: Callable[[str], None] | None = None) -> None:
        self.process = process
        self.notify = notify or logger.warning
        self.received: list[int] = []
        self._stopping: asyncio.Future[None] | None = None
        # Importing twisted.internet.reactor installs a reactor unless one is installed:
        # only import it here, once AsyncCrawlerProcess has installed the asyncio one.
        from twisted.internet import reactor  # noqa: PLC0415 — must follow the reactor install

        self.reactor: Any = reactor

    @contextlib.contextmanager
    def installed(self) -> Iterator[None]:
        """Our handlers while the block runs (``process.start(install_signal_handlers=False)``)."""
        previous = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM)}
        install_shutdown_handlers(self._handle)
        try:
            yield
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)

    def _handle(self, signum: int, frame: Any) -> None:
        self.received.append(signum)
        if len(self.received) == 1:
            self.reactor.callFromThread(self._stop_gracefully, signum)
        else:
            install_shutdown_handlers(signal.SIG_IGN)
            self.reactor.callFromThread(self._stop_now, signum)

    def _stop_gracefully(self, signum: int) -> None:
        logger.info("Received %s, shutting down gracefully. Send again to force",
                    signal_names[signum])
        finishing = 0
        for crawler in list(self.process.crawlers):
            crawler.signals.send_catch_log(signal=CRAWL_STOPPING)
            finishing += in_flight(crawler)
        again = "Ctrl-C" if signum == signal.SIGINT else "the signal"
        self.notify(f"stopping, finishing {finishing} request{'' if finishing == 1 else 's'}… "
                    f"({again} again to stop at once)")
        self._stopping = asyncio.ensure_future(self.process.stop())

    def _stop_now(self, signum: int) -> None:
        logger.info("Received %s twice, forcing unclean shutdown", signal_names[signum])
        with contextlib.suppress(RuntimeError):  # already stopping
            self.reactor.stop()

    @property
    def note(self) -> str:
        """The problem an interrupted crawl reports."""
        name = signal_names.get(self.received[-1], f"signal {self.received[-1]}")
        return f"interrupted ({name}) before the end; the next crawl resumes where this one stopped"


# ---------------------------------------------------------------- the crawl


def run_crawls(db_path: str | os.PathLike[str] | None, sites: Sequence[SiteDef], *,
               settings: Mapping[str, Any] | None = None, full: bool = False,
               verbose: bool = False, progress: bool = False,
               notify: Callable[[str], None] | None = None) -> CrawlSummary:
    """Crawl `sites` into the archive at `db_path`, all in this process (one call per process).

    `settings` are ``-s`` overrides (checked: crawler/service/overrides.py); `progress` shows
    a status line per site on stderr; `notify` shows what a stop waits for (default: the log).
    `db_path` None: no archive here (a crawl worker's crawl, whose items go to the archive
    host, ``CLUSTER_REDIS_URL``).
    """
    overrides = {**(settings or {})}
    if db_path is not None:
        overrides["ARCHIVE_DB_PATH"] = str(db_path)
    if full:
        overrides["CRAWL_FULL"] = True
    if progress:
        overrides.setdefault("PROGRESS_ENABLED", True)
    process = AsyncCrawlerProcess(project_settings(overrides, verbose=verbose))
    if not verbose:
        quiet = QuietNetworkErrors({column.url for site in sites for column in site.columns})
        for name in NETWORK_LOGGERS:
            logging.getLogger(name).addFilter(quiet)
    shutdown = ShutdownSignals(process, notify)
    started = time.monotonic()
    with shutdown.installed():
        crawlers = [(site, _schedule(process, site)) for site in sites]
        process.start(install_signal_handlers=False)
    received = shutdown.received
    return CrawlSummary(db=str(db_path or ""), seconds=time.monotonic() - started,
                        interrupted=bool(received), signal=received[0] if received else None,
                        sites=[_result(site, crawler, shutdown) for site, crawler in crawlers])


class QuietNetworkErrors(logging.Filter):
    """Network errors: the message, not the traceback (a refused connection is not a bug), and
    none about a column's page or a robots.txt: the summary names a failing column and its
    cause in one line (`-v` shows them all)."""

    def __init__(self, column_urls: set[str]) -> None:
        super().__init__()
        self.column_urls = column_urls

    def filter(self, record: logging.LogRecord) -> bool:
        record.exc_info = None
        record.exc_text = None
        request = record.args.get("request") if isinstance(record.args, dict) else None
        url = getattr(request, "url", "")
        return not (url in self.column_urls or url.endswith("/robots.txt"))


def _schedule(process: AsyncCrawlerProcess, site: SiteDef) -> Crawler:
    cls: type[GovSpider] = GenericSpider if site.generic else spider_class(site)
    crawler = process.create_crawler(cls)
    process.crawl(crawler, site_def=site)
    return crawler


def _result(site: SiteDef, crawler: Crawler, shutdown: ShutdownSignals) -> SiteResult:
    """The site's verdict: the pipeline's, else judged here (the spider never closed)."""
    stats = _final_stats(crawler)
    verdict = Verdict.from_stats(stats)
    if verdict is None:
        if shutdown.received and not stats.get("finish_reason"):
            stats["finish_reason"] = "interrupted"  # a second Ctrl-C skips the spider's close
        verdict = assess(stats)
        stats.update(verdict.as_stats())
    problems = verdict.problems
    if shutdown.received:
        problems = [p for p in problems if "before the end" not in p] + [shutdown.note]
    return SiteResult(site.name, verdict.outcome, verdict.healthy, problems, stats)


def _final_stats(crawler: Crawler) -> dict[str, Any]:
    """The crawl's stats, JSON-ready (``bootstrap_failed`` when the crawl never started)."""
    try:
        stats = dict(crawler.stats.get_stats())
    except RuntimeError:  # Crawler.stats is only set once the crawl starts
        stats = {}
    if not stats:
        stats = {"finish_reason": "bootstrap_failed"}
    return {k: (v.isoformat() if isinstance(v, datetime) else v) for k, v in stats.items()}
