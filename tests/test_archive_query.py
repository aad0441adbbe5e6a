from __future__ import annotations

import json
import sqlite3

import pytest
from helpers_archive import at, record

from archive import Archive
from archive import connect as archive_connect
from archive.errors import DocumentNotFound, VersionNotFound
from archive.events import is_backdated
from archive.migrations import SCHEMA_VERSION


@pytest.fixture
def archive(tmp_path):
    with Archive(tmp_path / "a.db", create=True) as a:
        crawl = a.start_crawl("example", now=at(0))
        a.save("example", record(1), crawl_id=crawl, now=at(1))
        a.save("example", record(1, title="更正后的标题", body="第一段。\n第二段已修改。"), crawl_id=crawl,
               now=at(2))
        a.save("example", record(2), crawl_id=crawl, now=at(3))
        a.mark_gone("example", record(2)["url"], crawl_id=crawl, now=at(4))
        a.finish_crawl(crawl, "finished", {"archive/new": 2}, now=at(5))
        yield a


def test_document_by_id_digits_and_url(archive):
    url = record(1)["url"]
    assert archive.document(1)["url"] == archive.document("1")["url"] == archive.document(url)["url"] == url


def test_document_keys(archive):
    doc = archive.document(1)
    assert set(doc) == {"id", "url", "site", "title", "published", "body", "metadata", "attachments",
                        "first_seen", "last_seen", "last_checked", "status", "gone_at", "version",
                        "content_hash", "files"}
    assert (doc["title"], doc["version"], doc["site"]) == ("更正后的标题", 2, "example")


def test_document_not_found(archive):
    with pytest.raises(DocumentNotFound):
        archive.document(99)
    with pytest.raises(DocumentNotFound):
        archive.document("http://nowhere.gov.cn/x.html")


@pytest.mark.parametrize("ref", ["https://www.example.gov.cn/art/2026/11/1.html",
                                 "HTTPS://www.example.gov.cn/art/2026/11/1.html",
                                 "www.example.gov.cn/art/2026/11/1.html",
                                 "//www.example.gov.cn/art/2026/11/1.html"])
def test_a_url_with_the_other_scheme_or_none_finds_the_one_document(archive, ref):
    assert archive.document(ref)["id"] == 1  # archived as http://
    assert [v["version"] for v in archive.history(ref)] == [1, 2]


def test_a_url_spelled_two_ways_in_the_archive_is_named_not_guessed(archive):
    https = record(3)["url"].replace("http://", "https://")
    archive.save("example", {**record(3), "url": https}, crawl_id=None, now=at(6))
    archive.save("example", record(3), crawl_id=None, now=at(7))
    assert archive.document(https)["url"] == https  # as given, when it is there
    bare = https.removeprefix("https://")
    with pytest.raises(DocumentNotFound, match=rf"^no document with URL {bare}; did you mean "
                                               rf"{record(3)['url']} or {https}\?$"):
        archive.document(bare)
    with pytest.raises(DocumentNotFound, match=r"^no document with URL ftp://www\.example\.gov\.cn/x$"):
        archive.document("ftp://www.example.gov.cn/x")


def test_history_oldest_first_with_version_keys(archive):
    history = archive.history(1)
    assert [v["version"] for v in history] == [1, 2]
    assert history[1]["changed_fields"] == ["title", "body"]
    assert {"document_id", "url", "site", "version", "title", "published", "body", "metadata",
            "attachments", "content_hash", "changed_fields", "crawl_id", "fetched_at",
            "capture_sha", "first_seen", "status"} <= set(history[0])


def test_version_not_found(archive):
    assert archive.version(1, 1)["title"] == record(1)["title"]
    with pytest.raises(VersionNotFound):
        archive.version(1, 3)


def test_diff_fields_and_body(archive):
    diff = archive.diff(1)
    assert (diff["from"], diff["to"], diff["url"]) == (1, 2, record(1)["url"])
    assert diff["fields"] == {"title": {"old": record(1)["title"], "new": "更正后的标题"}}
    assert "+第二段已修改。\n" in diff["body_diff"]
    assert diff["changed_fields"] == ["title", "body"]


def test_diff_of_first_version_is_against_nothing(archive):
    diff = archive.diff(2)
    assert diff["from"] is None and diff["to"] == 1
    assert diff["body_diff"].count("\n+") >= 1


def test_events_since_and_kinds(archive):
    assert [e["kind"] for e in archive.events(since=at(2))] == ["changed", "new", "gone"]
    assert [e["document_id"] for e in archive.events(kinds=["new"])] == [1, 2]
    assert archive.events(since="2026-11-01T08:04:00+00:00")[0]["kind"] == "gone"


def test_events_after_id_and_limit(archive):
    assert [e["id"] for e in archive.events(after_id=2, limit=1)] == [3]


def test_event_record_names_document(archive):
    event = archive.events(kinds=["gone"])[0]
    assert (event["url"], event["title"], event["status"], event["time"]) == (
        record(2)["url"], record(2)["title"], "gone", "2026-11-01T08:04:00+00:00")


def test_export_current_documents(archive):
    exported = list(archive.export())
    assert [d["version"] for d in exported] == [2, 1]
    assert [d["id"] for d in archive.export(since=at(4))] == [2]  # gone at minute 4


def test_records_are_json_ready(archive):
    records = {"document": archive.document(1), "history": archive.history(1),
               "events": archive.events(), "stats": archive.stats(), "crawls": archive.crawls(),
               "diff": archive.diff(1), "new": archive.new_documents()}
    # JSON-native values only (no datetimes, tuples or bytes): a round trip changes nothing.
    assert json.loads(json.dumps(records)) == records
    # JSON columns arrive decoded, as the values that were saved.
    assert records["document"]["metadata"] == record(1)["metadata"]
    assert records["document"]["attachments"] == record(1)["attachments"]
    assert [v["changed_fields"] for v in records["history"]] == [
        ["title", "published", "body", "metadata", "attachments"], ["title", "body"]]
    assert records["crawls"][0]["stats"] == {"archive/new": 2}
    assert [e["time"] for e in records["events"]] == [
        "2026-11-01T08:01:00+00:00", "2026-11-01T08:02:00+00:00", "2026-11-01T08:03:00+00:00",
        "2026-11-01T08:04:00+00:00"]


def test_crawls_and_last_finished(archive):
    last = archive.last_finished_crawl("example")
    assert (last["outcome"], last["stats"], last["site"]) == ("finished", {"archive/new": 2}, "example")
    assert archive.last_finished_crawl("nope") is None
    archive.start_crawl("example", now=at(9))
    assert [c["finished_at"] is None for c in archive.crawls("example")] == [True, False]


def test_stats_counts(archive):
    stats = archive.stats()
    assert (stats["documents"], stats["live"], stats["gone"], stats["versions"], stats["events"]) == (
        2, 1, 1, 3, 4)
    assert stats["schema_version"] == SCHEMA_VERSION


def test_diff_ignores_whitespace_like_history(tmp_path):
    with Archive(tmp_path / "a.db", create=True) as a:
        crawl = a.start_crawl("example", now=at(0))
        a.save("example", record(1, title="关于 印发 通知", body="第一段 内容\n第二段"), crawl_id=crawl, now=at(1))
        # the title loses a space (whitespace only) while the metadata really changes
        a.save("example", record(1, title="关于印发 通知", body="第一段内容\n第二段",
                                 metadata={"issuer": "市司法局"}), crawl_id=crawl, now=at(2))
        history = a.history(1)
        diff = a.diff(1)
        assert history[-1]["changed_fields"] == ["metadata"]
        assert diff["changed_fields"] == history[-1]["changed_fields"]
        assert list(diff["fields"]) == ["metadata"]
        assert diff["body_diff"] == ""  # the bodies differ only by whitespace
        first = a.diff(1, to_version=1)  # against nothing: an empty body is no change
        assert first["changed_fields"] == history[0]["changed_fields"]
        a.save("example", record(2, body=""), crawl_id=crawl, now=at(3))
        assert "body" not in a.diff(2)["changed_fields"]


def test_events_newest_first_with_a_limit(archive):
    assert [e["id"] for e in archive.events(newest_first=True)] == [4, 3, 2, 1]
    assert [e["kind"] for e in archive.events(newest_first=True, limit=2)] == ["gone", "new"]
    assert [e["id"] for e in archive.events(kinds=["new"], newest_first=True, limit=1)] == [3]
    assert [e["id"] for e in archive.events(limit=2)] == [1, 2]  # oldest first by default


def test_events_newest_first_limits_in_sql(archive):
    queries = []
    with archive.db.tracer(lambda sql, params: queries.append((sql, params))):
        archive.events(newest_first=True, limit=2)
    [(sql, params)] = queries
    assert "ORDER BY e.id DESC LIMIT ?" in sql and params[-1] == 2


def test_events_with_body_carry_their_versions_body(archive):
    events = archive.events(with_body=True)
    assert [e["body"] for e in events] == [
        archive.version(1, 1)["body"], archive.version(1, 2)["body"],
        archive.version(2, 1)["body"], archive.version(2, 1)["body"]]
    assert "body" not in archive.events()[0]


@pytest.fixture
def two_crawls(tmp_path):
    """`example`: crawl 1 (finished) then crawl 2; `other`: one crawl, unfinished."""
    with Archive(tmp_path / "b.db", create=True) as a:
        first = a.start_crawl("example", now=at(0))
        a.save("example", record(1, published="2025-01-01"), crawl_id=first, now=at(1))
        a.finish_crawl(first, "finished", {}, now=at(2))
        second = a.start_crawl("example", now=at(3))
        a.save("example", record(2, published="2025-01-01"), crawl_id=second, now=at(4))
        a.save("example", record(3, published="2026-10-02"), crawl_id=second, now=at(5))  # 31 days
        a.save("example", record(4, published="2026-10-04"), crawl_id=second, now=at(6))  # 29 days
        a.save("example", record(5, published=None), crawl_id=second, now=at(7))
        other = a.start_crawl("other", now=at(8))
        a.save("other", record(6, published="2020-01-01"), crawl_id=other, now=at(9))
        yield a


def test_new_documents_flag_backdated_pages_on_known_sites(two_crawls):
    found = two_crawls.new_documents()
    assert [(e["document_id"], e["backdated"]) for e in found] == [
        (1, False),  # the site's first crawl: everything is new to us
        (2, True), (3, True),  # more than 30 days older than our first sighting
        (4, False), (5, False),  # 29 days old; no date at all
        (6, False),  # another site, still on its first crawl
    ]
    assert set(found[0]) == set(two_crawls.events(kinds=["new"])[0]) | {"backdated"}
    assert list(found[0])[-1] == "backdated"


def test_new_documents_filters(two_crawls):
    assert [e["document_id"] for e in two_crawls.new_documents(since=at(5))] == [3, 4, 5, 6]
    assert [e["document_id"] for e in two_crawls.new_documents(site="other")] == [6]
    assert [e["kind"] for e in two_crawls.new_documents()] == ["new"] * 6


def test_a_crawl_finished_after_the_sighting_does_not_count(two_crawls):
    two_crawls.finish_crawl(3, "finished", {}, now=at(10))  # `other`'s own crawl, after the event
    later = two_crawls.start_crawl("other", now=at(11))
    two_crawls.save("other", record(7, published="2020-01-01"), crawl_id=later, now=at(12))
    two_crawls.finish_crawl(later, "finished", {}, now=at(13))  # after both sightings
    flags = {e["document_id"]: e["backdated"] for e in two_crawls.new_documents(site="other")}
    assert flags == {6: False, 7: True}


def test_the_sightings_own_crawl_does_not_count(two_crawls):
    crawl = two_crawls.start_crawl("third", now=at(10))
    two_crawls.finish_crawl(crawl, "finished", {}, now=at(11))
    two_crawls.save("third", record(8, published="2020-01-01"), crawl_id=crawl, now=at(12))
    assert [e["backdated"] for e in two_crawls.new_documents(site="third")] == [False]


def test_backdated_needs_an_old_date_and_a_known_site() -> None:
    seen = "2026-11-24T10:00:00+00:00"
    assert is_backdated("2025-11-01", seen, site_known=True)
    assert not is_backdated("2025-11-01", seen, site_known=False)
    assert not is_backdated("2026-11-20", seen, site_known=True)
    assert not is_backdated(None, seen, site_known=True)
    assert not is_backdated("garbage", seen, site_known=True)


def test_write_problem_none_on_a_writable_archive(archive):
    assert archive.write_problem() is None
    assert archive.schema_version == SCHEMA_VERSION  # the probe wrote nothing
    assert not archive.conn.in_transaction


def test_write_problem_busy_while_another_writer_holds_the_lock(tmp_path):
    path = tmp_path / "a.db"
    Archive(path, create=True).close()
    blocker = sqlite3.connect(path, isolation_level=None)
    blocker.execute("BEGIN IMMEDIATE")
    try:
        with Archive(path, busy_timeout=0.05) as a:
            assert a.write_problem() == "archive is busy (another process is writing)"
            blocker.execute("ROLLBACK")
            assert a.write_problem() is None
    finally:
        blocker.close()


def test_write_problem_read_only(tmp_path, monkeypatch):
    path = tmp_path / "a.db"
    Archive(path, create=True).close()
    monkeypatch.setattr(archive_connect, "_writable", lambda path: False)  # root ignores file modes
    with Archive(path) as a:
        assert a.read_only
        assert a.write_problem() == "archive is read-only for this process"
