"""The parts of a cluster, each on its own: messages, exactly-once ingest, leases and fencing,
a worker giving a crawl up, back-pressure, and the command line's checks."""

from __future__ import annotations

import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from helpers_crawl import ROOT, make_spider
from helpers_redis import RedisServer, redis_binary, redis_server  # noqa: F401 — pytest fixtures

from archive import Archive
from crawler.cli import cli
from crawler.cluster.client import Scripts, connect
from crawler.cluster.keys import INGEST_GROUP, OFFER_GROUP, Keys
from crawler.cluster.messages import (
    ITEM_TYPES,
    Message,
    decode,
    decode_snapshot,
    encode,
    encode_snapshot,
    flatten,
    ingest_key,
)
from crawler.cluster.pipeline import ShipPipeline
from crawler.items import Announcement, Unchanged, Withdrawn
from crawler.service.cluster.ingest import CrawlContext, Ingester
from crawler.service.cluster.worker import Worker, WorkerConfig

KEYS = Keys()


def run_cli(*args: str) -> Result:
    return CliRunner().invoke(cli, list(args))
URL = "http://www.example.gov.cn/tzgg/202401/t20240101_1.html"


def announcement(url: str = URL, body: str = "正文") -> Announcement:
    return Announcement("city", url, "通知", "2024-01-01", body, metadata={"文号": "1号"},
                        raw=b"<html>\xd5\xfd\xce\xc4</html>", headers={"etag": '"x"'}, column=0)


# -- messages --------------------------------------------------------------------------------


def test_items_travel_whole_with_their_bytes() -> None:
    for item in (announcement(), Unchanged("city", URL, "same_bytes"), Withdrawn("city", URL, 404, "http_404")):
        message = decode({k.encode(): v for k, v in encode(Message("item", 7, 2, "w1", item=item)).items()})
        assert (message.kind, message.crawl_id, message.attempt, message.worker) == ("item", 7, 2, "w1")
        assert message.item == item
    end = Message("end", 7, reason="finished", stats={"pages/list": 3, "column/0/outcome": "ok"})
    assert decode({k.encode(): v for k, v in encode(end).items()}).stats == end.stats


@dataclass
class File:
    url: str
    data: bytes = b""


@dataclass
class WithFiles:
    site: str
    url: str
    raw: bytes = b""
    files: list[File] = field(default_factory=list)


def test_file_payloads_travel_in_fields_of_their_own(monkeypatch: pytest.MonkeyPatch) -> None:
    """An item type with files (attachments) needs nothing more than its dataclasses."""
    monkeypatch.setitem(ITEM_TYPES, "WithFiles", WithFiles)
    item = WithFiles("city", URL, b"<html>", [File(URL + ".pdf", b"%PDF-1.7\x00\xff")])
    fields = encode(Message("item", 1, item=item))
    assert {"bytes:raw", "bytes:files.0.data"} <= set(fields)
    assert decode({k.encode(): v for k, v in fields.items()}).item == item


def test_the_key_is_one_per_url_and_crawl() -> None:
    assert ingest_key(1, URL) == ingest_key(1, URL.upper().replace("HTTP://", "http://").lower())
    assert ingest_key(1, URL) != ingest_key(2, URL)


def test_a_snapshot_keeps_what_the_spider_reads() -> None:
    known = [{"id": 3, "url": URL, "status": "live", "last_checked": "2024-01-02T00:00:00+00:00",
              "etag": '"x"', "last_modified": None, "capture_sha": "ab" * 32, "content_hash": "cd"}]
    files = {URL + ".pdf": {"sha256": "ef" * 32, "etag": '"f"', "last_modified": None}}
    snapshot = decode_snapshot(encode_snapshot(known, {"id": 4, "finished_at": None, "stats": {}}, files))
    assert snapshot.known == [{k: v for k, v in known[0].items() if k not in ("id", "content_hash")}]
    assert snapshot.previous_crawl == {"id": 4, "started_at": None, "finished_at": None, "outcome": None}
    assert snapshot.attachments == files


# -- the host applies each item once ---------------------------------------------------------


def test_redelivered_items_and_ends_change_nothing(tmp_path: Path) -> None:
    with Archive(tmp_path / "a.db", create=True) as archive:
        archive.ensure_site("city")
        (column,) = archive.ensure_columns("city", [("http://www.example.gov.cn/tzgg/", "通知公告")])
        crawl = archive.start_crawl("city")
        ingester = Ingester(archive, lambda _id: CrawlContext(crawl, "city", (column,)))
        item = Message("item", crawl, item=announcement())
        assert [ingester.apply(item).outcome for _ in range(3)] == ["applied", "duplicate", "duplicate"]
        again = Message("item", crawl, attempt=2, item=announcement(body="第二次抓取"))  # a later attempt
        assert ingester.apply(again).outcome == "duplicate"
        end = Message("end", crawl, reason="finished", stats={"pages/list": 1, "pages/article": 1,
                                                             "column/0/url": "u", "column/0/outcome": "ok"})
        first = ingester.apply(end)
        assert first.outcome == "closed" and first.verdict is not None and first.verdict.outcome == "finished"
        assert ingester.apply(end).outcome == "already_closed"
        assert ingester.apply(item).outcome == "late"
        assert (archive.stats()["versions"], len(archive.events())) == (1, 1)
        row = archive.crawl(crawl)
        assert row["stats"]["archive/new"] == 1 and row["stats"]["column/0/new"] == 1
        assert archive.crawl_columns(crawl)[0]["new"] == 1


def test_withdrawals_wait_for_the_end_and_the_plausibility_rule(tmp_path: Path) -> None:
    urls = [f"http://www.example.gov.cn/tzgg/a{i}.html" for i in range(4)]
    with Archive(tmp_path / "a.db", create=True) as archive:
        first = archive.start_crawl("city")
        for url in urls:
            archive.save("city", {"url": url, "title": url, "body": "正文"}, crawl_id=first)
        archive.finish_crawl(first, "finished", {})
        for gone, expected in ((urls[:1], "gone"), (urls[1:], "held")):
            crawl = archive.start_crawl("city")
            ingester = Ingester(archive, lambda _id, c=crawl: CrawlContext(c, "city"))
            for url in gone:
                withdrawn = Message("item", crawl, item=Withdrawn("city", url, 404, "http_404"))
                assert ingester.apply(withdrawn).outcome == "held"
            assert archive.events(kinds=["gone"]) == [] or expected == "held"
            ingester.apply(Message("end", crawl, reason="finished", stats={"pages/list": 1}))
            stats = archive.crawl(crawl)["stats"]
            if expected == "gone":  # 1 of 1 re-checked: plausible (fewer than GONE_MIN_COUNT)
                assert stats["archive/gone"] == 1 and len(archive.events(kinds=["gone"])) == 1
            else:  # 3 of 3: held back, as on one machine
                assert stats["archive/gone_held"] == 3 and stats["crawl/healthy"] is False
                assert len(archive.events(kinds=["gone"])) == 1


# -- leases and fencing ----------------------------------------------------------------------


def test_only_the_lease_holder_ships_and_a_lease_comes_back_after_an_outage(redis_server: RedisServer) -> None:  # noqa: F811 — the fixture
    client = connect(redis_server.url)
    scripts = Scripts.on(client)
    lease = KEYS.lease("city")
    fields = flatten(encode(Message("begin", 1)))
    keys = [lease, KEYS.ingest, KEYS.done(1), KEYS.crawl(1)]
    assert client.set(lease, "mine", nx=True, px=10_000)
    assert scripts.ship(keys=keys, args=["mine", URL, "", *fields]) is not None
    assert scripts.ship(keys=keys, args=["stale", URL, "", *fields]) is None  # fenced: nothing written
    assert client.xlen(KEYS.ingest) == 1 and client.smembers(KEYS.done(1)) == {URL.encode()}
    assert scripts.extend(keys=[lease], args=["stale", 10_000]) == 0
    assert scripts.release(keys=[lease], args=["stale"]) == 0 and client.get(lease) == b"mine"
    client.delete(lease)  # expired while Redis was away
    assert scripts.extend(keys=[lease], args=["mine", 10_000]) == 2 and client.get(lease) == b"mine"
    redis_server.restart()  # scripts are loaded again, the lease and the stream come back
    assert scripts.extend(keys=[lease], args=["mine", 10_000]) == 1
    assert client.xlen(KEYS.ingest) == 1
    client.close()


def test_a_crawl_that_keeps_failing_is_given_up(redis_server: RedisServer) -> None:  # noqa: F811 — the fixture
    client = redis_server.client()
    client.xgroup_create(KEYS.offers, OFFER_GROUP, id="0", mkstream=True)
    client.hset(KEYS.crawl(5), mapping={"site": "city", "status": "running", "attempts": 3})
    client.xadd(KEYS.offers, {"crawl": "5", "site": "city"})
    worker = Worker(WorkerConfig(redis_server.url, name="w1", settings={"CLUSTER_MAX_ATTEMPTS": "3"}))
    worker._take_one()
    assert worker.running == {}
    ((_, entries),) = client.xread({KEYS.ingest: "0"})
    message = decode(entries[0][1])
    assert (message.kind, message.crawl_id, message.attempt) == ("abandon", 5, 3)
    assert client.xlen(KEYS.offers) == 0 and client.hget(KEYS.crawl(5), "status") == b"ended"
    assert client.get(KEYS.lease("city")) is None
    worker.client.close()
    client.close()


# -- back-pressure ---------------------------------------------------------------------------


def test_a_worker_crawl_waits_while_the_host_is_behind(redis_server: RedisServer, tmp_path: Path) -> None:  # noqa: F811 — the fixture
    client = redis_server.client()
    client.set(KEYS.lease("city"), "token")
    client.set(KEYS.state(9), encode_snapshot([], None))
    _spider, crawler = make_spider(tmp_path, {
        "CLUSTER_REDIS_URL": redis_server.url, "CLUSTER_CRAWL_ID": 9, "CLUSTER_TOKEN": "token",
        "CLUSTER_INGEST_MAX": 2})
    pipeline = ShipPipeline(crawler, redis_server.url)
    pipeline.run(pipeline._open)  # sends `begin`
    for i in range(2):  # the host is behind: 3 entries wait, at most 2 allowed
        client.xadd(KEYS.ingest, {"n": str(i)})
    pipeline._room_checked = 0.0
    shipping = threading.Thread(target=pipeline._ship_item, args=(announcement(),))
    shipping.start()
    time.sleep(1.2)
    assert shipping.is_alive() and client.xlen(KEYS.ingest) == 3  # the item waits
    for entry_id, _ in client.xrange(KEYS.ingest, count=2):
        client.xdel(KEYS.ingest, entry_id)  # the host catches up
    shipping.join(timeout=5)
    assert not shipping.is_alive() and client.xlen(KEYS.ingest) == 2
    assert crawler.stats.get_value("cluster/paused_seconds") >= 0.5
    pipeline.run(pipeline.client.close)
    pipeline._thread.shutdown()
    client.close()


# -- the command line ------------------------------------------------------------------------


def test_a_bad_or_silent_redis_is_one_line(tmp_path: Path) -> None:
    bad = run_cli("worker", "--redis", "http://127.0.0.1:6379")
    assert bad.exit_code == 2 and "is not a Redis URL" in bad.output and "Traceback" not in bad.output
    silent = run_cli("worker", "--redis", "redis://127.0.0.1:1/0")
    assert silent.exit_code == 1
    assert silent.output.strip().splitlines() == [
        ("Error: no Redis answers at redis://127.0.0.1:1/0: Error 111 connecting to 127.0.0.1:1. "
         "Connection refused.")]


@pytest.mark.parametrize("option", [["--log-dir", "logs"], ["--stop-timeout", "5"]])
def test_a_hosts_option_for_local_crawls_is_an_error_with_redis(redis_server: RedisServer, tmp_path: Path,  # noqa: F811 — the fixture
                                                                option: list[str]) -> None:
    result = run_cli("watch", "--db", str(tmp_path / "a.db"), "--redis", redis_server.url, *option)
    assert result.exit_code == 2 and "Traceback" not in result.output
    assert f"{option[0]} is a worker's option with --redis" in result.output
    assert not (tmp_path / "a.db").exists()


def test_one_archive_host_per_redis(redis_server: RedisServer, tmp_path: Path) -> None:  # noqa: F811 — the fixture
    client = redis_server.client()
    client.set(KEYS.host, "elsewhere:1:abc", px=60_000)
    client.hset(KEYS.host_info, "beat", time.time())  # it is alive
    done = subprocess.run([sys.executable, "-m", "crawler", "watch", "--redis", redis_server.url,
                           "--db", str(tmp_path / "a.db"), "--once"], capture_output=True, text=True,
                          timeout=60, env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"})
    assert done.returncode == 1
    assert "Error: another archive host holds this cluster (elsewhere:1)" in done.stderr
    client.close()


def test_a_new_worker_is_seen_at_once(redis_server: RedisServer) -> None:  # noqa: F811 — the fixture
    # A lease of 10 minutes: a first beat a third of a lease after the start would come after
    # 200 s, long after this test gives up.
    worker = Worker(WorkerConfig(redis_server.url, name="w1", settings={"CLUSTER_LEASE_SECONDS": "600"}))
    client = redis_server.client()
    seen: list[bool] = []

    def look_then_stop() -> None:
        deadline = time.monotonic() + 5
        while not client.hexists(KEYS.workers, "w1") and time.monotonic() < deadline:
            time.sleep(0.05)
        seen.append(bool(client.hexists(KEYS.workers, "w1") and client.exists(KEYS.alive("w1"))))
        worker.request_stop(signal.SIGTERM)

    looker = threading.Thread(target=look_then_stop)
    looker.start()
    assert worker.run() == 0  # in this (the main) thread: it installs signal handlers
    looker.join()
    assert seen == [True]
    assert not client.hexists(KEYS.workers, "w1")  # and it leaves when it stops
    client.close()


@pytest.mark.parametrize("command", [["stats"], ["sites", "--health"]])
def test_health_and_stats_show_the_cluster(redis_server: RedisServer, tmp_path: Path,  # noqa: F811 — the fixture
                                           command: list[str]) -> None:
    db = tmp_path / "a.db"
    Archive(db, create=True).close()
    client = redis_server.client()
    client.hset(KEYS.workers, "w1", '{"host": "m1", "pid": 5, "beat": 1, "slots": 2, "crawls": []}')
    client.hset(KEYS.crawl(3), mapping={"site": "city", "status": "running", "attempts": 2,
                                        "worker": "w1", "sent": 10})
    client.xgroup_create(KEYS.ingest, INGEST_GROUP, id="0", mkstream=True)
    client.xadd(KEYS.ingest, {"v": "1"})
    result = run_cli("--db", str(db), *command, "--redis", redis_server.url)
    assert result.exit_code == 0, result.output
    assert "w1" in result.output and "city" in result.output
    if command == ["stats"]:
        data = run_cli("--db", str(db), "stats", "--json", "--redis", redis_server.url).output
        assert '"waiting": 1' in data and '"attempts": 2' in data
    else:
        assert "archive host DOWN; workers seen 1, alive 0" in result.output
        assert "crawl 3 city: running, attempt 2, 10 sent, on w1" in result.output
    client.close()
