"""Standard gov meta tags and the three 信息公开 block layouts (govsites.md §1 and §3)."""

from __future__ import annotations

from crawler.extract import extract
from crawler.extract.article.meta import disclosure_block, gov_meta
from crawler.extract.dom import parse


def _fields(html: str) -> dict[str, str]:
    return disclosure_block(parse(html))[0]


def test_table_layout() -> None:
    fields = _fields(
        "<table class='xxgk-table'><tr><th>索&nbsp;引&nbsp;号：</th><td>…/2023-00031</td><th>发布机构：</th>"
        "<td>临沂市人民政府</td></tr><tr><th>成文日期：</th><td>2023-02-27</td><th>发布日期：</th><td>2023-02-28</td></tr>"
        "<tr><th>文　　号：</th><td>临政发〔2023〕3号</td><th>主题分类：</th><td>综合政务\\政务公开</td></tr></table>")
    assert fields == {"index_no": "…/2023-00031", "issuer": "临沂市人民政府", "written_date": "2023-02-27",
                      "published_visible": "2023-02-28", "doc_no": "临政发〔2023〕3号", "topic": "综合政务\\政务公开"}


def test_strong_label_layout_skips_commented_fields() -> None:
    fields = _fields(
        "<div><p><strong>索引号</strong>：000014348/2020-35147</p><p><strong>发布机构</strong>：邯郸市教育局</p>"
        "<p><strong>文号</strong>：无</p><p><strong>主题分类</strong>：教育</p>"
        "<!--<p><strong>成文日期</strong>：2020年08月01日</p>-->"
        "<p><strong>发布日期</strong>：2020年08月02日</p></div>")
    assert fields["index_no"] == "000014348/2020-35147"
    assert fields["issuer"] == "邯郸市教育局"
    assert fields["doc_no"] == "无"
    assert fields["published_visible"] == "2020年08月02日"
    assert "written_date" not in fields


def test_inline_layout_longest_label_wins() -> None:
    fields = _fields("<div class='info'>索 引 号：01234567-8/2023-00012 发布机构：某县人民政府办公室 "
                     "生成日期：2023-02-27 发文字号：某政办发〔2023〕1号 有效性：有效</div>")
    assert fields == {"index_no": "01234567-8/2023-00012", "issuer": "某县人民政府办公室",
                      "generated_date": "2023-02-27", "doc_no": "某政办发〔2023〕1号", "validity": "有效"}


def test_single_label_is_not_a_block() -> None:
    assert _fields("<div><p>发布日期：2023-02-28</p><p>正文内容，很长的正文。</p></div>") == {}


def test_meta_tags_any_case_and_attribute_order() -> None:
    meta, titles = gov_meta(parse(
        "<html><head><meta content='1101070001' name='SiteIDCode'>"
        "<meta name='sitename' content='北京市石景山区人民政府'>"
        "<meta name='SiteDomain' content='http://www.bjsjs.gov.cn/'><meta name='ColumnName' content='null'>"
        "<meta name='ArticleTitle' content='关于某事的通知'><meta name='PubDate' content='2020年08月02日'>"
        "<meta name='Author' content='<?php echo $name?>'></head><body></body></html>"))
    assert meta == {"site_id_code": "1101070001", "site_name": "北京市石景山区人民政府",
                    "site_domain": "www.bjsjs.gov.cn", "pub_date_meta": "2020年08月02日"}
    assert titles == {"articletitle": "关于某事的通知"}


def test_pubdate_meta_used_when_nothing_visible_and_keeps_time() -> None:
    raw = ("<html><head><meta name='PubDate' content='2023-02-28 10:30'><title>关于某事的通知_某市</title></head>"
           "<body><div class='TRS_Editor'><p>现将有关事项通知如下，请遵照执行。</p></div></body></html>").encode()
    ex = extract(raw, "http://www.example.gov.cn/show.asp?id=1")
    assert ex.published == "2023-02-28T10:30:00+08:00"
    assert ex.date_source == "meta"
    assert ex.title == "关于某事的通知"


def test_breadcrumb_trail() -> None:
    raw = ("<html><body><div class='position'>当前位置：<a href='/'>首页</a> &gt;&gt; <a href='/xw/'>新闻</a> &gt;&gt; "
           "<a href='/gsgg/'>公示公告</a> &gt;&gt; 正文</div><h1>关于某事的公示</h1>"
           "<div id='zoom'><p>现将有关情况公示如下，请监督。</p></div></body></html>").encode()
    assert extract(raw, "http://x.gov.cn/a.html").metadata["breadcrumb"] == "首页 > 新闻 > 公示公告 > 正文"
    raw = ("<html><body><ul><li>当前位置：<a href='/'>首页</a></li><li><a href='/a'>政务信息</a></li>"
           "<li><a href='/b'>行政处罚</a></li></ul><h1>关于某事的公示</h1><div id='zoom'><p>现将有关情况公示如下，"
           "请监督。</p></div></body></html>").encode()
    assert extract(raw, "http://x.gov.cn/a.html").metadata["breadcrumb"] == "首页 > 政务信息 > 行政处罚"


def test_gkmlpt_style_table_with_名称_row() -> None:  # noqa: N802 — 名称 is the label under test
    raw = ("<html><head><title>广州市某局</title></head><body><div class='classify'><table><tbody>"
           "<tr><td class='first'>索引号：</td><td>114401000000000000-2/2023-00123</td><td class='first'>分类：</td>"
           "<td>其他</td></tr><tr><td class='first'>发布机构：</td><td>广州市某局</td><td class='first'>成文日期：</td>"
           "<td>2023-02-27</td></tr>"
           "<tr><td class='first'>名称：</td><td colspan='3'>广州市某局关于做好某项工作的通知</td></tr>"
           "<tr><td class='first'>文号：</td><td>穗某〔2023〕1号</td>"
           "<td class='first'>发布日期：</td><td>2023-02-28</td></tr></tbody></table></div>"
           "<div class='content'><h1 class='title document-number'>广州市某局关于做好某项工作的通知"
           "</h1><div class='article-content'><p>各区某局：</p><p>现将有关事项通知如下，请认真贯彻落实。</p>"
           "<p>广州市某局</p><p>2023年2月27日</p></div></div></body></html>").encode()
    ex = extract(raw, "http://www.gz.gov.cn/gkmlpt/content/8/8812/post_8812345.html")
    assert ex.title == "广州市某局关于做好某项工作的通知"
    assert ex.published == "2023-02-28"
    assert ex.metadata["written_date"] == "2023-02-27"
    assert ex.metadata["doc_no"] == "穗某〔2023〕1号"
    assert ex.body.startswith("各区某局：") and "索引号" not in ex.body
