"""Synthetic pages in common gov layouts (TRS + 信息公开 table, Hanweb #zoom, article info bar,
plain table layout in GBK, signature-only date, 信息公开 list above the heading, old Hanweb table
layout, 二〇二三 signature, news with editor lines, attachment list, PDF viewer, 上一篇/下一篇, a
column page; gkmlpt DETAIL JSON shell, dates only in Hanweb/gov.cn URLs, <publishtime> tag, publishdate /
firstpublishedtime metas, gov.cn UCAP news, one-line 信息公开 block, Shenzhen fjdown, ndrc enclosure, old
gb2312 table layout) with their expectations in JSON next to them (`body`: the full text, scored by F1)."""

from __future__ import annotations

import pytest
from helpers_extract import bigram_f1, synthetic_names, synthetic_page

from crawler.extract import extract


@pytest.fixture(params=synthetic_names())
def case(request):
    raw, spec = synthetic_page(request.param)
    return extract(raw, spec["url"]), spec


def test_fields(case) -> None:
    ex, spec = case
    for name in ("title", "published", "date_source", "page_class", "encoding"):
        if name in spec:
            assert getattr(ex, name) == spec[name], name


def test_metadata(case) -> None:
    ex, spec = case
    for k, v in spec.get("metadata", {}).items():
        assert ex.metadata.get(k) == v, k
    for k in spec.get("metadata_absent", []):
        assert k not in ex.metadata
    assert not any("浏览" in v or "点击" in v for v in ex.metadata.values())  # volatile counters


def test_attachments(case) -> None:
    ex, spec = case
    if "attachments" in spec:
        key = lambda a: a["url"]  # noqa: E731
        assert sorted(ex.attachments, key=key) == sorted(spec["attachments"], key=key)


def test_body(case) -> None:
    ex, spec = case
    if "body" in spec:
        assert bigram_f1(ex.body, spec["body"]) >= spec.get("min_f1", 0.95), ex.body
    if "body_starts" in spec:
        assert ex.body.startswith(spec["body_starts"])
    if "body_ends" in spec:
        assert ex.body.endswith(spec["body_ends"])
    for piece in spec.get("body_contains", []):
        assert piece in ex.body
    for piece in spec.get("body_excludes", []):
        assert piece not in ex.body


def test_visible_date_beats_regenerated_pubdate_and_both_are_kept() -> None:
    raw, spec = synthetic_page("article_infobar")
    ex = extract(raw, spec["url"])
    assert ex.published == "2023-03-06T10:30:00+08:00"
    assert ex.metadata["pub_date_meta"] == "2024-01-09 11:02:33"
    assert "2023-03-06" in ex.metadata["published_visible"]


def test_header_clock_and_related_list_dates_are_never_used() -> None:
    raw, spec = synthetic_page("trs_xxgk")
    html = raw.decode("utf-8")
    # Without the 信息公开 block and the meta PubDate only the URL remains: not the clock, not the list.
    start, end = html.index('<table class="xxgk-table">'), html.index("</table>") + len("</table>")
    html = html[:start] + html[end:]
    html = html.replace('<meta name="PubDate" content="2023-03-15 09:12">', "")
    ex = extract(html.encode("utf-8"), spec["url"])
    assert ex.published == "2023-02-28"
    assert ex.date_source == "url"
    ex = extract(html.encode("utf-8"), "http://www.linyi.gov.cn/info/show.asp?id=1")
    assert ex.published == "2023-02-27"  # the signature 二〇二三年二月二十七日
    assert ex.date_source == "signature"


def test_script_attachment_from_foreign_host_is_ignored() -> None:
    raw = ("<html><body><h1>关于公示的通知</h1><div class='TRS_Editor'><p>现将有关情况公示如下，请监督。</p></div>"
           "<script>document.write('<a href=\"http://evil.example.com/x.pdf\">x.pdf</a>');"
           "document.write('<a href=\"./P020230228_1.docx\">名单.docx</a>');</script></body></html>")
    ex = extract(raw.encode("utf-8"), "http://www.example.gov.cn/a/202302/t20230228_1.html")
    assert ex.attachments == [{"url": "http://www.example.gov.cn/a/202302/P020230228_1.docx", "text": "名单.docx"}]


def test_base_href_is_used_for_attachment_urls() -> None:
    raw = ("<html><head><base href='http://files.example.gov.cn/doc/'></head><body><h1>关于公示的通知</h1>"
           "<div id='zoom'><p>现将有关情况公示如下，请监督。</p>"
           "<p><a href='list.xlsx'>名单</a></p></div></body></html>")
    ex = extract(raw.encode("utf-8"), "http://www.example.gov.cn/a/1.html")
    assert ex.attachments == [{"url": "http://files.example.gov.cn/doc/list.xlsx", "text": "名单"}]


def test_two_line_heading_matches_meta_title() -> None:
    raw, spec = synthetic_page("hanweb_zoom")
    ex = extract(raw, spec["url"])
    assert ex.title == "关于公布2023年第一批医疗服务价格项目的通知"
    assert ex.title_source == "visible"


def test_date_span_next_to_heading_in_same_wrapper_and_no_known_container() -> None:
    raw = ("<html><head><title>关于做好2023年防汛工作的通知-某市水利局</title></head><body>"
           "<div class='top'>今天是2026年11月25日 星期三</div>"
           "<div class='menu'><a href='/'>首页</a> <a href='/a'>机构概况</a> <a href='/b'>政务公开</a> "
           "<a href='/c'>互动交流</a></div>"
           "<div class='art-head'><h1>关于做好2023年防汛工作的通知</h1><span class='time'>2023-05-06</span> "
           "<span>浏览：123</span></div><div class='art-body'><p>各县区水利局：入汛以来，我市降雨偏多，"
           "为切实做好防汛工作，现通知如下。</p><p>一、压实防汛责任，落实各项措施，确保安全度汛。</p>"
           "<p>某市水利局</p><p>2023年5月5日</p></div></body></html>").encode()
    ex = extract(raw, "http://slj.example.gov.cn/a.html")
    assert ex.title == "关于做好2023年防汛工作的通知"
    assert (ex.published, ex.date_source) == ("2023-05-06", "visible")
    assert ex.body.startswith("各县区水利局：") and ex.body.endswith("2023年5月5日")
    assert "今天是" not in ex.body and "浏览" not in ex.body


def test_weekday_date_under_heading_while_header_clock_says_today() -> None:
    raw = ("<html><head><title>关于某事的通知_某市</title></head><body>"
           "<div class='top'>今天是2026年11月25日 星期三</div>"
           "<h1>关于某事的通知</h1><div class='d'>2023年02月28日 星期二</div><div id='zoom'><p>现将有关事项通知如下，"
           "请遵照执行。</p></div></body></html>").encode()
    ex = extract(raw, "http://x.gov.cn/a.html")
    assert (ex.published, ex.date_source) == ("2023-02-28", "visible")


def test_meeting_time_in_text_does_not_beat_pubdate_meta() -> None:
    raw = ("<html><head><meta name='PubDate' content='2023-02-20 10:00'>"
           "<title>关于召开安全生产工作会议的通知_某市</title>"
           "</head><body><div class='TRS_Editor'><p>会议时间：2023年3月1日上午9时</p>"
           "<p>各县区：经研究，决定召开全市安全"
           "生产工作会议，现将有关事项通知如下。</p></div></body></html>").encode()
    ex = extract(raw, "http://x.gov.cn/a.html")
    assert (ex.published, ex.date_source) == ("2023-02-20T10:00:00+08:00", "meta")


@pytest.mark.parametrize("meta", ["<meta name='ArticleTitle' content='关于某某事项的通知'>", ""])
def test_heading_wrapper_holding_the_date_line(meta: str) -> None:
    raw = (f"<html><head>{meta}<title>某市人民政府</title></head><body><div class='title'>关于某某事项的通知"
           "<span>发布时间：2023-02-28</span></div><div id='zoom'><p>现将有关事项通知如下，请遵照执行。</p></div>"
           "</body></html>").encode()
    ex = extract(raw, "http://x.gov.cn/a.html")
    assert ex.title == "关于某某事项的通知"
    assert ex.published == "2023-02-28"


def test_disclosure_table_inside_the_text_block_is_removed_and_signature_is_not_the_visible_date() -> None:
    raw = ("<html><head><title>关于某事的通知_某市</title></head><body><div id='zoom'><table class='xxgk'>"
           "<tr><td>索引号：</td><td>123/2023-1</td><td>发布机构：</td><td>某市政府</td></tr>"
           "<tr><td>发布日期：</td><td>2023-02-28</td><td>文号：</td><td>某政发〔2023〕1号</td></tr></table>"
           "<h1>关于某事的通知</h1><p>各县区：现将有关事项通知如下，请遵照执行。</p><p>某市人民政府</p>"
           "<p>2023年2月27日</p></div></body></html>").encode()
    ex = extract(raw, "http://x.gov.cn/a.html")
    assert (ex.published, ex.date_source) == ("2023-02-28", "disclosure_block")
    assert ex.body == "各县区：现将有关事项通知如下，请遵照执行。\n某市人民政府\n2023年2月27日"
    assert ex.metadata["doc_no"] == "某政发〔2023〕1号"


TOOLBARS = ["扫一扫在手机打开当前页", "pdf下载 / word下载", "【字体：大 中 小】 打印本页 关闭窗口", "下载PDF 下载Word",
            "【打印本页】【关闭窗口】"]


@pytest.mark.parametrize("line", TOOLBARS)
def test_toolbar_lines_are_not_text(line: str) -> None:
    raw = ("<html><head><title>关于某事的通知_某市</title></head><body><h1>关于某事的通知</h1>"
           f"<div id='zoom'><p>{line}</p><p>现将有关事项通知如下，请遵照执行。</p><p>{line}</p></div>"
           "</body></html>").encode()
    assert extract(raw, "http://x.gov.cn/a.html").body == "现将有关事项通知如下，请遵照执行。"


def test_each_copy_of_the_disclosure_block_in_the_text_is_removed() -> None:
    """A desktop table and a mobile list of the same 信息公开 fields inside the text container."""
    raw, spec = synthetic_page("furniture_twice_block")
    ex = extract(raw, spec["url"])
    assert ex.body.startswith("为进一步改善城区交通秩序") and "索引号" not in ex.body and "公开日期" not in ex.body
    assert ex.metadata["index_no"] == "11330100002500000X/2022-00149"
