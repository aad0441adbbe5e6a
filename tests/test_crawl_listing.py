"""List-page link discovery and pagination detection (crawler/extract/listing/), no network."""

from __future__ import annotations

import subprocess
import sys

from helpers_crawl import FIXTURES, list_html, trs_pager

from crawler.extract.classify import looks_like_antibot
from crawler.extract.listing import find_date, hanweb_next, parse_list, site_domain
from crawler.sites import ListRules

NMPA_GG = "https://www.nmpa.gov.cn/yaopin/ypggtg/index.html"
NMPA_DT = "https://www.nmpa.gov.cn/yaopin/ypjgdt/index.html"
BASE = "http://www.example.gov.cn/tzgg/index.html"


def corpus(name: str) -> str:
    return (FIXTURES / name).read_text(encoding="utf-8")


def test_nmpa_announcements_list_019() -> None:
    page = parse_list(corpus("other/019.html"), NMPA_GG, allowed_domains=["www.nmpa.gov.cn"])
    assert len(page.items) == 20
    first = page.items[0]
    assert first.url == ("https://www.nmpa.gov.cn/xxgk/ggtg/ypggtg/ypshmshxdgg/"
                         "20251014104752137.html")
    assert first.title == "国家药监局关于修订人纤维蛋白原说明书的公告（2025年第101号）"
    assert first.date == "2025-10-14"
    assert page.items[-1].date == "2025-07-28"
    # Navigation, footer and pager links are not announcements.
    assert not any("index" in i.url or "hudong" in i.url for i in page.items)
    assert page.next_url == "https://www.nmpa.gov.cn/yaopin/ypggtg/index_1.html"
    assert page.pagination == "next"


def test_nmpa_news_list_020() -> None:
    page = parse_list(corpus("other/020.html"), NMPA_DT, allowed_domains=["www.nmpa.gov.cn"])
    assert len(page.items) == 20
    assert all(i.date and i.title for i in page.items)
    assert page.items[0].title == "国家药监局批准莫米司特片上市"
    assert page.next_url == "https://www.nmpa.gov.cn/yaopin/ypjgdt/index_1.html"


def test_site_item_selector_gives_the_same_items() -> None:
    rules = ListRules(item_selector="div.yp-child-list div.list li")
    auto = parse_list(corpus("other/019.html"), NMPA_GG)
    chosen = parse_list(corpus("other/019.html"), NMPA_GG, rules=rules)
    assert [i.url for i in chosen.items] == [i.url for i in auto.items]


def test_trs_create_page_html_variables() -> None:
    items = [("./202401/t20240105_1.html", "关于开展安全检查的通知", "2024-01-05")]
    html = list_html(items, trs_pager(5, 0))
    page = parse_list(html, BASE)
    assert page.pagination == "trs" and page.total_pages == 5
    assert page.next_url == "http://www.example.gov.cn/tzgg/index_1.html"
    page3 = parse_list(list_html(items, trs_pager(5, 3)), "http://www.example.gov.cn/tzgg/index_3.html")
    assert page3.next_url == "http://www.example.gov.cn/tzgg/index_4.html"
    last = parse_list(list_html(items, trs_pager(5, 4)), "http://www.example.gov.cn/tzgg/index_4.html")
    assert last.next_url is None and last.pagination == "trs"


def test_trs_literal_and_div_first_variants() -> None:
    items = [("./202401/t20240105_1.html", "关于开展安全检查的通知", "2024-01-05")]
    html = list_html(items, '<script>createPageHTML(3, 1, "index", "shtml");</script>')
    assert parse_list(html, BASE).next_url == "http://www.example.gov.cn/tzgg/index_2.shtml"
    html = list_html(items, "<script>{createPageHTML('page_div',4, 0,'index','shtml',58);}</script>")
    assert parse_list(html, BASE).next_url == "http://www.example.gov.cn/tzgg/index_1.shtml"


def test_next_page_link_text() -> None:
    items = [("/art/2024/1/5/art_12_345.html", "关于印发工作要点的通知", "[2024-01-05]")]
    pager = '<a href="list.jsp?page=1">首页</a><a href="list.jsp?page=2">下一页</a><a href="list.jsp?page=9">尾页</a>'
    page = parse_list(list_html(items, pager), "http://www.example.gov.cn/tzgg/list.jsp?page=1")
    assert page.pagination == "next"
    assert page.next_url == "http://www.example.gov.cn/tzgg/list.jsp?page=2"
    assert page.items[0].date == "2024-01-05"


def test_numbered_page_links() -> None:
    items = [("/news/2024/0105/c123.html?id=88812", "市政府召开常务会议研究部署工作", "2024年1月5日")]
    pager = ('<span class="current">2</span><a href="/news/list_1.html">1</a>'
             '<a href="/news/list_3.html">3</a><a href="/news/list_4.html">4</a>')
    page = parse_list(list_html(items, pager), "http://www.example.gov.cn/news/list_2.html")
    assert page.pagination == "numbered"
    assert page.next_url == "http://www.example.gov.cn/news/list_3.html"
    assert page.items[0].date == "2024-01-05"


def test_numbered_links_elsewhere_are_not_pages() -> None:
    items = [("/news/2024/0105/c123.html?id=88812", "市政府召开常务会议研究部署工作", "2024年1月5日")]
    calendar = '<a href="/calendar/2024/01/02/">2</a><a href="/calendar/2024/01/03/">3</a>'
    page = parse_list(list_html(items, calendar), "http://www.example.gov.cn/news/list_1.html")
    assert page.next_url is None


def test_hanweb_dataproxy_xml() -> None:
    xml = """<?xml version="1.0" encoding="UTF-8"?><datastore><totalrecord>5</totalrecord>
    <totalpage>3</totalpage><recordset>
    <record><![CDATA[<li><a href="/art/2024/1/5/art_1229_5001.html" title="关于征集意见的公告">关于征集意见的公告</a>
        <span>[2024-01-05]</span></li>]]></record>
    <record><![CDATA[<li><a href="/art/2024/1/4/art_1229_5000.html">关于调整收费标准的通知</a>
        <span>[2024-01-04]</span></li>]]></record>
    </recordset></datastore>"""
    url = ("http://www.example.gov.cn/module/web/jpage/dataproxy.jsp?page=1&appid=1&webid=1"
           "&path=/&columnid=1229&unitid=7&permissiontype=0")
    page = parse_list(xml, url)
    assert page.pagination == "hanweb" and page.total_pages == 3
    assert [i.url for i in page.items] == ["http://www.example.gov.cn/art/2024/1/5/art_1229_5001.html",
                                           "http://www.example.gov.cn/art/2024/1/4/art_1229_5000.html"]
    assert page.items[0].date == "2024-01-05"
    assert page.next_url is not None and "page=2" in page.next_url and "columnid=1229" in page.next_url
    assert hanweb_next(url.replace("page=1", "page=3"), 3, 2) is None


def test_hanweb_column_page_embeds_records_and_pager() -> None:
    html = """<html><body><div id="318"><script type="text/xml"><datastore><recordset>
    <record><![CDATA[<li><a href="/art/2024/1/5/art_1229_5001.html">关于征集意见的公告</a>
        <b>2024-01-05</b></li>]]></record>
    </recordset></datastore></script></div>
    <script>var u = '/module/web/jpage/dataproxy.jsp?page=1&webid=1&path=/&columnid=1229&unitid=7';</script>
    </body></html>"""
    page = parse_list(html, "http://www.example.gov.cn/col/col1229/index.html")
    assert [i.url for i in page.items] == ["http://www.example.gov.cn/art/2024/1/5/art_1229_5001.html"]
    assert page.pagination == "hanweb"
    assert page.next_url.startswith("http://www.example.gov.cn/module/web/jpage/dataproxy.jsp?page=1")


def test_hanweb_post_form_from_jpage_config() -> None:
    html = """<html><body><div id="55"></div><script>$('#55').jpage({
      url: '/module/web/jpage/dataproxy.jsp', perPage: 15,
      params: {col: 1, appid: 1, webid: 3185, path: '/', columnid: 1621004, unitid: 4588,
               webname: 'zj', permissiontype: 0}});</script></body></html>"""
    page = parse_list(html, "http://fgw.zj.gov.cn/col/col1621004/index.html")
    assert page.pagination == "hanweb"
    assert page.next_url == ("http://fgw.zj.gov.cn/module/web/jpage/dataproxy.jsp"
                             "?startrecord=1&endrecord=45&perpage=15")
    assert page.next_form is not None
    assert page.next_form["columnid"] == "1621004" and page.next_form["unitid"] == "4588"
    xml = "<datastore><recordset>" + "".join(
        f'<record><![CDATA[<li><a href="/art/2024/1/{i}/art_1621004_{i}.html">通知{i}</a></li>]]></record>'
        for i in range(1, 46)) + "</recordset></datastore>"
    answer = parse_list(xml, page.next_url, form=page.next_form)
    assert len(answer.items) == 45 and "startrecord=46" in (answer.next_url or "")
    assert answer.next_form == page.next_form


def test_hanweb_startrecord_form_steps_by_group() -> None:
    url = "http://x.gov.cn/module/web/jpage/dataproxy.jsp?startrecord=1&endrecord=45&perpage=15"
    nxt = hanweb_next(url, None, 45)
    assert nxt is not None and "startrecord=46" in nxt and "endrecord=90" in nxt
    assert hanweb_next(url, None, 12) is None


def test_article_pattern_and_offsite_links() -> None:
    items = [("/tzgg/202401/t20240105_1.html", "关于开展安全检查的通知", "2024-01-05"),
             ("http://other.gov.cn/tzgg/202401/t20240105_2.html", "外站的通知公告标题", "2024-01-05"),
             ("/files/P020240105.pdf", "附件下载材料清单文件", "2024-01-05")]
    page = parse_list(list_html(items), BASE)
    # a dated item linking straight to a document file is an announcement too (issue 12)
    assert [(i.url, i.is_file) for i in page.items] == [
        ("http://www.example.gov.cn/tzgg/202401/t20240105_1.html", False),
        ("http://www.example.gov.cn/files/P020240105.pdf", True)]
    rules = ListRules(article_pattern=r"/nothing/")
    assert parse_list(list_html(items), BASE, rules=rules).items == []


def test_js_loaded_list_has_no_items() -> None:
    html = "<html><body><div id='list'></div><script src='paging.js'></script></body></html>"
    page = parse_list(html, BASE)
    assert page.items == [] and page.next_url is None


def test_find_date_forms() -> None:
    assert find_date("[2023-02-28]") == "2023-02-28"
    assert find_date("发布时间：2023年2月8日") == "2023-02-08"
    assert find_date("2023/12/31") == "2023-12-31"
    assert find_date("第2023号") is None


def test_antibot_detection() -> None:
    shell = (FIXTURES / "other/C02.html").read_bytes()
    assert looks_like_antibot(shell, 200)
    assert looks_like_antibot(b"<html></html>", 412)
    assert looks_like_antibot(b"<script>document.cookie='__jsl_clearance=1'</script>", 521)
    assert not looks_like_antibot((FIXTURES / "other/019.html").read_bytes(), 200)


_GBK_ITEMS = [("./202401/t20240105_1.html", "关于做好二〇二四年春耕工作的通知（朱镕基）", "2024-01-05"),
              ("./202401/t20240106_2.html", "关于公布喆堃等同志任职的决定", "2024-01-06")]


def test_list_bytes_decode_like_articles_lying_charset() -> None:
    """Raw bytes go through the article decoder: GBK bytes under a utf-8 meta and a Latin-1
    header (Scrapy's response.text would trust the header) still read as GB18030."""
    raw = list_html(_GBK_ITEMS, trs_pager(3, 0), charset="utf-8").encode("gb18030")
    page = parse_list(raw, BASE, headers={"Content-Type": "text/html; charset=ISO-8859-1"})
    assert [i.title for i in page.items] == [t for _, t, _ in _GBK_ITEMS]
    assert page.pagination == "trs" and page.total_pages == 3


def test_list_bytes_with_gb2312_label_read_as_gb18030() -> None:
    raw = list_html(_GBK_ITEMS, charset="gb2312").encode("gb18030")  # 镕, 喆, 堃 are not in gb2312
    assert [i.title for i in parse_list(raw, BASE).items] == [t for _, t, _ in _GBK_ITEMS]


def test_list_bytes_and_text_give_the_same_page() -> None:
    html = corpus("other/019.html")
    assert parse_list(html.encode("utf-8"), NMPA_GG, headers={"content-type": "text/html"}) == parse_list(html, NMPA_GG)


def test_hanweb_datastore_bytes_with_xml_declaration() -> None:
    xml = ('<?xml version="1.0" encoding="GBK"?><datastore><totalpage>2</totalpage><recordset>'
           '<record><![CDATA[<li><a href="/art/2024/1/5/art_1_11.html">关于春耕的通知</a>2024-01-05</li>]]></record>'
           '</recordset></datastore>').encode("gbk")
    page = parse_list(xml, "http://www.example.gov.cn/module/web/jpage/dataproxy.jsp?page=1&columnid=1")
    assert page.pagination == "hanweb" and page.total_pages == 2
    assert [i.title for i in page.items] == ["关于春耕的通知"]
    assert page.next_url and "page=2" in page.next_url


def test_site_domain_is_the_registrable_domain() -> None:
    assert site_domain("http://www.example.gov.cn/a") == "example.gov.cn"
    assert site_domain("https://xxgk.example.gov.cn/b") == "example.gov.cn"
    assert site_domain("http://www.gov.cn/zhengce/") == "www.gov.cn"  # gov.cn itself is a public suffix
    assert site_domain("http://www.sh.cn/x") == "www.sh.cn"  # so is sh.cn (a province)
    assert site_domain("http://127.0.0.1:8080/x") == "127.0.0.1"


def test_site_domain_uses_the_bundled_suffix_list_without_network() -> None:
    """tldextract with its bundled public suffix list: no fetch (sockets refuse here), no cache files."""
    code = ("import socket\n"
            "def refuse(*a, **k): raise OSError('network used')\n"
            "socket.socket.connect = refuse\nsocket.create_connection = refuse\n"
            "from crawler.extract.listing import site_domain\n"
            "print(site_domain('http://www.example.gov.cn/a'), site_domain('http://www.hd.gov.cn/'))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["example.gov.cn", "hd.gov.cn"]
    assert "network used" not in out.stderr


def test_list_items_that_are_document_files() -> None:
    html = ('<html><body><ul class="list">'
            '<li><a href="/tzgg/202401/t20240105_1.html">关于开展安全检查的通知全文</a>'
            ' <a href="/tzgg/202401/P0202401051.pdf">关于开展安全检查的通知附件下载</a><span>2024-01-05</span></li>'
            '<li><a href="/tzgg/202401/P0202401042.pdf">2024年度示范项目拟立项名单公示</a><span>2024-01-04</span></li>'
            '<li><a href="/tzgg/202401/P0202401033.doc">2024年度项目申报表格填报说明</a><span>2024-01-03</span></li>'
            '<li><a href="/tzgg/202401/P0202401024.jpg">2024年度项目现场照片图片一张</a><span>2024-01-02</span></li>'
            "</ul></body></html>")
    page = parse_list(html, BASE)
    assert [(i.url.rsplit("/", 1)[1], i.is_file) for i in page.items] == [
        ("t20240105_1.html", False), ("P0202401042.pdf", True), ("P0202401033.doc", True)]
