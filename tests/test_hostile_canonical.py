"""One article, one document: dot segments, escaped unreserved characters and repeated
slashes fold into one canonical URL; archives made before keep working (migration
005_canonical_urls merges the columns and documents that turn out to be one: the documents of a
release archive in test_archive_migrate_spellings.py); one URL validator."""

from __future__ import annotations

import re
import sqlite3
from pathlib import Path

import pytest
from helpers_archive import at, check_consistency, record, rewind_before_canonical_urls
from helpers_crawl import run_crawl, summary
from helpers_hostile import HostileServer, article, column

from archive import Archive
from archive.urls import BadURL, canonical_url, check_url

BEFORE = Path(__file__).parent / "fixtures" / "archive" / "before-hostile.sqlite"
PAGE = "http://www.city.gov.cn/a/b.html"


@pytest.mark.parametrize(("url", "expected"), [
    ("http://x.gov.cn/a/x/../b.html", "http://x.gov.cn/a/b.html"),
    ("http://x.gov.cn/a/./b.html", "http://x.gov.cn/a/b.html"),
    ("http://x.gov.cn/a/b/..", "http://x.gov.cn/a/"),
    ("http://x.gov.cn/../../a.html", "http://x.gov.cn/a.html"),
    ("http://x.gov.cn/a//b.html", "http://x.gov.cn/a/b.html"),
    ("http://x.gov.cn//a///b.html", "http://x.gov.cn/a/b.html"),
    ("http://x.gov.cn/%61/%7Eb%2d%5F.html", "http://x.gov.cn/a/~b-_.html"),
    ("http://x.gov.cn/a%2fb.html?q=%6e%e6%b3%95", "http://x.gov.cn/a%2Fb.html?q=n%E6%B3%95"),
    ("http://x.gov.cn/a/%2E%2E/b.html", "http://x.gov.cn/b.html"),
    ("http://x.gov.cn/公告 1.html", "http://x.gov.cn/%E5%85%AC%E5%91%8A%201.html"),
    ("http://中国政府.cn/a", "http://xn--fiqs8sirgfmh.cn/a"),
    ("http://[::1]:8080/a", "http://[::1]:8080/a"),
    ("http://x.gov.cn/a?b=2&a=1", "http://x.gov.cn/a?b=2&a=1"),  # order kept, on purpose
    ("http://x.gov.cn/a?q=a//b/../c", "http://x.gov.cn/a?q=a//b/../c"),  # queries are not paths
    ("http://[::1", "http://[::1"),  # malformed: kept, never an exception
])
def test_one_page_one_canonical_url(url: str, expected: str) -> None:
    assert canonical_url(url) == expected
    assert canonical_url(expected) == expected  # idempotent: the migration relies on it


@pytest.mark.parametrize("url", ["http://www.gov.cn/", "https://127.0.0.1:8080/a?b=1#c",
                                 "http://中国政府.cn/", "http://user:pw@h.gov.cn/x",
                                 "http://[::1]:8080/", "  http://x.gov.cn/a  ", "http://a_b.gov.cn/"])
def test_check_url_takes_web_urls(url: str) -> None:
    assert check_url(url) == url.strip()


@pytest.mark.parametrize(("url", "message"), [
    ("", "empty URL"),
    ("www.gov.cn", "not an http(s) URL"),
    ("javascript:alert(1)", "not an http(s) URL"),
    ("http://[::1", "is not a valid URL (invalid ipv6 url)"),
    ("http://h.gov.cn:99999/", "port out of range"),
    ("http://h.gov.cn:port/", "is not a valid URL"),
    ("http://h.gov.cn:0/", "port 0"),
    ("http://exa mple.com/", "is not a valid URL (spaces"),
    ("http://h.gov.cn/\x07", "control characters"),
    ("http:///a", "has no host"),
    ("http://-h.gov.cn/", "is not a valid host name"),
    ("http://h..gov.cn/", "is not a valid host name"),
])
def test_check_url_refuses_with_one_line(url: str, message: str) -> None:
    with pytest.raises(BadURL, match=re.escape(message)) as caught:
        check_url(url)
    assert "\n" not in str(caught.value)


def test_a_crawl_archives_one_document_per_page_however_it_is_spelled(tmp_path: Path) -> None:
    spellings = ["/a/x/../b.html", "/a/%62.html", "/a//b.html", "/a/b.html"]
    with HostileServer() as server:
        links = [server.url(path) for path in spellings]  # absolute: urljoin keeps the dots
        server.pages.update({"/list/index.html": column(links)})
        server.pages.update({path: article(1) for path in spellings})
        db = tmp_path / "a.db"
        proc = run_crawl(db, "--url", server.url("/list/index.html"))
        assert summary(proc)["sites"][0]["stats"]["archive/new"] == 1, proc.stderr[-2000:]
        with Archive(db) as archive:
            assert [d["url"] for d in archive.export()] == [server.url("/a/b.html")]
            assert len(archive.events(kinds=["new"])) == 1


def test_columns_that_turn_out_to_be_one_are_merged(tmp_path: Path) -> None:
    db = tmp_path / "a.db"
    with Archive(db, create=True) as a:
        crawl = a.start_crawl("city")
        first = a.watch_column("city", "http://www.city.gov.cn/tzgg/index.html", name="通知公告")
        assert first
        [one, two, _other] = a.ensure_columns("city", [
            ("http://www.city.gov.cn/tzgg/index.html", None),
            ("http://www.city.gov.cn/tzgg/placeholder.html", None),
            ("http://www.city.gov.cn/zcwj/index.html", None)])
        doc = a.save("city", record(1), crawl_id=crawl).document_id
        a.conn.execute("INSERT INTO document_columns VALUES (?, ?, '2026-01-02T00:00:00+00:00', ?)",
                       (doc, one, crawl))
        a.conn.execute("INSERT INTO document_columns VALUES (?, ?, '2026-01-01T00:00:00+00:00', ?)",
                       (doc, two, crawl))
        for column, items in ((one, 3), (two, 4)):
            a.conn.execute("INSERT INTO column_crawls (column_id, crawl_id, outcome, list_pages, "
                           "items, new) VALUES (?, ?, 'ok', 1, ?, 1)", (column, crawl, items))
        a.finish_crawl(crawl, "finished", {})
    # Written before 004: the second column's URL as the old canonical form kept it.
    with sqlite3.connect(db) as conn:
        conn.execute("UPDATE columns SET url = 'http://www.city.gov.cn//tzgg/index.html' "
                     "WHERE id = ?", (two,))
    rewind_before_canonical_urls(db)
    with Archive(db) as a:
        columns = {c["url"]: c for c in a.columns("city")}
        assert sorted(columns) == ["http://www.city.gov.cn/tzgg/index.html",
                                   "http://www.city.gov.cn/zcwj/index.html"]
        merged = columns["http://www.city.gov.cn/tzgg/index.html"]
        assert (merged["id"], merged["watched"], merged["name"], merged["documents"]) == \
            (one, 1, "通知公告", 1)
        [found] = a.column_crawls(one)
        assert (found["items"], found["list_pages"], found["new"]) == (7, 2, 2)
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT column_id, first_seen FROM document_columns").fetchall() == \
            [(one, "2026-01-01T00:00:00+00:00")]  # the earlier sighting
    assert check_consistency(db) == []


def test_a_merged_document_keeps_the_columns_that_listed_it(tmp_path: Path) -> None:
    db = tmp_path / "a.db"
    with Archive(db, create=True) as a:
        crawl = a.start_crawl("city")
        [column] = a.ensure_columns("city", [("http://www.city.gov.cn/tzgg/", None)])
        keep = a.save("city", record(1), crawl_id=crawl, now=at(0)).document_id
        dupe = a.save("city", record(2), crawl_id=crawl, now=at(5)).document_id
        for doc, seen in ((keep, "2026-11-01T08:10:00+00:00"), (dupe, "2026-11-01T08:05:00+00:00")):
            a.conn.execute("INSERT INTO document_columns VALUES (?, ?, ?, ?)",
                           (doc, column, seen, crawl))
        a.finish_crawl(crawl, "finished", {})
    with sqlite3.connect(db) as conn:  # saved apart by the old canonical form
        conn.execute("UPDATE documents SET url = ? WHERE id = ?",
                     (record(1)["url"].replace("/art/", "/art/x/../"), dupe))
    rewind_before_canonical_urls(db)
    with Archive(db) as a:
        assert [d["id"] for d in a.export()] == [keep]
        assert [c["documents"] for c in a.columns("city")] == [1]
        assert len(a.history(keep)) == 2
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT document_id, first_seen FROM document_columns").fetchall() == \
            [(keep, "2026-11-01T08:05:00+00:00")]
    assert check_consistency(db) == []
