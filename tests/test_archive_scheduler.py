from __future__ import annotations

import pytest
from helpers_archive import at, record, record_health

from archive import Archive


@pytest.fixture
def archive(tmp_path):
    with Archive(tmp_path / "a.db", create=True) as a:
        crawl = a.start_crawl("example", now=at(0))
        a.save("example", record(1), crawl_id=crawl, now=at(1))
        a.save("example", record(2), crawl_id=crawl, now=at(2))
        yield a


def test_pending_until_delivered(archive):
    assert [e["document_id"] for e in archive.pending_deliveries("feed")] == [1, 2]
    archive.mark_delivered("feed", [1], now=at(3))
    assert [e["document_id"] for e in archive.pending_deliveries("feed")] == [2]
    assert len(archive.pending_deliveries("webhook:x")) == 2


def test_mark_delivered_is_idempotent(archive):
    archive.mark_delivered("feed", [1, 2])
    archive.mark_delivered("feed", [1, 2])
    assert archive.pending_deliveries("feed") == []


def test_health_event(archive):
    event_id = record_health(archive, "example", "blocked", "all requests returned 403", now=at(5))
    (event,) = archive.events(kinds=["health"])
    assert (event["id"], event["health_kind"], event["detail"], event["url"]) == (
        event_id, "blocked", "all requests returned 403", None)


def test_site_state_defaults_and_updates(archive):
    assert archive.site_state("example")["failures"] == 0
    archive.set_site_state("example", failures=2, backoff_until="2026-11-02T00:00:00+00:00",
                           last_outcome="failed", streak_note="x")
    state = archive.site_state("example")
    assert (state["failures"], state["last_outcome"], state["streak_note"]) == (2, "failed", "x")
    archive.set_site_state("example", failures=0)
    assert archive.site_state("example")["backoff_until"] == "2026-11-02T00:00:00+00:00"


def test_pending_since_and_limit(archive):
    assert [e["document_id"] for e in archive.pending_deliveries("feed", since=at(2))] == [2]
    assert len(archive.pending_deliveries("feed", limit=1)) == 1


def test_health_events_and_site_state_in_one_transaction(archive, monkeypatch):
    crawl = archive.crawls()[0]["id"]
    ids = archive.record_site_outcome(
        "example", {"failures": 1, "last_crawl_id": crawl, "note": "x"},
        health=[("blocked", "403 everywhere", crawl), ("empty", "nothing found", crawl)], now=at(6))
    events = archive.events(kinds=["health"])
    assert [e["id"] for e in events] == ids and [e["health_kind"] for e in events] == ["blocked", "empty"]
    assert {e["crawl_id"] for e in events} == {crawl}
    state = archive.site_state("example")
    assert (state["failures"], state["last_crawl_id"], state["note"]) == (1, crawl, "x")

    def crash(*args, **kwargs):
        raise RuntimeError("power cut")

    monkeypatch.setattr(type(archive), "_update_site_state", crash)
    with pytest.raises(RuntimeError):
        archive.record_site_outcome("example", {"failures": 2}, health=[("blocked", "again", crawl)])
    # neither half stayed: no health event without its state
    assert len(archive.events(kinds=["health"])) == 2
    assert archive.site_state("example")["failures"] == 1
