"""Withdrawals are held until the crawl closes: a site where every known article answers 404
or redirects home (a CMS migration, a maintenance page) marks nothing gone and raises a
``mass_gone`` health event; a plausible handful is marked gone as before."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from helpers_crawl import (
    FixtureServer,
    article_path,
    build_trs_site,
    make_spider,
    run_crawl,
    summary,
    totals,
)

from archive import Archive
from crawler.items import Withdrawn
from crawler.outcome import assess
from crawler.pipelines import ArchivePipeline, withdrawals_plausible

SITE = "127.0.0.1"
N = 10
COLUMN = "/tzgg/index.html"


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[FixtureServer, Path]]:
    """One served site and an archive of its first crawl (copied by each test)."""
    pages = build_trs_site(N, 5)
    server = FixtureServer(dict(pages))
    template = tmp_path_factory.mktemp("withdrawals") / "first.db"
    try:
        first = run_crawl(template, "--url", server.url(COLUMN))
        assert first.returncode == 0, first.stderr[-2000:]
        assert totals(first)["archive/new"] == N
        server.pristine = dict(server.pages)  # type: ignore[attr-defined]
        yield server, template
    finally:
        server.close()


@pytest.fixture
def srv_db(site: tuple[FixtureServer, Path], tmp_path: Path) -> tuple[FixtureServer, Path]:
    server, template = site
    server.pages.clear()
    server.pages.update(server.pristine)  # type: ignore[attr-defined]
    db = tmp_path / "a.db"
    with sqlite3.connect(template) as src, sqlite3.connect(db) as dst:
        src.backup(dst)
    return server, db


def documents(db: Path) -> dict[str, dict[str, Any]]:
    with Archive(db) as a:
        return {d["url"]: a.document(d["id"]) for d in a.known_documents(SITE)}


def events(db: Path, kinds: list[str]) -> list[dict[str, Any]]:
    with Archive(db) as a:
        return a.events(kinds=kinds, site=SITE)


def withdraw(server: FixtureServer, n: int, how: str) -> None:
    if how == "404":
        del server.pages[article_path(n)]
    else:  # a redirect to the home page
        server.pages[article_path(n)] = (302, {"Location": "/"}, b"")


@pytest.mark.parametrize("how", ["404", "home"])
def test_every_known_article_withdrawn_marks_nothing_and_raises_mass_gone(
        srv_db: tuple[FixtureServer, Path], how: str) -> None:
    server, db = srv_db
    before = documents(db)
    for n in range(1, N + 1):
        withdraw(server, n, how)
    proc = run_crawl(db, "--url", server.url(COLUMN), "--full")
    assert proc.returncode == 1, proc.stderr[-2000:]  # unhealthy: the site is probably broken
    result = summary(proc)["sites"][0]
    stats = result["stats"]
    assert stats["archive/gone_held"] == N and stats["archive/rechecked"] == N
    assert not stats.get("archive/gone")
    assert result["outcome"] == "finished" and not result["healthy"]
    assert any("nothing marked withdrawn" in p for p in result["problems"])
    assert events(db, ["gone"]) == []
    after = documents(db)
    assert {d["status"] for d in after.values()} == {"live"}
    # nothing written: every document keeps its last check, so it stays due for the next one
    assert {u: d["last_checked"] for u, d in after.items()} == \
           {u: d["last_checked"] for u, d in before.items()}
    health = events(db, ["health"])
    assert len(health) == 1
    assert health[0]["health_kind"] == "mass_gone"
    assert health[0]["detail"].startswith(f"{N} of {N} re-checked articles answered 404/410 or "
                                          "redirected to the home page")
    assert "nothing marked withdrawn" in health[0]["detail"]
    with Archive(db) as a:
        crawl = a.crawls(site=SITE, limit=1)[0]
    assert crawl["outcome"] == "finished" and crawl["stats"]["archive/gone_held"] == N

    if how == "404":  # the user checked the site: accept the mass withdrawal explicitly
        accept = run_crawl(db, "--url", server.url(COLUMN), "--full", "-s", "GONE_MAX_SHARE=1")
        assert accept.returncode == 0, accept.stderr[-2000:]
        assert totals(accept)["archive/gone"] == N
        assert len(events(db, ["gone"])) == N


@pytest.mark.parametrize("how", ["404", "home"])
def test_one_of_many_withdrawn_is_marked_gone(srv_db: tuple[FixtureServer, Path], how: str) -> None:
    server, db = srv_db
    withdraw(server, 4, how)
    proc = run_crawl(db, "--url", server.url(COLUMN), "--full")
    assert proc.returncode == 0, proc.stderr[-2000:]
    stats = summary(proc)["sites"][0]["stats"]
    assert stats["archive/gone"] == 1 and not stats.get("archive/gone_held")
    assert stats["archive/rechecked"] == N
    gone = [u for u, d in documents(db).items() if d["status"] == "gone"]
    assert gone == [server.url(article_path(4))]
    assert [e["url"] for e in events(db, ["gone"])] == gone
    assert events(db, ["health"]) == []


def test_whole_site_gone_small_site_is_held(tmp_path: Path) -> None:
    """List pages 404 too (the CMS moved everything): even 2 withdrawals are not believed."""
    server = FixtureServer(build_trs_site(2, 5))
    db = tmp_path / "small.db"
    try:
        assert run_crawl(db, "--url", server.url(COLUMN)).returncode == 0
        server.pages = {"/robots.txt": server.pages["/robots.txt"]}  # everything else 404
        proc = run_crawl(db, "--url", server.url(COLUMN), "--full")
    finally:
        server.close()
    assert proc.returncode == 1
    result = summary(proc)["sites"][0]
    assert result["outcome"] == "failed"  # 404s alone are not a useful answer
    assert result["stats"]["archive/gone_held"] == 2
    assert events(db, ["gone"]) == []
    health = {e["health_kind"]: e["detail"] for e in events(db, ["health"])}
    assert set(health) == {"mass_gone", "column"}  # and the column that answers 404 too
    assert "no list page or article answered" in health["mass_gone"]
    assert health["column"] == f"column {server.url(COLUMN)}: HTTP 404"


# ---------------------------------------------------------------- the rule, without crawling


@pytest.mark.parametrize(
    ("held", "rechecked", "answered", "plausible"),
    [
        (0, 0, False, True),
        (1, 27, True, True),  # the demo's --full re-crawl
        (2, 2, True, True),  # fewer than GONE_MIN_COUNT: believed whatever the share
        (3, 3, True, False),
        (2, 9, True, True),
        (3, 10, True, False),  # 30% is not fewer than 30%
        (29, 100, True, True),
        (30, 100, True, False),
        (412, 430, True, False),
        (1, 1, False, False),  # nothing but withdrawals answered
    ],
)
def test_withdrawals_plausible(held: int, rechecked: int, answered: bool, plausible: bool) -> None:
    assert withdrawals_plausible(held, rechecked, site_answered=answered) is plausible


def test_share_of_one_accepts_any_number() -> None:
    assert withdrawals_plausible(50, 50, max_share=1.0)
    assert not withdrawals_plausible(5, 50, max_share=0.0, min_count=5)


def test_assess_held_withdrawals_are_unhealthy() -> None:
    stats = {"finish_reason": "finished", "pages/list": 2, "archive/not_modified": 1,
             "archive/gone_held": 9, "archive/rechecked": 10}
    health = assess(stats)
    assert (health.outcome, health.healthy) == ("finished", False)
    assert health.problems == [("9 of 10 re-checked articles answered 404/410 or redirected to "
                                "the home page; nothing marked withdrawn — check the site")]
    only_404 = {"finish_reason": "finished", "pages/notfound": 5, "pages/error": 1}
    assert (assess(only_404).outcome, assess(only_404).healthy) == ("failed", False)


# ---------------------------------------------------------------- a crawl killed before closing


def test_held_withdrawals_of_a_killed_crawl_are_not_written_and_stay_due(tmp_path: Path) -> None:
    db = tmp_path / "a.db"
    urls = [f"http://www.example.gov.cn/tzgg/202401/t20240101_{i}.html" for i in range(3)]
    old = datetime.now(UTC) - timedelta(days=30)
    with Archive(db, create=True) as a:
        cid = a.start_crawl("city", now=old)
        for url in urls:
            a.save("city", {"url": url, "title": url, "published": "2024-01-01", "body": "正文",
                            "metadata": {}, "attachments": []}, crawl_id=cid, now=old)
        before = {d["url"]: d["last_checked"] for d in a.known_documents("city")}
    spider, crawler = make_spider(tmp_path, {"REVISIT_INTERVAL": "7d"})
    pipeline = ArchivePipeline(crawler, str(db))
    pipeline.archive = pipeline.run(Archive, str(db))  # owned by the archive thread
    pipeline.crawl_id = pipeline.run(pipeline.archive.start_crawl, "city")

    async def crawl_then_die() -> None:
        await pipeline.known_documents()
        for url in urls:
            await pipeline.process_item(Withdrawn("city", url, 404, "http_404"))

    try:
        asyncio.run(crawl_then_die())
    finally:  # killed: spider_closed never runs, settle_withdrawals never writes
        pipeline.run(pipeline.archive.close)
        pipeline._thread.shutdown()
    with Archive(db) as a:
        docs = a.known_documents("city")
        assert {d["status"] for d in docs} == {"live"}
        assert {d["url"]: d["last_checked"] for d in docs} == before
        assert a.events(kinds=["gone"]) == []
        spider._known = {d["url"]: d for d in docs}
    assert sorted(d["url"] for d in spider._due_revisits()) == sorted(before)


def test_settle_writes_plausible_withdrawals_at_close(tmp_path: Path) -> None:
    db = tmp_path / "a.db"
    urls = [f"http://www.example.gov.cn/tzgg/202401/t20240101_{i}.html" for i in range(10)]
    with Archive(db, create=True) as a:
        cid = a.start_crawl("city")
        for url in urls:
            a.save("city", {"url": url, "title": url, "published": "2024-01-01", "body": "正文",
                            "metadata": {}, "attachments": []}, crawl_id=cid)
    _spider, crawler = make_spider(tmp_path)
    pipeline = ArchivePipeline(crawler, str(db))
    pipeline.archive = pipeline.run(Archive, str(db))  # owned by the archive thread
    pipeline.crawl_id = pipeline.run(pipeline.archive.start_crawl, "city")
    crawler.stats.set_value("pages/list", 1)
    crawler.stats.set_value("archive/rechecked", 8)  # 8 answered unchanged

    async def feed() -> None:
        await pipeline.known_documents()
        for url in urls[:2]:
            await pipeline.process_item(Withdrawn("city", url, 404, "http_404"))

    try:
        asyncio.run(feed())
        with Archive(db) as a:
            assert a.events(kinds=["gone"]) == []  # held until the close
        pipeline.settle_withdrawals("finished")
    finally:
        pipeline.run(pipeline.archive.close)
        pipeline._thread.shutdown()
    assert crawler.stats.get_value("archive/gone") == 2
    assert crawler.stats.get_value("archive/rechecked") == 10
    with Archive(db) as a:
        assert sorted(e["url"] for e in a.events(kinds=["gone"])) == sorted(urls[:2])


def test_gone_documents_do_not_crowd_live_ones_out_of_revisits(tmp_path: Path) -> None:
    spider, _ = make_spider(tmp_path, {"REVISIT_MAX": "2", "REVISIT_INTERVAL": "1d"})
    docs = [{"url": f"http://www.example.gov.cn/g{i}.html", "status": "gone",
             "last_checked": f"2024-01-0{i + 1}T00:00:00+00:00"} for i in range(3)]
    docs += [{"url": f"http://www.example.gov.cn/l{i}.html", "status": "live",
              "last_checked": f"2025-01-0{i + 1}T00:00:00+00:00"} for i in range(3)]
    spider._known = {d["url"]: d for d in docs}
    assert [d["url"] for d in spider._due_revisits()] == [
        "http://www.example.gov.cn/l0.html", "http://www.example.gov.cn/l1.html"]
