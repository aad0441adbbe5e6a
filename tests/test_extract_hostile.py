"""Hostile and broken input: files and garbage are never articles, deep or unclosed markup and
huge titles never cost text, control characters never reach the fields."""

from __future__ import annotations

import io
import random
import sys
import time
import zipfile
from pathlib import Path

import pytest
from helpers_crawl import html_page, list_html, run_crawl, serve, summary
from helpers_extract import CORPUS, OTHER, SYNTHETIC, corpus_page
from lxml import etree

from archive import Archive
from crawler.extract import extract
from crawler.extract.article.title import MAX_TITLE_CHARS
from crawler.extract.classify import sniff
from crawler.extract.dom import inline_text, parse, text_of

HTML = {"Content-Type": "text/html; charset=utf-8"}
PDF = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog >>\nendobj\n" + bytes(range(256)) * 20
OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 504 + "WordDocument".encode("utf-16-le") + b"\x00" * 600
TEXT = "现将有关事项通知如下，请遵照执行。"


def _random_bytes(size: int, low: int = 0, seed: int = 7) -> bytes:
    rng = random.Random(seed)
    return bytes(rng.randrange(low, 256) for _ in range(size))


def _zip(*names: str) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        for name in names:
            z.writestr(name, "<x/>")
    return buf.getvalue()


# ---------------------------------------------------------------- files and garbage


@pytest.mark.parametrize(("raw", "headers", "kind"), [
    (PDF, HTML, "pdf"),
    (PDF, {}, "pdf"),
    (OLE2, HTML, "doc"),
    (_zip("[Content_Types].xml", "word/document.xml"), HTML, "docx"),
    (_zip("[Content_Types].xml", "xl/workbook.xml"), {}, "xlsx"),
    (_zip("OFD.xml", "Doc_0/Document.xml"), {}, "ofd"),
    (_zip("a.txt"), {}, "zip"),
    (b"\x89PNG\r\n\x1a\n" + _random_bytes(500), HTML, "png"),
    (b"\x1f\x8b\x08\x00" + _random_bytes(500), HTML, "gzip"),
    (_random_bytes(200_000), HTML, "binary"),  # NUL and other control bytes
    (_random_bytes(200_000, low=0x20), HTML, "binary"),  # no NUL: replacement characters
    (_random_bytes(200_000, low=0x80), HTML, "binary"),  # valid GB18030, but rare ideographs only
    (_random_bytes(3000, low=0x20), {"Content-Type": "application/pdf"}, "pdf"),  # declared, no magic
    (b"", {"Content-Type": "application/msword"}, "doc"),
])
def test_files_and_garbage_are_named(raw: bytes, headers: dict, kind: str) -> None:
    assert sniff(raw, headers) == kind


@pytest.mark.parametrize(("raw", "headers"), [
    (b"<html><body><p>x</p></body></html>", {"Content-Type": "application/pdf"}),  # markup wins
    (b"\xef\xbb\xbf<!DOCTYPE html><html></html>", {"Content-Type": "application/octet-stream"}),
    ("<html><body>通知</body></html>".encode("utf-16"), HTML),  # UTF-16 with BOM has NUL bytes
    ("<html><body>通知</body></html>".encode("utf-16-le"), HTML),  # ... and without one
    ("关于某事的通知\n现将有关事项通知如下。".encode("gbk"), {"Content-Type": "text/plain"}),
    (b"", HTML),
])
def test_pages_and_text_are_not_files(raw: bytes, headers: dict) -> None:
    assert sniff(raw, headers) is None


def test_no_fixture_page_is_taken_for_a_file() -> None:
    pages = [*CORPUS.glob("*.html"), *SYNTHETIC.glob("*.html"), *OTHER.glob("*.html")]
    assert len(pages) > 40
    assert [p.name for p in pages if sniff(p.read_bytes(), HTML) is not None] == []


@pytest.mark.parametrize("raw", [_random_bytes(200_000), PDF])
def test_files_served_as_html_are_binary_pages_never_articles(raw: bytes) -> None:
    ex = extract(raw, "http://www.example.gov.cn/art/2023/2/28/art_1_1.html", HTML)
    assert ex.page_class == "binary" and not ex.is_archivable
    assert (ex.title, ex.body, ex.published) == ("", "", None)
    assert ex.metadata["file_kind"] in ("binary", "pdf")


def test_crawl_counts_files_and_garbage_and_archives_only_the_article(tmp_path: Path) -> None:
    article, _ = corpus_page("002")
    real, noise, pdf = "/tzgg/202302/t20230228_1.html", "/tzgg/202302/t20230227_2.html", "/tzgg/202302/t20230226_3.html"
    pages = {real: html_page(article), noise: (200, HTML, _random_bytes(200_000)), pdf: (200, HTML, PDF)}
    items = [(p, f"关于第{i}项重点工作的通知", "2023-02-28") for i, p in enumerate(pages, 1)]
    pages["/tzgg/index.html"] = html_page(list_html(items))
    db = tmp_path / "a.db"
    with serve(pages) as srv:
        proc = run_crawl(db, "--url", srv.url("/tzgg/index.html"))
    stats = summary(proc)["sites"][0]["stats"]
    # the garbage is a binary page, never archived; the PDF a list item published is a document
    # of its own, titled and dated by the list, the file its attachment (issue 12)
    assert stats.get("archive/new") == 2, proc.stderr[-2000:]
    assert (stats["pages/binary"], stats["pages/file"]) == (1, 1)
    assert summary(proc)["totals"]["pages/binary"] == 1
    assert "1 not archived (anti-bot 0, soft 404 0, files or garbage 1, empty 0)" in proc.stderr
    with Archive(db) as a:
        docs = {d["url"]: d for d in a.known_documents("127.0.0.1")}
        assert sorted(docs) == sorted([srv.url(real), srv.url(pdf)])
        file_doc = a.document(srv.url(pdf))
        assert (file_doc["title"], file_doc["body"]) == ("关于第3项重点工作的通知", "")
        assert file_doc["files"][0]["content_type"] == "application/pdf"


# ---------------------------------------------------------------- deep, unclosed, huge


def _page(inner: str, title: str = "关于某事的通知") -> bytes:
    return (f"<html><head><title>{title}_某市人民政府</title></head><body><div class='nav'><a href='/'>首页</a></div>"
            f"<h1>{title}</h1><div class='info'>发布日期：2023-02-28</div>{inner}"
            "<div class='footer'>版权所有：某市人民政府 网站标识码：1100000001</div></body></html>").encode()


def test_unclosed_paragraphs_are_all_kept() -> None:
    """libxml2 stops at depth 256: 100 paragraphs of unclosed <p><font><span> gave 84."""
    inner = "<div id='zoom'>" + "".join(f"<p><font><span>第{i}段，{TEXT}" for i in range(100)) + "</div>"
    ex = extract(_page(inner), "http://x.gov.cn/a.html")
    assert ex.page_class == "article"
    assert [line.split("，")[0] for line in ex.body.split("\n")] == [f"第{i}段" for i in range(100)]


def test_text_nested_ten_thousand_divs_deep_is_kept_in_bounded_time() -> None:
    inner = "<div>" * 10_000 + "".join(f"<p>第{i}段，{TEXT}</p>" for i in range(20)) + "</div>" * 10_000
    started = time.perf_counter()
    ex = extract(_page(inner), "http://x.gov.cn/a.html")
    assert time.perf_counter() - started < 3  # libxml2's huge_tree alone takes ~10 s on this page
    assert ex.page_class == "article" and ex.title == "关于某事的通知"
    assert ex.body.split("\n") == [f"第{i}段，{TEXT}" for i in range(20)]


def test_rendering_a_tree_deeper_than_the_recursion_limit() -> None:
    root = etree.Element("div")
    node = root
    for _ in range(sys.getrecursionlimit() * 3):
        node = etree.SubElement(node, "div")
    node.text = TEXT
    assert text_of(root) == TEXT and inline_text(root) == TEXT


def test_parse_keeps_the_text_after_a_deep_branch() -> None:
    html = "<html><body>" + "<span>" * 3000 + "深处" + "</span>" * 3000 + "<p>之后的段落</p></body></html>"
    assert "之后的段落" in "".join(parse(html).itertext())


@pytest.mark.parametrize("title_in_head", [True, False])
@pytest.mark.parametrize("heading", ["<h1>{}</h1>", "<div class='title'>{}</div>"])
def test_a_five_thousand_character_title_never_costs_the_body(heading: str, title_in_head: bool) -> None:
    long_title = "关于做好某某专项工作的通知" * 385  # about 5,000 characters
    html = (f"<html><head><title>{long_title if title_in_head else '某某网站'}</title></head><body>"
            f"{heading.format(long_title)}<div><p>一、{TEXT}</p><p>二、{TEXT}</p></div></body></html>")
    ex = extract(html.encode(), "http://x.gov.cn/a.html")
    assert ex.page_class == "article"
    assert len(ex.title) <= MAX_TITLE_CHARS and ex.title.endswith("…")
    assert long_title.startswith(ex.title[:-1])
    assert ex.body == f"{long_title}\n一、{TEXT}\n二、{TEXT}"  # the whole heading is kept


# ---------------------------------------------------------------- control characters


def test_control_characters_never_reach_the_fields() -> None:
    dirty = "关于\x07某事\x1b[31m的\u202e通知\x85"
    html = (f"<html><head><title>{dirty}</title><meta name='author' content='张\x07三\x1b'>"
            f"<meta name='ArticleTitle' content='{dirty}'></head><body><h1>{dirty}</h1>"
            f"<div class='info'>发布日期：2023-02-28 来源：某\x07局</div><div id='zoom'>"
            f"<p>一、现将\x07有关\x1b事项\u202e通知如下，\x7f请遵照执行。</p><table><tr><td>序号</td><td>名称</td></tr>"
            f"<tr><td>1</td><td>某\x1b单位</td></tr></table><p><a href='/f/1.pdf'>附件\x07一</a></p></div>"
            "</body></html>")
    ex = extract(html.encode(), "http://x.gov.cn/a.html")
    fields = [ex.title, ex.body, *ex.metadata.values(), *(v for a in ex.attachments for v in a.values())]
    assert not [f for f in fields if any((ord(c) < 32 and c not in "\t\n") or 0x7f <= ord(c) < 0xa0
                                         or 0x202a <= ord(c) <= 0x202e for c in f)]
    assert ex.title == "关于某事[31m的通知"
    assert ex.body.split("\n")[:3] == ["一、现将有关事项通知如下，请遵照执行。", "序号\t名称", "1\t某单位"]
    assert ex.metadata["author"] == "张三" and ex.metadata["content_source"] == "某局"
    assert ex.attachments[0]["text"] == "附件一"
