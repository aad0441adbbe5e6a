from __future__ import annotations

import json

import pytest
from helpers_archive import at, record

from archive import Archive
from archive.errors import DocumentNotFound, VersionNotFound
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
                        "content_hash"}
    assert (doc["title"], doc["version"], doc["site"]) == ("更正后的标题", 2, "example")


def test_document_not_found(archive):
    with pytest.raises(DocumentNotFound):
        archive.document(99)
    with pytest.raises(DocumentNotFound):
        archive.document("http://nowhere.gov.cn/x.html")


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
    json.dumps([archive.document(1), archive.history(1), archive.events(), archive.stats(),
                archive.crawls(), archive.diff(1)])


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
    from archive import Archive

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
