"""A small archive with everything the web pages show, and a client for Datasette's test API.

The archive (built through ``Archive.save`` like a crawl): site ``example-gov`` (with a
definition: title and columns) and ``www.other.gov.cn`` (crawled with ``--url``: no
definition). Documents, by the ``DOCS`` key:

- ``tax``: the only one containing 税 (1-character search) and 关税;
- ``law``: 法治政府建设 in title and body (2- and 4-character searches);
- ``edited``: version 1, then version 2 (one sentence, the 文号 and an attachment changed);
- ``withdrawn``: gone;
- ``restored``: gone, then back;
- ``hostile``: markup and a ``javascript:`` attachment in its text;
- ``files``: three attachment links: a sheet archived (version 1), then other bytes of it
  found by a re-check while the page answered 304 (version 2: no capture of its own); HTML
  bytes served as a ".pdf" (an attacker's file); a link that answered 404;
- ``other``: on the second site.

``example-gov`` is watched (its two columns, every hour): its last crawl was blocked and its
政策文件 column answered 404. ``www.other.gov.cn`` is not watched (removed) and failing.
"""

from __future__ import annotations

import asyncio
import hashlib
import re
from datetime import UTC, datetime, timedelta
from html import unescape
from pathlib import Path
from typing import Any

import httpx

from archive import Archive, AttachmentFile, Capture
from archive.timeutil import iso
from crawler.web import WebConfig, create_datasette
from crawler.web.config import SiteInfo

T0 = datetime(2026, 11, 2, 1, 0, 0, tzinfo=UTC)
SITE = "example-gov"
OTHER = "www.other.gov.cn"
SITE_TITLE = "示例市人民政府"
CAPTURE = b"<html><body><h1>archived page</h1><script>alert(1)</script></body></html>"

OLD_SENTENCE = "请于2026年11月5日前报送材料。"
NEW_SENTENCE = "请于2026年11月12日前报送材料。"


def _record(slug: str, title: str, body: str, **extra: Any) -> dict[str, Any]:
    metadata = {"index_no": f"000014349/2026-{slug}", "issuer": "示例市人民政府办公室",
                "doc_no": f"示政办发〔2026〕{len(slug)}号", "site_name": SITE_TITLE,
                "column_name": "通知公告"}
    return {"url": f"http://www.example.gov.cn/zwgk/{slug}.html", "title": title,
            "published": "2026-10-20", "body": body, "metadata": metadata,
            "attachments": [], **extra}


RECORDS = {
    "tax": _record("tax", "关于调整进口商品关税的公告",
                   "为促进贸易发展，现调整部分进口商品关税。\n税率自2026年12月1日起执行。",
                   published="2026-10-01"),
    "law": _record("law", "示例市法治政府建设实施方案",
                   "为深入推进法治政府建设，制定本方案。\n一、总体要求\n坚持依法行政。",
                   published="2026-10-10"),
    "edited": _record("edited", "关于报送年度统计资料的通知",
                      f"各单位：\n现就有关事项通知如下。\n{OLD_SENTENCE}\n特此通知。",
                      published="2026-10-15 09:30"),
    "withdrawn": _record("withdrawn", "关于停止执行部分规范性文件的决定",
                         "经研究，决定停止执行下列文件。", published="2026-10-18"),
    "restored": _record("restored", "示例市政务服务事项清单", "清单如下。", published="2026-10-19"),
    "hostile": _record("hostile", "标题<script>alert('x')</script>测试",
                       "正文<b>加粗</b>与<img src=x onerror=alert(1)>。",
                       attachments=[{"url": "javascript:alert(1)", "text": "恶意附件"}]),
}
FILES_URL = "http://www.example.gov.cn/zwgk/files.html"
SHEET_URL = "http://www.example.gov.cn/files/list.xlsx"
FAKE_PDF_URL = "http://www.example.gov.cn/files/note.pdf"
MISSING_URL = "http://www.example.gov.cn/files/old.doc"
SHEET_NAME = "附件1：办理时限表.xlsx"
FAKE_PDF_NAME = "附件2：说明.pdf"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
SHEET_V1 = b"PK\x03\x04 sheet, version 1"
SHEET_V2 = b"PK\x03\x04 sheet, version 2 (longer)"
SHEET_TEXT_V1 = "事项名称\t办理时限\n户籍迁移\t2026年11月15日\n"
SHEET_TEXT_V2 = "事项名称\t办理时限\n户籍迁移\t2026年11月22日\n"
FAKE_PDF = b"<html><body><script>alert(document.domain)</script></body></html>"
FILES_RECORD = _record("files", "关于公布政务服务办理时限的通知", "现将政务服务事项办理时限予以公布。",
                       attachments=[{"url": SHEET_URL, "text": SHEET_NAME},
                                    {"url": FAKE_PDF_URL, "text": FAKE_PDF_NAME},
                                    {"url": MISSING_URL, "text": "附件3：旧表.doc"}])
FILES_RECORD["url"] = FILES_URL


def sheet(body: bytes, text: str) -> AttachmentFile:
    return AttachmentFile(SHEET_URL, body=body, status=200, content_type=XLSX, text=text)


COLUMNS = (("通知公告", "http://www.example.gov.cn/tzgg/"), ("政策文件", "http://www.example.gov.cn/zcwj/"))
EVERY = timedelta(hours=1)
BLOCKED = "anti-bot pages on 5 of 5 requests"
OTHER_PROBLEM = "3 crawls in a row found nothing"
OTHER_RECORD = {"url": "https://www.other.gov.cn/art/1.html", "title": "其他网站的营商环境通告",
                "published": "2026-10-05", "body": "优化营商环境。",
                "metadata": {"column_name": "政务公开"}, "attachments": []}


def at(minutes: int) -> datetime:
    return T0 + timedelta(minutes=minutes)


def build_archive(path: Path) -> dict[str, int]:
    """Build the archive at ``path``; returns document ids by ``RECORDS`` key (and ``other``)."""
    ids: dict[str, int] = {}
    with Archive(path, create=True) as archive:
        for name, url in COLUMNS:
            archive.watch_column(SITE, url, name=name, every="1h", now=at(0))
        first = archive.start_crawl(SITE, now=at(0))
        for minute, (key, rec) in enumerate(RECORDS.items()):
            capture = Capture(CAPTURE, url=rec["url"], headers={"content-type": "text/html"}) \
                if key == "edited" else None
            ids[key] = archive.save(SITE, rec, crawl_id=first, capture=capture,
                                    now=at(minute)).document_id
        ids["files"] = save_files(archive, first)
        archive.finish_crawl(first, "finished", {"archive/new": len(RECORDS) + 1}, now=at(10))
        other = archive.start_crawl(OTHER, now=at(11))
        ids["other"] = archive.save(OTHER, OTHER_RECORD, crawl_id=other, now=at(11)).document_id
        archive.finish_crawl(other, "finished", {"archive/new": 1}, now=at(12))
        archive.record_site_outcome(OTHER, {"failures": 2, "last_outcome": "failed"},
                                    health=[("empty", OTHER_PROBLEM, other)], now=at(12))
        second = archive.start_crawl(SITE, now=at(60))
        edited = dict(RECORDS["edited"], body=RECORDS["edited"]["body"].replace(OLD_SENTENCE,
                                                                                NEW_SENTENCE),
                      metadata={**RECORDS["edited"]["metadata"], "doc_no": "示政办发〔2026〕99号"},
                      attachments=[{"url": "http://www.example.gov.cn/files/form.docx",
                                    "text": "附件：报送表"}])
        archive.save(SITE, edited, crawl_id=second, now=at(61))
        archive.mark_gone(SITE, RECORDS["withdrawn"]["url"], crawl_id=second, now=at(62))
        archive.mark_gone(SITE, RECORDS["restored"]["url"], crawl_id=second, now=at(63))
        archive.finish_crawl(second, "finished", {"archive/changed": 1, "archive/gone": 2},
                             now=at(65))
        third = archive.start_crawl(SITE, now=at(120))
        archive.save(SITE, RECORDS["restored"], crawl_id=third, now=at(121))
        finish_blocked(archive, third)
    return ids


def finish_blocked(archive: Archive, crawl_id: int) -> None:
    """The third crawl: blocked (the site backs off an interval), 政策文件 answered 404."""
    tzgg, zcwj = archive.ensure_columns(SITE, [(url, name) for name, url in COLUMNS])
    archive.finish_crawl(crawl_id, "blocked", {"pages/antibot": 5}, now=at(125),
                         columns=[{"column_id": tzgg, "outcome": "ok", "list_pages": 1, "items": 5},
                                  {"column_id": zcwj, "outcome": "http_404", "detail": "HTTP 404"}])
    backoff = iso(at(125) + EVERY)
    archive.record_site_outcome(
        SITE, {"failures": 1, "backoff_until": backoff, "last_outcome": "blocked"},
        health=[("blocked", BLOCKED, crawl_id)], now=at(125),
        columns={zcwj: {"failures": 1, "backoff_until": backoff, "last_outcome": "http_404",
                        "last_detail": "HTTP 404", "last_crawl_id": crawl_id}})


def save_files(archive: Archive, crawl_id: int) -> int:
    """The ``files`` document: version 1 with its files, version 2 from a re-check (page 304)."""
    files = [sheet(SHEET_V1, SHEET_TEXT_V1),
             AttachmentFile(FAKE_PDF_URL, body=FAKE_PDF, status=200, content_type="text/html", text=""),
             AttachmentFile(MISSING_URL, status=404, error="HTTP 404")]
    capture = Capture(CAPTURE, url=FILES_URL, headers={"content-type": "text/html"})
    doc_id = archive.save(SITE, FILES_RECORD, crawl_id=crawl_id, capture=capture, files=files,
                          now=at(6)).document_id
    archive.recheck_attachments(SITE, FILES_URL, [sheet(SHEET_V2, SHEET_TEXT_V2)],
                                crawl_id=crawl_id, now=at(7))
    return doc_id


def web_config(path: Path) -> WebConfig:
    """The config `serve` would make, with a definition for ``example-gov`` only."""
    info = SiteInfo(SITE, title=SITE_TITLE, home="http://www.example.gov.cn/", columns=COLUMNS)
    return WebConfig(str(path), {SITE: info})


class Client:
    """Synchronous GETs through Datasette's own test client (``datasette.client``)."""

    def __init__(self, path: Path, *, allow_sql: bool = False) -> None:
        self.datasette = create_datasette(web_config(path), allow_sql=allow_sql)

    def get(self, url: str) -> httpx.Response:
        return asyncio.run(self.datasette.client.get(url))


def file_digest(path: Path) -> str:
    """sha256 of the archive file and its WAL: changes if anything was written."""
    digest = hashlib.sha256()
    for suffix in ("", "-wal"):
        part = Path(f"{path}{suffix}")
        if part.exists():
            digest.update(part.read_bytes())
    return digest.hexdigest()


def text_of(html: str) -> str:
    """The page's text with tags removed and whitespace collapsed (for 'is on the page')."""
    return unescape(" ".join(re.sub(r"<[^>]+>", " ", html).split()))
