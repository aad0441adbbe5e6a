"""Publication dates: candidates from every source, one scorer weighing their agreement.

The scorer is tested on candidates alone; each rule also on a page with full chrome (nav,
breadcrumb, sidebar lists with dates, footer), see the synthetic families in
fixtures/extract/synthetic for one page per class.
"""

from __future__ import annotations

import pytest

from crawler.extract import extract
from crawler.extract.article.published import DateCandidate, weigh_dates
from crawler.extract.dates import month_from_url, parse_date


def _c(iso: str, source: str, prior: float, kind: str = "") -> DateCandidate:
    return DateCandidate(iso, source, kind or source, prior)


def _winner(*candidates: DateCandidate) -> tuple[str, str] | None:
    best = weigh_dates(list(candidates))[0]
    return (best.candidate.iso, best.candidate.source) if best.score is not None else None


# ---------------------------------------------------------------- the scorer


def test_a_pubdate_months_after_the_url_folder_is_a_regeneration_time() -> None:
    meta, folder = _c("2021-09-15", "meta", 60, "pubdate"), _c("2021-04", "url", 0, "url_month")
    assert _winner(meta, folder) is None  # a wrong date is worse than none
    assert _winner(meta, folder, _c("2021-04-10", "signature", 40)) == ("2021-04-10", "signature")
    assert _winner(meta, _c("2021-04-16", "url", 50, "url_day")) == ("2021-04-16", "url")


def test_a_pubdate_months_after_the_block_date_loses_to_it() -> None:
    scored = weigh_dates([_c("2021-09-15", "meta", 60), _c("2021-04-12", "disclosure_block", 75)])
    assert scored[0].candidate.source == "disclosure_block"
    assert dict(scored[1].evidence) == {"regenerated": 0.0} and scored[1].score is None


def test_a_pubdate_days_after_the_url_day_is_the_publication() -> None:
    """A TRS page is created (t20230228) and published some days later (PubDate)."""
    assert _winner(_c("2023-03-06T10:00:00+08:00", "meta", 60), _c("2023-02-28", "url", 50)) == \
        ("2023-03-06T10:00:00+08:00", "meta")


def test_agreeing_sources_add_half_their_prior() -> None:
    scored = weigh_dates([_c("2023-02-28", "visible", 92, "bare"), _c("2023-02-27", "url", 50),
                          _c("2023-01-01", "signature", 40)])
    assert scored[0].score == 92 + 25 and dict(scored[0].evidence)["agrees:url"] == 25


def test_a_date_shown_next_to_the_heading_beats_machine_dates_that_agree_elsewhere() -> None:
    assert _winner(_c("2023-02-28", "visible", 92, "bare"), _c("2023-05-01", "meta", 60),
                   _c("2023-05-01", "url", 50)) == ("2023-02-28", "visible")


def test_a_weak_date_contradicted_and_unsupported_loses() -> None:
    own = _c("2026-11-25", "visible", 62, "own_element")
    assert _winner(own) == ("2026-11-25", "visible")
    assert _winner(own, _c("2021-03-09", "signature", 40)) == ("2021-03-09", "signature")
    assert _winner(own, _c("2026-11", "url", 0, "url_month")) == ("2026-11-25", "visible")
    # a later machine stamp (maybe a regeneration time) contradicts nothing
    assert _winner(_c("2021-03-09", "visible", 62, "own_element"), _c("2021-11-01", "meta", 60)) == \
        ("2021-03-09", "visible")


def test_a_tie_goes_to_the_earlier_candidate() -> None:
    assert _winner(_c("2023-02-28", "visible", 92), _c("2023-03-01", "visible", 92)) == ("2023-02-28", "visible")


@pytest.mark.parametrize(("url", "month"), [
    ("http://x.gov.cn/tzgg/202104/abc_1.html", "2021-04"), ("http://x.cn/news/2021/04/a.html", "2021-04"),
    ("http://x.cn/2021-4/a.html", "2021-04"), ("http://x.cn/202113/a.html", None), ("http://x.cn/a.html", None),
])
def test_month_folders(url: str, month: str | None) -> None:
    assert month_from_url(url) == month


# ---------------------------------------------------------------- pages


_CHROME = """<html><head><meta charset="utf-8"><title>{title}_通知公告_某某市人民政府</title>{head}</head><body>
<div class="top"><span class="today">{clock}</span><ul class="nav"><li><a href="/">首页</a></li>
<li><a href="/zwgk/">政务公开</a></li><li><a href="/tzgg/">通知公告</a></li></ul></div>
<div class="crumb">当前位置：<a href="/">首页</a> &gt; <a href="/tzgg/">通知公告</a></div>
<div class="main"><div class="left"><ul class="news">
<li><a href="/tzgg/202102/t20210203_1.html">关于做好春节期间安全生产工作的通知</a><span>2021-02-03</span></li>
<li><a href="/tzgg/202101/t20210115_2.html">关于开展冬季消防安全检查的通知</a><span>2021-01-15</span></li></ul></div>
<div class="right">{main}</div></div>
<div class="foot">版权所有：某某市人民政府 网站标识码：3300000001 某ICP备00000001号
2026年11月25日更新</div></body></html>"""
_TITLE = "关于开展2021年春季植树造林活动的通知"
_TEXT = ("<div class='text'><p>各县区、各部门：为进一步改善生态环境，经研究，决定开展春季植树造林活动。"
         "现将有关事项通知如下。</p><p>一、活动时间：2021年3月12日至3月31日。</p><p>二、各单位要高度重视，精心组织，确保活动取得实效。</p></div>")


def _page(main: str, head: str = "", clock: str = "今天是：2026年11月25日 星期三") -> bytes:
    return _CHROME.format(title=_TITLE, head=head, main=main, clock=clock).encode("utf-8")


def _dated(main: str, url: str = "http://www.example.gov.cn/tzgg/show.aspx?id=9", head: str = "", clock: str = ""):
    ex = extract(_page(main, head, clock or "今天是：2026年11月25日 星期三"), url)
    assert ex.title == _TITLE
    return ex.published, ex.date_source


@pytest.mark.parametrize(("label", "published"), [
    ("发布日期", "2021-03-09"), ("公开日期", "2021-03-09"), ("发布时间", "2021-03-09"), ("日期", "2021-03-09"),
    ("生成日期", "2021-03-09"), ("成文日期", None), ("印发日期", None),
])
def test_label_variants_in_the_disclosure_block(label: str, published: str | None) -> None:
    block = ("<table class='xxgk'><tr><td>索引号：</td><td>000014349/2021-00031</td><td>发布机构：</td>"
             "<td>市政府办公室</td></tr>"
             f"<tr><td>{label}：</td><td>2021-03-09</td><td>文号：</td><td>某政发〔2021〕3号</td></tr></table>")
    ex = extract(_page(block + f"<h1>{_TITLE}</h1>" + _TEXT), "http://www.example.gov.cn/tzgg/show.aspx?id=9")
    assert (ex.published, ex.date_source) == ((published, "disclosure_block") if published else (None, None))
    if label in ("成文日期", "印发日期"):
        assert ex.metadata["written_date"] == "2021-03-09"  # the writing date is metadata, not the date
    assert "索引号" not in ex.body


def test_written_and_generated_dates_side_by_side() -> None:
    block = ("<ul class='xxgk'><li>索引号：000014349/2021-00031</li><li>成文日期：2021-03-05</li>"
             "<li>生成日期：2021-03-09</li><li>发布机构：市政府办公室</li></ul>")
    ex = extract(_page(block + f"<h1>{_TITLE}</h1>" + _TEXT), "http://www.example.gov.cn/tzgg/show.aspx?id=9")
    assert (ex.published, ex.date_source) == ("2021-03-09", "disclosure_block")
    assert (ex.metadata["written_date"], ex.metadata["generated_date"]) == ("2021-03-05", "2021-03-09")


def test_an_info_bar_with_a_publisher_is_not_the_disclosure_block() -> None:
    bar = "<div class='bar'><span>发布时间：2021-03-09 10:00</span> <span>发布机构：市林业局</span></div>"
    assert _dated(f"<h1>{_TITLE}</h1>{bar}{_TEXT}") == ("2021-03-09T10:00:00+08:00", "visible")


@pytest.mark.parametrize(("line", "published"), [
    ("2021-03-09 09:15 来源：市林业局 作者：张某 浏览次数：1234 【字体：大 中 小】 打印本页 关闭窗口 分享到：微信 微博",
     "2021-03-09T09:15:00+08:00"),  # a long info line without a label
    ("发表于 2021-3-9 8:05:00", "2021-03-09T08:05:00+08:00"),
    ("发布时间 2021/03/09 09:15:03 by 林业科", "2021-03-09T09:15:03+08:00"),
    ("2021年3月9日 23:30（京港台时间）", "2021-03-09T23:30:00+08:00"),
    ("信息时间：2021-03-09 阅读次数：87", "2021-03-09"),
    ("于 2021-03-09 09:15:32 发布", "2021-03-09T09:15:32+08:00"),
    ("发布时间：2021-03-09 23:30（北京时间）", "2021-03-09T23:30:00+08:00"),  # a zone after a date, not a clock
])
def test_dates_under_the_heading_without_the_usual_label(line: str, published: str) -> None:
    assert _dated(f"<h1>{_TITLE}</h1><div class='info'>{line}</div>{_TEXT}") == (published, "visible")


def test_a_zoned_machine_stamp_never_moves_a_shown_time_across_midnight() -> None:
    """23:30 shown (Beijing time as written); the meta says the same instant in UTC, or the shown
    time mislabelled as UTC: the shown date and time win, unconverted."""
    for stamp in ("2021-03-09T15:30:00Z", "2021-03-09T23:30:00Z"):
        head = f"<meta property='article:published_time' content='{stamp}'>"
        assert _dated(f"<h1>{_TITLE}</h1><div class='info'>2021年3月9日 23:30 来源：市林业局</div>{_TEXT}",
                      head=head) == ("2021-03-09T23:30:00+08:00", "visible")
    assert parse_date("2021-03-09T23:30:00") == "2021-03-09T23:30:00+08:00"  # no zone: as written


@pytest.mark.parametrize("clock", ["北京时间：2026-11-25 09:15", "2026-11-25 09:15", "2026年11月25日 星期三",
                                   "2026年11月25日"])
def test_a_clock_in_the_header_is_never_the_date(clock: str) -> None:
    """北京时间：…, a date with the time or the weekday, or a bare day that does not fit the text."""
    assert _dated(f"<h1>{_TITLE}</h1>{_TEXT}", clock=clock) == (None, None)


def test_a_date_alone_in_its_element_above_the_heading_must_fit_the_text() -> None:
    """A paper's date fits "3月8日" in its text; a clock without weekday or time two years later does not."""
    text = "<div class='text'><p>本报讯　3月8日，全市春季植树造林活动启动，各县区共栽植苗木十二万株。</p></div>"
    assert _dated(f"<div><span>2021年03月09日</span></div><h1>{_TITLE}</h1>{text}") == ("2021-03-09", "visible")
    assert _dated(f"<div><span>2023年11月25日</span></div><h1>{_TITLE}</h1>{text}") == (None, None)


@pytest.mark.parametrize("where", ["comments", "sidebar", "footer", "calendar"])
def test_dates_of_other_things_stay_out(where: str) -> None:
    extra = {
        "comments": ("<div class='cmts'><h3>网友评论</h3><div><b>网友甲</b> 发表于 2021-03-10 08:12<p>支持！</p></div>"
                     "<div><b>网友乙</b> 2021-03-11 19:40 <p>希望早日落实。</p></div></div>"),
        "sidebar": "<div class='side'><h3>最新更新</h3><p>2021-03-08</p><p>2021-03-07</p></div>",
        "footer": "<div class='end'>本页更新时间：2021-03-10 网站访问量：123456</div>",
        "calendar": "<table class='cal'><caption>2021年3月</caption><tr><td>1</td><td>2</td><td>3</td></tr></table>",
    }[where]
    assert _dated(f"<h1>{_TITLE}</h1>{_TEXT}{extra}") == (None, None)


def test_machine_dates_in_json_ld_itemprop_hidden_properties_and_comments() -> None:
    ld = ('<script type="application/ld+json">{"@type": "NewsArticle", '
          '"datePublished": "2021-03-09T07:45:00+08:00"}</script>')
    assert _dated(f"<h1>{_TITLE}</h1>{_TEXT}", head=ld) == ("2021-03-09T07:45:00+08:00", "meta")
    assert _dated(f"<h1>{_TITLE}</h1><meta itemprop='datePublished' content='2021-03-09'>{_TEXT}") == \
        ("2021-03-09", "meta")
    hidden = "<div style='display:none'><date>2021-03-09 10:21:37</date><source>市林业局</source></div>"
    assert _dated(f"<h1>{_TITLE}</h1>{hidden}{_TEXT}") == ("2021-03-09T10:21:37+08:00", "meta")
    assert _dated(f"<!-- <article><date>2021-03-09</date></article> --><h1>{_TITLE}</h1>{_TEXT}") == \
        ("2021-03-09", "meta")


def test_date_elements_of_list_rows_are_not_the_articles() -> None:
    rows = "<ul class='x'><li><a href='/a/1.html'>关于某事的通知</a><date>2021-01-15</date></li></ul>"
    assert _dated(f"<h1>{_TITLE}</h1>{_TEXT}{rows}") == (None, None)


def test_the_url_day_wins_over_a_pubdate_regenerated_months_later() -> None:
    head = "<meta name='PubDate' content='2021-11-23 16:05'>"
    assert _dated(f"<h1>{_TITLE}</h1>{_TEXT}", "http://www.example.gov.cn/tzgg/202103/t20210309_262.html", head) == \
        ("2021-03-09", "url")
    # a month folder alone says the stamp is not the date: no date rather than a wrong one
    assert _dated(f"<h1>{_TITLE}</h1>{_TEXT}", "http://www.example.gov.cn/tzgg/202103/262.html", head) == (None, None)


_LEAD = "<p class='lead'>导语：今年全市计划植树十二万株，实现城区绿化全覆盖，让市民共享绿色。</p>"
_SPLIT = ("<div class='t'><span><em> 2021</em></span><span><em> 03</em>/<em>09</em></span><span> 07:45:12</span></div>"
          "<div class='s'>来源：市林业局</div>")


@pytest.mark.parametrize(("layout", "published"), [
    # the info line after a lead paragraph (导语), at the top of the text block
    (f"<div class='a'><h1>{_TITLE}</h1>{_LEAD}<div class='i'>2021-03-09 07:45 来源：市林业局</div>{_TEXT}</div>",
     "2021-03-09T07:45:00+08:00"),
    # a <time datetime> that shows "3天前"
    (f"<h1>{_TITLE}</h1><div class='i'><time datetime='2021-03-09T07:45:00+08:00'>3天前</time></div>{_TEXT}",
     "2021-03-09T07:45:00+08:00"),
    # year and month/day in separate elements of the header that holds the heading
    (f"<div class='h'>{_SPLIT}<h1><span>{_TITLE}</span></h1></div>{_TEXT}", "2021-03-09T07:45:12+08:00"),
])
def test_news_layouts_of_the_date_line(layout: str, published: str) -> None:
    assert _dated(layout) == (published, "visible")
