"""Title reconciliation details: <title> splitting and heading choice."""

from __future__ import annotations

import pytest

from crawler.extract import extract
from crawler.extract.article.title import title_segments


@pytest.mark.parametrize(("title", "segments"), [
    ("关于XX的通知 - 某市人民政府", ["关于XX的通知", "某市人民政府"]),
    ("关于XX的通知-某市人民政府", ["关于XX的通知", "某市人民政府"]),
    ("关于XX的通知－某市人民政府", ["关于XX的通知", "某市人民政府"]),
    ("关于XX的通知_公示公告_某市人民政府", ["关于XX的通知", "公示公告", "某市人民政府"]),
    ("关于XX的通知__2007年第23号国务院公报_中国政府网", ["关于XX的通知", "2007年第23号国务院公报", "中国政府网"]),
    ("关于XX的通知 | 某市人民政府", ["关于XX的通知", "某市人民政府"]),
    ("关于XX的通知——某市人民政府", ["关于XX的通知", "某市人民政府"]),
    ("关于印发《奋进——XX规划》的通知 - 某市人民政府", ["关于印发《奋进——XX规划》的通知", "某市人民政府"]),
    ("2023-2025年行动计划-某局", ["2023-2025年行动计划", "某局"]),
    ("1-10月德清县固定资产投资结构趋稳趋优", ["1-10月德清县固定资产投资结构趋稳趋优"]),
])
def test_title_segments(title: str, segments: list[str]) -> None:
    assert title_segments(title) == segments


def _page(head: str, body: str) -> bytes:
    return f"<html><head>{head}</head><body>{body}</body></html>".encode()


TEXT = "<div id='zoom'><p>现将有关事项通知如下，请结合实际认真贯彻执行。</p></div>"


def test_site_name_first_in_title_tag() -> None:
    ex = extract(_page("<title>某市人民政府 - 关于做好防汛工作的通知</title>", TEXT), "http://x.gov.cn/a.html")
    assert ex.title == "关于做好防汛工作的通知"


def test_column_name_title_tag_loses_to_heading_above_text() -> None:
    ex = extract(_page("<title>通知公告</title>", "<div class='tit'>关于做好防汛工作的通知</div>" + TEXT),
                 "http://x.gov.cn/a.html")
    assert ex.title == "关于做好防汛工作的通知"


def test_related_list_item_with_exact_meta_title_loses_to_the_heading() -> None:
    body = ("<div class='list'><ul><li><span class='title'>关于做好防汛工作的通知（修订）</span></li></ul></div>"
            "<h1>关于做好防汛工作的通知</h1>" + TEXT)
    ex = extract(_page("<meta name='ArticleTitle' content='关于做好防汛工作的通知（修订）'><title>x</title>", body),
                 "http://x.gov.cn/a.html")
    assert ex.title == "关于做好防汛工作的通知"


def test_two_line_heading_is_joined_without_space() -> None:
    body = "<h1>关于做好2023年<br>防汛工作的通知</h1>" + TEXT
    ex = extract(_page("<title>某市人民政府</title>", body), "http://x.gov.cn/a.html")
    assert ex.title == "关于做好2023年防汛工作的通知"


def test_section_headings_inside_text_are_not_titles() -> None:
    body = ("<td class='txt2'>某某项目中标公告</td><div class='txt7'><span class='title'>一、项目编号：</span>"
            "<p>ZC13080020210163</p><span class='title'>二、项目名称</span><p>某某电脑采购项目，现公告如下。</p></div>")
    ex = extract(_page("<title>中标公告详细页面</title>", body), "http://x.gov.cn/a.html")
    assert ex.title == "某某项目中标公告"


def test_heading_set_as_two_sibling_lines_matching_meta() -> None:
    body = "<div class='hd'><h1>关于做好2023年</h1><h1>防汛工作的通知</h1></div>" + TEXT
    ex = extract(_page("<meta name='ArticleTitle' content='关于做好2023年防汛工作的通知'><title>某市</title>", body),
                 "http://x.gov.cn/a.html")
    assert ex.title == "关于做好2023年防汛工作的通知"


@pytest.mark.parametrize("where", ["heading", "title_tag", "meta"])
def test_markup_escaped_into_the_title_yields_the_text(where: str) -> None:
    marked = "&lt;font color='#FF0000'&gt;[网上竞价]&lt;/font&gt;某某中学教学设备采购项目竞价公告"
    head = {"heading": "<title>某某市公共资源交易中心</title>",
            "title_tag": f"<title>{marked}-某某市公共资源交易中心</title>",
            "meta": f"<meta name='ArticleTitle' content=\"{marked}\"><title>交易中心</title>"}[where]
    body = (f"<h3>{marked}</h3>" if where == "heading" else "") + TEXT
    assert extract(_page(head, body), "http://x.gov.cn/a.html").title == "[网上竞价]某某中学教学设备采购项目竞价公告"


@pytest.mark.parametrize("greeting", ["谢谢您访问山间小屋，欢迎常来坐坐！", "欢迎光临某某的博客",
                                      "热烈欢迎您来到某某社区"])
def test_a_greeting_is_no_title_and_without_a_heading_the_title_tag_minus_its_site_part_is(greeting: str) -> None:
    head = "<title>重读《乡土中国》的几点体会 - 山间小屋 - 某某博客</title>"
    body = f"<div class='top'><h1>{greeting}</h1></div><div class='side'><p>山间小屋</p></div>" + TEXT
    assert extract(_page(head, body), "http://blog.example.com/s/1.html").title == "重读《乡土中国》的几点体会"


def test_the_heading_inside_a_title_wrapper_wins_over_the_wrapper() -> None:
    body = ("<div class='lemma-title'><h1>差序格局</h1><a href='/edit'>编辑</a> <a href='#'>锁定</a></div>"
            "<div class='summary'><p>差序格局是费孝通提出的概念，用以描述中国传统社会的人际关系结构。</p></div>")
    ex = extract(_page("<title>差序格局_某某百科</title>", body), "https://baike.example.com/item/1")
    assert ex.title == "差序格局" and ex.body.startswith("差序格局是费孝通")


def test_a_blog_name_later_in_the_title_tag_loses_to_the_post_heading() -> None:
    body = ("<div id='header'><h1><a href='/laozhang/'>老张的技术笔记</a></h1></div><div class='post'>"
            "<h1 class='postTitle'><a href='/p/1.html'>用SQLite做全文检索的几个坑</a></h1>" + TEXT + "</div>")
    ex = extract(_page("<title>用SQLite做全文检索的几个坑 - 老张的技术笔记 - 某某园</title>", body), "http://x.cn/p/1.html")
    assert ex.title == "用SQLite做全文检索的几个坑"


def test_a_slogan_in_the_page_header_is_no_title() -> None:
    """A heading above the navigation that matches nothing, while <title> names the page."""
    nav = "<div class='nav'>" + "".join(f"<a href='/c{i}/'>栏目{i}</a>" for i in range(8)) + "</div>"
    body = ("<div class='hd'><h1>弘扬法治精神 建设法治中国</h1></div>" + nav +
            "<div class='c'><p>这几天又把费孝通先生的《乡土中国》找出来读了一遍，感受很不一样。</p></div>")
    ex = extract(_page("<title>重读《乡土中国》的几点体会 - 某某法治网</title>", body), "http://x.cn/a/1.html")
    assert (ex.title, ex.title_source) == ("重读《乡土中国》的几点体会", "title_tag")
