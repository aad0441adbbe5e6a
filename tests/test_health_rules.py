"""Health rules: N empty crawls, a redesign that breaks extraction, anti-bot answers."""

from __future__ import annotations

import pytest
from helpers_watch import Clock, MemoryArchive, crawl_stats

from archive import Archive
from archive.timeutil import parse_interval
from crawler.service.bookkeeping import after_crawl
from crawler.service.health import HealthConfig, evaluate, format_health, health_rows, is_blocked
from crawler.service.schedule import SiteSchedule


def book(archive, site, *, now, config=None):
    """The health issues the bookkeeping after a crawl raises (recorded as events)."""
    result = after_crawl(archive, SiteSchedule(site), now=now, health_config=config)
    return list(result.health) if result else []


@pytest.fixture(params=["memory", "sqlite"])
def archive(request, tmp_path):
    """The rules run against the in-memory stand-in and the real archive alike."""
    if request.param == "memory":
        yield MemoryArchive()
    else:
        with Archive(tmp_path / "gov.db", create=True) as real:
            yield real


def crawl(archive, clock, site, outcome="finished", **stats):
    cid = archive.start_crawl(site, now=clock())
    archive.finish_crawl(cid, outcome, crawl_stats(**stats), now=clock.advance(minutes=5))
    clock.advance(hours=6)
    return book(archive, site, now=clock())


def kinds(issues):
    return [i.kind for i in issues]


def test_redesign_raises_one_extraction_event(archive):
    clock = Clock()
    for _ in range(3):
        assert crawl(archive, clock, "gov", articles=20) == []
    # the site changes its layout: titles and dates vanish on most pages
    issues = crawl(archive, clock, "gov", articles=20, missing_title=18, missing_date=20)
    assert kinds(issues) == ["extraction"]
    assert "titles missing on 90%" in issues[0].detail and "dates missing on 100%" in issues[0].detail
    assert "bodys" not in issues[0].detail
    # still broken next time: no second alert
    assert crawl(archive, clock, "gov", articles=20, missing_title=18, missing_date=20) == []
    health = archive.events(kinds=["health"], site="gov")
    assert len(health) == 1 and health[0]["crawl_id"] == 4


def test_pages_classified_empty_count_as_missing_everything(archive):
    clock = Clock()
    crawl(archive, clock, "gov", articles=10)
    issues = crawl(archive, clock, "gov", articles=1, new=0, empty=9)
    assert kinds(issues) == ["extraction"]


def test_site_that_never_had_dates_is_not_a_redesign(archive):
    clock = Clock()
    crawl(archive, clock, "nodates", articles=10, missing_date=10)
    assert crawl(archive, clock, "nodates", articles=10, missing_date=10) == []


def test_small_incremental_crawls_are_not_judged(archive):
    clock = Clock()
    crawl(archive, clock, "gov", articles=10)
    assert crawl(archive, clock, "gov", articles=2, missing_title=2) == []


def test_n_empty_crawls_in_a_row_raise_once(archive):
    clock = Clock()
    crawl(archive, clock, "quiet", articles=5)
    config = HealthConfig(empty_runs=3)
    results = []
    for _ in range(5):
        cid = archive.start_crawl("quiet", now=clock())
        archive.finish_crawl(cid, "finished", crawl_stats(0), now=clock())
        results.append(kinds(book(archive, "quiet", config=config, now=clock())))
    assert results == [[], [], ["empty"], [], []]


def test_empty_runs_is_configurable():
    crawls = [{"id": i, "finished_at": "x", "outcome": "failed", "stats": {}} for i in (2, 1)]
    assert kinds(evaluate(crawls, HealthConfig(empty_runs=2))) == ["empty"]
    assert evaluate(crawls, HealthConfig(empty_runs=3)) == []


def test_interrupted_and_running_crawls_are_ignored():
    done = {"id": 1, "finished_at": "x", "outcome": "finished", "stats": crawl_stats(0)}
    stopped = {"id": 2, "finished_at": "x", "outcome": "interrupted", "stats": {}}
    running = {"id": 3, "finished_at": None, "outcome": None, "stats": {}}
    # The booked crawl (the newest finished) was stopped: nothing to raise; `done`'s issue was
    # raised when `done` was booked.
    assert evaluate([running, stopped, done], HealthConfig(empty_runs=1)) == []
    assert evaluate([running, stopped], HealthConfig(empty_runs=1)) == []
    # A stopped crawl neither counts in nor breaks a streak.
    again = {**done, "id": 4}
    assert kinds(evaluate([running, again, stopped, done], HealthConfig(empty_runs=2))) == ["empty"]


def test_antibot_answers_raise_blocked_when_they_start(archive):
    clock = Clock()
    crawl(archive, clock, "waf", articles=10)
    assert "blocked" in kinds(crawl(archive, clock, "waf", articles=0, antibot=8))
    assert "blocked" not in kinds(crawl(archive, clock, "waf", articles=0, antibot=8))
    assert kinds(crawl(archive, clock, "waf", outcome="blocked", articles=0)) == []


def test_after_crawl_records_health_and_backoff_together(archive):
    clock = Clock()
    site = SiteSchedule("waf", parse_interval("1h"))
    cid = archive.start_crawl("waf", now=clock())
    archive.finish_crawl(cid, "blocked", crawl_stats(0, antibot=3), now=clock())
    result = after_crawl(archive, site, now=clock())
    assert result.failures == 1 and kinds(result.health) == ["blocked"]
    assert after_crawl(archive, site, now=clock()) is None
    assert len(archive.events(kinds=["health"])) == 1


def test_health_rows_and_table(archive):
    clock = Clock()
    sites = [SiteSchedule(n, parse_interval("1h")) for n in ("good", "broken", "new")]
    crawl(archive, clock, "good", articles=4)
    cid = archive.start_crawl("broken", now=clock())
    archive.finish_crawl(cid, "blocked", crawl_stats(0, antibot=2), now=clock())
    after_crawl(archive, sites[1], now=clock())
    rows = {r["site"]: r for r in health_rows(archive, sites, now=clock())}
    assert rows["good"]["health"] == "ok" and rows["good"]["announcements"] == 4
    assert rows["broken"]["health"] == "failing (blocked)" and rows["broken"]["failures"] == 1
    assert rows["new"]["health"] == "never crawled" and rows["new"]["due"]
    text = format_health(list(rows.values()))
    assert text.splitlines()[0].split() == ["SITE", "HEALTH", "LAST", "CRAWL", "OUTCOME", "FOUND", "NEXT", "DUE"]
    assert "broken:" in text and "anti-bot" in text


def test_empty_runs_from_the_environment():
    assert HealthConfig.from_env({"GOV_ARCHIVE_EMPTY_RUNS": "5"}).empty_runs == 5
    assert HealthConfig.from_env({"GOV_ARCHIVE_EMPTY_RUNS": "zero"}).empty_runs == 3
    assert HealthConfig.from_env({}).empty_runs == 3


def recrawl_stats(*, not_modified: int, antibot: int, same_bytes: int = 0) -> dict[str, int]:
    """An unchanged re-crawl: 304s and identical bytes, a list page, no article extracted."""
    return {"archive/not_modified": not_modified, "archive/unchanged": same_bytes,
            "archive/same_bytes": same_bytes, "pages/list": 1, "pages/antibot": antibot}


def test_one_antibot_page_in_an_unchanged_recrawl_is_not_blocked(archive):
    clock = Clock()
    crawl(archive, clock, "gov", articles=40)
    cid = archive.start_crawl("gov", now=clock())
    archive.finish_crawl(cid, "finished", recrawl_stats(not_modified=30, same_bytes=9, antibot=1),
                         now=clock())
    assert book(archive, "gov", now=clock()) == []
    assert not is_blocked({"outcome": "finished", "stats": recrawl_stats(not_modified=40, antibot=1)})


def test_antibot_pages_that_are_most_answers_block_even_with_304s(archive):
    clock = Clock()
    crawl(archive, clock, "waf", articles=40)
    cid = archive.start_crawl("waf", now=clock())
    archive.finish_crawl(cid, "finished", recrawl_stats(not_modified=3, antibot=8), now=clock())
    assert kinds(book(archive, "waf", now=clock())) == ["blocked"]
    assert is_blocked({"outcome": "finished", "stats": recrawl_stats(not_modified=1, antibot=2)})


def test_blocked_outcome_alone_is_blocked():
    assert is_blocked({"outcome": "blocked", "stats": {}})
    assert not is_blocked({"outcome": "finished", "stats": {"pages/failed": 9}})
