from __future__ import annotations

import sqlite3
from dataclasses import dataclass, field

import pytest
from helpers_archive import at, record

from archive import Archive, Capture
from archive import db as archive_db
from archive.captures import DEFAULT_CODEC, compress, decompress


@pytest.fixture
def archive(tmp_path):
    with Archive(tmp_path / "a.db", create=True) as a:
        yield a


@pytest.fixture
def crawl(archive):
    return archive.start_crawl("example", now=at(0))


def test_new_document(archive, crawl):
    result = archive.save("example", record(), crawl_id=crawl, now=at(1))
    assert (result.outcome, result.version) == ("new", 1)
    assert [e["kind"] for e in archive.events()] == ["new"]


def test_unchanged_creates_no_version_and_no_event(archive, crawl):
    archive.save("example", record(), crawl_id=crawl, now=at(1))
    result = archive.save("example", record(), crawl_id=crawl, now=at(2))
    assert (result.outcome, result.version, result.changed_fields) == ("unchanged", 1, [])
    assert len(archive.history(result.document_id)) == 1
    assert len(archive.events()) == 1


def test_unchanged_updates_last_seen_and_last_checked(archive, crawl):
    archive.save("example", record(), crawl_id=crawl, now=at(1))
    archive.save("example", record(), crawl_id=crawl, now=at(5))
    doc = archive.document(record()["url"])
    assert (doc["first_seen"], doc["last_seen"], doc["last_checked"]) == (
        "2026-11-01T08:01:00+00:00", "2026-11-01T08:05:00+00:00", "2026-11-01T08:05:00+00:00")


def test_whitespace_only_change_is_not_a_change(archive, crawl):
    archive.save("example", record(), crawl_id=crawl, now=at(1))
    spaced = record(title=" 关于第1批法治政府建设示范项目的通知\u3000",
                    body="为深入推进法治政府建设， 现将第1批示范项目公布如下。\n\n\n 各单位要认真组织实施。 ")
    assert archive.save("example", spaced, crawl_id=crawl, now=at(2)).outcome == "unchanged"


def test_different_raw_bytes_same_content_is_unchanged(archive, crawl):
    archive.save("example", record(), crawl_id=crawl, capture=Capture(b"<p>views: 1</p>"), now=at(1))
    result = archive.save("example", record(), crawl_id=crawl, capture=Capture(b"<p>views: 2</p>"),
                          now=at(2))
    assert result.outcome == "unchanged"
    assert archive.stats()["capture_blobs"] == 1


def test_changed_body_creates_version_and_event(archive, crawl):
    archive.save("example", record(), crawl_id=crawl, now=at(1))
    result = archive.save("example", record(body="正文已更正。"), crawl_id=crawl, now=at(2))
    assert (result.outcome, result.version, result.changed_fields) == ("changed", 2, ["body"])
    assert [(e["kind"], e["version"]) for e in archive.events()] == [("new", 1), ("changed", 2)]


def test_changed_back_creates_third_version(archive, crawl):
    archive.save("example", record(), crawl_id=crawl, now=at(1))
    archive.save("example", record(title="标题改了"), crawl_id=crawl, now=at(2))
    result = archive.save("example", record(), crawl_id=crawl, now=at(3))
    assert (result.outcome, result.version, result.changed_fields) == ("changed", 3, ["title"])
    assert [v["title"] for v in archive.history(result.document_id)] == [
        record()["title"], "标题改了", record()["title"]]


def test_field_set_to_null_is_a_change(archive, crawl):
    archive.save("example", record(), crawl_id=crawl, now=at(1))
    result = archive.save("example", record(published=None), crawl_id=crawl, now=at(2))
    assert (result.outcome, result.changed_fields) == ("changed", ["published"])
    assert archive.document(result.document_id)["published"] is None


def test_metadata_change_is_tracked(archive, crawl):
    archive.save("example", record(), crawl_id=crawl, now=at(1))
    result = archive.save("example", record(metadata={"issuer": "市司法局"}), crawl_id=crawl, now=at(2))
    assert result.changed_fields == ["metadata"]


def test_gone_then_restored_unchanged(archive, crawl):
    archive.save("example", record(), crawl_id=crawl, now=at(1))
    assert archive.mark_gone("example", record()["url"], crawl_id=crawl, now=at(2)) is True
    assert archive.document(1)["status"] == "gone"
    result = archive.save("example", record(), crawl_id=crawl, now=at(3))
    assert (result.outcome, result.version) == ("restored", 1)
    assert [e["kind"] for e in archive.events()] == ["new", "gone", "restored"]
    assert archive.document(1)["status"] == "live"


def test_gone_then_restored_changed_adds_version(archive, crawl):
    archive.save("example", record(), crawl_id=crawl, now=at(1))
    archive.mark_gone("example", record()["url"], crawl_id=crawl, now=at(2))
    result = archive.save("example", record(body="恢复后的新正文"), crawl_id=crawl, now=at(3))
    assert (result.outcome, result.version) == ("restored", 2)
    assert archive.events(kinds=["restored"])[0]["version"] == 2


def test_mark_gone_twice_is_one_event(archive, crawl):
    archive.save("example", record(), crawl_id=crawl, now=at(1))
    archive.mark_gone("example", record()["url"], crawl_id=crawl, now=at(2))
    assert archive.mark_gone("example", record()["url"], crawl_id=crawl, now=at(3)) is False
    assert len(archive.events(kinds=["gone"])) == 1


def test_mark_checked_updates_last_checked_only(archive, crawl):
    archive.save("example", record(), crawl_id=crawl, now=at(1))
    assert archive.mark_checked("example", record()["url"], crawl_id=crawl, now=at(9)) is True
    doc = archive.document(1)
    assert (doc["last_checked"], doc["version"]) == ("2026-11-01T08:09:00+00:00", 1)
    assert archive.mark_checked("example", "http://nope.gov.cn/", crawl_id=crawl) is False


def test_canonical_url_identity(archive, crawl):
    archive.save("example", record(url="http://WWW.example.gov.cn/a.html?id=7&utm_source=wx#top"),
                 crawl_id=crawl, now=at(1))
    result = archive.save("example", record(url="http://www.example.gov.cn/a.html?id=7&spm=1.2"),
                          crawl_id=crawl, now=at(2))
    assert result.outcome == "unchanged"
    assert archive.document(1)["url"] == "http://www.example.gov.cn/a.html?id=7"


def test_meaningful_query_param_is_another_document(archive, crawl):
    archive.save("example", record(url="http://www.example.gov.cn/a.html?id=7"), crawl_id=crawl)
    result = archive.save("example", record(url="http://www.example.gov.cn/a.html?id=8"), crawl_id=crawl)
    assert (result.outcome, result.document_id) == ("new", 2)


def test_same_url_on_two_sites_is_two_documents(archive, crawl):
    archive.save("example", record(), crawl_id=crawl)
    assert archive.save("other", record(), crawl_id=None).outcome == "new"


def test_identical_capture_bytes_stored_once(archive, crawl):
    page = Capture(b"<html>same bytes</html>", headers={"content-type": "text/html"})
    archive.save("example", record(1), crawl_id=crawl, capture=page)
    archive.save("example", record(2), crawl_id=crawl, capture=page)
    stats = archive.stats()
    assert (stats["captures"], stats["capture_blobs"]) == (2, 1)


def test_capture_roundtrip(archive, crawl):
    raw = "<html><meta charset=gbk>公告</html>".encode("gbk")
    page = Capture(raw, status=200, url="http://www.example.gov.cn/final.html",
                   headers={"ETag": '"abc"'}, declared_encoding="gbk", used_encoding="gb18030")
    archive.save("example", record(), crawl_id=crawl, capture=page)
    sha = archive.history(1)[0]["capture_sha"]
    assert archive.capture_bytes(sha) == raw
    info = archive.capture(sha)
    assert (info["status"], info["headers"], info["used_encoding"]) == (200, {"etag": '"abc"'}, "gb18030")


def test_known_documents_carry_validators(archive, crawl):
    page = Capture(b"x", headers={"etag": '"v1"', "last-modified": "Sun, 01 Nov 2026 08:00:00 GMT"})
    archive.save("example", record(), crawl_id=crawl, capture=page)
    (known,) = archive.known_documents("example")
    assert (known["etag"], known["last_modified"], known["status"]) == (
        '"v1"', "Sun, 01 Nov 2026 08:00:00 GMT", "live")
    assert known["capture_sha"] == archive.history(1)[0]["capture_sha"]


def test_save_accepts_dataclass(archive, crawl):
    @dataclass
    class Item:
        url: str
        title: str
        body: str
        published: str | None = None
        metadata: dict = field(default_factory=dict)
        attachments: list = field(default_factory=list)

    result = archive.save("example", Item("http://x.gov.cn/1", "标题", "正文"), crawl_id=crawl)
    assert result.outcome == "new"


@pytest.mark.parametrize("codec", ["xz", "zlib", "raw"])
def test_capture_codecs_roundtrip(codec):
    raw = "<html>法治政府建设</html>".encode() * 100
    assert decompress(compress(raw, codec), codec) == raw


def test_blobs_of_an_older_codec_stay_readable(archive, crawl, monkeypatch):
    old = "<html>旧的 xz 快照</html>".encode() * 50
    # an archive written before zlib became the default
    monkeypatch.setattr(archive_db, "DEFAULT_CODEC", "xz")
    monkeypatch.setattr(archive_db, "compress", lambda data: compress(data, "xz"))
    archive.save("example", record(1), crawl_id=crawl, capture=Capture(old))
    monkeypatch.undo()
    new = "<html>新的快照</html>".encode() * 50
    archive.save("example", record(2), crawl_id=crawl, capture=Capture(new))
    codecs = dict(archive.conn.execute("SELECT size, codec FROM capture_blobs"))
    assert codecs == {len(old): "xz", len(new): DEFAULT_CODEC} and DEFAULT_CODEC == "zlib"
    shas = [archive.history(n)[0]["capture_sha"] for n in (1, 2)]
    assert [archive.capture_bytes(sha) for sha in shas] == [old, new]


def test_each_save_is_its_own_transaction(archive, crawl, monkeypatch):
    outcomes = [archive.save("example", r, crawl_id=crawl).outcome for r in (record(1), record(1))]
    assert outcomes == ["new", "unchanged"]

    def fail(*args, **kwargs):
        raise RuntimeError("crash while writing the event")

    monkeypatch.setattr(type(archive), "_event", fail)
    with pytest.raises(RuntimeError):
        archive.save("example", record(2), crawl_id=crawl)
    monkeypatch.undo()
    assert [d["url"] for d in archive.export()] == [record(1)["url"]]  # only the failed item is gone
    assert archive.save("example", record(2), crawl_id=crawl).outcome == "new"


def test_record_without_url_is_refused(archive, crawl):
    with pytest.raises(ValueError, match="without a url"):
        archive.save("example", {"title": "t"}, crawl_id=crawl)


def test_sites_and_base_url(archive):
    archive.ensure_site("example", base_url="http://www.example.gov.cn/")
    assert [(s["name"], s["base_url"]) for s in archive.sites()] == [
        ("example", "http://www.example.gov.cn/")]


def test_mark_checked_and_gone_on_unknown_site_or_url(archive, crawl):
    archive.save("example", record(), crawl_id=crawl, now=at(1))
    for mark in (archive.mark_checked, archive.mark_gone):
        assert mark("nosuchsite", record()["url"], crawl_id=crawl) is False
        assert mark("example", "http://www.example.gov.cn/unknown.html", crawl_id=crawl) is False
    assert archive.events(kinds=["gone"]) == []
    # both canonicalize the URL (the fragment is dropped)
    assert archive.mark_gone("example", record()["url"] + "#top", crawl_id=crawl, now=at(2)) is True
    assert archive.mark_checked("example", record()["url"] + "#top", crawl_id=crawl, now=at(3)) is True
    assert [e["kind"] for e in archive.events()] == ["new", "gone", "restored"]


def test_marking_on_an_unknown_site_takes_no_write_lock(tmp_path):
    path = tmp_path / "a.db"
    Archive(path, create=True).close()
    blocker = sqlite3.connect(path)
    blocker.execute("BEGIN IMMEDIATE")  # another writer holds the lock
    try:
        with Archive(path, busy_timeout=0.1) as archive:
            assert archive.mark_checked("nosuchsite", "http://x/", crawl_id=None) is False
            assert archive.mark_gone("nosuchsite", "http://x/", crawl_id=None) is False
    finally:
        blocker.rollback()
        blocker.close()
