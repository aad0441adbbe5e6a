"""The archive's watch list and columns: watching and unwatching, per-crawl column results,
which column listed a document, and `backdated` judged by the column (its first complete
crawl is its baseline)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from helpers_archive import T0, at, record

from archive import Archive

COL_A = "http://www.example.gov.cn/tzgg/index.html"
COL_B = "http://www.example.gov.cn/zcwj/index.html"


@pytest.fixture
def archive(tmp_path):
    with Archive(tmp_path / "a.db", create=True) as a:
        yield a


def crawl(archive, when, saves, *, columns, outcome="finished", site="example"):
    """One crawl: `saves` are (record, column index or None); `columns` the column URLs and
    their outcome in the crawl."""
    ids = archive.ensure_columns(site, [(url, None) for url, _ in columns])
    crawl_id = archive.start_crawl(site, now=when)
    for item, column in saves:
        archive.save(site, item, crawl_id=crawl_id, column_id=None if column is None else ids[column],
                     now=when + timedelta(seconds=1))
    rows = [{"column_id": ids[i], "outcome": found, "items": 3} for i, (_, found) in enumerate(columns)]
    archive.finish_crawl(crawl_id, outcome, {}, columns=rows, now=when + timedelta(minutes=1))
    return crawl_id


def flags(archive, since):
    return {e["url"].rsplit("/", 1)[1]: e["backdated"] for e in archive.new_documents(since=since)}


def test_a_new_columns_old_items_are_not_backdated(archive):
    old = "2025-01-01"  # long before any sighting
    crawl(archive, at(0), [(record(1, published=old), 0)], columns=[(COL_A, "ok")])
    # later: column A lists a page dated long ago (back-dated), column B is crawled first
    crawl(archive, at(60), [(record(2, published=old), 0), (record(3, published=old), 1),
                            (record(4, published="2026-11-01"), 0)],
          columns=[(COL_A, "ok"), (COL_B, "ok")])
    assert flags(archive, at(0)) == {"1.html": False, "2.html": True, "3.html": False,
                                     "4.html": False}
    # B's next crawl: now B is known, its late old items are back-dated
    crawl(archive, at(120), [(record(5, published=old), 0)], columns=[(COL_B, "ok")])
    assert flags(archive, at(100)) == {"5.html": True}


def test_a_column_is_known_only_after_a_complete_walk(archive):
    old = "2025-01-01"
    crawl(archive, at(0), [(record(1, published=old), 0)], columns=[(COL_A, "ok")], outcome="partial")
    crawl(archive, at(60), [(record(2, published=old), 0)], columns=[(COL_A, "http_404")])
    crawl(archive, at(120), [(record(3, published=old), 0)], columns=[(COL_A, "ok")])
    crawl(archive, at(180), [(record(4, published=old), 0)], columns=[(COL_A, "ok")])
    assert flags(archive, at(0)) == {"1.html": False, "2.html": False, "3.html": False,
                                     "4.html": True}


def test_a_document_no_column_listed_is_judged_by_its_site(archive):
    old = "2025-01-01"
    crawl(archive, at(0), [(record(1, published=old), None)], columns=[])
    crawl(archive, at(60), [(record(2, published=old), None)], columns=[])
    assert flags(archive, at(0)) == {"1.html": False, "2.html": True}


def test_documents_remember_the_column_that_listed_them(archive):
    crawl(archive, at(0), [(record(1), 0), (record(2), 1)], columns=[(COL_A, "ok"), (COL_B, "ok")])
    crawl(archive, at(60), [(record(1), 1)], columns=[(COL_A, "ok"), (COL_B, "ok")])
    docs = {c["url"]: c["documents"] for c in archive.columns("example")}
    assert docs == {COL_A: 1, COL_B: 2}  # doc 1 was listed by A first, then by B too
    found = archive.columns("example")[1]["last_crawl"]
    assert (found["outcome"], found["items"], found["crawl_outcome"]) == ("ok", 3, "finished")


def test_watch_and_unwatch_columns_and_sites(archive):
    assert archive.watch_column("city", COL_A, name="通知公告", every="1h", now=T0)
    assert not archive.watch_column("city", COL_A + "#top", now=T0)  # the same column
    archive.watch_column("city", COL_B)
    archive.watch_site("nmpa", definition="nmpa", every="1d")
    listed = {s["site"]: s for s in archive.watched_sites()}
    assert listed["city"]["every"] == "1h" and listed["city"]["definition"] is None
    assert [(c["url"], c["name"]) for c in listed["city"]["columns"]] == [(COL_A, "通知公告"),
                                                                         (COL_B, None)]
    assert (listed["nmpa"]["definition"], listed["nmpa"]["every"], listed["nmpa"]["columns"]) == (
        "nmpa", "1d", [])
    (col_b,) = archive.find_columns(COL_B)
    assert not archive.unwatch_column(col_b["id"])  # A is left: the site stays watched
    (col_a,) = archive.find_columns(COL_A)
    assert archive.unwatch_column(col_a["id"])  # the last one: the site goes too
    assert [s["site"] for s in archive.watched_sites()] == ["nmpa"]
    assert archive.unwatch_site("nmpa") and not archive.unwatch_site("nmpa")
    assert archive.watched_sites() == [] and len(archive.columns("city")) == 2  # history stays


def test_column_states_for_the_scheduler(archive):
    crawl(archive, at(0), [], columns=[(COL_A, "ok"), (COL_B, "dns")])
    crawl(archive, at(60), [], columns=[(COL_A, "interrupted")], outcome="interrupted")
    ids = {c["url"]: c["id"] for c in archive.columns("example")}
    archive.record_site_outcome("example", {}, columns={ids[COL_B]: {
        "failures": 1, "backoff_until": at(400).isoformat(), "last_outcome": "dns", "bogus": 1}})
    other = "http://www.example.gov.cn/new/index.html"
    states = archive.column_states("example", [COL_A, COL_B, other], ignore=["interrupted"],
                                   ignore_crawls=["interrupted"])
    assert [s["last_crawled_at"] for s in states] == [
        "2026-11-01T08:01:00+00:00", "2026-11-01T08:01:00+00:00", None]
    assert (states[1]["failures"], states[1]["last_outcome"]) == (1, "dns")
    assert states[2]["id"] is None and states[2]["failures"] == 0


def test_a_column_added_to_a_bundled_site_keeps_its_definition(archive):
    assert archive.watch_site("nmpa", definition="nmpa", every="12h")
    assert archive.watch_column("nmpa", "https://www.nmpa.gov.cn/xxgk/ggtg/index.html")
    (site,) = archive.watched_sites()
    assert (site["definition"], site["every"]) == ("nmpa", "12h")
    assert [c["url"] for c in site["columns"]] == ["https://www.nmpa.gov.cn/xxgk/ggtg/index.html"]


def test_a_site_is_never_watched_without_the_column_it_was_added_for(archive, monkeypatch):
    def crash(*args, **kwargs):
        raise RuntimeError("killed between the site and the column")

    monkeypatch.setattr(Archive, "_ensure_column", crash)
    with pytest.raises(RuntimeError):
        archive.watch_column("example", COL_A)
    monkeypatch.undo()
    assert archive.watched_sites() == []
