"""A quiet healthy site (list pages show only known items) never raises the "empty" alert."""

from __future__ import annotations

from crawler.service.health import HealthConfig, evaluate, is_empty

QUIET = {"list/items": 11, "list/stopped_known": 2, "pages/list": 2, "finish_reason": "finished"}


def _crawls(stats, n=5):
    return [{"id": i, "finished_at": "x", "outcome": "finished", "stats": dict(stats)}
            for i in range(n, 0, -1)]


def test_known_list_items_are_not_an_empty_crawl():
    assert not is_empty(QUIET)
    assert evaluate(_crawls(QUIET), HealthConfig(empty_runs=3)) == []


def test_list_pages_without_items_and_no_articles_are_empty():
    dead = {"pages/list": 2, "list/no_items": 2, "finish_reason": "finished"}
    assert is_empty(dead)
    issues = evaluate(_crawls(dead, 3), HealthConfig(empty_runs=3))
    assert [i.kind for i in issues] == ["empty"]
