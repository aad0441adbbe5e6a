"""CMS families beyond the fixtures' layouts: gkmlpt DETAIL records, PubDate spellings, URL dates."""

from __future__ import annotations

import json

import pytest

from crawler.extract import extract
from crawler.extract.dates import date_from_url, parse_date

CHROME = ('<html><head><meta charset="utf-8"><meta name="SiteName" content="某市人民政府"><title>某市人民政府</title>'
          '</head><body><div class="top">今天是：2026年11月25日 星期三</div>{main}'
          '<div class="footer">网站标识码：4401000041 粤ICP备05070829号</div></body></html>')
TEXT = ("为进一步规范行政执法行为，提高依法行政水平，经研究，决定在全市开展行政执法案卷评查工作。"
        "各单位要高度重视，认真组织自查，按时报送材料。")


def _page(detail: dict, main: str = '<div id="app"></div>') -> bytes:
    script = "<script>window._CONFIG = {SID: 'gz', DETAIL: " + json.dumps(detail) + ", IS_MOBILE: false};</script>"
    return CHROME.format(main=main + script).encode("utf-8")


def test_gkmlpt_epoch_millisecond_date_and_relative_attachment() -> None:
    detail = {"title": "关于开展行政执法案卷评查工作的通知", "content": f"<p>{TEXT}</p>",
              "publish_time": 1677551400000, "attachments": [{"title": "评查标准.docx", "link": "/attachment/1.docx"}]}
    ex = extract(_page(detail), "https://www.gz.gov.cn/gkmlpt/content/1/1/post_1.html")
    assert ex.page_class == "article" and ex.title == detail["title"]
    assert ex.published == "2023-02-28T10:30:00+08:00" and ex.date_source == "embedded"
    assert ex.body == TEXT and ex.metadata["site_name"] == "某市人民政府"
    assert ex.attachments == [{"url": "https://www.gz.gov.cn/attachment/1.docx", "text": "评查标准.docx"}]


def test_server_rendered_text_is_kept_when_it_holds_the_record() -> None:
    detail = {"title": "关于开展行政执法案卷评查工作的通知", "content": f"<p>{TEXT}</p>", "publish_time": "2023-02-28"}
    main = (f'<div class="article"><h1>{detail["title"]}</h1><div class="info">发布日期：2023-03-01</div>'
            f'<div id="zoom"><p>{TEXT}</p></div></div>')
    ex = extract(_page(detail, main), "https://www.gz.gov.cn/gkmlpt/content/1/1/post_1.html")
    assert ex.published == "2023-03-01" and ex.date_source == "visible"


@pytest.mark.parametrize("detail", ["{SID: 'x'}", "{'title': 'single quotes'}", '{"title": "no content"}'])
def test_detail_that_is_not_a_json_record_is_ignored(detail: str) -> None:
    raw = CHROME.format(main=f"<script>var c = {{DETAIL: {detail}}};</script><div id='zoom'><p>{TEXT}</p></div>")
    ex = extract(raw.encode("utf-8"), "http://www.example.gov.cn/a.html")
    assert ex.date_source != "embedded"


@pytest.mark.parametrize("name", ["publishdate", "PublishDate", "pubtime", "article:published_time"])
def test_pubdate_spellings(name: str) -> None:
    attr = "property" if ":" in name else "name"
    raw = CHROME.replace("<title>", f'<meta {attr}="{name}" content="2023-02-28 10:30"><title>').format(
        main=f'<h1>关于开展行政执法案卷评查工作的通知</h1><div id="zoom"><p>{TEXT}</p></div>')
    ex = extract(raw.encode("utf-8"), "http://www.example.gov.cn/a.html")
    assert ex.published == "2023-02-28T10:30:00+08:00" and ex.date_source == "meta"


def test_pubdate_wins_over_its_spellings() -> None:
    head = '<meta name="publishdate" content="2023-01-01"><meta name="PubDate" content="2023-02-28">'
    raw = CHROME.replace("<title>", head + "<title>").format(main=f'<div id="zoom"><p>{TEXT}</p></div>')
    assert extract(raw.encode("utf-8"), "http://www.example.gov.cn/a.html").published == "2023-02-28"


def test_first_published_time_is_metadata_not_the_date() -> None:
    head = '<meta name="firstpublishedtime" content="2023-02-28-10:32:15">'
    raw = CHROME.replace("<title>", head + "<title>").format(main=f'<div id="zoom"><p>{TEXT}</p></div>')
    ex = extract(raw.encode("utf-8"), "http://www.example.gov.cn/a.html")
    assert ex.published is None and ex.metadata["first_published"] == "2023-02-28-10:32:15"


def test_dash_before_the_time() -> None:
    assert parse_date("2023-02-28-10:32:15") == "2023-02-28T10:32:15+08:00"
    assert parse_date("2023-02-28-2023-03-06") == "2023-02-28"


@pytest.mark.parametrize("url", ["http://www.x.gov.cn/tzgg/202302/t20230228_123.html",
                                 "http://www.x.gov.cn/art/2023/2/28/art_1229_5890.html",
                                 "https://www.gov.cn/zhengce/content/2023-02/28/content_5743701.htm"])
def test_url_date_forms(url: str) -> None:
    assert date_from_url(url) == "2023-02-28"


def test_hidden_publishtime_element_counts_like_a_pubdate_meta() -> None:
    main = ('<h1>关于开展行政执法案卷评查工作的通知</h1>'
            '<publishtime style="display:none">2023-02-28 10:30:00</publishtime>'
            f'<div id="zoom"><p>{TEXT}</p></div>')
    ex = extract(CHROME.format(main=main).encode("utf-8"), "http://www.example.gov.cn/a.html")
    assert ex.published == "2023-02-28T10:30:00+08:00" and ex.date_source == "meta"
    assert "2023-02-28" not in ex.body


def test_hanweb_icon_link_before_the_named_link_keeps_the_name() -> None:
    fj = "/module/download/downfile.jsp?classid=0&amp;filename=2a3b4c5d6e7f8a9b0c1d2e3f4a5b6c7d.docx"
    main = (f'<h1>关于开展行政执法案卷评查工作的通知</h1><div id="zoom"><p>{TEXT}</p><p>附件：<a href="{fj}">'
            f'<img src="/module/jslib/icons/word.png"></a><a href="{fj}">评查标准.docx</a></p></div>')
    ex = extract(CHROME.format(main=main).encode("utf-8"), "http://www.x.gov.cn/art/2023/2/28/art_1_2.html")
    assert ex.attachments == [{"url": "http://www.x.gov.cn/module/download/downfile.jsp?classid=0&"
                                      "filename=2a3b4c5d6e7f8a9b0c1d2e3f4a5b6c7d.docx", "text": "评查标准.docx"}]
