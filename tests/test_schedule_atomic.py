"""Post-crawl bookkeeping is one transaction: a crash cannot duplicate health alerts."""

from __future__ import annotations

import pytest
from helpers_watch import Clock, crawl_stats

from archive import Archive
from archive.timeutil import parse_interval
from crawler.service.bookkeeping import after_crawl
from crawler.service.schedule import SiteSchedule


def test_a_crash_during_bookkeeping_does_not_duplicate_health_alerts(tmp_path, monkeypatch):
    clock, site = Clock(), SiteSchedule("waf", parse_interval("1h"))
    with Archive(tmp_path / "gov.db", create=True) as archive:
        crawl = archive.start_crawl("waf", now=clock())
        archive.finish_crawl(crawl, "blocked", crawl_stats(articles=0, antibot=5), now=clock())
        real = Archive._update_site_state

        def crash(*args, **kwargs):
            raise RuntimeError("killed between the health events and the state")

        monkeypatch.setattr(Archive, "_update_site_state", crash)
        with pytest.raises(RuntimeError):
            after_crawl(archive, site, now=clock())
        assert archive.events(kinds=["health"]) == []
        monkeypatch.setattr(Archive, "_update_site_state", real)
        result = after_crawl(archive, site, now=clock())  # the next run books the crawl again
        assert result is not None and [i.kind for i in result.health] == ["blocked"]
        assert after_crawl(archive, site, now=clock()) is None  # once only
        events = archive.events(kinds=["health"])
        assert [(e["health_kind"], e["crawl_id"]) for e in events] == [("blocked", crawl)]
        state = archive.site_state("waf")
        assert state["failures"] == 1 and state["last_crawl_id"] == crawl


def _blocked_crawl(archive: Archive, clock: Clock) -> int:
    crawl = archive.start_crawl("waf", now=clock())
    archive.finish_crawl(crawl, "blocked", crawl_stats(articles=0, antibot=5), now=clock())
    clock.advance(hours=1)
    return crawl


def test_a_crawl_two_processes_book_at_once_is_booked_once(tmp_path, monkeypatch):
    """`notify` from cron and a `crawl` finishing together: both read "not booked yet"."""
    clock, site = Clock(), SiteSchedule("waf", parse_interval("1h"))
    path = tmp_path / "gov.db"
    with Archive(path, create=True) as crawling:
        crawl = _blocked_crawl(crawling, clock)
        before = crawling.site_state("waf")  # what `notify` read, before the crawl booked
        assert after_crawl(crawling, site, now=clock()) is not None
    with Archive(path) as notifying:
        monkeypatch.setattr(notifying, "site_state", lambda name: dict(before))
        assert after_crawl(notifying, site, now=clock()) is None
        monkeypatch.undo()
        assert [e["crawl_id"] for e in notifying.events(kinds=["health"])] == [crawl]
        assert notifying.site_state("waf")["failures"] == 1


def test_every_crawl_since_the_last_booked_one_is_booked_in_order(tmp_path):
    """Crawls run more often than `notify` (Scrapyd): each failure counts, each alert is raised."""
    clock, site = Clock(), SiteSchedule("waf", parse_interval("1h"))
    with Archive(tmp_path / "gov.db", create=True) as archive:
        first = archive.start_crawl("waf", now=clock())
        archive.finish_crawl(first, "finished", crawl_stats(articles=3), now=clock())
        assert after_crawl(archive, site, now=clock()).failures == 0
        crawls = [_blocked_crawl(archive, clock) for _ in range(3)]
        result = after_crawl(archive, site, now=clock())
        assert (result.crawl_id, result.failures) == (crawls[-1], 3)
        # blocked is raised when it starts: by the first of the three, once
        assert [(i.kind, i.crawl_id) for i in result.health] == [("blocked", crawls[0])]
        assert archive.site_state("waf")["last_crawl_id"] == crawls[-1]
        assert after_crawl(archive, site, now=clock()) is None
