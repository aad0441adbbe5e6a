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

from crawler.sites import SiteDef, generic_sites, load_sites

if TYPE_CHECKING:
    from typing_extensions import Self

    from scrapy.crawler import Crawler

SUMMARY_KEYS = (
    "archive/new", "archive/changed", "archive/unchanged", "archive/not_modified", "archive/gone",
    "archive/restored", "archive/gone_held", "archive/rechecked", "archive/errors", "pages/list",
    "pages/article", "pages/antibot", "pages/soft404", "pages/empty", "pages/js_shell", "pages/notfound", "pages/error",
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
        out: dict[str, int] = {}
        for s in self.sites:
            for k in SUMMARY_KEYS:
                out[k] = out.get(k, 0) + int(s.stats.get(k, 0) or 0)
        return out

    def to_dict(self) -> dict[str, Any]:
        return {"db": self.db, "healthy": self.healthy, "exit_code": self.exit_code,
                "interrupted": self.interrupted,
                "seconds": round(self.seconds, 2), "totals": self.totals(),
                "sites": [asdict(s) for s in self.sites]}


def _n(stats: Mapping[str, Any], key: str) -> int:
    return int(stats.get(key, 0) or 0)


def assess(stats: Mapping[str, Any]) -> Health:
    """Outcome and health of a crawl from its stats.

    Unhealthy: the archive could not be written; nothing useful came back (every request
    failed or errored; 404s and redirects to the home page are not useful: a site moved or
    down for maintenance answers only those); anti-bot challenges outnumber real answers (we
    are blocked); or the crawl held back its withdrawals as implausible (``archive/gone_held``,
    crawler/pipelines.py): the outcome stays "finished" (the scheduler does not back off) but
    the site probably broke, so the crawl is unhealthy (exit 1) and a ``mass_gone`` health
    event says so.
    """
    reason = str(stats.get("finish_reason") or "")
    useful = sum(_n(stats, k) for k in ("pages/list", "pages/article", "archive/not_modified",
                                         "archive/same_bytes", "pages/soft404", "pages/empty"))
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
    healthy = not _n(stats, "archive/gone_held")
    if not healthy:
        from crawler.service.health import mass_gone_detail

        problems.append(mass_gone_detail(stats))
    if reason == "finished":
        return Health("finished", healthy, problems)
    if reason in ("shutdown", "cancelled", "interrupted"):
        return Health("interrupted", healthy, problems + ["interrupted before the end"])
    if not reason:
        return Health("interrupted", healthy,
                      problems + ["stopped before the end without closing (killed?)"])
    return Health("partial", healthy, problems + [f"stopped early ({reason})"])


# ---------------------------------------------------------------- settings and sites


# Scrapy reads these with getfloat although their default is an int: 0.5 is a valid value.
FLOAT_SETTINGS = frozenset({"DNS_TIMEOUT", "DOWNLOAD_DELAY", "DOWNLOAD_TIMEOUT"})


class BadSetting(ValueError):
    """A ``-s NAME=VALUE`` whose value does not fit the setting's type."""


def _default_value(name: str) -> Any:
    """The project's value of a setting, else the pipeline's, else Scrapy's (None if unknown)."""
    import importlib

    from scrapy.settings import default_settings

    from crawler.pipelines import SETTINGS

    project = importlib.import_module("crawler.settings")
    if hasattr(project, name):
        return getattr(project, name)
    return SETTINGS.get(name, getattr(default_settings, name, None))


def check_setting(name: str, value: Any) -> Any:
    """Validate a ``-s`` value against the type of the setting's default; return it (normalized).

    bool: Settings.getbool spellings (1/0, true/false); int and float: numbers; LOG_LEVEL:
    a logging level name. Unknown settings and other types pass through unchecked.
    """
    if not isinstance(value, str):
        return value
    text = value.strip()
    if name == "LOG_LEVEL":
        level = text.upper()
        if level in logging.getLevelNamesMapping() or level.isdigit():
            return level
        names = ", ".join(("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"))
        raise BadSetting(f"-s LOG_LEVEL: {value!r} is not a log level ({names})")
    default = _default_value(name)
    if isinstance(default, bool):
        from scrapy.settings import BaseSettings

        try:
            BaseSettings({name: text}).getbool(name)
        except ValueError:
            raise BadSetting(f"-s {name}: {value!r} is not a boolean (1/0, true/false)") from None
        return text
    if isinstance(default, float) or (isinstance(default, int) and name in FLOAT_SETTINGS):
        try:
            float(text)
        except ValueError:
            raise BadSetting(f"-s {name}: {value!r} is not a number") from None
        return text
    if isinstance(default, int):
        try:
            int(text)
        except ValueError:
            raise BadSetting(f"-s {name}: {value!r} is not a whole number") from None
        return text
    return value


def check_settings(overrides: Mapping[str, Any]) -> dict[str, Any]:
    """`check_setting` for each override (raises BadSetting on the first bad one)."""
    return {name: check_setting(name, value) for name, value in overrides.items()}


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
        overrides.setdefault("EXTENSIONS", {"crawler.service.runner.ProgressReporter": 900})
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
    signals = _count_shutdown_signals(process)
    started_at = _utc_now_iso()
    process.start()
    if progress:
        sys.stderr.write("\r\x1b[K")
    summary = CrawlSummary(db=db, seconds=time.monotonic() - started,
                           interrupted=bool(signals), signal=signals[0] if signals else None)
    for site, crawler in crawlers:
        stats = dict(crawler.stats.get_stats()) if crawler._stats is not None else {}
        if not stats:
            stats = {"finish_reason": "bootstrap_failed"}
        if signals and stats.get("finish_reason") in (None, ""):
            stats["finish_reason"] = "interrupted"  # a second Ctrl-C skips the spider's close
        health = assess(stats)
        if signals:
            health.problems[:] = [p for p in health.problems if "before the end" not in p]
            health.problems.append(f"interrupted ({_signal_name(signals[-1])}) before the end; "
                                   "the next crawl resumes where this one stopped")
            _finish_orphan_crawl(db, site.name, started_at, stats)
        clean = {k: (v.isoformat() if hasattr(v, "isoformat") else v) for k, v in stats.items()}
        summary.sites.append(SiteResult(site.name, health.outcome, health.healthy,
                                        health.problems, clean))
    return summary


def _count_shutdown_signals(process: Any) -> list[int]:
    """Record the shutdown signals (SIGINT, SIGTERM) Scrapy's handlers receive.

    Scrapy installs its handlers when the process starts, looking the methods up on the
    instance, so wrapping them here sees every Ctrl-C (graceful stop, then forced kill).
    """
    received: list[int] = []
    names = ("_signal_shutdown", "_signal_kill",
             "_signal_shutdown_reactorless", "_signal_kill_reactorless")
    for name in names:
        original = getattr(process, name, None)
        if original is None:
            continue

        def wrapper(signum: int, frame: Any, _original: Any = original) -> Any:
            received.append(int(signum))
            return _original(signum, frame)

        setattr(process, name, wrapper)
    return received


def _signal_name(signum: int) -> str:
    import signal

    try:
        return signal.Signals(signum).name
    except ValueError:
        return f"signal {signum}"


def _utc_now_iso() -> str:
    from archive.timeutil import iso, utcnow

    return iso(utcnow().replace(microsecond=0))


def _finish_orphan_crawl(db: str, site: str, started_at: str, stats: Mapping[str, Any]) -> None:
    """Close the crawl row a forced stop left open (outcome "interrupted").

    The pipeline finishes the row when the spider closes; a second Ctrl-C stops the reactor
    before that. The site's crawl lock (crawler/locks.py) means the newest unfinished row
    started since `started_at` is ours. Best effort: an archive error is only logged.
    """
    import sqlite3

    from archive import Archive, ArchiveError

    try:
        with Archive(db) as archive:
            rows = archive.crawls(site=site, limit=1)
            if rows and not rows[0].get("finished_at") and str(rows[0].get("started_at")) >= started_at:
                clean = {k: (v.isoformat() if hasattr(v, "isoformat") else v)
                         for k, v in stats.items()}
                archive.finish_crawl(rows[0]["id"], "interrupted", clean)
    except (ArchiveError, OSError, sqlite3.Error) as exc:
        logging.getLogger(__name__).warning("could not close the interrupted crawl of %s: %s",
                                            site, exc)
