"""Run crawls in-process (one call per process: the reactor cannot restart) and judge them.

``crawl()`` builds one Scrapy crawler per site inside one ``AsyncCrawlerProcess`` and returns
a ``CrawlSummary``; ``assess()`` turns a crawl's stats into an outcome and a health verdict
(the CLI's exit code: ``scrapy crawl`` itself exits 0 even when every request failed).
"""

from __future__ import annotations

import logging
import os
import sys
import time
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

from crawler.sitedefs import SiteDef, generic_sites, load_sites

if TYPE_CHECKING:
    from typing_extensions import Self

    from scrapy.crawler import Crawler

SUMMARY_KEYS = (
    "archive/new", "archive/changed", "archive/unchanged", "archive/not_modified", "archive/gone",
    "archive/restored", "archive/errors", "pages/list", "pages/article", "pages/antibot",
    "pages/soft404", "pages/empty", "pages/js_shell", "pages/notfound", "pages/error",
    "pages/failed", "downloader/request_count", "crawl/revisits", "list/stopped_known",
)


class UnknownSite(LookupError):
    """A site name with no definition."""


@dataclass
class Health:
    """The verdict on one crawl."""

    outcome: str  # finished | partial | interrupted | blocked | failed
    healthy: bool
    problems: list[str] = field(default_factory=list)


@dataclass
class SiteResult:
    site: str
    outcome: str
    healthy: bool
    problems: list[str]
    stats: dict[str, Any]


@dataclass
class CrawlSummary:
    """What `crawl()` returns (and `gov-archive crawl --json` prints)."""

    db: str
    sites: list[SiteResult] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def healthy(self) -> bool:
        return bool(self.sites) and all(s.healthy for s in self.sites)

    @property
    def exit_code(self) -> int:
        return 0 if self.healthy else 1

    def totals(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for s in self.sites:
            for k in SUMMARY_KEYS:
                out[k] = out.get(k, 0) + int(s.stats.get(k, 0) or 0)
        return out

    def to_dict(self) -> dict[str, Any]:
        return {"db": self.db, "healthy": self.healthy, "exit_code": self.exit_code,
                "seconds": round(self.seconds, 2), "totals": self.totals(),
                "sites": [asdict(s) for s in self.sites]}


def _n(stats: Mapping[str, Any], key: str) -> int:
    return int(stats.get(key, 0) or 0)


def assess(stats: Mapping[str, Any]) -> Health:
    """Outcome and health of a crawl from its stats.

    Unhealthy: the archive could not be written; nothing useful came back (every request
    failed or errored); or anti-bot challenges outnumber real answers (we are blocked).
    """
    reason = str(stats.get("finish_reason") or "")
    useful = sum(_n(stats, k) for k in ("pages/list", "pages/article", "archive/not_modified",
                                         "archive/same_bytes", "pages/notfound",
                                         "pages/redirect_home", "pages/soft404", "pages/empty"))
    antibot = _n(stats, "pages/antibot")
    problems: list[str] = []
    if _n(stats, "archive/errors") or reason == "archive_error":
        problems.append(f"archive not writable: {stats.get('archive/error_message', reason)}")
        return Health("failed", False, problems)
    if antibot and (antibot >= useful or reason == "antibot"):
        problems.append(f"blocked by anti-bot protection ({antibot} challenge pages)")
        return Health("blocked", False, problems)
    if useful == 0:
        failed = _n(stats, "pages/failed") + _n(stats, "pages/error")
        problems.append(f"no page could be fetched ({failed} failed requests)"
                        if failed else "no page could be fetched")
        return Health("failed", False, problems)
    if antibot:
        problems.append(f"{antibot} anti-bot challenge pages")
    if _n(stats, "list/no_items"):
        problems.append(f"{_n(stats, 'list/no_items')} list pages without announcement links "
                        "(list loaded by script? give [list] selectors in a site definition)")
    if _n(stats, "pages/failed") or _n(stats, "pages/error"):
        problems.append(f"{_n(stats, 'pages/failed') + _n(stats, 'pages/error')} failed requests")
    if reason == "finished":
        return Health("finished", True, problems)
    if reason in ("shutdown", "cancelled"):
        return Health("interrupted", True, problems + ["interrupted before the end"])
    return Health("partial", True, problems + [f"stopped early ({reason})"])


# ---------------------------------------------------------------- settings and sites


def project_settings(overrides: Mapping[str, Any] | None = None, *, verbose: bool = False) -> Any:
    """crawler.settings + CLI overrides (at 'cmdline' priority, above site definitions)."""
    from scrapy.settings import Settings

    settings = Settings()
    settings.setmodule("crawler.settings", priority="project")
    if not verbose:
        settings.set("LOG_LEVEL", "WARNING", priority="project")
    for name, value in (overrides or {}).items():
        settings.set(name, value, priority="cmdline")
    return settings


def select_sites(names: Iterable[str] = (), urls: Iterable[str] = (), *, all_sites: bool = False,
                 sites_dir: str | os.PathLike[str] | None = None) -> list[SiteDef]:
    """Resolve site names and --url columns to definitions (UnknownSite / SiteDefError)."""
    names, urls = list(names), list(urls)
    chosen: dict[str, SiteDef] = {}
    if names or all_sites:
        defined = load_sites(sites_dir)
        for name in (list(defined) if all_sites else []) + names:
            if name not in defined:
                known = ", ".join(sorted(defined)) or "none"
                raise UnknownSite(f"unknown site {name!r} (defined: {known})")
            chosen[name] = defined[name]
    for site in generic_sites(urls).values():
        chosen.setdefault(site.name, site)
    return list(chosen.values())


# ---------------------------------------------------------------- progress on a terminal


class ProgressReporter:
    """Extension: one status line per site on stderr while crawling (TTY only)."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.last = 0.0

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        from scrapy import signals
        from scrapy.exceptions import NotConfigured

        if not crawler.settings.getbool("PROGRESS_ENABLED"):
            raise NotConfigured
        o = cls(crawler)
        crawler.signals.connect(o.update, signal=signals.response_received)
        crawler.signals.connect(o.update, signal=signals.item_scraped)
        return o

    def update(self, **kwargs: Any) -> None:
        now = time.monotonic()
        if now - self.last < 0.2:
            return
        self.last = now
        s = self.crawler.stats.get_stats()
        spider = self.crawler.spider
        name = spider.site.name if spider is not None else "?"  # type: ignore[attr-defined]
        errors = _n(s, "pages/failed") + _n(s, "pages/error") + _n(s, "pages/antibot")
        line = (f"{name}: pages {_n(s, 'response_received_count')}  new {_n(s, 'archive/new')}  "
                f"changed {_n(s, 'archive/changed')}  gone {_n(s, 'archive/gone')}  "
                f"errors {errors}")
        sys.stderr.write(f"\r\x1b[K{line}")
        sys.stderr.flush()


# ---------------------------------------------------------------- the crawl


NETWORK_LOGGERS = ("scrapy.downloadermiddlewares.robotstxt", "scrapy.downloadermiddlewares.retry",
                   "scrapy.core.downloader")


def _drop_tracebacks(record: logging.LogRecord) -> bool:
    """Network errors: the message, not the traceback (a refused connection is not a bug)."""
    record.exc_info = None
    record.exc_text = None
    return True


def crawl(db_path: str | os.PathLike[str], *, sites: Iterable[str] = (), urls: Iterable[str] = (),
          full: bool = False, settings: Mapping[str, Any] | None = None,
          sites_dir: str | os.PathLike[str] | None = None, all_sites: bool = False,
          verbose: bool = False, progress: bool = False,
          site_defs: Iterable[SiteDef] | None = None) -> CrawlSummary:
    """Crawl `sites` (names) and `urls` (generic columns) into the archive at `db_path`.

    One call per process. Raises UnknownSite / SiteDefError before anything is fetched.
    """
    chosen = list(site_defs) if site_defs is not None else select_sites(
        sites, urls, all_sites=all_sites, sites_dir=sites_dir)
    overrides = dict(settings or {})
    overrides["ARCHIVE_DB_PATH"] = str(db_path)
    if full:
        overrides["CRAWL_FULL"] = True
    if progress:
        overrides.setdefault("PROGRESS_ENABLED", True)
        overrides.setdefault("EXTENSIONS", {"crawler.runner.ProgressReporter": 900})
    return _run(str(db_path), chosen, overrides, verbose=verbose, progress=progress)


def _run(db: str, chosen: list[SiteDef], overrides: dict[str, Any], *, verbose: bool,
         progress: bool) -> CrawlSummary:
    from scrapy.crawler import AsyncCrawlerProcess

    from crawler.spiders.base import GovSpider
    from crawler.spiders.generic import GenericSpider
    from crawler.spiders.sites import spider_class

    started = time.monotonic()
    process = AsyncCrawlerProcess(project_settings(overrides, verbose=verbose))
    if not verbose:
        for name in NETWORK_LOGGERS:
            logging.getLogger(name).addFilter(_drop_tracebacks)
    crawlers: list[tuple[SiteDef, Crawler]] = []
    for site in chosen:
        cls: type[GovSpider] = GenericSpider if site.generic else spider_class(site)
        crawler = process.create_crawler(cls)
        process.crawl(crawler, site_def=site)
        crawlers.append((site, crawler))
    process.start()
    if progress:
        sys.stderr.write("\r\x1b[K")
    summary = CrawlSummary(db=db, seconds=time.monotonic() - started)
    for site, crawler in crawlers:
        stats = dict(crawler.stats.get_stats()) if crawler._stats is not None else {}
        if not stats:
            stats = {"finish_reason": "bootstrap_failed"}
        health = assess(stats)
        clean = {k: (v.isoformat() if hasattr(v, "isoformat") else v) for k, v in stats.items()}
        summary.sites.append(SiteResult(site.name, health.outcome, health.healthy,
                                        health.problems, clean))
    return summary
