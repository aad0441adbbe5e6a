"""Smoke test: extract() on a tiny page."""

from __future__ import annotations

from crawler.extract import Extraction, extract


def test_extract_minimal_page() -> None:
    html = ("<html><head><title>关于开展测试工作的通知 - 某市人民政府</title></head><body>"
            "<h1>关于开展测试工作的通知</h1><div class='info'>发布时间：2023-02-28 10:30</div>"
            "<div id='zoom'><p>各有关单位：现将有关事项通知如下，请认真贯彻执行。</p><p>某市人民政府</p>"
            "<p>2023年2月27日</p></div></body></html>").encode()
    ex = extract(html, "http://www.example.gov.cn/a/t20230227_1.html")
    assert isinstance(ex, Extraction)
    assert ex.page_class == "article"
    assert ex.title == "关于开展测试工作的通知"
    assert ex.published == "2023-02-28T10:30:00+08:00"
    assert ex.date_source == "visible"
    assert ex.body.startswith("各有关单位")
    assert ex.body.endswith("2023年2月27日")
