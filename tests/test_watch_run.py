"""The watch loop over fake crawls: parallelism, locks, back-off, webhooks (fake clock)."""

from __future__ import annotations

import logging
import subprocess
import sys

from helpers_watch import Clock, FakeSite, fake_watch_config, receiver

from archive import Archive
from crawler.service.locks import is_locked, site_lock
from crawler.service.watch import Watcher


def overlap(fake: FakeSite) -> int:
    """Most crawls that were running at the same moment (from the journal)."""
    events = sorted((t, +1 if w == "start" else -1) for t, w, _, _ in fake.entries()
                    if w in ("start", "end", "stopped"))
    peak = level = 0
    for _, step in events:
        level += step
        peak = max(peak, level)
    return peak


def test_once_runs_every_due_site_at_most_max_parallel(tmp_path, caplog):
    fake = FakeSite(tmp_path)
    fake.set_modes(a="sleep:0.3", b="sleep:0.3", c="sleep:0.3")
    caplog.set_level(logging.INFO, logger="gov-archive.watch")
    status = Watcher(fake_watch_config(tmp_path, ["a", "b", "c"], max_parallel=2)).run(once=True)
    assert status == 0
    assert sorted(s for _, _, s, _ in fake.entries("start")) == ["a", "b", "c"]
    assert overlap(fake) == 2
    assert not any(is_locked(fake.db, s) for s in "abc")
    text = caplog.text
    assert "start a (pid" in text and "done c: finished (exit 0" in text
    # nothing is due any more: a second pass starts nothing
    assert Watcher(fake_watch_config(tmp_path, ["a", "b", "c"])).run(once=True) == 0
    assert len(fake.entries("start")) == 3


def test_a_site_locked_by_another_crawl_is_skipped_not_crawled_twice(tmp_path, caplog):
    fake = FakeSite(tmp_path)
    caplog.set_level(logging.INFO, logger="gov-archive.watch")
    with site_lock(fake.db, "a"):  # a manual `crawl a` is running
        Watcher(fake_watch_config(tmp_path, ["a", "b"])).run(once=True)
    assert [s for _, _, s, _ in fake.entries("start")] == ["b"]
    assert "skip a: already being crawled" in caplog.text
    with Archive(fake.db) as archive:
        assert archive.site_state("a")["failures"] == 0  # busy is not a failure


def test_the_child_crawl_inherits_the_lock_and_a_concurrent_crawl_is_refused(tmp_path):
    fake = FakeSite(tmp_path)
    fake.set_modes(a="sleep:0.6")
    watcher = Watcher(fake_watch_config(tmp_path, ["a"]))
    watcher._start_from(watcher._due())
    while not fake.entries("start"):
        watcher._reap()
    # a second `crawl a` (e.g. from cron) while the first runs: refused by the lock
    manual = subprocess.run([sys.executable, str(fake.script), "a", str(fake.db), str(fake.journal),
                             str(fake.modes), "-"], timeout=30)
    assert manual.returncode == 0
    while watcher.running:
        watcher._reap()
    assert [w for _, w, _, _ in fake.entries()] == ["start", "busy", "end"]
    assert not is_locked(fake.db, "a")


def test_failing_site_backs_off_exponentially_and_others_keep_running(tmp_path):
    fake = FakeSite(tmp_path)
    fake.set_modes(bad="fail", good="ok")
    clock = Clock()
    runs: dict[str, list[int]] = {"bad": [], "good": []}
    for hour in range(8):
        before = {s: fake.runs(s) for s in runs}
        config = fake_watch_config(tmp_path, ["bad", "good"], clock=clock, max_parallel=2)
        Watcher(config).run(once=True)
        for site in runs:
            if fake.runs(site) > before[site]:
                runs[site].append(hour)
        clock.advance(hours=1)
    assert runs["good"] == list(range(8))
    assert runs["bad"] == [0, 1, 3, 7]  # waits of 1h, 2h, 4h
    with Archive(fake.db) as archive:
        assert archive.site_state("bad")["failures"] == 4
        assert archive.site_state("good")["failures"] == 0
    # it recovers: one success resets the back-off
    fake.set_modes(bad="ok", good="ok")
    clock.advance(hours=8)
    assert Watcher(fake_watch_config(tmp_path, ["bad"], clock=clock)).run(once=True) == 0
    with Archive(fake.db) as archive:
        state = archive.site_state("bad")
        assert state["failures"] == 0 and state["backoff_until"] is None


def test_a_crash_without_a_crawl_record_counts_as_a_failure(tmp_path, caplog):
    fake = FakeSite(tmp_path)
    fake.set_modes(a="crash")
    clock = Clock()
    caplog.set_level(logging.INFO, logger="gov-archive.watch")
    assert Watcher(fake_watch_config(tmp_path, ["a"], clock=clock)).run(once=True) == 1
    assert "done a: crashed (exit 3" in caplog.text
    with Archive(fake.db) as archive:
        state = archive.site_state("a")
        assert state["failures"] == 1 and state["last_outcome"] == "crashed (exit 3)"
    assert Watcher(fake_watch_config(tmp_path, ["a"], clock=clock)).run(once=True) == 0
    assert fake.runs("a") == 1  # backing off


def test_events_reach_the_webhook_once_even_if_it_was_down(tmp_path):
    fake = FakeSite(tmp_path)
    fake.set_modes(a="new:2", b="new:1")
    clock = Clock()
    with receiver([500] * 6) as hook:  # down for the whole first pass (2 crawls × 3 tries)
        config = fake_watch_config(tmp_path, ["a", "b"], clock=clock, webhooks=(hook.url,))
        Watcher(config).run(once=True)
        assert hook.requests == []
        clock.advance(hours=1)
        fake.set_modes(a="ok", b="ok")
        Watcher(fake_watch_config(tmp_path, ["a", "b"], clock=clock, webhooks=(hook.url,))).run(once=True)
        ids = hook.event_ids
        assert len(ids) == 3 and len(set(ids)) == 3
        clock.advance(hours=1)
        Watcher(fake_watch_config(tmp_path, ["a", "b"], clock=clock, webhooks=(hook.url,))).run(once=True)
        assert hook.event_ids == ids
