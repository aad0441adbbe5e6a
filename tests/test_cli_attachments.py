"""Attachments on the command line: show, attachment, search, diff, export --with-text, WARC."""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import os
import pty
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from cdxj_indexer import CDXJIndexer
from helpers_archive import at
from helpers_cli import run
from helpers_files import pdf, xlsx
from warcio.archiveiterator import ArchiveIterator

from archive import Archive, AttachmentFile, Capture

PAGE = "https://www.example.gov.cn/tzgg/202611/t20261101_1.html"
PDF_URL = "https://www.example.gov.cn/tzgg/202611/P020261101001.pdf"
XLSX_URL = "https://file.example.gov.cn/upload/名单.xlsx"
XLSX_URI = "https://file.example.gov.cn/upload/%E5%90%8D%E5%8D%95.xlsx"  # as WARC-Target-URI
PDF = pdf("示例市法治政府建设实施方案", "第一条 为推进依法行政")
SHEET_V1 = xlsx([["序号", "单位"], ["1", "示例市财政局"]])
SHEET_V2 = xlsx([["序号", "单位"], ["1", "示例市审计局"]])


def page(body: str) -> dict:
    return {"url": PAGE, "title": "关于印发实施方案的通知", "published": "2026-11-01", "body": body,
            "metadata": {"doc_no": "示政发〔2026〕7号"},
            "attachments": [{"url": PDF_URL, "text": "附件1：实施方案.pdf"},
                            {"url": XLSX_URL, "text": "附件2：名单.xlsx"},
                            {"url": "https://www.example.gov.cn/gone.doc", "text": "附件3：表格.doc"}]}


def file(url: str, data: bytes, text: str, content_type: str) -> AttachmentFile:
    return AttachmentFile(url, body=data, status=200, content_type=content_type, text=text,
                          headers={"content-type": "application/octet-stream", "content-encoding": "gzip"})


@pytest.fixture
def db(tmp_path: Path) -> Path:
    path = tmp_path / "a.db"
    xlsx_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    with Archive(path, create=True) as archive:
        crawl = archive.start_crawl("example", now=at(0))
        files = [file(PDF_URL, PDF, "示例市法治政府建设实施方案\n第一条 为推进依法行政", "application/pdf"),
                 file(XLSX_URL, SHEET_V1, "名单\n序号\t单位\n1\t示例市财政局", xlsx_type),
                 AttachmentFile("https://www.example.gov.cn/gone.doc", status=404, error="HTTP 404")]
        capture = Capture(b"<html>v1</html>", url=PAGE, headers={"content-type": "text/html"})
        archive.save("example", page("各单位：\n请认真组织实施。"), crawl_id=crawl, files=files,
                     capture=capture, now=at(1))
        archive.recheck_attachments("example", PAGE, [file(XLSX_URL, SHEET_V2, "名单\n序号\t单位\n1\t示例市审计局",
                                                           xlsx_type)], crawl_id=crawl, now=at(2))
        archive.finish_crawl(crawl, "finished", {}, now=at(3))
    return path


def test_show_lists_the_attachments(db):
    result = run(db, "show", "1")
    assert result.exit_code == 0, result.output
    assert "  1. 附件1：实施方案.pdf  (PDF, " in result.output
    assert "sha256 " + hashlib.sha256(PDF).hexdigest()[:16] in result.output
    assert "  3. 附件3：表格.doc  (not archived: HTTP 404)" in result.output
    data = json.loads(run(db, "show", "1", "--json").stdout)
    assert data["attachments"][0] == {"url": PDF_URL, "text": "附件1：实施方案.pdf"}  # the links, as before
    first = data["files"][0]
    assert {"name", "url", "sha256", "size", "content_type", "status", "error", "text_chars"} <= set(first)
    assert (first["sha256"], first["size"], first["content_type"], first["status"]) == (
        hashlib.sha256(PDF).hexdigest(), len(PDF), "application/pdf", 200)
    assert data["files"][2]["error"] == "HTTP 404" and data["files"][2]["sha256"] is None


def test_attachment_writes_the_archived_bytes(db, tmp_path):
    out = tmp_path / "sheet.xlsx"
    result = run(db, "attachment", "1", "2", "-o", str(out))
    assert result.exit_code == 0, result.output
    assert out.read_bytes() == SHEET_V2
    assert run(db, "attachment", PAGE, "2", "--version", "1", "-o", str(out)).exit_code == 0
    assert out.read_bytes() == SHEET_V1
    stdout = run(db, "attachment", "1", "1", "-o", "-")
    assert stdout.stdout_bytes == PDF


@pytest.mark.parametrize(("args", "code", "message"), [
    (["1"], 2, "give N: the document has 3 attachments (1. 附件1：实施方案.pdf; 2. 附件2：名单.xlsx"),
    (["1", "4"], 1, "Error: document 1 has 3 attachments; there is no attachment 4"),
    (["1", "3"], 1, "Error: attachment 3 (附件3：表格.doc) has no archived bytes: HTTP 404"),
    (["9", "1"], 1, "Error: no document with id 9"),
])
def test_attachment_errors(db, tmp_path, args, code, message):
    result = run(db, "attachment", *args, "-o", str(tmp_path / "x"))
    assert result.exit_code == code
    assert message in result.output
    assert not (tmp_path / "x").exists()


def test_attachment_of_a_document_without_attachments(db, tmp_path):
    with Archive(db) as archive:
        archive.save("example", {**page("正文。"), "url": PAGE + "?2", "attachments": []},
                     crawl_id=None, now=at(4))
    for args in (["2"], ["2", "1"]):
        result = run(db, "attachment", *args, "-o", str(tmp_path / "x"))
        assert result.exit_code == 1, result.output
        assert "Error: document 2 has no attachments" in result.stderr
    assert not (tmp_path / "x").exists()


@pytest.mark.parametrize(("args", "code", "message"), [
    (["1", "4"], 1, "Error: document 1 has 3 attachments; there is no attachment 4"),
    (["1"], 2, "give N: the document has 3 attachments"),
    (["1", "1"], 2, "give -o FILE to write the attachment to (- for standard output)"),
])
def test_attachment_says_what_is_wrong_before_asking_for_o(db, args, code, message):
    result = run(db, "attachment", *args)
    assert result.exit_code == code
    assert message in result.stderr


@pytest.mark.parametrize("output", ["", "  "])
def test_attachment_to_an_empty_file_name(db, output):
    result = run(db, "attachment", "1", "1", "-o", output)
    assert result.exit_code == 2
    assert "Invalid value for '-o' / '--output': the file name is empty" in result.stderr


def test_written_files_get_the_usual_permissions(db, tmp_path):
    old = os.umask(0o022)
    try:
        out = tmp_path / "a.pdf"
        assert run(db, "attachment", "1", "1", "-o", str(out)).exit_code == 0
        assert stat.S_IMODE(out.stat().st_mode) == 0o644
        assert run(db, "export", "--csv", "-o", str(tmp_path / "a.csv")).exit_code == 0
        assert stat.S_IMODE((tmp_path / "a.csv").stat().st_mode) == 0o644
        out.chmod(0o640)  # a file written again keeps its mode
        assert run(db, "attachment", "1", "1", "-o", str(out)).exit_code == 0
        assert stat.S_IMODE(out.stat().st_mode) == 0o640
    finally:
        os.umask(old)


def test_search_says_where_it_matched(db):
    result = run(db, "search", "依法行政")
    assert result.exit_code == 0, result.output
    assert "关于印发实施方案的通知  in 附件1：实施方案.pdf: 示例市法治政府建设实施方案" in result.output
    assert "in 文号: [示政发〔2026〕7号]" in run(db, "search", "示政发〔2026〕7号").output
    hit = json.loads(run(db, "search", "审计局", "--json").stdout)[0]
    assert (hit["matched_in"], hit["matched_name"]) == ("attachment", "附件2：名单.xlsx")
    assert hit["body"] == "各单位：\n请认真组织实施。\n"


def test_diff_names_the_changed_attachment(db):
    result = run(db, "diff", "1")
    assert result.exit_code == 0, result.output
    assert "changed: attachments" in result.output
    assert "attachment 附件2：名单.xlsx: file replaced" in result.output
    assert "~1\t示例市[-财政-]{+审计+}局" in result.output
    data = json.loads(run(db, "diff", "1", "--json").stdout)
    assert [c["url"] for c in data["attachment_changes"]] == [XLSX_URL]


def test_export_with_text(db):
    plain = json.loads(run(db, "export").stdout)
    assert "file_text" not in plain["files"][0]
    full = json.loads(run(db, "export", "--with-text").stdout)
    assert [f["file_text"] for f in full["files"]] == [
        "示例市法治政府建设实施方案\n第一条 为推进依法行政", "名单\n序号\t单位\n1\t示例市审计局", None]


def test_warc_export_reads_back_and_indexes(db, tmp_path):
    out = tmp_path / "example.warc.gz"
    result = run(db, "export", "--format", "warc", "-o", str(out))
    assert result.exit_code == 0, result.output
    assert "Wrote 4 captures" in result.output  # the page, the PDF and both sheets
    with out.open("rb") as fh:
        records = [(r.rec_type, r.rec_headers, r.http_headers, r.content_stream().read())
                   for r in ArchiveIterator(fh, check_digests=True)]
    assert records[0][0] == "warcinfo" and records[0][1].get_header("WARC-Type") == "warcinfo"
    responses = {h.get_header("WARC-Target-URI"): (h, http, body)
                 for kind, h, http, body in records if kind == "response"}
    assert set(responses) == {PAGE, PDF_URL, XLSX_URI} and len([r for r in records if r[0] == "response"]) == 4
    warc, http, body = responses[PDF_URL]
    assert body == PDF and warc.get_header("WARC-Date") == "2026-11-01T08:01:00Z"
    assert warc.get_header("WARC-Payload-Digest").startswith("sha1:")
    assert http.get_statuscode() == "200" and http.get_header("Content-Length") == str(len(PDF))
    assert http.get_header("Content-Encoding") is None  # the archived bytes are decoded
    metadata = [body for kind, h, _, body in records if kind == "metadata"]
    assert any(f"via: {PAGE}\r\nsha256: {hashlib.sha256(PDF).hexdigest()}".encode() in m for m in metadata)
    index = io.StringIO()
    CDXJIndexer(index, [str(out)]).process_all()
    lines = [line for line in index.getvalue().splitlines() if line]
    urls = [json.loads(line.split(" ", 2)[2])["url"] for line in lines]
    assert PDF_URL in urls and PAGE in urls and urls.count(XLSX_URI) >= 2
    with gzip.open(out) as fh:
        assert fh.read(8) == b"WARC/1.1"


def test_a_warc_named_dot_warc_is_plain(db, tmp_path):
    out = tmp_path / "example.warc"
    assert run(db, "export", "--format", "warc", "-o", str(out)).exit_code == 0
    assert out.read_bytes().startswith(b"WARC/1.1")  # not gzip: the name says .warc
    with out.open("rb") as fh:
        kinds = [r.rec_type for r in ArchiveIterator(fh, check_digests=True)]
    assert kinds.count("response") == 4 and kinds[0] == "warcinfo"


def test_warc_export_filters_and_needs_a_file(db, tmp_path):
    out = tmp_path / "none.warc.gz"
    assert run(db, "export", "--format", "warc", "--site", "example", "--since", "2030-01-01",
               "-o", str(out)).exit_code == 0
    with out.open("rb") as fh:
        assert [r.rec_type for r in ArchiveIterator(fh)] == ["warcinfo"]


def _export_warc(db: Path, stdout: int) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run([sys.executable, "-m", "crawler", "--db", str(db), "export", "--format", "warc"],
                          stdin=subprocess.DEVNULL, stdout=stdout, stderr=subprocess.PIPE, timeout=60,
                          check=False)


def _unread(fd: int) -> bytes:
    """What waits to be read on a pty's controlling side (nothing: b"")."""
    os.set_blocking(fd, False)
    try:
        return os.read(fd, 65536)
    except OSError:  # BlockingIOError, or EIO once the other side is closed
        return b""


def test_warc_export_refuses_a_terminal_but_writes_to_a_pipe(db):
    controller, terminal = pty.openpty()  # a real terminal: CliRunner's stdout never is one
    try:
        on_terminal = _export_warc(db, terminal)
        written = _unread(controller)
    finally:
        os.close(terminal)
        os.close(controller)
    assert on_terminal.returncode == 2 and written == b""
    assert on_terminal.stderr.decode().strip().splitlines()[-1] == (
        "Error: --format warc writes gzip bytes, not text: give -o FILE.warc.gz (or pipe it)")
    piped = _export_warc(db, subprocess.PIPE)
    assert piped.returncode == 0, piped.stderr
    with gzip.open(io.BytesIO(piped.stdout)) as fh:
        assert fh.read(8) == b"WARC/1.1"
