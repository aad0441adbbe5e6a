"""--crawl-timeout: a hanging crawl is stopped, counts as a failure and releases its lock."""

from __future__ import annotations

import logging
import os
import time

from click.testing import CliRunner
from helpers_watch import Clock, FakeSite, fake_watch_config

from archive import Archive
from crawler.cli.watch import watch_command
from crawler.service.locks import is_locked
from crawler.service.watch import DEFAULT_CRAWL_TIMEOUT, WatchConfig, Watcher


def gone(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    try:
        with open(f"/proc/{pid}/stat") as handle:
            return handle.read().split(")")[-1].split()[0] == "Z"
    except FileNotFoundError:
        return True


def test_a_hanging_crawl_is_terminated_and_backs_off(tmp_path, caplog):
    fake = FakeSite(tmp_path)
    fake.set_modes(a="sleep:30")  # hangs, but stops on SIGTERM
    clock = Clock()
    caplog.set_level(logging.INFO, logger="gov-archive.watch")
    config = fake_watch_config(tmp_path, ["a"], clock=clock, crawl_timeout=0.3, stop_timeout=5)
    started = time.monotonic()
    assert Watcher(config).run(once=True) == 1  # a failure
    assert time.monotonic() - started < 10
    assert "timeout a (pid" in caplog.text and "done a: timed out after 0.3s" in caplog.text
    assert "kill a" not in caplog.text
    assert [s for _, _, s, _ in fake.entries("stopped")] == ["a"]
    assert not is_locked(fake.db, "a")
    with Archive(fake.db) as archive:
        state = archive.site_state("a")
        assert state["failures"] == 1 and state["last_outcome"] == "timed out after 0.3s"
        assert state["backoff_until"]
    # backing off: the next pass at the same time does not start it again
    assert Watcher(fake_watch_config(tmp_path, ["a"], clock=clock)).run(once=True) == 0
    assert fake.runs("a") == 1


def test_a_crawl_ignoring_sigterm_after_its_timeout_is_killed(tmp_path, caplog):
    fake = FakeSite(tmp_path)
    fake.set_modes(a="stubborn:30", b="sleep:0.2")
    caplog.set_level(logging.INFO, logger="gov-archive.watch")
    config = fake_watch_config(tmp_path, ["a", "b"], crawl_timeout=2, stop_timeout=0.3)
    started = time.monotonic()
    assert Watcher(config).run(once=True) == 1
    assert time.monotonic() - started < 10
    [pid] = [p for _, _, site, p in fake.entries("start") if site == "a"]
    assert gone(pid)
    assert "kill a (pid" in caplog.text and "done a: timed out after 2s" in caplog.text
    assert "done b: finished" in caplog.text  # the other site is not affected
    assert not is_locked(fake.db, "a")
    with Archive(fake.db) as archive:
        assert archive.site_state("a")["failures"] == 1
        assert archive.site_state("b")["failures"] == 0
        # the killed crawl stays unfinished: nothing half-written
        assert [c["finished_at"] for c in archive.crawls(site="a")] == [None]


def test_zero_means_no_limit(tmp_path):
    fake = FakeSite(tmp_path)
    fake.set_modes(a="sleep:0.4")
    config = fake_watch_config(tmp_path, ["a"], crawl_timeout=0)
    assert Watcher(config).run(once=True) == 0
    assert [s for _, _, s, _ in fake.entries("end")] == ["a"]


def test_watch_applies_the_default_limit(tmp_path, monkeypatch):
    assert DEFAULT_CRAWL_TIMEOUT.total_seconds() == 6 * 3600
    assert WatchConfig.__dataclass_fields__["crawl_timeout"].default == DEFAULT_CRAWL_TIMEOUT.total_seconds()
    seen: list[float] = []
    monkeypatch.setattr(Watcher, "run", lambda self, once=False: seen.append(self.config.crawl_timeout) or 0)
    sites = tmp_path / "sites"
    sites.mkdir()
    (sites / "x.toml").write_text('name = "x"\nstart_urls = ["http://127.0.0.1:9/"]\n', encoding="utf-8")
    result = CliRunner().invoke(watch_command, ["--db", str(tmp_path / "gov.db"), "--sites", str(sites)])
    assert result.exit_code == 0, result.output
    assert seen == [DEFAULT_CRAWL_TIMEOUT.total_seconds()]


def test_the_crawl_timeout_option(tmp_path, monkeypatch):
    seen: list[float] = []
    monkeypatch.setattr(Watcher, "run", lambda self, once=False: seen.append(self.config.crawl_timeout) or 0)
    sites = tmp_path / "sites"
    sites.mkdir()
    (sites / "x.toml").write_text('name = "x"\nstart_urls = ["http://127.0.0.1:9/"]\n', encoding="utf-8")
    base = ["--db", str(tmp_path / "gov.db"), "--sites", str(sites)]
    for value, seconds in (("2h", 7200.0), ("0", 0.0), ("1h30m", 5400.0)):
        result = CliRunner().invoke(watch_command, [*base, "--crawl-timeout", value])
        assert result.exit_code == 0, result.output
        assert seen[-1] == seconds
    result = CliRunner().invoke(watch_command, [*base, "--crawl-timeout", "soon"])
    assert result.exit_code == 2 and "bad interval 'soon'" in result.output
