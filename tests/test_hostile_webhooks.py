"""Webhooks under slow, hanging and odd receivers: at least once, repeats identifiable, never
lost; no immediate re-send of a batch whose answer timed out; small batches and a time budget
so one slow receiver cannot starve the backlog; credentials as basic auth; no secrets stored."""

from __future__ import annotations

import base64
import sqlite3
import time
from pathlib import Path

from click.testing import CliRunner
from helpers_archive import record_health
from helpers_hostile import Hang, HostileServer
from helpers_watch import MemoryArchive, receiver

from archive import Archive
from crawler.cli import cli
from crawler.service.alerts import DEFAULT_BATCH, Sink, batch_id, deliver, sink_name


def no_sleep(seconds: float) -> None:
    pass


def test_a_slow_receiver_gets_each_batch_once_per_run_and_can_drop_the_repeat(tmp_path):
    archive = MemoryArchive()
    ids = [archive.add_event("gov") for _ in range(3)]
    with receiver() as hook:
        hook.delay = 1.5  # takes the batch, answers after the timeout
        first = deliver(archive, tmp_path / "a.db", Sink(hook.url), timeout=0.5, sleep=no_sleep)
        assert hook.attempts == 1  # not re-sent in the same run (it was 3 before)
        assert not first.ok and "may have taken the batch" in first.error
        assert first.pending == 3 and first.delivered == 0  # never lost: pending for next run
        hook.delay = 0
        second = deliver(archive, tmp_path / "a.db", Sink(hook.url), timeout=0.5, sleep=no_sleep)
        assert second.ok and second.delivered == 3
    sent, resent = hook.requests
    assert [e["id"] for e in sent["events"]] == [e["id"] for e in resent["events"]] == ids
    assert sent["batch"] == resent["batch"] == batch_id(Sink(hook.url).name, ids)
    assert [h["x-gov-archive-batch"] for h in hook.headers] == [sent["batch"]] * 2
    assert [h["idempotency-key"] for h in hook.headers] == [sent["batch"]] * 2


def test_a_hanging_receiver_costs_one_timeout_not_retries_times_timeout(tmp_path):
    archive = MemoryArchive()
    archive.add_event("gov")
    with HostileServer(behaviours={"/hook": Hang()}) as server:
        started = time.monotonic()
        result = deliver(archive, tmp_path / "a.db", Sink(server.url("/hook")), timeout=1,
                         sleep=no_sleep)
        elapsed = time.monotonic() - started
        assert server.hits("/hook") == 1
    assert elapsed < 3 and not result.ok and result.pending == 1
    assert "no complete answer within 1s" in result.error


def test_batches_are_small_and_a_time_budget_keeps_the_rest_for_the_next_run(tmp_path):
    archive = MemoryArchive()
    ids = [archive.add_event("gov") for _ in range(2 * DEFAULT_BATCH + 5)]
    ticks = iter(range(100))
    with receiver() as hook:
        # A fake clock: each batch costs 1 "second", the budget is 2.
        first = deliver(archive, tmp_path / "a.db", Sink(hook.url), budget=2, sleep=no_sleep,
                        clock=lambda: float(next(ticks)))
        assert first.ok and first.delivered == 2 * DEFAULT_BATCH and first.pending == 5
        assert "time budget" in first.note
        rest = deliver(archive, tmp_path / "a.db", Sink(hook.url), sleep=no_sleep)
        assert rest.delivered == 5
    assert [len(r["events"]) for r in hook.requests] == [DEFAULT_BATCH, DEFAULT_BATCH, 5]
    assert hook.event_ids == ids


def test_credentials_in_the_url_go_as_basic_auth(tmp_path):
    archive = MemoryArchive()
    archive.add_event("gov")
    with receiver() as hook:
        url = hook.url.replace("http://", "http://alice:p%40ss%3Aword@")
        result = deliver(archive, tmp_path / "a.db", Sink(url), sleep=no_sleep)
        assert result.ok, result.error  # the host lookup got "127.0.0.1", not "alice:..."
    auth = hook.headers[0]["authorization"]
    assert base64.b64decode(auth.removeprefix("Basic ")) == b"alice:p@ss:word"
    assert "alice" not in hook.requests[0]["sink"]
    assert "alice" not in Sink(url).name and "p%40ss" not in Sink(url).name


def test_a_webhook_that_is_not_http_is_refused_without_reading_anything(tmp_path):
    archive = MemoryArchive()
    archive.add_event("gov")
    secret = tmp_path / "secret.txt"
    secret.write_text("top secret")
    result = deliver(archive, tmp_path / "a.db", Sink(secret.as_uri()), sleep=no_sleep)
    assert not result.ok and "not an http(s) URL" in result.error and result.pending == 1


def test_tokens_never_reach_the_archive(tmp_path):
    db = tmp_path / "gov.db"
    with Archive(db, create=True) as archive:
        crawl = archive.start_crawl("gov")
        record_health(archive, "gov", "empty", "nothing", crawl_id=crawl)
    with receiver() as hook, Archive(db) as archive:
        assert deliver(archive, db, Sink(hook.url + "?key=hunter2"), sleep=no_sleep).delivered == 1
    with sqlite3.connect(db) as conn:
        sinks = [row[0] for row in conn.execute("SELECT sink FROM deliveries")]
    assert sinks == [sink_name(hook.url + "?key=hunter2")]
    assert "secret-token" not in sinks[0] and "hunter2" not in sinks[0]


def test_a_bad_webhook_is_refused_before_the_crawl(tmp_path):
    db = tmp_path / "a.db"
    result = CliRunner().invoke(cli, ["crawl", "--db", str(db), "--url", "http://127.0.0.1:9/",
                                      "--webhook", "notaurl"])
    assert result.exit_code == 2
    assert "Error: Invalid value for '--webhook': not an http(s) URL: 'notaurl'" in result.output
    assert not db.exists()  # refused before anything was crawled


def test_the_webhook_timeout_is_configurable(tmp_path):
    db = tmp_path / "a.db"
    with Archive(db, create=True) as archive:
        record_health(archive, "gov", "empty", "nothing", crawl_id=archive.start_crawl("gov"))
    with receiver() as hook:
        hook.delay = 1.5
        result = CliRunner().invoke(cli, ["notify", "--db", str(db), "--webhook", hook.url,
                                          "--webhook-timeout", "1", "no-site"])
        assert result.exit_code == 2  # an unknown site: a usage error, nothing sent
        assert hook.attempts == 0
        (tmp_path / "sites").mkdir()
        (tmp_path / "sites" / "gov.toml").write_text(
            'name = "gov"\n[[columns]]\nurl = "https://www.gov.example/"\n')
        started = time.monotonic()
        result = CliRunner().invoke(cli, ["notify", "--db", str(db), "--sites",
                                          str(tmp_path / "sites"), "--webhook", hook.url,
                                          "--webhook-timeout", "1", "gov"])
        assert time.monotonic() - started < 2.5 and hook.attempts == 1
    assert result.exit_code == 1 and "may have taken the batch" in result.output


def test_payload_names_the_sink_without_secrets_and_a_batch(tmp_path):
    archive = MemoryArchive()
    archive.add_event("gov")
    with receiver() as hook:
        deliver(archive, Path(tmp_path) / "a.db", Sink(hook.url), sleep=no_sleep)
    payload = hook.requests[0]
    assert payload["sink"] == hook.server.base_url + "/…"
    assert len(payload["batch"]) == 32 and payload["source"] == "gov-archive"
