"""List-page layouts of other gov CMSs: item URLs and the next list page, on pages with full chrome
(header nav + 今天是 clock, breadcrumb, sidebar of other columns with dates, footer with ICP)."""

from __future__ import annotations

import pytest

from crawler.extract.listing import parse_list

BASE = "http://www.example.gov.cn/zwgk/tzgg/index.html"
TITLES = ["关于开展2023年度安全生产大检查的通知", "某市2023年第一批重点建设项目计划公示",
          "关于调整城乡居民基本医疗保险缴费标准的通告", "市政府办公室关于印发防汛应急预案的通知"]
DATES = ["2023-02-28", "2023-02-20", "2023-02-13", "2023-01-30"]


def page(main: str, pager: str = "", scripts: str = "") -> str:
    return f"""<!DOCTYPE html><html><head><meta charset="utf-8"><title>通知公告_某市人民政府</title></head><body>
<div class="top"><span>今天是：2026年11月25日 星期三</span><a href="/wza/">无障碍</a><a href="/en/">English</a></div>
<div class="nav"><ul><li><a href="/">首页</a></li><li><a href="/zwgk/">政务公开</a></li>
<li><a href="/zwgk/zcwj/index.html">政策文件</a></li><li><a href="/hdjl/">互动交流</a></li></ul></div>
<div class="location">当前位置：<a href="/">首页</a> &gt; <a href="/zwgk/">政务公开</a> &gt; 通知公告</div>
<div class="left"><div class="hd">热点信息</div><ul>
<li><a href="/zwgk/rdxx/202311/t20231120_9.html">2023年冬季供暖工作新闻发布会召开</a><span>2023-11-20</span></li>
<li><a href="/zwgk/rdxx/202310/t20231012_8.html">全市重点项目建设观摩活动举行</a><span>2023-10-12</span></li></ul></div>
<div class="right">{main}<div class="pager">{pager}</div></div>
<div class="footer"><a href="/about/">关于我们</a><a href="/map/">网站地图</a>
<p>主办单位：某市人民政府办公室 网站标识码：3301000001 浙ICP备05012345号</p></div>{scripts}</body></html>"""


def urls(p) -> list[str]:
    return [i.url for i in p.items]


def want(paths: list[str], base: str = "http://www.example.gov.cn") -> list[str]:
    return [p if p.startswith("http") else base + p for p in paths]


PATHS = [f"/zwgk/tzgg/2023{d[5:7]}/t{d.replace('-', '')}_{5000 - n}.html" for n, d in enumerate(DATES)]
ROW = '<li><a href="{u}">{t}</a><span>{d}</span></li>'


def items(row: str = ROW, paths: list[str] = PATHS, titles: list[str] = TITLES, dates: list[str] = DATES) -> str:
    """One list entry per (url, title, date), in order."""
    return "".join(row.format(u=u, t=t, d=d) for u, t, d in zip(paths, titles, dates, strict=True))


def test_span_date_after_title() -> None:
    lis = items('<li><a href="{u}" target="_blank">{t}</a><span class="date">{d}</span></li>')
    p = parse_list(page(f'<ul class="list">{lis}</ul>'), BASE)
    assert urls(p) == want(PATHS) and [i.date for i in p.items] == DATES


def test_date_before_title() -> None:
    lis = items('<li><span>{d}</span><a href="{u}">{t}</a></li>')
    p = parse_list(page(f'<ul class="list">{lis}</ul>'), BASE)
    assert urls(p) == want(PATHS) and [i.date for i in p.items] == DATES


def test_table_rows() -> None:
    rows = items('<tr><td class="bt"><a href="{u}">{t}</a></td><td align="center">{d}</td></tr>')
    p = parse_list(page(f'<table width="100%"><tr><th>标题</th><th>发布日期</th></tr>{rows}</table>'), BASE)
    assert urls(p) == want(PATHS) and [i.date for i in p.items] == DATES


def test_truncated_text_full_title_attribute() -> None:
    lis = items('<li><a href="{u}" title="{t}">{t:.10}…</a><span>[{d}]</span></li>')  # text cut at 10
    p = parse_list(page(f'<ul class="list">{lis}</ul>'), BASE)
    assert [i.title for i in p.items] == TITLES


def test_pinned_item_older_than_the_rest() -> None:
    pinned = ('<li class="top"><a href="/zwgk/tzgg/202101/t20210105_100.html">'
              '<font color="red">[置顶]</font>关于公布市政府常年法律顾问名单的公告</a><span>2021-01-05</span></li>')
    lis = items()
    p = parse_list(page(f'<ul class="list">{pinned}{lis}</ul>'), BASE)
    assert urls(p) == want(["/zwgk/tzgg/202101/t20210105_100.html", *PATHS])
    assert p.items[0].title == "关于公布市政府常年法律顾问名单的公告" and p.items[0].pinned
    assert not any(i.pinned for i in p.items[1:])


def test_relative_dot_links() -> None:
    rel = [f"./2023{d[5:7]}/t{d.replace('-', '')}_{n}.html" for n, d in enumerate(DATES)]
    lis = items(paths=rel)
    p = parse_list(page(f'<ul class="list">{lis}</ul>'), BASE)
    assert urls(p) == want([f"/zwgk/tzgg/{u[2:]}" for u in rel])


def test_links_to_another_subdomain_of_the_same_site() -> None:
    other = "http://xxgk.example.gov.cn/art/2023/2/28/art_1229_5890.html"
    foreign = "http://www.other.gov.cn/art/2023/2/27/art_1_2.html"
    lis = (f'<li><a href="{other}">{TITLES[0]}</a><span>2023-02-28</span></li>'
           f'<li><a href="{foreign}">{TITLES[1]}</a><span>2023-02-27</span></li>'
           + items())
    p = parse_list(page(f'<ul class="list">{lis}</ul>'), BASE)
    assert urls(p) == [other, *want(PATHS)]
    assert urls(parse_list(page(f'<ul class="list">{lis}</ul>'), BASE, allowed_domains=["www.example.gov.cn"])) \
        == want(PATHS)


@pytest.mark.parametrize("wrapper", ["<datastore><nextgroup><![CDATA[]]></nextgroup>{}</datastore>", "{}"])
def test_hanweb_records_in_a_text_xml_script(wrapper: str) -> None:
    art = [f"/art/2023/{int(d[5:7])}/{int(d[8:])}/art_1229_{5890 - n}.html" for n, d in enumerate(DATES)]
    records = items("<record><![CDATA[<li><a href='{u}' title='{t}'>{t}</a><span>[{d}]</span></li>]]></record>", art)
    xml = wrapper.format(f"<recordset>{records}</recordset>")
    main = f'<div id="4567"><script type="text/xml">{xml}</script></div>'
    p = parse_list(page(main), "http://www.example.gov.cn/col/col1229/index.html")
    assert urls(p) == want(art) and [i.date for i in p.items] == DATES


NEXT = "http://www.example.gov.cn/zwgk/tzgg/index_1.html"


@pytest.mark.parametrize("pager", [
    '<a href="index.html">首页</a><a href="index_1.html">下一页</a><a href="index_25.html">尾页</a>',
    '<a href="index.html">首页</a> <a href="index_1.html">下页</a> <a href="index_25.html">末页</a>',
    '<a href="index.html">&lt;&lt;</a><span class="cur">1</span><a href="index_1.html">&gt;</a>',
    '<a href="index.html">前页</a> <a href="index_1.html">后页</a>',
    '页次：1/26 每页20条 <a href="index.html">首页</a> 上一页 <a href="index_1.html">下一页</a>',
    '共26页 当前第1页 <a href="index_1.html">[下一页]</a> <a href="index_25.html">[尾页]</a>',
])
def test_next_page_text_variants(pager: str) -> None:
    lis = items()
    p = parse_list(page(f'<ul class="list">{lis}</ul>', pager), BASE)
    assert p.next_url == NEXT and urls(p) == want(PATHS)


@pytest.mark.parametrize(("text", "total"), [
    ("页次：1/26 每页20条", 26), ("共26页 当前第1页", 26), ("第1页/共26页", 26),
])
def test_page_count_text(text: str, total: int) -> None:
    lis = items()
    p = parse_list(page(f'<ul class="list">{lis}</ul>', f'{text} <a href="index_1.html">下一页</a>'), BASE)
    assert p.total_pages == total


@pytest.mark.parametrize(("script", "url", "nxt"), [
    ("var currentPage = 0; var countPage = 26; createPageHTML(countPage, currentPage, 'index', 'html');",
     BASE, NEXT),
    ("createPageHTML('page_div',26,1,'index','html',520);",
     "http://www.example.gov.cn/zwgk/tzgg/index_1.html", "http://www.example.gov.cn/zwgk/tzgg/index_2.html"),
    ("countPage = 26; currentPage = 0;\ncreatePageHTML(countPage, currentPage, \"index\", \"shtml\");",
     BASE, "http://www.example.gov.cn/zwgk/tzgg/index_1.shtml"),
    ("var countPage = 26;//共多少页\nvar currentPage = 25;createPageHTML(countPage, currentPage, 'index', 'html');",
     "http://www.example.gov.cn/zwgk/tzgg/index_25.html", None),
])
def test_js_pagers(script: str, url: str, nxt: str | None) -> None:
    lis = items()
    p = parse_list(page(f'<ul class="list">{lis}</ul>', '<div id="page_div"></div>', f"<script>{script}</script>"), url)
    assert p.pagination == "trs" and p.total_pages == 26 and p.next_url == nxt
    assert urls(p) == want(PATHS)


@pytest.mark.parametrize(("script", "url", "nxt"), [
    ('<script>var m_nRecordCount = "520"; var m_nPageSize = 20;</script>', BASE, NEXT),
    ("<script>var countPage = 26;</script>", "http://www.example.gov.cn/zwgk/tzgg/index_3.html",
     "http://www.example.gov.cn/zwgk/tzgg/index_4.html"),
    ("<script>var countPage = 26;</script>", "http://www.example.gov.cn/zwgk/tzgg/index_25.html", None),
])
def test_trs_page_count_without_a_create_page_call(script: str, url: str, nxt: str | None) -> None:
    lis = items()
    p = parse_list(page(f'<ul class="list">{lis}</ul>', '<div id="page_div"></div>', script), url)
    assert p.pagination == "trs" and p.total_pages == 26 and p.next_url == nxt


def test_a_next_link_beats_a_bare_count_variable() -> None:
    lis = items()
    pager = '<a href="list.jsp?page=2">下一页</a>'
    html = page(f'<ul class="list">{lis}</ul>', pager, "<script>var countPage = 26;</script>")
    assert parse_list(html, BASE).next_url == "http://www.example.gov.cn/zwgk/tzgg/list.jsp?page=2"


@pytest.mark.parametrize("pager", ['<a href="index_1.html"><img src="/images/next.gif" alt="下一页"></a>',
                                   '<a href="index_1.html" title="下一页">&gt;&gt;</a>',
                                   '<a href="index_1.html">后一页</a>'])
def test_image_and_titled_next_buttons(pager: str) -> None:
    lis = items()
    assert parse_list(page(f'<ul class="list">{lis}</ul>', pager), BASE).next_url == NEXT


ART = [f"/art/2023/{int(d[5:7])}/{int(d[8:])}/art_1229_{5890 - n}.html" for n, d in enumerate(DATES)]


@pytest.mark.parametrize("row", ['<div class="item"><h3><a href="{u}">{t}</a></h3><span>{d}</span></div>',
                                 '<ul><li><a href="{u}">{t}</a><span>{d}</span></li></ul>'])
def test_one_wrapper_per_row_is_still_one_list(row: str) -> None:
    rows = items(row, ART)
    p = parse_list(page(f'<div class="news-list">{rows}</div>'), "http://www.example.gov.cn/col/col1229/index.html")
    assert urls(p) == want(ART)


def test_list_split_in_blocks_of_two_keeps_every_block() -> None:
    blocks = "".join(f'<ul class="list">{items(ROW, ART[i:i + 2], TITLES[i:i + 2], DATES[i:i + 2])}</ul><hr>'
                     for i in (0, 2))
    p = parse_list(page(blocks), "http://www.example.gov.cn/col/col1229/index.html")
    assert urls(p) == want(ART)


def test_an_entry_title_starting_like_a_sidebar_caption_is_not_a_sidebar() -> None:
    titles = ["最新修订的行政处罚裁量基准公布", TITLES[1]]  # as many rows as the 热点信息 box
    lis = items(ROW, ART[:2], titles, DATES[:2])
    p = parse_list(page(f"<ul>{lis}</ul>"), "http://www.example.gov.cn/col/col1229/index.html")
    assert urls(p) == want(ART[:2])
