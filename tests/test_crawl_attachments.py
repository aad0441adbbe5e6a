"""Crawls of a generated site whose announcements carry real attachment files (issue 12).

PDF, DOCX, XLSX, XLS and DOC attachments with Chinese text, a list item that is a PDF, an
attachment edited in place, an HTML page served as .pdf, and the bad files: corrupt, encrypted,
a zip bomb, 0 bytes, a truncated download, a 404.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from helpers_crawl import article_html, article_text, html_page, list_html, run_crawl, serve, summary
from helpers_files import corrupt_pdf, doc, docx, encrypted_pdf, pdf, xls, xlsx, zip_bomb

from archive import Archive

SITE = "127.0.0.1"
GOOD = "/tzgg/202401/t20240105_1001.html"
BAD = "/tzgg/202401/t20240104_1002.html"
PDF_URL = "/tzgg/202401/P020240105001.pdf"
LISTED = "/tzgg/202401/P020240103009.pdf"
FILES = {
    PDF_URL: ("附件1：实施方案.pdf", pdf("示例市法治政府建设实施方案", "第一条 为推进依法行政")),
    "/tzgg/202401/P020240105002.docx": ("附件2：意见反馈表.docx", docx("意见反馈表", "联系人：王女士")),
    "/tzgg/202401/P020240105003.xlsx": ("附件3：项目名单.xlsx", xlsx([["序号", "项目"], ["1", "滨江湿地修复工程"]])),
    "/tzgg/202401/P020240105004.xls": ("附件4：资金明细.xls", xls([["单位", "金额"], ["示例市水务局", 120]])),
    "/tzgg/202401/P020240105005.doc": ("附件5：申报指南.doc", doc("申报指南\n申报材料一式三份")),
}
BAD_FILES = {
    "/files/corrupt.pdf": ("损坏的文件.pdf", (200, {"Content-Type": "application/pdf"}, corrupt_pdf())),
    "/files/secret.pdf": ("加密的文件.pdf", (200, {"Content-Type": "application/pdf"}, encrypted_pdf("机密"))),
    "/files/bomb.docx": ("压缩炸弹.docx", (200, {"Content-Type": "application/octet-stream"}, zip_bomb())),
    "/files/empty.pdf": ("空文件.pdf", (200, {"Content-Type": "application/pdf"}, b"")),
    "/files/cut.pdf": ("被截断.pdf", (200, {"Content-Type": "application/pdf", "Content-Length": "90000"},
                                      pdf("截断的文件")[:300])),
    "/files/missing.pdf": ("不存在.pdf", (404, {"Content-Type": "text/html"}, b"<html>404</html>")),
    "/files/page.pdf": ("其实是网页.pdf", (200, {"Content-Type": "application/pdf"},
                                        "<!DOCTYPE html><html><body><h1>文件不存在</h1></body></html>".encode())),
}


def links_html(files: dict[str, tuple[str, object]]) -> str:
    return "<p>" + "<br>".join(f'<a href="{url}">{name}</a>' for url, (name, _) in files.items()) + "</p>"


def file_route(data: bytes, etag: str) -> tuple[int, dict[str, str], bytes]:
    return 200, {"Content-Type": "application/octet-stream", "ETag": f'"{etag}"'}, data


def build_site() -> dict[str, tuple[int, dict[str, str], bytes]]:
    good = article_html("关于印发法治政府建设实施方案的通知", "2024-01-05", article_text(1)) \
        .replace("</div></div>", links_html(FILES) + "</div></div>", 1)
    bad = article_html("关于公布申报结果的公告", "2024-01-04", article_text(2)) \
        .replace("</div></div>", links_html(BAD_FILES) + "</div></div>", 1)
    pages = {
        "/tzgg/index.html": html_page(list_html([
            (GOOD, "关于印发法治政府建设实施方案的通知", "2024-01-05"),
            (BAD, "关于公布申报结果的公告", "2024-01-04"),
            (LISTED, "2024年度示范项目名单公示", "2024-01-03"),
        ])),
        GOOD: html_page(good, headers={"ETag": '"good-v1"'}),
        BAD: html_page(bad),
        LISTED: file_route(pdf("2024年度示范项目名单公示", "一、滨江湿地修复工程"), "listed-v1"),
    }
    for url, (_, data) in FILES.items():
        pages[url] = file_route(data, hashlib.md5(data).hexdigest())
    for url, (_, route) in BAD_FILES.items():
        pages[url] = route
    return pages


@pytest.fixture(scope="module")
def crawled(tmp_path_factory):
    """The site crawled once, then again after one attachment was replaced in place."""
    db = tmp_path_factory.mktemp("attachments") / "a.db"
    pages = build_site()
    with serve(pages) as srv:
        first = run_crawl(db, "--url", srv.url("/tzgg/index.html"), timeout=120)
        assert first.returncode == 0, first.stderr[-3000:]
        first_log = list(srv.log)
        new_xlsx = xlsx([["序号", "项目"], ["1", "滨江湿地修复工程"], ["2", "城东污水处理厂扩建"]])
        srv.pages["/tzgg/202401/P020240105003.xlsx"] = file_route(new_xlsx, "xlsx-v2")
        srv.log.clear()
        second = run_crawl(db, "--url", srv.url("/tzgg/index.html"), "--full", timeout=120)
        assert second.returncode == 0, second.stderr[-3000:]
        yield {"db": db, "base": srv.base, "first": summary(first), "second": summary(second),
               "first_log": first_log, "second_log": list(srv.log)}


def document(db: Path, url: str) -> dict:
    with Archive(db) as a:
        return a.document(url)


def test_every_attachment_is_archived_with_its_text(crawled):
    doc_ = document(crawled["db"], crawled["base"] + GOOD)
    files = doc_["files"]
    assert [f["name"] for f in files] == [name for name, _ in FILES.values()]
    assert [f["content_type"] for f in files] == [
        "application/pdf", "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "application/vnd.ms-excel",
        "application/msword"]
    assert all(f["status"] == 200 and f["error"] is None and f["text_chars"] > 0 for f in files)
    with Archive(crawled["db"]) as a:
        for n, (url, (_, data)) in enumerate(FILES.items(), start=1):
            entry, stored = a.attachment_bytes(doc_["id"], n, version=1)
            assert stored == data and entry["url"] == crawled["base"] + url
        assert doc_["body"].startswith("各区县人民政府")  # the page's body, not the files'
        for word, name in [("依法行政", "附件1：实施方案.pdf"), ("联系人", "附件2：意见反馈表.docx"),
                           ("滨江湿地修复", "附件3：项目名单.xlsx"), ("示例市水务局", "附件4：资金明细.xls"),
                           ("一式三份", "附件5：申报指南.doc")]:
            hits = [h for h in a.search(word) if h["id"] == doc_["id"]]
            assert hits and (hits[0]["matched_in"], hits[0]["matched_name"]) == ("attachment", name), word


def test_bad_files_are_recorded_and_the_document_kept(crawled):
    files = {f["name"]: f for f in document(crawled["db"], crawled["base"] + BAD)["files"]}
    expect = {
        "损坏的文件.pdf": (True, "unreadable PDF"),
        "加密的文件.pdf": (True, "encrypted PDF"),
        "压缩炸弹.docx": (True, "zip bomb?"),
        "空文件.pdf": (False, "empty file (0 bytes)"),
        "被截断.pdf": (False, "truncated download"),
        "不存在.pdf": (False, "HTTP 404"),
        "其实是网页.pdf": (False, "an HTML page, not a file"),
    }
    for name, (kept, error) in expect.items():
        entry = files[name]
        assert bool(entry["sha256"]) == kept, name
        assert (entry["error"] or "").startswith(error), (name, entry["error"])
    assert files["其实是网页.pdf"]["content_type"] == "text/html"
    assert files["不存在.pdf"]["status"] == 404
    [site] = crawled["first"]["sites"]
    assert site["healthy"]  # failed files do not fail the crawl; each is named (NU11)
    named = sorted(p.split(": ", 1)[1] for p in site["problems"])
    assert all(p.startswith("attachment http://") for p in site["problems"])
    assert [n.split(" (")[0].split(":")[0] for n in named] == [
        "HTTP 404", "an HTML page, not a file", "empty file", "truncated download"], named
    assert (site["stats"]["attachments/fetched"], site["stats"]["attachments/failed"]) == (8, 4)


def test_a_listed_file_becomes_a_document(crawled):
    doc_ = document(crawled["db"], crawled["base"] + LISTED)
    assert (doc_["title"], doc_["published"]) == ("2024年度示范项目名单公示", "2024-01-03")
    assert doc_["body"] == "2024年度示范项目名单公示\n一、滨江湿地修复工程\n"
    [entry] = doc_["files"]
    assert (entry["content_type"], entry["url"]) == ("application/pdf", crawled["base"] + LISTED)
    with Archive(crawled["db"]) as a:
        assert a.capture_bytes(a.history(doc_["id"])[0]["capture_sha"]).startswith(b"%PDF-")
        assert a.conn.execute("SELECT count(*) FROM capture_blobs WHERE sha256 = ?",
                              (entry["sha256"],)).fetchone()[0] == 1  # page capture = the file


def test_an_attachment_edited_in_place_is_a_change(crawled):
    db, base = crawled["db"], crawled["base"]
    with Archive(db) as a:
        doc_ = a.document(base + GOOD)
        assert doc_["version"] == 2
        [v1, v2] = a.history(doc_["id"])
        assert v2["changed_fields"] == ["attachments"]
        assert [e["kind"] for e in a.events() if e["document_id"] == doc_["id"]] == ["new", "changed"]
        diff = a.diff(doc_["id"])
        [change] = diff["attachment_changes"]
        assert change["name"] == "附件3：项目名单.xlsx"
        assert "+2\t城东污水处理厂扩建\n" in change["text_diff"]
        assert [f["sha256"] for f in v1["files"]][3:] == [f["sha256"] for f in v2["files"]][3:]
        # the bad document did not change although its files failed again
        assert a.document(base + BAD)["version"] == 1


def test_unchanged_files_are_not_downloaded_again(crawled):
    second = [(path, headers) for method, path, headers in crawled["second_log"] if method == "GET"]
    conditional = {path: h.get("if-none-match") for path, h in second if path in FILES}
    assert conditional == {url: f'"{hashlib.md5(data).hexdigest()}"' for url, (_, data) in FILES.items()}
    stats = crawled["second"]["sites"][0]["stats"]
    assert stats["attachments/not_modified"] == 4
    # fetched again: the edited one, and the kept bad files, which have no validators (their text
    # is not read again: same bytes)
    assert (stats["attachments/fetched"], stats["attachments/same_bytes"]) == (4, 3)
    assert stats["archive/changed"] == 1


def test_a_file_whose_reading_timed_out_is_read_again(tmp_path):
    db = tmp_path / "a.db"
    page = article_html("关于印发实施方案的通知", "2024-01-05", article_text(1)) \
        .replace("</div></div>", links_html({PDF_URL: FILES[PDF_URL]}) + "</div></div>", 1)
    data = FILES[PDF_URL][1]
    pages = {"/tzgg/index.html": html_page(list_html([(GOOD, "关于印发实施方案的通知", "2024-01-05")])),
             GOOD: html_page(page), PDF_URL: file_route(data, "pdf-v1")}
    with serve(pages) as srv:
        slow = run_crawl(db, "--url", srv.url("/tzgg/index.html"), "-s", "ATTACHMENT_TEXT_TIMEOUT=0.001")
        assert slow.returncode == 0, slow.stderr[-3000:]
        entry = document(db, srv.url(GOOD))["files"][0]
        assert entry["sha256"] and entry["error"].startswith("reading took longer than")
        srv.log.clear()
        again = run_crawl(db, "--url", srv.url("/tzgg/index.html"), "--full")
        assert again.returncode == 0, again.stderr[-3000:]
        [request] = [headers for method, path, headers in srv.log if path == PDF_URL]
    assert "if-none-match" not in request  # the bytes are needed, not a 304
    entry = document(db, srv.url(GOOD))["files"][0]
    assert entry["error"] is None and entry["text_chars"] > 0
    with Archive(db) as a:
        assert [h["matched_in"] for h in a.search("依法行政")] == ["attachment"]
        assert [e["kind"] for e in a.events()] == ["new"]
