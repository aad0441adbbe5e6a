"""Generalization: corpus pages perturbed the way unseen sites differ (no layout names, no meta tags,
a site-name-only <title>, extra blocks) must still come out right."""

from __future__ import annotations

import pytest
from helpers_extract import (
    OTHER,
    add_header_clock,
    bigram_f1,
    corpus_ids,
    corpus_page,
    norm,
    scramble_names,
    site_only_title,
    strip_gov_meta,
    synthetic_names,
    synthetic_page,
    title_ok,
    unlabel_dates,
)

from crawler.extract import extract


def _check(html: str, truth: dict, *, min_f1: float = 0.95):
    ex = extract(html.encode("utf-8"), truth.get("url") or "")
    assert ex.page_class == "article"
    assert title_ok(ex.title, truth), ex.title
    assert (ex.published or "")[:10] == (truth["published"] or ""), ex.published
    assert bigram_f1(ex.body, truth["body"]) >= min_f1, ex.body[:300]
    return ex


@pytest.mark.parametrize("page_id", corpus_ids())
def test_all_class_and_id_names_scrambled(page_id: str) -> None:
    """No known container, no title class: the heading is found by its text, tables count as text."""
    raw, truth = corpus_page(page_id)
    _check(scramble_names(raw.decode("utf-8")), truth)


def test_visible_title_without_the_appended_doc_number_beats_meta() -> None:
    """ArticleTitle = visible heading + "(金罚决字〔2024〕36号)"; the page shows only the heading."""
    raw, truth = corpus_page("008")
    ex = _check(scramble_names(raw.decode("utf-8")), truth)
    assert ex.title == "国家金融监督管理总局行政处罚信息公开表"
    assert ex.title_source == "visible"


@pytest.mark.parametrize("page_id", corpus_ids())
def test_no_names_no_meta_and_a_site_only_title(page_id: str) -> None:
    """Nothing but the visible page: heading above (or right after) the labelled date line, or the
    emphasised first lines of the text; the footer does not compete with a short text."""
    raw, truth = corpus_page(page_id)
    _check(site_only_title(strip_gov_meta(scramble_names(raw.decode("utf-8")))), truth)


@pytest.mark.parametrize("page_id", ["007", "008"])
def test_short_table_page_without_names_or_meta(page_id: str) -> None:
    """A table-only text below a date line: the heading after the date line, the table as the body."""
    raw, truth = corpus_page(page_id)
    ex = _check(strip_gov_meta(scramble_names(raw.decode("utf-8"))), truth)
    assert ex.date_source == "visible"
    assert "主要职责" not in ex.body and "版权与免责声明" not in ex.body


_RELATED = ('<div class="{cls}"><h4>相关文章</h4><ul>' + "".join(
    f'<li><a href="/a/{i}.html">关于开展第{i}批某某专项检查工作的通知公告</a><span>2023-0{i}-1{i}</span></li>'
    for i in range(1, 6)) + "</ul></div>")


@pytest.mark.parametrize("cls", ["xgwz", "q1234"])
def test_related_list_larger_than_a_short_text_is_dropped(cls: str) -> None:
    """A 相关文章 list inside the container of a short table text (more text than the table itself)."""
    raw, truth = corpus_page("007")
    html = raw.decode("utf-8")
    start = html.index('id="wenzhang-content"')
    end = html.index("</table>", start) + len("</table>")
    html = html[:end] + _RELATED.format(cls=cls) + html[end:]
    ex = _check(html, truth)
    assert "相关文章" not in ex.body and "专项检查" not in ex.body


_APP_PAGE = """<html ng-app="app"><head><title>某某监管局</title></head><body>
<div class="nav"><a href="/">首页</a><a href="/a">机构概况</a><a href="/b">政务信息</a></div>
<div ng-view>{inner}</div><div class="foot">网站标识码：bm00000001 京ICP备00000000号</div></body></html>"""
_RENDERED = """<div class="t1">某某监管局行政处罚信息公开表（某罚决字〔2024〕7号）</div>
<div class="t2"><span>发布时间：2024-05-06</span> <span>来源：某某监管局</span></div>
<div class="t3"><table><tr><td>序号</td><td>当事人名称</td><td>处罚内容</td></tr>
<tr><td>1</td><td>某某保险股份有限公司某某分公司</td><td>罚款30万元</td></tr>
<tr><td>2</td><td>张某（时任某某分公司总经理）</td><td>警告并罚款5万元</td></tr></table></div>"""
_UNRENDERED = """<div class="t1">{{doc.title}}</div><div class="t2">发布时间：{{doc.date}}</div>
<div class="t3" ng-bind-html="doc.body">{{doc.body}}</div>"""


@pytest.mark.parametrize("dated", [True, False])
def test_rendered_app_page_with_a_short_table_is_an_article(dated: bool) -> None:
    """ng-app, no meta, a 3-row table without punctuation under a heading: an article, not a JS shell
    (table rows count like sentences; a JS shell is only a page that never rendered)."""
    inner = _RENDERED if dated else _RENDERED.replace("发布时间：2024-05-06", "")
    ex = extract(_APP_PAGE.format(inner=inner).encode("utf-8"), "https://www.example.gov.cn/view?docId=1")
    assert ex.page_class == "article"
    assert ex.title == "某某监管局行政处罚信息公开表（某罚决字〔2024〕7号）"
    assert (ex.published, ex.date_source) == (("2024-05-06", "visible") if dated else (None, None))
    assert ex.body.startswith("序号\t当事人名称\t处罚内容") and ex.body.endswith("警告并罚款5万元")


def test_unrendered_app_page_is_a_js_shell() -> None:
    ex = extract(_APP_PAGE.format(inner=_UNRENDERED).encode("utf-8"), "https://www.example.gov.cn/view?docId=1")
    assert ex.page_class == "js_shell"


@pytest.mark.parametrize("hidden", ['style="display:none"', 'class="hide"'])
def test_text_folded_behind_expand_toggle_is_kept(hidden: str) -> None:
    raw = ("<html><head><title>关于做好冬季安全生产工作的通知_某市应急管理局</title></head><body>"
           "<h1>关于做好冬季安全生产工作的通知</h1><div class='info'>发布日期：2023-11-20</div>"
           "<div class='TRS_Editor'><div class='part'><p>各县区应急管理局：入冬以来，我市气温持续走低，"
           "为切实做好冬季安全生产工作，现将有关事项通知如下。</p></div>"
           f"<div {hidden}><p>一、强化风险排查，对重点行业领域开展拉网式检查，确保不留死角。</p>"
           "<p>二、压实企业主体责任，督促企业落实全员安全生产责任制。</p><p>某市应急管理局</p>"
           "<p>2023年11月18日</p></div><div class='zhankai'><a href='javascript:;'>展开全文</a></div></div>"
           "<div class='print-hidden' style='display:none'>本页为打印预览，内容同上，已隐藏，请勿重复阅读。</div>"
           "</body></html>").encode()
    ex = extract(raw, "http://yjj.example.gov.cn/a/202311/t20231120_1.html")
    assert ex.title == "关于做好冬季安全生产工作的通知"
    assert ex.published == "2023-11-20"
    assert ex.body.startswith("各县区应急管理局：") and ex.body.endswith("2023年11月18日")
    assert "二、压实企业主体责任" in ex.body
    assert "展开全文" not in ex.body and "打印预览" not in ex.body


@pytest.mark.parametrize("unlabelled", [False, True])
@pytest.mark.parametrize("name", synthetic_names())
def test_synthetic_layouts_without_names_or_meta(name: str, unlabelled: bool) -> None:
    """Every synthetic layout with its class/id names scrambled and its per-article meta tags removed
    (and, second round, a header clock added and the 发布日期/时间 labels removed)."""
    raw, spec = synthetic_page(name)
    encoding = spec.get("encode", "utf-8")
    html = strip_gov_meta(scramble_names(raw.decode(encoding)))
    if unlabelled:
        html = unlabel_dates(add_header_clock(html))
    ex = extract(html.encode(encoding), spec["url"])
    assert ex.page_class == spec.get("page_class", "article")
    if ex.page_class != "article":
        return
    assert norm(ex.title) == norm(spec["title"])
    if spec.get("date_source") in ("visible", "signature") or \
            (spec.get("date_source") == "disclosure_block" and not unlabelled):
        assert (ex.published or "")[:10] == (spec["published"] or "")[:10]
    if "body" in spec:
        assert bigram_f1(ex.body, spec["body"]) >= 0.95
    else:
        assert ex.body.startswith(spec["body_starts"])
    if "attachments" in spec:  # a related block's files are not this page's, whatever its class
        assert sorted(a["url"] for a in ex.attachments) == sorted(a["url"] for a in spec["attachments"])


def test_body_starts_after_the_heading_inside_an_unnamed_block() -> None:
    """Column captions above the heading in the same unnamed block are not text."""
    raw = ("<html><head><title>某某区人民政府</title></head><body><div class='a1'><div class='a2'>"
           "<div class='a3'>政务公开专栏</div><div class='a4'>重点领域信息公开</div>"
           "<div class='a5'>某某区2023年第二批建设项目环境影响评价文件审批公告</div>"
           "<div class='a6'>发布时间：2023-08-15 来源：区生态环境分局</div>"
           "<p>根据建设项目环境影响评价审批程序的有关规定，经审查，我局决定对下列建设项目环境影响评价文件作出审批意见，"
           "现予以公告。</p><p>一、某某食品有限公司年产5000吨调味品项目，同意建设。</p><p>二、某某物流园仓储项目，同意建设。</p>"
           "<p>某某区生态环境分局</p><p>2023年8月15日</p></div></div>"
           "<div class='f'>版权所有：某某区人民政府 ICP备00000000号 网站标识码：1100000001</div>"
           "</body></html>").encode()
    ex = extract(raw, "http://www.example.gov.cn/xxgk/show.aspx?id=3")
    assert ex.title == "某某区2023年第二批建设项目环境影响评价文件审批公告"
    assert (ex.published, ex.date_source) == ("2023-08-15", "visible")
    assert ex.metadata["content_source"] == "区生态环境分局"
    assert ex.body.startswith("根据建设项目环境影响评价审批程序") and ex.body.endswith("2023年8月15日")


def test_column_name_in_title_tag_and_as_heading_is_not_the_title() -> None:
    """<title>通知公告_某某市人民政府</title> with an h2 通知公告 caption above the real h3 heading."""
    raw = ("<html><head><title>通知公告_某某市人民政府</title></head><body><h1>某某市人民政府门户网站</h1>"
           "<div class='n'><a href='/'>首页</a><a href='/a'>政务公开</a><a href='/b'>政务服务</a></div>"
           "<div class='m'><h2>通知公告</h2><h3>关于规范政务服务事项办理的通知</h3>"
           "<div class='i'>日期：2023-03-02 点击：12</div><div class='c'>"
           "<p>为进一步规范全市政务服务事项办理，提升群众满意度，根据有关规定，现就有关事项通知如下。</p>"
           "<p>一、各单位要按照统一标准梳理事项清单，确保要素完整、准确。</p><p>某某市政务服务管理局</p><p>2023年3月1日</p>"
           "</div></div><div class='f'>版权所有 某某市人民政府 ICP备1号</div></body></html>").encode()
    ex = extract(raw, "http://www.example.gov.cn/tzgg/show.aspx?id=1")
    assert ex.title == "关于规范政务服务事项办理的通知"
    assert (ex.published, ex.date_source) == ("2023-03-02", "visible")
    assert ex.body.startswith("为进一步规范") and ex.body.endswith("2023年3月1日")


_TEXT = ("<p>为进一步规范全市政务服务事项办理，提升群众满意度，根据有关规定，现就有关事项通知如下。</p>"
         "<p>一、各单位要按照统一标准梳理事项清单，确保要素完整、准确。</p><p>二、各单位要加强窗口人员培训，提高服务水平。</p>"
         "<p>某某市政务服务管理局</p><p>2023年3月1日</p>")
_SIDE = ("<table><tr><td>领导信息</td></tr><tr><td>张三，男，汉族，1970年生，研究生学历，现任某某市政务服务管理局局长，"
         "主持全面工作，负责财务、审计工作。</td></tr><tr><td>李四，女，汉族，1975年生，大学学历，现任副局长，"
         "负责政务服务窗口管理、效能监督工作。</td></tr></table>")


def _text_ok(ex) -> None:
    assert ex.title == "关于规范政务服务事项办理的通知"
    assert ex.body.startswith("为进一步规范全市政务服务事项办理") and ex.body.endswith("2023年3月1日")
    assert "领导信息" not in ex.body


def test_nested_table_layout_with_an_agency_name_title_and_a_bare_date_cell() -> None:
    """<title> is the agency's name (not a title reference), the heading and a bare date sit in
    one-cell layout rows, a prose sidebar sits in the next column."""
    raw = ("<html><head><title>某某市政务服务管理局</title></head><body><table width='1000'><tr><td>"
           "<table><tr><td><a href='/'>首页</a> <a href='/x'>机构设置</a> <a href='/y'>政务公开</a></td></tr></table>"
           f"<table><tr><td width='250' valign='top'>{_SIDE}</td><td valign='top'><table width='100%'>"
           "<tr><td class='biaoti' align='center'><b>关于规范政务服务事项办理的通知</b></td></tr>"
           "<tr><td class='fbsj' align='center'>2023-03-02</td></tr>"
           f"<tr><td class='nr'>{_TEXT}</td></tr></table></td></tr></table></td></tr></table>"
           "<table><tr><td>版权所有：某某市政务服务管理局 技术支持：某某公司 ICP备0000号</td></tr></table>"
           "</body></html>")
    ex = extract(raw.encode("utf-8"), "http://zwfw.example.gov.cn/show.asp?id=8")
    _text_ok(ex)
    assert (ex.published, ex.date_source) == ("2023-03-02", "visible")


def test_document_number_line_under_a_two_line_heading_is_not_the_title() -> None:
    raw = ("<html><head><title>某某市人民政府</title></head><body><div class='head'>某某市人民政府</div>"
           "<h1>某某市人民政府关于印发<br>某某市优化营商环境若干措施的通知</h1><div class='sub'>某政发〔2023〕2号</div>"
           f"<div class='tm'>发布时间：2023-01-10</div><div class='zz'>{_TEXT}</div></body></html>")
    ex = extract(raw.encode("utf-8"), "http://www.example.gov.cn/show.asp?id=9")
    assert ex.title == "某某市人民政府关于印发某某市优化营商环境若干措施的通知"
    assert (ex.published, ex.date_source) == ("2023-01-10", "visible")


@pytest.mark.parametrize("names", [("content", "content-left", "content-right"), ("w1", "w2", "w3")])
def test_prose_sidebar_next_to_a_shorter_text_is_not_the_body(names) -> None:
    """A leaders' sidebar with more prose than the article, in the heading's neighbouring column:
    the text is taken from the heading's own branch of the page."""
    outer, left, right = names
    raw = ("<html><head><title>某某市人民政府</title>"
           "<meta name='ArticleTitle' content='关于规范政务服务事项办理的通知'>"
           f"</head><body><div class='{outer}'><div class='{left}'><h2>关于规范政务服务事项办理的通知</h2>"
           f"<div>发布时间：2023-03-02</div>{_TEXT}</div><div class='{right}'>{_SIDE}{_SIDE}</div></div></body></html>")
    ex = extract(raw.encode("utf-8"), "http://zwfw.example.gov.cn/show.asp?id=10")
    _text_ok(ex)
    assert (ex.published, ex.date_source) == ("2023-03-02", "visible")


@pytest.mark.parametrize("layout", ["li", "table", "div"])
def test_column_pages_in_list_table_and_div_rows_are_lists(layout: str) -> None:
    """Table rows count as text structure for short articles, but a table of dated links is a list."""
    n = range(12)
    rows = {
        "li": "<ul>" + "".join(f"<li><a href='/a/{i}.html'>关于某某事项第{i}号的公告通知</a>"
                               f"<span>发布时间：2023-06-{10 + i}</span></li>" for i in n) + "</ul>",
        "table": "<table><tr><th>序号</th><th>标题</th><th>发布时间</th></tr>" + "".join(
            f"<tr><td>{i}</td><td><a href='/a/{i}.html'>关于某某事项第{i}号的公告通知</a></td>"
            f"<td>2023-06-{10 + i}</td></tr>" for i in n) + "</table>",
        "div": "".join(f"<div class='row'><a href='/a/{i}.html'>关于某某事项第{i}号的公告通知</a> "
                       f"<em>[2023-06-{10 + i}]</em></div>" for i in n),
    }[layout]
    raw = (f"<html><head><title>通知公告-某某市</title></head><body><div class='top'><a href='/'>首页</a></div>"
           f"<h2 class='lm'>通知公告</h2><div class='date'>更新时间：2023-06-22</div><div class='list'>{rows}</div>"
           "<div class='pages'>共12条 第1页</div></body></html>")
    assert extract(raw.encode("utf-8"), "http://www.example.gov.cn/tzgg/index.html").page_class == "list"


@pytest.mark.parametrize("footer", ["<div>网站标识码：1304000009 冀ICP备00000001号</div>",
                                    "<div><span>网站标识码：</span><span>bm01000001</span></div>"])
def test_site_code_from_the_footer_when_no_meta_tag(footer: str) -> None:
    raw = (f"<html><body><h1>关于某事的通知</h1><div id='zoom'><p>现将有关事项通知如下，请遵照执行。</p></div>{footer}"
           "</body></html>").encode()
    code = "1304000009" if "1304" in footer else "bm01000001"
    assert extract(raw, "http://x.gov.cn/a.html").metadata["site_id_code"] == code


@pytest.mark.parametrize("page_id", corpus_ids())
def test_unlabelled_dates_and_a_header_clock(page_id: str) -> None:
    """Dates without 发布日期： (a bare date cell, or "2025-06-03 来源：…") next to the heading still
    count; the header clock never does; the heading is found from the date line (layout rows allowed)."""
    raw, truth = corpus_page(page_id)
    _check(add_header_clock(unlabel_dates(strip_gov_meta(scramble_names(raw.decode("utf-8"))))), truth)


def test_hidden_sidebar_tab_next_to_a_more_link_stays_hidden() -> None:
    """"更多>>" opens a column page; it does not unfold text, so a hidden tab panel stays out."""
    raw = ("<html><head><title>关于某事的通知_某市</title></head><body><h1>关于某事的通知</h1>"
           "<div class='d'>发布日期：2023-02-28</div><div id='zoom'><p>现将有关事项通知如下，请遵照执行。</p></div>"
           "<div class='side'><div class='tab'>要闻</div><div class='tab'>公告</div>"
           "<div class='panel' style='display:none'>"
           "<p>市长主持召开常务会议，研究部署近期重点工作，强调要狠抓落实。</p></div>"
           "<a href='/news/'>更多&gt;&gt;</a></div></body></html>").encode()
    ex = extract(raw, "http://x.gov.cn/a.html")
    assert ex.body == "现将有关事项通知如下，请遵照执行。"
    assert "常务会议" not in "".join(ex.metadata.values())


def test_a_source_phrase_in_the_text_is_not_the_content_source() -> None:
    raw = ("<html><head><title>关于下达资金的通知_某市</title></head><body><h1>关于下达资金的通知</h1><div id='zoom'>"
           "<p>各县区：</p><p>资金来源：市级财政专项资金，请按规定使用。</p></div></body></html>").encode()
    assert "content_source" not in extract(raw, "http://x.gov.cn/a.html").metadata


def test_dated_rows_of_a_sidebar_before_the_heading_do_not_anchor_it() -> None:
    side = "".join(f"<div class='it'><a href='/n/{i}.html'>某某县召开第{i}次全体会议部署重点工作</a>"
                   f"<span>发布时间：2023-01-0{i}</span></div>" for i in range(1, 5))
    raw = ("<html><head><title>某某县人民政府</title></head><body><div class='l'>" + side + "</div><div class='r'>"
           "<div class='t'>关于开展春季植树造林活动的通知</div><div class='s'>发布时间：2023-03-05</div><div class='c'>"
           "<p>各乡镇：为进一步改善生态环境，决定开展春季植树造林活动，现将有关事项通知如下。</p><p>一、时间安排：3月12日前完成。</p>"
           "</div></div></body></html>").encode("utf-8")
    ex = extract(raw, "http://x.gov.cn/a.html")
    assert ex.title == "关于开展春季植树造林活动的通知"
    assert (ex.published, ex.date_source) == ("2023-03-05", "visible")


@pytest.mark.parametrize(("name", "page_class"), [
    ("019.html", "list"), ("020.html", "list"), ("021.html", "js_shell"),
    ("022.html", "js_shell"), ("C01.html", "antibot"), ("C02.html", "antibot"),
])
def test_non_articles_keep_their_class_with_a_header_clock_and_no_names(name: str, page_class: str) -> None:
    """The clock line (2026年11月25日 星期三) is neither a signature date nor text that renders a shell."""
    html = (OTHER / name).read_bytes().decode("utf-8", "replace")
    ex = extract(add_header_clock(scramble_names(html)).encode("utf-8"), "http://x.gov.cn/a/index.html")
    assert ex.page_class == page_class
    assert ex.published is None


@pytest.mark.parametrize("style", ["font-size:22px", "font-weight:bold;text-align:center"])
def test_of_two_lines_above_the_date_the_emphasised_one_is_the_title(style: str) -> None:
    raw = ("<html><head><title>某某市人民政府</title></head><body><div class='w'>"
           f"<div class='a' style='{style}'>全市重点项目建设推进会召开</div>"
           "<div class='b'>聚焦项目建设 推动高质量发展</div><div class='c'>发布时间：2023-02-28</div>"
           "<div class='d'>"
           "<p>2月27日，全市重点项目建设推进会召开，会议通报了重点项目计划安排情况，部署推进项目建设工作。</p></div>"
           "</div></body></html>").encode()
    ex = extract(raw, "http://x.gov.cn/a.html")
    assert ex.title == "全市重点项目建设推进会召开"
    assert ex.body.startswith("2月27日")
