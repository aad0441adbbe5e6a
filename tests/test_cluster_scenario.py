"""A cluster end to end: one archive host, three workers, three generated sites, a real Redis.

While the crawls run, a worker is killed with SIGKILL mid-crawl (its site is finished by
another), the archive host is killed while messages wait and started again, and Redis itself is
killed and started again (its AOF brings the streams back). Afterwards every article is
archived exactly once: exact counts of documents, versions and events, and nothing left in
Redis. A second test re-crawls a site through the cluster: an edited article becomes a
version, a withdrawn one a withdrawal decided on the host.
"""

from __future__ import annotations

import json
import signal
import sqlite3
from pathlib import Path

from helpers_cluster import KEYS, Cluster, archive_count, crawl_children, wait_for
from helpers_crawl import FixtureServer, article_html, article_path, article_text, build_trs_site, html_page
from helpers_redis import RedisServer, redis_binary, redis_server  # noqa: F401 — pytest fixtures

from archive import Archive
from crawler.cluster.keys import INGEST_GROUP, OFFER_GROUP
from crawler.demo import files
from crawler.service.schedule import select_due
from crawler.sites import load_site_file

ARTICLES = 24


def site_file(folder: Path, name: str, server: FixtureServer, concurrency: int, every: str = "1d") -> None:
    (folder / f"{name}.toml").write_text(
        f'name = "{name}"\nevery = "{every}"\n[[columns]]\nurl = "{server.base}/tzgg/index.html"\n'
        f"[politeness]\nconcurrency = {concurrency}\n", encoding="utf-8")


def crawls(db: Path) -> list[dict]:
    with Archive(db) as archive:
        return archive.crawls()


def test_a_cluster_archives_every_article_once_through_kills_and_restarts(
        redis_server: RedisServer, tmp_path: Path) -> None:  # noqa: F811 — the fixture
    sites_dir, db = tmp_path / "sites", tmp_path / "archive.db"
    sites_dir.mkdir()
    servers = {name: FixtureServer(build_trs_site(ARTICLES, 6)) for name in ("alpha", "beta", "gamma")}
    servers["beta"].delay = 0.3  # slow enough to be killed mid-crawl, whatever the machine
    for name, server in servers.items():
        site_file(sites_dir, name, server, concurrency=2 if name == "beta" else 4)
    cluster = Cluster(redis_server.url, db, sites_dir, tmp_path / "logs")
    lease = ("-s", "CLUSTER_LEASE_SECONDS=3")
    try:
        cluster.start_host()
        for name in ("w1", "w2", "w3"):
            cluster.start_worker(name, *lease)
        beta = cluster.crawl_of("beta")

        # 1. The worker crawling beta dies with its crawl, a few articles in.
        record = wait_for(lambda: (r := cluster.record(beta)).get("sent") and int(r["sent"]) >= 4 and r,
                          "beta's first articles")
        cluster.kill_worker(record["worker"], beta)
        servers["beta"].delay = 0.02

        # 2. The host dies; the workers keep sending; it comes back to a backlog.
        wait_for(lambda: archive_count(db, "select count(*) from documents") >= 4, "first documents")
        cluster.kill_host()
        wait_for(lambda: cluster.client.xlen(KEYS.ingest) >= 10, "messages waiting for the host")

        # 3. Redis crashes (SIGKILL) and comes back from its AOF, while workers wait on it.
        redis_server.kill()
        cluster.start_host()
        wait_for(lambda: archive_count(db, "select count(*) from crawls where finished_at is not null") == 3,
                 "three finished crawls", timeout=60)
    finally:
        cluster.close()
        for server in servers.values():
            server.close()

    # Every article once: documents, versions and events exactly.
    with Archive(db) as archive:
        stats = archive.stats()
        assert (stats["documents"], stats["versions"], stats["events"]) == (3 * ARTICLES,) * 3
        assert {e["kind"] for e in archive.events()} == {"new"}
        per_site = {s["name"]: s["documents"] for s in archive.site_summaries()}
        assert per_site == {"alpha": ARTICLES, "beta": ARTICLES, "gamma": ARTICLES}
        assert archive.ingested_count(beta) == 0  # the log of a finished crawl is dropped
    rows = {c["site"]: c for c in crawls(db)}
    assert {site: c["outcome"] for site, c in rows.items()} == dict.fromkeys(rows, "finished")
    assert all(c["stats"]["archive/new"] == ARTICLES for c in rows.values())
    assert rows["beta"]["stats"]["cluster/attempts"] >= 2  # taken over after the kill
    assert rows["beta"]["stats"]["column/0/outcome"] == "ok"
    conn = sqlite3.connect(db)
    assert conn.execute("select count(*) from document_columns").fetchone()[0] == 3 * ARTICLES
    conn.close()

    # Nothing left behind in Redis: no message, no pending entry, no lease, no snapshot.
    client = redis_server.client()
    try:
        assert client.xlen(KEYS.ingest) == 0 and client.xlen(KEYS.offers) == 0
        assert client.xpending(KEYS.ingest, INGEST_GROUP)["pending"] == 0
        assert client.xpending(KEYS.offers, OFFER_GROUP)["pending"] == 0
        assert list(client.scan_iter(match=KEYS.lease("*"))) == []
        assert list(client.scan_iter(match=KEYS.state("*"))) == []
        assert list(client.scan_iter(match=KEYS.done("*"))) == []
        assert client.hget(KEYS.crawl(beta), "status") == b"closed"
        assert int(client.hget(KEYS.crawl(beta), "sent")) >= ARTICLES
    finally:
        client.close()


PDF_PATH = "/tzgg/202401/P020240110001.pdf"


def with_attachment(html: str) -> str:
    return html.replace("</div></div>", f'<p><a href="{PDF_PATH}">附件：实施方案.pdf</a></p></div></div>', 1)


def test_a_recrawl_through_the_cluster_records_edits_and_withdrawals(
        redis_server: RedisServer, tmp_path: Path) -> None:  # noqa: F811 — the fixture
    sites_dir, db = tmp_path / "sites", tmp_path / "archive.db"
    sites_dir.mkdir()
    server = FixtureServer(build_trs_site(9, 3))
    pdf = files.pdf(["示例市法治政府建设实施方案", "第一条 为推进依法行政"])
    server.pages[PDF_PATH] = (200, {"Content-Type": "application/pdf", "ETag": '"v1"'}, pdf)
    server.pages[article_path(9)] = html_page(with_attachment(article_html(
        "关于第9项工作的通知", "2024-01-10", article_text(9))))
    site_file(sites_dir, "city", server, concurrency=4, every="1s")
    cluster = Cluster(redis_server.url, db, sites_dir, tmp_path / "logs")
    once = ("--once", "-s", "REVISIT_INTERVAL=0s")  # the host's settings go with its offers
    try:
        cluster.start_worker("w1")
        cluster.start_host(*once)
        assert cluster.host is not None and cluster.host.wait(timeout=60) == 0, cluster.log("host")
        server.pages[article_path(9)] = html_page(with_attachment(article_html(
            "关于第9项工作的通知", "2024-01-10", article_text(9, "（修订）"))))
        del server.pages[article_path(8)]  # withdrawn: 404
        wait_for(lambda: select_due(db, [load_site_file(sites_dir / "city.toml")]), "the site due again")
        cluster.start_host(*once)
        assert cluster.host.wait(timeout=60) == 0, cluster.log("host")
    finally:
        cluster.close()
        server.close()
    with Archive(db) as archive:
        kinds = [e["kind"] for e in archive.events()]
        assert sorted(kinds) == sorted(["new"] * 9 + ["changed", "gone"])
        assert archive.stats()["versions"] == 10
        latest = archive.crawls(site="city", limit=1)[0]
        url = server.base + article_path(9)
        for version in (1, 2):  # the file's bytes came through Redis, read on the worker
            assert archive.attachment_bytes(url, 1, version=version)[1] == pdf
        assert archive.attachments(url)[0]["text_chars"] > 0
    pdf_fetches = [h for _m, path, h in server.log if path == PDF_PATH]
    assert len(pdf_fetches) == 2
    assert pdf_fetches[1].get("if-none-match") == '"v1"'  # its validators came with the snapshot
    stats = latest["stats"]
    assert latest["outcome"] == "finished"
    assert (stats["archive/changed"], stats["archive/gone"], stats["archive/unchanged"]) == (1, 1, 7)
    assert stats["archive/rechecked"] == 9
    assert json.loads(json.dumps(stats))["crawl/healthy"] is True


def test_a_stopped_worker_hands_its_crawl_over(redis_server: RedisServer, tmp_path: Path) -> None:  # noqa: F811 — the fixture
    sites_dir, db = tmp_path / "sites", tmp_path / "archive.db"
    sites_dir.mkdir()
    server = FixtureServer(build_trs_site(12, 4))
    server.delay = 0.2
    site_file(sites_dir, "city", server, concurrency=2)
    cluster = Cluster(redis_server.url, db, sites_dir, tmp_path / "logs")
    try:
        cluster.start_worker("w1", "-s", "CLUSTER_LEASE_SECONDS=2")
        cluster.start_host("--once")
        crawl = cluster.crawl_of("city")
        wait_for(lambda: int(cluster.record(crawl).get("sent") or 0) >= 3, "the first articles")
        cluster.workers["w1"].send_signal(signal.SIGTERM)  # systemctl stop: a clean stop
        assert cluster.workers["w1"].wait(timeout=30) == 0, cluster.log("w1")
        server.delay = 0
        cluster.start_worker("w2", "-s", "CLUSTER_LEASE_SECONDS=2")
        assert cluster.host is not None and cluster.host.wait(timeout=60) == 0, cluster.log("host")
    finally:
        cluster.close()
        server.close()
    with Archive(db) as archive:
        assert (archive.stats()["documents"], archive.stats()["versions"], len(archive.events())) == (12, 12, 12)
        (row,) = archive.crawls()
    assert row["outcome"] == "finished" and row["stats"]["cluster/attempts"] == 2
    assert row["stats"]["archive/new"] == 12


def test_a_crawl_past_the_crawl_timeout_is_a_failure(redis_server: RedisServer, tmp_path: Path) -> None:  # noqa: F811 — the fixture
    sites_dir, db = tmp_path / "sites", tmp_path / "archive.db"
    sites_dir.mkdir()
    server = FixtureServer(build_trs_site(30, 6))
    server.delay = 0.5  # 30 articles, two at a time: far longer than the timeout
    site_file(sites_dir, "city", server, concurrency=2)
    cluster = Cluster(redis_server.url, db, sites_dir, tmp_path / "logs")
    try:
        cluster.start_worker("w1", "--stop-timeout", "5")
        cluster.start_host("--once", "--crawl-timeout", "3s")
        crawl = cluster.crawl_of("city")
        # --once exits 1 when a crawl failed, as on one machine
        assert cluster.host is not None and cluster.host.wait(timeout=60) == 1, cluster.log("host")
        wait_for(lambda: not crawl_children(crawl), "the timed-out crawl to be stopped")
        assert cluster.workers["w1"].poll() is None, cluster.log("w1")  # the worker goes on
    finally:
        cluster.close()
        server.close()
    with Archive(db) as archive:
        (row,) = archive.crawls()
        state = archive.site_state("city")
        documents = archive.stats()["documents"]
    assert row["outcome"] == "failed", row
    assert "timed out after 3s" in json.dumps(row["stats"], ensure_ascii=False), row["stats"]
    assert 0 < documents < 30  # what it sent before is archived, and it was stopped before the end
    assert state is not None and state["failures"] == 1 and state["backoff_until"], state
    assert "stopped at the crawl timeout" in cluster.log("w1")
