"""Webhook delivery: retried, never twice, never lost while the receiver is down."""

from __future__ import annotations

from helpers_archive import record_health
from helpers_watch import MemoryArchive, receiver

from archive import Archive
from archive.urls import redact_url
from crawler.service.alerts import Sink, deliver, deliver_all, sink_name, sinks_for
from crawler.service.schedule import SiteSchedule


def no_sleep(seconds: float) -> None:
    pass


def test_fails_then_succeeds_each_event_delivered_exactly_once(tmp_path):
    archive = MemoryArchive()
    first = [archive.add_event("gov", kind) for kind in ("new", "changed", "gone")]
    db = tmp_path / "a.db"
    # the receiver is down for a whole run (3 attempts) and the first try of the next run
    with receiver([500, 500, 500, 503]) as hook:
        sink = Sink(hook.url)
        down = deliver(archive, db, sink, sleep=no_sleep)
        assert not down.ok and down.delivered == 0 and down.pending == 3
        assert "HTTP 500" in down.error and hook.requests == []
        later = archive.add_event("gov", "restored")
        up = deliver(archive, db, sink, sleep=no_sleep)  # next run: retried, then accepted
        assert up.ok and up.delivered == 4
        again = deliver(archive, db, sink, sleep=no_sleep)
        assert again.ok and again.delivered == 0
        assert hook.event_ids == [*first, later]
        assert hook.attempts == 5
        assert hook.requests[0]["source"] == "gov-archive"
        assert "secret-token" not in hook.requests[0]["sink"]


def test_retries_wait_exponentially_within_a_run(tmp_path):
    archive = MemoryArchive()
    archive.add_event("gov")
    waits: list[float] = []
    with receiver([500, 500]) as hook:
        result = deliver(archive, tmp_path / "a.db", Sink(hook.url), backoff=0.5, sleep=waits.append)
    assert result.ok and waits == [0.5, 1.0]


def test_unreachable_receiver_keeps_events(tmp_path):
    archive = MemoryArchive()
    archive.add_event("gov")
    with receiver() as hook:
        url = hook.url
    result = deliver(archive, tmp_path / "a.db", Sink(url), retries=2, sleep=no_sleep, timeout=2)
    assert not result.ok and "unreachable" in result.error
    assert len(archive.pending_deliveries(sink_name(url))) == 1


def test_batches_stop_at_the_first_failure_and_keep_order(tmp_path):
    archive = MemoryArchive()
    ids = [archive.add_event("gov") for _ in range(5)]
    with receiver([200, 500, 500]) as hook:
        partial = deliver(archive, tmp_path / "a.db", Sink(hook.url), batch_size=2, retries=2,
                          sleep=no_sleep)
        assert (partial.delivered, partial.pending) == (2, 3)
        rest = deliver(archive, tmp_path / "a.db", Sink(hook.url), batch_size=2, sleep=no_sleep)
        assert rest.delivered == 3
        assert hook.event_ids == ids


def test_site_sinks_get_their_site_and_kinds_only(tmp_path):
    archive = MemoryArchive()
    archive.add_event("a", "new")
    archive.add_event("b", "new")
    archive.add_event("a", "health")
    with receiver() as global_hook, receiver() as site_hook:
        sites = [SiteSchedule("a", webhook=site_hook.url, alert_kinds=("new",)), SiteSchedule("b")]
        sinks = sinks_for([global_hook.url, global_hook.url], sites)
        assert len(sinks) == 2
        results = deliver_all(archive, tmp_path / "a.db", sinks, sleep=no_sleep)
        assert [r.delivered for r in results] == [3, 1]
        assert [e["site"] for r in site_hook.requests for e in r["events"]] == ["a"]


def test_a_failing_sink_does_not_stop_the_others(tmp_path):
    archive = MemoryArchive()
    archive.add_event("gov")
    with receiver([500] * 10) as bad, receiver() as good:
        results = deliver_all(archive, tmp_path / "a.db", [Sink(bad.url), Sink(good.url)],
                              sleep=no_sleep)
        assert [r.ok for r in results] == [False, True]
        assert len(good.event_ids) == 1


def test_redact_hides_tokens():
    assert redact_url("https://hooks.example/services/T0/B0/xyz?token=1") == "https://hooks.example/…"
    assert redact_url("http://user:pw@host:8080/") == "http://host:8080"


def test_delivery_state_lives_in_the_archive_file(tmp_path):
    db = tmp_path / "gov.db"
    with Archive(db, create=True) as archive:
        crawl_id = archive.start_crawl("gov")
        archive.save("gov", {"url": "http://gov.example/a/1.html", "title": "通知", "published": "2026-11-01",
                             "body": "正文", "metadata": {}, "attachments": []}, crawl_id=crawl_id)
        record_health(archive, "gov", "empty", "3 crawls in a row found nothing", crawl_id=crawl_id)
    with receiver([500, 500, 500]) as hook:
        for expected in (0, 2, 0):  # three runs, each a new process in real life
            with Archive(db) as archive:
                assert deliver(archive, db, Sink(hook.url), sleep=no_sleep).delivered == expected
        events = [e for r in hook.requests for e in r["events"]]
        assert [e["kind"] for e in events] == ["new", "health"]
        assert events[0]["title"] == "通知" and events[1]["detail"].startswith("3 crawls")


def test_a_redirect_is_not_a_delivery(tmp_path):
    archive = MemoryArchive()
    archive.add_event("gov")
    with receiver([302]) as hook:
        result = deliver(archive, tmp_path / "a.db", Sink(hook.url), retries=1, sleep=no_sleep)
        assert not result.ok and result.error == "HTTP 302"
        assert hook.gets == 0 and result.pending == 1
