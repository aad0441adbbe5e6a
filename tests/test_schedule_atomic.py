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
