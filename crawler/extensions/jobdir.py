"""The JOBDIR lifecycle of a site's crawl (as Scrapy's ``SpiderState`` keeps spider state).

Each crawl gets a JOBDIR, by default ``<db>.state/jobs/<site>``, so a crawl stopped by
Ctrl-C or SIGTERM resumes where it stopped. The folder carries ``RUNNING`` while a crawl
runs and ``FINISHED`` after a finished one. At the start of the next crawl:

- neither marker: resume (an interrupted crawl left its queue: stat ``crawl/resumed`` when
  the queue holds requests; the spider then continues it instead of walking every list
  page again);
- ``FINISHED``: nothing to resume, start afresh;
- ``RUNNING`` alone: the crawl was killed (queue files may be torn): start afresh and
  recover (stat ``crawl/recovery``; the spider then walks every list page again).
"""

from __future__ import annotations

import json
import logging
import re
import shutil
from pathlib import Path
from typing import TYPE_CHECKING, Any

from scrapy import signals
from scrapy.exceptions import NotConfigured

from crawler.sites import site_of

if TYPE_CHECKING:
    from typing import Self

    from scrapy.crawler import Crawler
    from scrapy.settings import BaseSettings

logger = logging.getLogger(__name__)

RECOVERY_STAT = "crawl/recovery"
RESUMED_STAT = "crawl/resumed"


def default_jobdir(settings: BaseSettings, site: str) -> Path | None:
    """``<db>.state/jobs/<site>``, or None when the archive or ARCHIVE_JOBDIR_ENABLED is off."""
    enabled = settings.getbool("ARCHIVE_JOBDIR_ENABLED") and settings.getbool("ARCHIVE_ENABLED")
    if not (enabled and settings.get("ARCHIVE_DB_PATH")):
        return None
    db = Path(settings.get("ARCHIVE_DB_PATH"))
    safe = re.sub(r"[^A-Za-z0-9._-]", "_", site)
    return db.with_name(db.name + ".state") / "jobs" / safe


class JobDirLifecycle:
    """Chooses and prepares the crawl's JOBDIR; marks it RUNNING, then FINISHED."""

    def __init__(self, crawler: Crawler, path: Path, *, killed: bool, resumed: bool = False) -> None:
        self.crawler = crawler
        self.path = path
        self.killed = killed
        self.resumed = resumed

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        site = site_of(crawler.spider)
        if site is None:
            raise NotConfigured("not a gov-archive spider")
        settings = crawler.settings
        given = settings.get("JOBDIR")
        path = Path(given) if given else default_jobdir(settings, site.name)
        if path is None:
            raise NotConfigured
        try:
            killed = prepare(path)  # wipes a finished or killed crawl's state first
            resumed = has_queue(path)
        except OSError as exc:
            if given:
                raise
            logger.warning("Crawl state folder %s unusable (%s): not resumable", path, exc)
            raise NotConfigured from None
        if not given:
            settings.set("JOBDIR", str(path), priority="spider")
        o = cls(crawler, path, killed=killed, resumed=resumed)
        crawler.signals.connect(o.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(o.spider_closed, signal=signals.spider_closed)
        return o

    def spider_opened(self, spider: Any) -> None:
        if self.killed:
            self.crawler.stats.set_value(RECOVERY_STAT, True)
        if self.resumed:
            self.crawler.stats.set_value(RESUMED_STAT, True)

    def spider_closed(self, spider: Any, reason: str) -> None:
        if reason == "finished":
            (self.path / "FINISHED").write_text("finished\n")
        (self.path / "RUNNING").unlink(missing_ok=True)


def has_queue(path: Path) -> bool:
    """The JOBDIR at `path` holds the queue of a crawl that stopped cleanly with requests left
    (Scrapy's scheduler writes ``requests.queue/active.json`` when a job stops)."""
    active = path / "requests.queue" / "active.json"
    try:
        return bool(json.loads(active.read_text(encoding="utf-8")))
    except (OSError, ValueError):
        return False


def prepare(path: Path) -> bool:
    """Start a crawl in `path`: wipe a finished or killed crawl's state; True if it was killed."""
    running, finished = path / "RUNNING", path / "FINISHED"
    killed = running.exists() and not finished.exists()
    if running.exists() or finished.exists():
        shutil.rmtree(path, ignore_errors=True)
    path.mkdir(parents=True, exist_ok=True)
    running.write_text("crawl in progress\n")
    return killed
