"""The functions `gov-archive crawl --due / --webhook` and `sites --health` call."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

from helpers_watch import Clock, crawl_stats, receiver, site_health

from archive import Archive
from crawler.service.bookkeeping import post_crawl
from crawler.service.health import format_health
from crawler.service.schedule import select_due


@dataclass(frozen=True)
class Def:  # the fields of crawler.sites.SiteDef the scheduler reads
    name: str
    every: timedelta | None = None
    alerts: dict = field(default_factory=dict)


def finished_crawl(db, site, clock, outcome="finished", **stats):
    with Archive(db, create=True) as archive:
        crawl_id = archive.start_crawl(site, now=clock())
        archive.finish_crawl(crawl_id, outcome, crawl_stats(**stats), now=clock())


def test_select_due_without_an_archive_selects_all_and_creates_nothing(tmp_path):
    defs = [Def("a"), Def("b")]
    assert select_due(tmp_path / "none.db", defs) == defs
    assert not (tmp_path / "none.db").exists()


def test_select_due_uses_each_sites_interval(tmp_path):
    db, clock = tmp_path / "gov.db", Clock()
    hourly, daily, never = Def("hourly", timedelta(hours=1)), Def("daily", timedelta(days=1)), Def("never")
    finished_crawl(db, "hourly", clock)
    finished_crawl(db, "daily", clock)
    assert select_due(db, [hourly, daily, never], now=clock()) == [never]
    assert select_due(db, [hourly, daily, never], now=clock.advance(hours=2)) == [never, hourly]
    assert select_due(db, [hourly, daily], now=clock.advance(days=1)) == [hourly, daily]


def test_post_crawl_books_backoff_health_and_delivers_once(tmp_path):
    db, clock = tmp_path / "gov.db", Clock()
    finished_crawl(db, "waf", clock, "blocked", articles=0, antibot=4)
    with receiver([500, 500, 500]) as hook, receiver() as site_hook:
        defs = [Def("waf", timedelta(hours=1), {"webhook": site_hook.url})]
        first = post_crawl(db, defs, webhooks=[hook.url], now=clock(), sleep=lambda s: None)
        assert first.results["waf"].failures == 1
        assert [i.kind for i in first.results["waf"].health] == ["blocked"]
        assert [d.delivered for d in first.deliveries] == [0, 1]
        notes = "\n".join(first.lines())
        assert "health alert (blocked)" in notes and "kept for the next run" in notes
        assert "delivered 1 event(s)" in notes and "secret-token" not in notes
        again = post_crawl(db, defs, webhooks=[hook.url], now=clock(), sleep=lambda s: None)
        assert again.results["waf"] is None  # already processed
        assert [d.delivered for d in again.deliveries] == [1, 0]
        assert len(hook.event_ids) == len(site_hook.event_ids) == 1
    assert select_due(db, defs, now=clock.advance(minutes=59)) == []
    assert select_due(db, defs, now=clock.advance(minutes=1)) == defs


def test_site_health_rows(tmp_path):
    db, clock = tmp_path / "gov.db", Clock()
    assert site_health(db, [Def("a")])[0]["health"] == "never crawled"
    assert not db.exists()
    finished_crawl(db, "a", clock, articles=3)
    rows = site_health(db, [Def("a"), Def("b")], now=clock())
    assert [r["health"] for r in rows] == ["ok", "never crawled"]
    assert "never crawled" in format_health(rows)
