from __future__ import annotations

import pytest
from helpers_archive import at, record

from archive import Archive, search

DOCS = [
    # columns: n, site, title, published, body
    (1, "city", "关于加强法治政府建设的通知", "2026-10-01", "全面推进依法行政，建设法治政府。"),
    (2, "city", "2026年税收征管工作要点", "2026-11-05", "优化税务执法方式，推进法治建设\n各地税务机关遵照执行"),
    (3, "county", "县人民政府关于农村道路建设的公告", "2026-09-15", "本县道路建设项目公示。税"),
    (4, "county", "关于公布行政执法人员名单的通告", None, "依据法治原则，公布执法人员名单。"),
]


@pytest.fixture(params=["indexed", "queued"])
def archive(tmp_path, request):
    """Every test runs twice: with the search index up to date, and with updates still queued."""
    with Archive(tmp_path / "a.db", create=True) as a:
        for n, site, title, published, body in DOCS:
            a.save(site, record(n, title=title, published=published, body=body), crawl_id=None,
                   now=at(n))
        if request.param == "indexed":
            a.index_pending()
        else:
            a.index_batch = 10**9
        yield a


def ids(hits):
    return [h["id"] for h in hits]


def test_one_character_query(archive):
    assert sorted(ids(archive.search("税"))) == [2, 3]


def test_one_character_at_end_of_body(archive):
    assert 3 in ids(archive.search("税"))


def test_two_character_query(archive):
    assert sorted(ids(archive.search("法治"))) == [1, 2, 4]


def test_two_character_query_title_hits_first_then_newest(archive):
    assert ids(archive.search("法治")) == [1, 2, 4]
    assert ids(archive.search("建设")) == [1, 3, 2]


def test_two_character_query_at_end_of_title(archive):
    assert ids(archive.search("通告")) == [4]


def test_three_character_query(archive):
    assert ids(archive.search("执法人")) == [4]


def test_eight_character_query(archive):
    assert ids(archive.search("优化税务执法方式")) == [2]


def test_long_query_ranks_title_hit_first(archive):
    assert ids(archive.search("法治政府")) == [1]
    assert ids(archive.search("道路建设")) == [3]


def test_multiple_terms_must_all_match(archive):
    assert ids(archive.search("法治 税务")) == [2]
    assert ids(archive.search("依法行政 政府")) == [1]


def test_filter_site(archive):
    assert ids(archive.search("法治", site="county")) == [4]


def test_filter_published_range(archive):
    assert ids(archive.search("建设", published_from="2026-10-01", published_to="2026-10-31")) == [1]
    assert ids(archive.search("法治政府", published_to="2026-09-30")) == []


def test_filter_status(archive):
    archive.mark_gone("city", record(1)["url"], crawl_id=None)
    assert ids(archive.search("法治", status="live")) == [2, 4]
    assert ids(archive.search("法治政府", status="gone")) == [1]


def test_search_sees_only_current_version(archive):
    archive.save("city", record(1, title="关于调整工作安排的通知", body="内容已撤换。"), crawl_id=None)
    assert ids(archive.search("法治政府")) == []
    assert ids(archive.search("撤换")) == [1]
    assert ids(archive.search("工作安排")) == [1]


def test_snippet_and_rank(archive):
    (hit,) = archive.search("优化税务")
    assert "[优化税务]执法方式" in hit["snippet"]
    assert isinstance(hit["rank"], float)
    assert hit["url"] == record(2)["url"]


def test_no_match_and_empty_query(archive):
    assert archive.search("完全不存在的词语") == []
    assert archive.search("  ") == []


def test_ascii_query_is_case_insensitive(tmp_path):
    with Archive(tmp_path / "b.db", create=True) as a:
        a.save("s", record(1, title="PM2.5 monitoring report", body="Air quality"), crawl_id=None)
        assert ids(a.search("pm2.5")) == [1]
        assert ids(a.search("Ai")) == [1]


def test_limit(archive):
    assert len(archive.search("法治", limit=2)) == 2


@pytest.mark.parametrize("query", ["法治", "税", "法治政府建设", "法治 建设"])
def test_search_page_counts_every_match(archive, query):
    every = archive.search(query, limit=100)
    hits, total = archive.search_page(query, limit=1)
    assert total == len(every) and hits == every[:1]
    rest, total_again = archive.search_page(query, offset=1, limit=100)
    assert rest == every[1:] and total_again == total
    assert archive.search_page("完全不存在的词语") == ([], 0)


def test_search_page_count_stops_at_the_ranking_window(archive, monkeypatch):
    monkeypatch.setattr(search, "RANK_WINDOW", 2)
    hits, total = archive.search_page("法治", site="city", limit=1)
    assert len(hits) == 1 and total == 2


def test_index_batches_apply_queue(tmp_path):
    with Archive(tmp_path / "b.db", create=True) as a:
        a.index_batch = 2
        a.save("s", record(1), crawl_id=None)
        assert a.stats()["search_queue"] == 1
        a.save("s", record(2), crawl_id=None)
        assert a.stats()["search_queue"] == 0


def test_close_applies_queue(tmp_path):
    with Archive(tmp_path / "b.db", create=True) as a:
        a.save("s", record(1), crawl_id=None)
    with Archive(tmp_path / "b.db") as a:
        assert a.stats()["search_queue"] == 0
        assert ids(a.search("法治政府")) == [1]


def test_superseded_queued_version_never_reaches_index(tmp_path):
    with Archive(tmp_path / "b.db", create=True) as a:
        a.save("s", record(1), crawl_id=None)
        a.save("s", record(1, title="新标题甲乙丙"), crawl_id=None)
        a.index_pending()
        a.save("s", record(1, title="再次修改的标题"), crawl_id=None)
        a.index_pending()
        assert ids(a.search("新标题")) == []
        assert ids(a.search("再次修改")) == [1]


def test_sqlite_utils_search_sees_current_versions(tmp_path):
    with Archive(tmp_path / "b.db", create=True) as a:
        a.save("s", record(1), crawl_id=None)
        a.save("s", record(1, title="新的标题内容"), crawl_id=None)
        a.index_pending()
        found = list(a.db["versions"].search("新的标题"))
        assert [(r["document_id"], r["version"]) for r in found] == [(1, 2)]
        assert list(a.db["versions"].search("法治政府建设示范")) == []


def test_filters_apply_before_the_rank_window(archive, monkeypatch):
    monkeypatch.setattr(search, "RANK_WINDOW", 1)
    assert ids(archive.search("法治", site="county")) == [4]
    assert ids(archive.search("执法人员", site="county")) == [4]


def test_title_tail_term_combined_with_other_terms(archive):
    assert ids(archive.search("执法 通告")) == [4]
    assert ids(archive.search("通告 税务")) == []
