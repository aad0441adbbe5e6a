"""Columns have their own schedule: a crawl walks the due columns only, a failing column backs
off alone, and its failure is booked to it, not to its site (fake clock, real archive)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from helpers_watch import Clock

from archive import Archive
from crawler.outcome import column_stat
from crawler.service.bookkeeping import after_crawl
from crawler.service.schedule import schedule_for, select_due
from crawler.sites import Column, columns_site

A = "http://www.example.gov.cn/tzgg/index.html"
B = "http://www.example.gov.cn/zcwj/index.html"
C = "http://www.example.gov.cn/new/index.html"


@pytest.fixture
def db(tmp_path):
    return tmp_path / "gov.db"


def site(*urls: str):
    return columns_site("city", [Column(url) for url in urls], every=timedelta(hours=1))


def crawl(db, clock, outcomes: dict[str, str], *, crawl_outcome="finished", revisits=0):
    """One crawl of `city` walking the columns in `outcomes` (URL -> column outcome), booked."""
    with Archive(db, create=True) as archive:
        urls = list(outcomes)
        ids = archive.ensure_columns("city", [(url, None) for url in urls])
        crawl_id = archive.start_crawl("city", now=clock())
        stats = {"crawl/revisits": revisits, "pages/list": 1}
        for i, url in enumerate(urls):
            stats[column_stat(i, "url")] = url
            stats[column_stat(i, "outcome")] = outcomes[url]
        rows = [{"column_id": ids[i], "outcome": outcomes[url], "detail": "HTTP 404"
                 if outcomes[url] == "http_404" else None} for i, url in enumerate(urls)]
        archive.finish_crawl(crawl_id, crawl_outcome, stats, columns=rows, now=clock())
        return after_crawl(archive, schedule_for(site(*urls)), now=clock())


def due_urls(db, definition, clock):
    picked = select_due(db, [definition], now=clock())
    return [c.url for c in picked[0].columns] if picked else []


def test_a_crawl_walks_only_the_due_columns(db):
    clock = Clock()
    crawl(db, clock, {A: "ok", B: "ok"})
    assert due_urls(db, site(A, B), clock) == []
    assert due_urls(db, site(A, B, C), clock) == [C]  # a column added now: due at once
    clock.advance(hours=1)
    assert due_urls(db, site(A, B, C), clock) == [A, B, C]


def test_a_failing_column_backs_off_alone(db):
    clock = Clock()  # 08:00
    crawl(db, clock, {A: "ok"})
    clock.advance(minutes=5)
    result = crawl(db, clock, {B: "http_404"}, crawl_outcome="failed")
    assert result.failures == 0 and result.backoff_until is None  # not the site's failure
    assert [i.kind for i in result.health] == ["column"]
    assert result.health[0].detail == f"column {B}: HTTP 404"
    clock.advance(minutes=55)  # 09:00
    assert due_urls(db, site(A, B), clock) == [A]  # B: one interval after its own crawl
    crawl(db, clock, {A: "ok"})
    clock.advance(minutes=5)  # 09:05
    assert due_urls(db, site(A, B), clock) == [B]
    second = crawl(db, clock, {B: "http_404"}, crawl_outcome="failed")
    assert second.health == ()  # raised when it started, not again
    clock.advance(hours=1)  # 10:05
    assert due_urls(db, site(A, B), clock) == [A]  # B backs off: two intervals now
    with Archive(db) as archive:
        assert [c["failures"] for c in archive.columns("city")] == [0, 2]
        assert archive.site_state("city")["failures"] == 0
        assert [e["health_kind"] for e in archive.events(kinds=["health"], site="city")] == ["column"]
    clock.advance(hours=1)  # 11:05
    crawl(db, clock, {A: "ok", B: "ok"})  # fixed: back to normal
    with Archive(db) as archive:
        assert [c["failures"] for c in archive.columns("city")] == [0, 0]


def test_a_failure_with_other_requests_is_the_sites(db):
    """Known articles were re-checked and failed too: the host, not only the column."""
    clock = Clock()
    crawl(db, clock, {A: "ok"})
    clock.advance(hours=1)
    result = crawl(db, clock, {A: "refused"}, crawl_outcome="failed", revisits=3)
    assert result.failures == 1 and result.backoff_until is not None


def test_an_interrupted_crawl_leaves_its_columns_due(db):
    clock = Clock()
    crawl(db, clock, {A: "ok", B: "interrupted"}, crawl_outcome="interrupted")
    assert due_urls(db, site(A, B), clock) == [A, B]
