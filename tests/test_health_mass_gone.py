"""The ``mass_gone`` rule: a crawl that held back its withdrawals raises one health event."""

from __future__ import annotations

import pytest
from helpers_watch import Clock, MemoryArchive, crawl_stats

from archive import Archive
from crawler.outcome import mass_gone_detail
from crawler.service.bookkeeping import after_crawl
from crawler.service.health import evaluate
from crawler.service.schedule import SiteSchedule


@pytest.fixture(params=["memory", "sqlite"])
def archive(request, tmp_path):
    if request.param == "memory":
        yield MemoryArchive()
    else:
        with Archive(tmp_path / "gov.db", create=True) as real:
            yield real


def crawl(archive, clock, held=0, outcome="finished", **extra):
    stats = {**crawl_stats(articles=5), "archive/rechecked": 40 if held else 5}
    if held:
        stats["archive/gone_held"] = held
    stats.update(extra)
    cid = archive.start_crawl("gov", now=clock())
    archive.finish_crawl(cid, outcome, stats, now=clock.advance(minutes=5))
    clock.advance(hours=6)
    result = after_crawl(archive, SiteSchedule("gov"), now=clock())
    return list(result.health) if result else []


def test_held_withdrawals_raise_mass_gone_once_per_episode(archive):
    clock = Clock()
    assert crawl(archive, clock) == []
    (issue,) = crawl(archive, clock, held=38)
    assert issue.kind == "mass_gone" and issue.crawl_id == 2
    assert issue.detail == ("38 of 40 re-checked articles answered 404/410 or redirected to the "
                            "home page; nothing marked withdrawn — check the site")
    assert crawl(archive, clock, held=38) == []  # still broken: already reported
    assert crawl(archive, clock) == []  # back to normal
    assert [i.kind for i in crawl(archive, clock, held=12)] == ["mass_gone"]  # a new episode
    health = archive.events(kinds=["health"], site="gov")
    assert [e["crawl_id"] for e in health] == [2, 5]


def test_one_off_crawls_of_the_host_do_not_raise_it_again(archive):
    """NU7: one-off ``crawl --url`` crawls of other columns of the host after a mass_gone
    crawl raise no new mass_gone event, nor does the next crawl still holding them back."""
    clock = Clock()
    crawl(archive, clock)
    assert [i.kind for i in crawl(archive, clock, held=7)] == ["mass_gone"]
    failing = {"column/0/url": "http://127.0.0.1:1/x.html", "column/0/outcome": "refused",
               "archive/new": 0, "pages/article": 0, "pages/list": 0}
    assert crawl(archive, clock, **failing) == []  # a column that does not answer
    quiet = {"column/0/url": "http://127.0.0.1/js/index.html", "column/0/outcome": "ok",
             "archive/rechecked": 0}
    assert crawl(archive, clock, **quiet) == []  # another column: it re-checked nothing
    assert crawl(archive, clock, held=7) == []  # the same episode
    assert [e["crawl_id"] for e in archive.events(kinds=["health"], site="gov")] == [2]


def test_interrupted_crawls_are_not_judged():
    crawls = [{"id": 2, "finished_at": "2026-01-01T00:00:00+00:00", "outcome": "interrupted",
               "stats": {"archive/gone_held": 5, "archive/rechecked": 5}}]
    assert evaluate(crawls) == []


def test_detail_says_when_nothing_else_answered():
    detail = mass_gone_detail({"archive/gone_held": 2, "archive/rechecked": 2})
    assert detail == ("2 of 2 re-checked articles answered 404/410 or redirected to the home page, "
                      "and no list page or article answered; nothing marked withdrawn — check the site")
