"""The bundled demo site: generation, serving, encodings, pagination and the scenario's changes."""

from __future__ import annotations

import re
import urllib.error
import urllib.request
from datetime import UTC, datetime

import pytest
from click.testing import CliRunner

from crawler.cli.demo import demo
from crawler.demo.model import cn_date
from crawler.demo.scenario import add_args, apply_changes, crawl_args, plan_changes
from crawler.demo.server import DemoServer
from crawler.demo.site import deadline_sentence, demo_site, generate_site, new_notice
from crawler.extract.files import read

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)


def fetch(url: str, headers: dict[str, str] | None = None) -> tuple[int, dict[str, str], bytes]:
    req = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(req, timeout=5) as resp:
            return resp.status, dict(resp.headers), resp.read()
    except urllib.error.HTTPError as err:
        return err.code, dict(err.headers), err.read()


@pytest.fixture
def served():
    site = demo_site()
    with DemoServer(site) as server:
        yield site, server


def test_site_is_deterministic_and_sized_like_a_small_portal():
    a, b = demo_site(), demo_site()
    assert [x.path for x in a.articles()] == [x.path for x in b.articles()]
    assert a.resolve(a.articles()[0].path).body == b.resolve(b.articles()[0].path).body
    assert 20 <= len(a.articles()) <= 30
    assert [c.page_count for c in a.columns.values()] == [3, 3]


def test_cn_date_matches_signature_style():
    assert cn_date(datetime(2026, 11, 20, tzinfo=UTC)) == "二〇二六年十一月二十日"
    assert cn_date(datetime(2026, 1, 5, tzinfo=UTC)) == "二〇二六年一月五日"
    assert cn_date(datetime(2026, 10, 31, tzinfo=UTC)) == "二〇二六年十月三十一日"


def test_home_robots_and_404(served):
    _site, server = served
    status, _headers, body = fetch(server.url("/"))
    assert status == 200 and "示例市人民政府" in body.decode()
    status, _, body = fetch(server.url("/robots.txt"))
    assert status == 200 and b"User-agent: *" in body and b"Disallow: /\n" not in body
    status, _, body = fetch(server.url("/tzgg/202611/t20990101_1.html"))
    assert status == 404 and "页面不存在" in body.decode()


def test_list_pages_use_trs_pagination(served):
    site, server = served
    column = site.columns["tzgg"]
    seen = []
    for page in range(3):
        status, _, body = fetch(server.url(column.page_path(page)))
        html = body.decode()
        assert status == 200
        assert f'createPageHTML(3, {page}, "index", "html")' in html
        if page < 2:
            assert f'<a href="index_{page + 1}.html">下一页</a>' in html
        seen += re.findall(r'href="\./(\d{6}/t\d{8}_\d+\.html)"', html)
    assert fetch(server.url("/tzgg/index_3.html"))[0] == 404
    assert fetch(server.url("/tzgg/"))[2] == fetch(server.url("/tzgg/index.html"))[2]
    assert ["/tzgg/" + s for s in seen] == [a.path for a in column.articles]


def test_article_page_looks_like_a_trs_article(served):
    site, server = served
    art = site.columns["tzgg"].articles[0]
    html = fetch(server.url(art.path))[2].decode()
    assert f'<meta name="ArticleTitle" content="{art.title}">' in html
    assert f'<meta name="PubDate" content="{art.published:%Y-%m-%d %H:%M}">' in html
    for marker in ("当前位置：", "&gt; 正文", "发布时间：", "来源：", "字号：", "打印", "关闭",
                   'class="TRS_Editor"', "<table", cn_date(art.published), "相关文章", "网站标识码"):
        assert marker in html, marker


def test_gbk_column_is_served_in_gb18030_bytes(served):
    site, server = served
    art = site.columns["zcwj"].articles[0]
    status, headers, body = fetch(server.url(art.path))
    assert status == 200 and "charset=gbk" in headers["Content-Type"]
    assert b'charset=gbk"' in body
    with pytest.raises(UnicodeDecodeError):
        body.decode("utf-8")
    html = body.decode("gb18030")
    assert art.title in html and "〇" in html and "索引号" in html and "文号" in html
    list_body = fetch(server.url("/zcwj/index.html"))[2]
    assert art.title.encode("gb18030") in list_body


def test_attachments_plain_and_document_write(served):
    site, server = served
    atts = [(a, att) for a in site.articles() for att in a.attachments]
    kinds = {(att.extension, att.via_script) for _, att in atts}
    assert ("pdf", False) in kinds and ("docx", True) in kinds
    for art, att in atts[:4]:
        encoding = site.columns[art.column].encoding
        html = site.resolve(art.path).body.decode("gb18030" if encoding == "gbk" else encoding)
        if att.via_script:
            assert "document.write" in html and f'href="./{att.filename}"' in html
        status, _, body = fetch(server.url(art.directory + att.filename))
        assert status == 200 and body[:4] in (b"%PDF", b"PK\x03\x04")
        found = read(body, url=att.filename)  # a real file with the article's Chinese text
        assert found.error is None and found.kind == att.extension
        assert art.title in found.text.replace("\n", "") or att.extension == "xlsx"
        assert fetch(server.url(art.directory + att.filename))[2] == body  # the same bytes again


def test_conditional_requests_get_304(served):
    site, server = served
    url = server.url(site.articles()[1].path)
    _, headers, _ = fetch(url)
    assert fetch(url, {"If-None-Match": headers["ETag"]})[0] == 304
    assert fetch(url, {"If-Modified-Since": headers["Last-Modified"]})[0] == 304
    assert fetch(url, {"If-None-Match": '"other"'})[0] == 200


def test_publish_edit_withdraw_change_what_is_served(served):
    site, server = served
    column = site.columns["tzgg"]
    fresh = new_notice(site)
    site.publish(fresh, now=NOW)
    first_page = fetch(server.url("/tzgg/index.html"))[2].decode()
    assert fresh.title in first_page and fetch(server.url(fresh.path))[0] == 200

    target = column.articles[4]
    old = deadline_sentence(target)
    assert old is not None
    before_date = f"{target.published:%Y-%m-%d %H:%M}"
    _, before_headers, _ = fetch(server.url(target.path))
    site.edit(target.path, old, old.replace("前将", "前（截止时间已延长）将"), now=NOW)
    status, _headers, body = fetch(server.url(target.path), {"If-None-Match": before_headers["ETag"]})
    assert status == 200 and "截止时间已延长" in body.decode()
    assert f"发布时间：{before_date}" in body.decode()

    gone = site.columns["zcwj"].articles[4]
    site.withdraw(gone.path, now=NOW)
    assert fetch(server.url(gone.path))[0] == 404
    lists = b"".join(fetch(server.url(p))[2] for p in site.list_paths())
    assert gone.title.encode("gb18030") not in lists
    assert len(site.articles()) == 27
    assert ("GET", gone.path, 404) in server.requests


def test_generate_site_scales_for_the_benchmark():
    site = generate_site(notices=1000, policies=1000, notice_page_size=20, policy_page_size=20)
    assert len(site.articles()) == 2000 and len(site.list_paths()) == 100
    assert len({a.path for a in site.articles()}) == 2000


def test_planned_changes_are_one_new_one_edited_one_withdrawn():
    site = demo_site()
    before = {a.path for a in site.articles()}
    plan = plan_changes(site)
    assert plan.new.path not in before and plan.old_sentence != plan.new_sentence
    apply_changes(site, plan, now=NOW)
    after = {a.path for a in site.articles()}
    assert after == before - {plan.withdrawn.path} | {plan.new.path}
    assert plan.new_sentence in site.article(plan.edited.path).text()
    assert site.resolve(plan.withdrawn.path).status == 404
    assert site.columns["tzgg"].page_items(0)[0] is plan.new


def test_the_demo_watches_its_columns_and_crawls_what_is_due(tmp_path):
    db = tmp_path / "x.db"
    assert add_args("http://h/a/", "通知公告") == ["add", "http://h/a/", "--name", "demo", "--title", "通知公告"]
    first, again = crawl_args(db), crawl_args(db, full=True)
    assert first[:2] == ["crawl", "--due"] and again[:3] == ["crawl", "demo", "--full"]
    for args in (first, again):
        assert "DOWNLOAD_DELAY=0" in args and "AUTOTHROTTLE_ENABLED=False" in args


def test_demo_command_refuses_an_existing_archive(tmp_path):
    existing = tmp_path / "demo.db"
    existing.write_bytes(b"")
    result = CliRunner().invoke(demo, ["--db", str(existing)])
    assert result.exit_code == 1 and "already exists" in result.output
    result = CliRunner().invoke(demo, ["--db", str(tmp_path / "missing" / "x.db")])
    assert result.exit_code == 1 and "does not exist" in result.output
