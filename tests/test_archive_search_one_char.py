"""One-character search terms through the trigram index, and the scan kept for common ones."""

from __future__ import annotations

import random

import pytest
from helpers_archive import at, record

from archive import Archive, search

FILLER = ["关于开展安全生产检查的通知", "市人民政府办公室关于印发方案的通知", "政府信息公开工作年度报告",
          "关于公布行政执法人员名单的通告", "农村道路建设项目公示"]
# 禽 occurs in none of the fillers: in the middle of a body, at the very end of a body, as the
# last and the next to last character of a title, and in the middle of a title.
PLACED = {
    "body_middle": ("关于做好秋冬季防疫工作的通知", "加强家禽养殖场所管理。\n特此通知。"),
    "body_end": ("关于调整补贴标准的通知", "补贴对象为养殖户。\n范围包括家禽"),
    "title_last": ("关于防控高致病性流感的通知：家禽", "各单位认真落实。"),
    "title_next_to_last": ("关于防控流感的通知家禽类", "各单位认真落实。"),
    "title_middle": ("全市禽类产品质量抽检结果", "抽检结果如下。"),
}


@pytest.fixture(params=["indexed", "queued"])
def archive(tmp_path, request):
    """30 fillers then the five placed documents; the search index up to date or still queued."""
    with Archive(tmp_path / "a.db", create=True) as a:
        a.index_batch = 10**9
        for n in range(30):
            a.save("city", record(100 + n, title=FILLER[n % len(FILLER)] + f"（{n}）",
                                  body="依法行政。\n推进法治建设。", published=f"2026-09-{n % 28 + 1:02d}"),
                   crawl_id=None, now=at(n))
        for n, (title, body) in enumerate(PLACED.values()):
            a.save("county" if n == 0 else "city", record(n, title=title, body=body,
                                                          published=f"2026-10-{n + 1:02d}"),
                   crawl_id=None, now=at(100 + n))
        if request.param == "indexed":
            a.index_pending()
        yield a


def titles(hits):
    return [h["title"] for h in hits]


def test_a_rare_character_is_not_scanned_for(archive):
    where, params = search._filters(None, None, None, None)
    assert not search._scanned(archive.conn, ["禽"], where, params)
    assert search._scanned(archive.conn, ["法"], where, params)


def test_every_place_of_a_rare_character_is_found(archive):
    assert sorted(titles(archive.search("禽", limit=50))) == sorted(t for t, _ in PLACED.values())
    assert archive.search_page("禽")[1] == len(PLACED)


def test_title_hits_first_then_the_newest(archive):
    assert titles(archive.search("禽")) == [
        PLACED[k][0] for k in ("title_middle", "title_next_to_last", "title_last", "body_end",
                               "body_middle")]


def test_a_rare_character_with_another_word(archive):
    assert titles(archive.search("禽 范围")) == [PLACED["body_end"][0]]
    assert titles(archive.search("禽 特此")) == [PLACED["body_middle"][0]]
    assert archive.search_page("禽 落实")[1] == 2


def test_a_rare_character_with_filters(archive):
    assert titles(archive.search("禽", site="county")) == [PLACED["body_middle"][0]]
    assert titles(archive.search("禽", published_from="2026-10-04")) == \
        [PLACED["title_middle"][0], PLACED["title_next_to_last"][0]]
    assert archive.search_page("禽", site="city")[1] == len(PLACED) - 1


def test_trigrams_and_scan_find_the_same_documents(tmp_path, monkeypatch):
    """For every character of a random archive, both ways give the same documents and counts."""
    rng = random.Random(4)
    alphabet = "法治政府建设税务公告通知禽畜粮食水利交通"
    with Archive(tmp_path / "r.db", create=True) as a:
        for n in range(80):
            body = "\n".join("".join(rng.choice(alphabet) for _ in range(rng.randint(1, 9)))
                             for _ in range(rng.randint(1, 3)))
            title = "".join(rng.choice(alphabet) for _ in range(rng.randint(2, 8)))
            a.save("s", record(n, title=title, body=body), crawl_id=None, now=at(n))
        a.index_pending()
        for char in alphabet:
            monkeypatch.setattr(search, "COMMON_SHARE", 2.0)  # never scan
            through_trigrams = {h["id"] for h in a.search(char, limit=500)}
            counted = a.search_page(char)[1]
            monkeypatch.setattr(search, "COMMON_SHARE", 0.0)  # always scan
            scanned = {h["id"] for h in a.search(char, limit=500)}
            assert through_trigrams == scanned, char
            assert counted == a.search_page(char)[1] == len(scanned), char
