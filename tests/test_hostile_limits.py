"""Numbers and names out of range are one-line errors before anything runs: settings that
would hang a crawl (an infinite delay, no concurrency), intervals and ids too large for their
types, archives that are not files or sit on a read-only mount."""

from __future__ import annotations

import os
import stat
import threading
from pathlib import Path

import pytest
from click.testing import CliRunner

import archive.connect
from archive import Archive
from archive.errors import ArchiveWriteError, NotAnArchive
from archive.timeutil import IntervalError, parse_interval
from crawler.cli import cli
from crawler.service.schedule import backoff_delay
from crawler.sites import SiteDefError, parse_site


def _invoke(*args: str):
    return CliRunner().invoke(cli, list(args))


@pytest.mark.parametrize(("pair", "message"), [
    ("DOWNLOAD_DELAY=inf", "-s DOWNLOAD_DELAY: 'inf' is not a finite number"),
    ("DOWNLOAD_DELAY=nan", "-s DOWNLOAD_DELAY: 'nan' is not a finite number"),
    ("DOWNLOAD_DELAY=-1", "-s DOWNLOAD_DELAY: -1 is out of range (0 to 3600)"),
    ("CONCURRENT_REQUESTS=0", "-s CONCURRENT_REQUESTS: 0 is out of range (1 to 10000)"),
    ("CONCURRENT_REQUESTS_PER_DOMAIN=-1", "-s CONCURRENT_REQUESTS_PER_DOMAIN: -1 is out of range"),
    ("DOWNLOAD_TIMEOUT=0", "-s DOWNLOAD_TIMEOUT: 0 is out of range"),
    ("RETRY_BACKOFF_MAX=1e400", "-s RETRY_BACKOFF_MAX: '1e400' is not a finite number"),
    ("CLOSESPIDER_PAGECOUNT=99999999999999999999",
     "-s CLOSESPIDER_PAGECOUNT: 99999999999999999999 is out of range"),
    ("REVISIT_INTERVAL=soon", "-s REVISIT_INTERVAL: invalid interval 'soon'"),
    ("REVISIT_INTERVAL=99999999999999d",
     "-s REVISIT_INTERVAL: invalid interval '99999999999999d': must be at most 3650d"),
    ("ITEM_PIPELINES=garbage", "-s ITEM_PIPELINES: 'garbage' is not a JSON object"),
    ("ITEM_PIPELINES={\"no.such.Pipeline\": 1}", "-s ITEM_PIPELINES: cannot load 'no.such.Pipeline'"),
    ("RETRY_HTTP_CODES=500,soon", "-s RETRY_HTTP_CODES: 'soon' is not a comma-separated list"),
    ("ATTACHMENT_TEXT_TIMEOUT=0", "-s ATTACHMENT_TEXT_TIMEOUT: 0 is out of range"),
    ("ATTACHMENT_TEXT_MEMORY_MB=0", "-s ATTACHMENT_TEXT_MEMORY_MB: 0 is out of range (128 to "),
    ("ATTACHMENT_TEXT_MEMORY_MB=64", "-s ATTACHMENT_TEXT_MEMORY_MB: 64 is out of range (128 to "),
    ("ATTACHMENT_TEXT_MAX_CHARS=0", "-s ATTACHMENT_TEXT_MAX_CHARS: 0 is out of range (1 to "),
    ("CLUSTER_LEASE_SECONDS=0", "-s CLUSTER_LEASE_SECONDS: 0 is out of range (1 to "),
    ("CLUSTER_MAX_ATTEMPTS=0", "-s CLUSTER_MAX_ATTEMPTS: 0 is out of range (1 to "),
    ("CLUSTER_INGEST_MAX=0", "-s CLUSTER_INGEST_MAX: 0 is out of range (1 to "),
    ("GONE_MAX_SHARE=2", "-s GONE_MAX_SHARE: 2 is out of range (0 to 1)"),
])
def test_settings_that_would_hang_or_crash_a_crawl_are_usage_errors(tmp_path, pair, message):
    db = tmp_path / "a.db"
    result = _invoke("crawl", "--db", str(db), "--url", "http://127.0.0.1:9/list.html", "-s", pair)
    assert result.exit_code == 2, result.output
    assert f"Error: {message}" in result.output
    assert "Traceback" not in result.output and not db.exists()


@pytest.mark.parametrize("pair", ["DOWNLOAD_DELAY=0", "REVISIT_MAX=-1", "REVISIT_INTERVAL=",
                                  "REVISIT_INTERVAL=1d", "GONE_MAX_SHARE=1", "GONE_MAX_SHARE=0",
                                  "ATTACHMENT_TEXT_TIMEOUT=0.001", "ATTACHMENT_TEXT_MEMORY_MB=128",
                                  "CLUSTER_LEASE_SECONDS=1", "CLUSTER_MAX_ATTEMPTS=1",
                                  'ITEM_PIPELINES={"crawler.pipelines.ArchivePipeline": 800}'])
def test_sane_values_still_pass(pair):
    from crawler.service.overrides import check_settings  # noqa: PLC0415 — loads Scrapy

    name, _, value = pair.partition("=")
    assert check_settings({name: value}) == {name: value}


def test_an_unusable_jobdir_is_one_line(tmp_path):
    result = _invoke("crawl", "--db", str(tmp_path / "a.db"), "--url", "http://127.0.0.1:9/",
                     "-s", "JOBDIR=/proc/x")
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert result.output.strip().splitlines()[-1].startswith("Error: cannot use the JOBDIR /proc/x:")


@pytest.mark.parametrize(("politeness", "problem"), [
    ({"download_delay": float("inf")}, "must be a finite number, not inf"),
    ({"download_delay": float("nan")}, "must be a finite number, not nan"),
    ({"download_delay": 99999.0}, "must be at most 3600"),
    ({"concurrency": 0}, "must be at least 1"),
    ({"concurrency": 1000}, "must be at most 100"),
])
def test_site_files_refuse_hanging_politeness(politeness, problem):
    with pytest.raises(SiteDefError, match=problem):
        parse_site({"name": "x", "columns": [{"url": "https://www.x.gov.cn/"}],
                    "politeness": politeness}, "x.toml")


def test_site_file_intervals_are_bounded(tmp_path):
    (tmp_path / "x.toml").write_text('name = "x"\nevery = "99999999999999d"\n'
                                     '[[columns]]\nurl = "https://www.x.gov.cn/"\n')
    result = _invoke("crawl", "x", "--sites", str(tmp_path), "--db", str(tmp_path / "a.db"))
    assert result.exit_code == 1, result.output
    assert "key 'every': invalid interval '99999999999999d': must be at most 3650d" in result.output
    assert "Traceback" not in result.output


@pytest.mark.parametrize("value", ["99999999999999d", 1e300, float("inf"), float("nan"), "3651d"])
def test_intervals_beyond_ten_years_or_not_numbers_are_refused(value):
    with pytest.raises(IntervalError):
        parse_interval(value)


def test_backoff_of_the_longest_interval_does_not_overflow():
    longest = parse_interval("3650d")
    assert backoff_delay(40, longest, max_backoff=longest) == longest


@pytest.mark.parametrize("args", [
    ["watch", "--stop-timeout", "nan"], ["watch", "--stop-timeout", "inf"],
    ["watch", "--interval", "99999999999999d"], ["watch", "--crawl-timeout", "99999999999999d"],
    ["watch", "--max-backoff", "1e400"], ["extract", "http://127.0.0.1:9/", "--timeout", "inf"],
    ["notify", "--webhook-timeout", "nan"],
])
def test_watch_and_tool_options_are_bounded(tmp_path, args):
    result = _invoke("--db", str(tmp_path / "a.db"), *args)
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output and "Error: Invalid value" in result.output


@pytest.fixture
def small_archive(tmp_path: Path) -> Path:
    db = tmp_path / "a.db"
    with Archive(db, create=True) as a:
        a.save("city", {"url": "http://www.x.gov.cn/1.html", "title": "通知", "body": "正文"},
               crawl_id=a.start_crawl("city"))
    return db


@pytest.mark.parametrize(("args", "message"), [
    (["show", str(2**63)], "no document with id 9223372036854775808"),
    (["show", "9" * 40], "no document with id"),
    (["history", str(2**64)], "no document with id"),
    (["diff", str(2**70)], "no document with id"),
    (["show", "1", "--version", str(2**63)], "document 1 has no version"),
    (["diff", "1", "--from", str(2**64), "--to", "1"], "document 1 has no version"),
    (["search", "通知", "--limit", str(2**64)], None),
    (["show", "http://[::1"], "no document with URL http://[::1"),
])
def test_huge_ids_and_odd_refs_are_one_line(small_archive, args, message):
    result = _invoke("--db", str(small_archive), *args)
    assert "Traceback" not in result.output and "OverflowError" not in result.output
    if message is None:
        assert result.exit_code == 0, result.output
    else:
        assert result.exit_code == 1 and f"Error: {message}" in result.output


def test_a_device_is_not_an_archive_and_gets_no_journal(tmp_path):
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    for args in (["crawl", "--url", "http://127.0.0.1:9/"], ["stats"]):
        result = _invoke("--db", str(fifo), *args)
        assert result.exit_code == 1, result.output
        assert "is not a regular file" in result.output and "Traceback" not in result.output
    assert stat.S_ISFIFO(fifo.stat().st_mode)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["pipe"]  # no pipe-journal, no state
    with pytest.raises(NotAnArchive, match="not a regular file"):
        Archive(fifo, create=True)


def test_exports_to_a_pipe_write_into_it(small_archive, tmp_path):
    fifo = tmp_path / "out"
    os.mkfifo(fifo)
    received: list[bytes] = []
    reader = threading.Thread(target=lambda: received.append(fifo.read_bytes()))
    reader.start()
    result = _invoke("--db", str(small_archive), "export", "-o", str(fifo))
    reader.join(timeout=10)
    assert result.exit_code == 0, result.output
    assert b"http://www.x.gov.cn/1.html" in received[0]
    assert stat.S_ISFIFO(fifo.stat().st_mode)  # still a pipe, not replaced by a file


def test_a_read_only_mount_is_reported_as_such(small_archive, monkeypatch):
    monkeypatch.setattr(archive.connect, "_on_read_only_mount", lambda path: True)
    with pytest.raises(ArchiveWriteError, match="read-only file system"):
        Archive(small_archive, create=True)
    result = _invoke("crawl", "--db", str(small_archive), "--url", "http://127.0.0.1:9/")
    assert result.exit_code == 1
    assert "it is on a read-only file system" in result.output
    assert "not a gov-archive database" not in result.output
    with Archive(small_archive) as a:  # reading still works
        assert a.document(1)["title"] == "通知"
