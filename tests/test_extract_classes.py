"""Page classification: article, antibot, soft404, empty, js_shell, list."""

from __future__ import annotations

import pytest
from helpers_extract import OTHER, corpus_ids, corpus_page

from crawler.extract import PAGE_CLASSES, extract


def _other(name: str) -> bytes:
    return (OTHER / name).read_bytes()


@pytest.mark.parametrize("name", ["C01.html", "C02.html"])
def test_ruishu_challenge_shells_are_antibot(name: str) -> None:
    ex = extract(_other(name), "https://zscqj.hubei.gov.cn/bsfwbs/", status=200)
    assert ex.page_class == "antibot"
    assert not ex.is_archivable


def test_http_412_and_521_are_antibot_whatever_the_body() -> None:
    raw, truth = corpus_page("001")
    assert extract(raw, truth["url"], status=412).page_class == "antibot"
    jsl = b"<html><script>document.cookie=('_')+('_jsl_clearance_s=1');location.href=location.pathname</script></html>"
    assert extract(jsl, "http://www.miit.gov.cn/", status=521).page_class == "antibot"


def test_enable_javascript_page_is_antibot() -> None:
    raw = ("<html><head><title>安全验证</title></head><body><noscript>请开启JavaScript并刷新该页.</noscript>"
           "<script>var wzwsquestion=\"abc\";var wzwsfactor=\"123\";</script></body></html>").encode()
    assert extract(raw, "http://www.pbc.gov.cn/").page_class == "antibot"


def test_spa_shell_is_js_shell() -> None:
    assert extract(_other("022.html"), "https://www.nmpa.gov.cn/datasearch/").page_class == "js_shell"


def test_column_page_with_injected_ruishu_code_is_an_unrendered_shell() -> None:
    """021: a column page whose list loads by script ({{…}} templates), with Ruishu code injected.
    Its content never rendered: js_shell, not a challenge (the spider must not back off for it)."""
    ex = extract(_other("021.html"), "https://www.cde.org.cn/main/news/")
    assert ex.page_class == "js_shell"
    assert not ex.is_archivable


def test_same_ruishu_page_without_templates_is_a_challenge() -> None:
    """The same bytes without the {{…}} placeholders: a marker and nothing visible is antibot."""
    html = _other("021.html").decode("utf-8").replace("{{", "{ {").replace("}}", "} }")
    assert extract(html.encode("utf-8"), "https://www.cde.org.cn/main/news/").page_class == "antibot"


@pytest.mark.parametrize("name", ["019.html", "020.html"])
def test_static_column_lists_are_lists(name: str) -> None:
    assert extract(_other(name), "https://www.nmpa.gov.cn/yaopin/ypggtg/index.html").page_class == "list"


@pytest.mark.parametrize("html", [
    ("<html><head><title>404 页面不存在</title></head><body><div class='err'><h1>404</h1>"
     "<p>抱歉，您访问的页面不存在或已被删除！</p><a href='/'>返回首页</a></div></body></html>"),
    ("<html><head><title>某市人民政府</title></head><body><div class='nav'><a href='/'>首页</a></div>"
     "<div class='main'>对不起，该信息已删除！</div><div class='footer'>版权所有：某市人民政府</div></body></html>"),
])
def test_soft_404_served_with_200(html: str) -> None:
    assert extract(html.encode("utf-8"), "http://www.example.gov.cn/a/1.html").page_class == "soft404"


def test_real_404_status_is_soft404() -> None:
    assert extract(b"<html><body>Not Found</body></html>", "http://x.gov.cn/a", status=404).page_class == "soft404"


@pytest.mark.parametrize("raw", [b"", b"   ", b"<html><head><title></title></head><body></body></html>"])
def test_empty_pages(raw: bytes) -> None:
    ex = extract(raw, "http://www.example.gov.cn/a/1.html")
    assert ex.page_class == "empty"
    assert ex.body == ""


def test_generated_list_page_is_list() -> None:
    rows = "".join(f"<li><a href='./2023{m:02d}/t2023{m:02d}15_{m}.html'>关于第{m}批行政许可事项的公示</a>"
                   f"<span>[2023-{m:02d}-15]</span></li>" for m in range(1, 13))
    raw = (f"<html><head><meta name='ColumnName' content='公示公告'><title>公示公告_某市人民政府</title></head>"
           f"<body><div class='nav'><a href='/'>首页</a></div><ul class='list'>{rows}</ul>"
           f"<div class='page'><script>createPageHTML(10, 0, 'index', 'html');</script></div></body></html>")
    assert extract(raw.encode("utf-8"), "http://www.example.gov.cn/gsgg/index.html").page_class == "list"


@pytest.mark.parametrize("page_id", corpus_ids())
def test_corpus_articles_are_articles(page_id: str) -> None:
    raw, truth = corpus_page(page_id)
    ex = extract(raw, truth.get("url") or "")
    assert ex.page_class == "article" and ex.is_archivable


def test_classes_are_the_documented_set() -> None:
    assert set(PAGE_CLASSES) == {"article", "antibot", "soft404", "empty", "list", "js_shell", "binary"}


_NAV = "".join(f"<li><a href='/c{i}/'>栏目名称{i}</a></li>" for i in range(30))
_FOOT = ("<div class='footer'>主办单位：某市人民政府办公室 地址：某市人民路1号 网站标识码：1234000001 "
         "某公网安备 11010402000404号</div>")


def _chrome_page(main: str) -> bytes:
    return (f"<html><head><title>某市人民政府</title></head><body><ul class='nav'>{_NAV}</ul>{main}{_FOOT}"
            "</body></html>").encode()


def test_soft_404_inside_full_site_chrome() -> None:
    ex = extract(_chrome_page("<div class='main'><h3>提示信息</h3><p>该文章已下线</p></div>"), "http://x.gov.cn/a/1.html")
    assert ex.page_class == "soft404"


def test_short_article_with_404_in_footer_number_is_an_article() -> None:
    ex = extract(_chrome_page("<h1>关于某事的通知</h1><div id='zoom'><p>现将有关事项通知如下，请认真执行。</p></div>"),
                 "http://x.gov.cn/a/1.html")
    assert ex.page_class == "article"
    assert ex.body == "现将有关事项通知如下，请认真执行。"


def test_last_list_page_with_two_rows_and_a_trs_pager_is_a_list() -> None:
    rows = "".join(f"<li><a href='./202610/t202610{d}_1.html'>关于印发某某工作方案的通知第{d}号文件</a>"
                   f"<span class='date'>2026-10-{d}</span></li>" for d in (23, 27))
    raw = ("<html><head><meta name='ColumnName' content='政策文件'><title>政策文件_某市人民政府</title></head><body>"
           f"<div class='crumb'>当前位置：<a href='/'>首页</a> &gt; 政策文件</div><ul class='list'>{rows}</ul>"
           "<div class='page'><script>var currentPage = 2; var countPage = 3;"
           "createPageHTML(3, 2, 'index', 'html');</script></div>"
           "<div class='footer'>主办：某市人民政府办公室。</div></body></html>").encode()
    assert extract(raw, "http://www.example.gov.cn/zcwj/index_2.html").page_class == "list"
