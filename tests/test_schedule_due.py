"""Interval parsing, due computation and exponential back-off (fake clock)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from helpers_watch import Clock, MemoryArchive, crawl_stats, load_schedules

from archive.timeutil import IntervalError, format_interval, parse_interval
from crawler.service.bookkeeping import after_crawl
from crawler.service.schedule import (
    SiteSchedule,
    backoff_delay,
    due_sites,
    next_due,
    record_outcome,
)
from crawler.sites import UnknownSite


def is_due(archive, site, *, now):
    return site in due_sites(archive, [site], now=now)


@pytest.mark.parametrize(("text", "seconds"), [
    ("30m", 1800), ("6h", 21600), ("1d", 86400), ("1h30m", 5400), ("90s", 90),
    ("2w", 14 * 86400), ("45", 45), (" 6H ", 21600), (120, 120),
])
def test_parse_interval(text, seconds):
    assert parse_interval(text) == timedelta(seconds=seconds)


@pytest.mark.parametrize("text", ["", "6x", "h", "0m", "-5m", "6h and then some", "1.5.2h"])
def test_parse_interval_rejects_nonsense(text):
    with pytest.raises(IntervalError, match="invalid interval"):
        parse_interval(text)


def test_format_interval_round_trips():
    for text in ("30m", "6h", "1d", "1d6h", "1h30m"):
        assert format_interval(parse_interval(text)) == text


def test_never_crawled_site_is_due_first():
    archive, clock = MemoryArchive(), Clock()
    old, fresh, never = (SiteSchedule(n, parse_interval("1h")) for n in ("old", "fresh", "never"))
    for site, ago in ((old, 5), (fresh, 0.5)):
        cid = archive.start_crawl(site.name, now=clock.now - timedelta(hours=ago))
        archive.finish_crawl(cid, "finished", crawl_stats(), now=clock.now - timedelta(hours=ago))
    assert next_due(archive, never) is None
    assert [s.name for s in due_sites(archive, [fresh, old, never], now=clock())] == ["never", "old"]
    assert not is_due(archive, fresh, now=clock())
    assert is_due(archive, fresh, now=clock.advance(minutes=30))


def test_backoff_delay_doubles_and_is_capped():
    every = parse_interval("30m")
    delays = [backoff_delay(n, every, max_backoff=timedelta(hours=4)) for n in range(7)]
    assert [format_interval(d) for d in delays] == ["0s", "30m", "1h", "2h", "4h", "4h", "4h"]
    # a site crawled less often than the cap is never pushed below its interval
    assert backoff_delay(1, timedelta(days=3)) == timedelta(days=3)
    assert backoff_delay(5, timedelta(days=3)) == timedelta(days=3)


def test_failures_back_off_and_success_resets():
    archive, clock = MemoryArchive(), Clock()
    site = SiteSchedule("flaky", parse_interval("1h"))
    waits = []
    for _ in range(4):
        result = record_outcome(archive, site, "failed", now=clock())
        waits.append(next_due(archive, site) - clock())
        clock.now = next_due(archive, site)
    assert [format_interval(w) for w in waits] == ["1h", "2h", "4h", "8h"]
    assert result.failures == 4
    record_outcome(archive, site, "finished", now=clock())
    state = archive.site_state("flaky")
    assert state["failures"] == 0 and state["backoff_until"] is None


def test_interrupted_crawl_neither_fails_nor_resets():
    archive, clock = MemoryArchive(), Clock()
    site = SiteSchedule("s", parse_interval("1h"))
    record_outcome(archive, site, "blocked", now=clock())
    record_outcome(archive, site, "interrupted", now=clock())
    assert archive.site_state("s")["failures"] == 1
    assert archive.site_state("s")["backoff_until"] is not None


def test_after_crawl_processes_each_crawl_once():
    archive, clock = MemoryArchive(), Clock()
    site = SiteSchedule("s", parse_interval("1h"))
    assert after_crawl(archive, site, now=clock()) is None  # never crawled
    cid = archive.start_crawl("s", now=clock())
    archive.finish_crawl(cid, "failed", crawl_stats(0), now=clock())
    first = after_crawl(archive, site, now=clock())
    assert first is not None and first.crawl_id == cid and first.failures == 1
    assert after_crawl(archive, site, now=clock()) is None  # crawl and watch may both call it
    assert archive.site_state("s")["failures"] == 1


def test_load_schedules_reads_every_and_alerts(tmp_path, monkeypatch):
    monkeypatch.delenv("GOV_ARCHIVE_SITES", raising=False)
    (tmp_path / "a.toml").write_text(
        'name = "alpha"\nevery = "30m"\nstart_urls = ["http://a.example/tzgg/"]\n'
        '[alerts]\nwebhook = "http://127.0.0.1:9/h"\n', encoding="utf-8")
    (tmp_path / "b.toml").write_text(
        'name = "beta"\nstart_urls = ["http://b.example/"]\n', encoding="utf-8")
    alpha, beta = load_schedules(tmp_path, names=["alpha", "beta"])
    assert (alpha.name, alpha.every, alpha.webhook) == ("alpha", timedelta(minutes=30), "http://127.0.0.1:9/h")
    assert (beta.name, beta.every, beta.webhook) == ("beta", timedelta(hours=6), None)
    assert {"alpha", "beta"} <= {s.name for s in load_schedules(tmp_path)}
    with pytest.raises(UnknownSite, match="'nope'"):
        load_schedules(tmp_path, names=["alpha", "nope"])


def test_an_interrupted_crawl_leaves_the_site_due():
    archive, clock = MemoryArchive(), Clock()
    site = SiteSchedule("s", parse_interval("6h"))
    done = archive.start_crawl("s", now=clock())
    archive.finish_crawl(done, "finished", crawl_stats(), now=clock())
    clock.advance(hours=6)
    stopped = archive.start_crawl("s", now=clock())
    archive.finish_crawl(stopped, "interrupted", {}, now=clock.advance(minutes=1))
    assert is_due(archive, site, now=clock())  # resume now, not in 6 hours
    archive.finish_crawl(archive.start_crawl("s", now=clock()), "partial", crawl_stats(), now=clock())
    assert not is_due(archive, site, now=clock.advance(hours=5))
