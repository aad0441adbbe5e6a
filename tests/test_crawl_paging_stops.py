"""Paging always ends: a pager that repeats itself, and a default cap on list pages per column."""

from __future__ import annotations

from pathlib import Path

from helpers_crawl import build_endless_site, build_next_link_site, make_spider, run_crawl, serve, summary


def list_hits(srv, prefix: str) -> int:
    return sum(1 for _m, p, _h in srv.log if p.startswith(prefix))


def test_endless_pager_stops_when_pages_repeat_items_first_crawl_and_full(tmp_path: Path) -> None:
    db = tmp_path / "a.db"
    with serve(build_endless_site(60)) as srv:
        column = srv.url("/endless/list.jsp?page=1")
        for extra in ((), ("--full",)):  # first crawl (nothing known), then --full (all known)
            srv.log.clear()
            proc = run_crawl(db, "--url", column, *extra)
            assert proc.returncode == 0, proc.stderr[-2000:]
            stats = summary(proc)["sites"][0]["stats"]
            assert stats["list/stopped_repeat"] == 1
            assert list_hits(srv, "/endless/list.jsp") <= 3  # page 1, then two repeats
        assert stats["pages/list"] <= 3


def test_list_pages_per_column_are_capped_by_default_and_with_s(tmp_path: Path) -> None:
    db = tmp_path / "a.db"
    with serve(build_next_link_site(10, 2)) as srv:  # five list pages of distinct items
        proc = run_crawl(db, "--url", srv.url("/xwdt/list.jsp?page=1"),
                         "-s", "GOV_ARCHIVE_MAX_LIST_PAGES=3")
        assert proc.returncode == 0, proc.stderr[-2000:]
        stats = summary(proc)["sites"][0]["stats"]
        assert stats["pages/list"] == 3 and stats["list/stopped_cap"] == 1
        assert list_hits(srv, "/xwdt/list.jsp?page=4") == 0


def test_default_cap_applies_only_when_nothing_is_configured(tmp_path: Path) -> None:
    spider, _ = make_spider(tmp_path)
    assert spider._list_page_cap() == 1000
    spider, _ = make_spider(tmp_path / "b", {"MAX_LIST_PAGES": 7})
    assert spider._list_page_cap() == 7
    spider, _ = make_spider(tmp_path / "c", {"GOV_ARCHIVE_MAX_LIST_PAGES": 0})
    assert spider._list_page_cap() == 0  # explicitly no cap
