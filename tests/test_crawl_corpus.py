"""The bundled definitions against real pages from shared/corpus served locally."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from helpers_crawl import FIXTURES, run_crawl, serve, summary

from archive import Archive
from crawler.sites import BUNDLED_DIR, load_sites

# Real article pages (shared/corpus/pages, copied) and their ground-truth titles.
ARTICLES = {
    "corpus/002.html": "山西品牌丝路行（南美站）正式启动",
    "corpus/004.html": "载人航天工程全线备战空间站建造任务",
    "corpus/016.html": "2021年村级信息资源共享支中心电脑采购项目中标公告",
}


def nmpa_site(base: str) -> dict[str, tuple[int, dict[str, str], bytes]]:
    """NMPA's two saved list pages as one column (019 -> index_1 = 020), real articles behind."""
    html_type = {"Content-Type": "text/html; charset=utf-8"}
    pages = {
        "/yaopin/ypggtg/index.html": (200, html_type, (FIXTURES / "other/019.html").read_bytes()),
        "/yaopin/ypggtg/index_1.html": (200, html_type, (FIXTURES / "other/020.html").read_bytes()),
    }
    bodies = [(FIXTURES / name).read_bytes() for name in ARTICLES]
    links: list[str] = []
    for name in ("other/019.html", "other/020.html"):
        text = (FIXTURES / name).read_text(encoding="utf-8")
        links += re.findall(r'href="\.\./\.\.(/(?:xxgk|zhuanti|yaowen|yaopin)/[^"]+/\d{17}\.html)"', text)
    for i, path in enumerate(dict.fromkeys(links)):
        pages[path] = (200, html_type, bodies[i % len(bodies)])
    return pages


def test_bundled_nmpa_definition_on_its_real_list_pages(tmp_path: Path) -> None:
    with serve() as srv:
        srv.pages.update(nmpa_site(srv.base))
        text = (BUNDLED_DIR / "nmpa.toml").read_text(encoding="utf-8")
        local = text.replace("https://www.nmpa.gov.cn", srv.base).replace(
            '"www.nmpa.gov.cn"', '"127.0.0.1"')
        sites = tmp_path / "sites"
        sites.mkdir()
        (sites / "nmpa.toml").write_text(local, encoding="utf-8")
        proc = run_crawl(tmp_path / "a.db", "nmpa", "--sites", str(sites))
    assert proc.returncode == 0, proc.stderr[-2000:]
    stats = summary(proc)["sites"][0]["stats"]
    # Column 1 walks 019 then 020 (its 下一页); column 2 (药品监管动态) is 404 locally.
    assert stats["pages/list"] == 2 and stats["archive/new"] == 40
    with Archive(tmp_path / "a.db") as a:
        titles = {a.document(d["id"])["title"] for d in a.known_documents("nmpa")}
    assert titles == set(ARTICLES.values())


@pytest.mark.parametrize(
    ("site", "url"),
    [
        ("cmse", "http://www.cmse.gov.cn/xwzx/zhxw/202101/t20210106_47506.html"),
        ("cmse", "http://www.cmse.gov.cn/ztbd/xwfbh/201206/t20120624_43188.html"),
        ("shanxi", "http://www.shanxi.gov.cn/yw/sxyw/201909/t20190918_693227.shtml"),
        ("zjfgw", "http://fgw.zj.gov.cn/art/2016/11/22/art_1621004_30332664.html"),
        ("ccgp-hebei", "http://www.ccgp-hebei.gov.cn/cd/cd_wc/cggg/zhbggAAAA/202110/t20211011_1485252.html"),
    ],
)
def test_bundled_patterns_match_the_corpus_article_urls(site: str, url: str) -> None:
    definition = load_sites(environ={})[site]
    assert re.search(definition.listing.article_pattern, url)
    host = url.split("/")[2]
    assert host in definition.allowed_domains
