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
- ``other``: on the second site.
"""

from __future__ import annotations

import asyncio
import hashlib
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from helpers_archive import record_health

from archive import Archive, Capture
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
OTHER_RECORD = {"url": "https://www.other.gov.cn/art/1.html", "title": "其他网站的营商环境通告",
                "published": "2026-10-05", "body": "优化营商环境。",
                "metadata": {"column_name": "政务公开"}, "attachments": []}


def at(minutes: int) -> datetime:
    return T0 + timedelta(minutes=minutes)


def build_archive(path: Path) -> dict[str, int]:
    """Build the archive at ``path``; returns document ids by ``RECORDS`` key (and ``other``)."""
    ids: dict[str, int] = {}
    with Archive(path, create=True) as archive:
        first = archive.start_crawl(SITE, now=at(0))
        for minute, (key, rec) in enumerate(RECORDS.items()):
            capture = Capture(CAPTURE, url=rec["url"], headers={"content-type": "text/html"}) \
                if key == "edited" else None
            ids[key] = archive.save(SITE, rec, crawl_id=first, capture=capture,
                                    now=at(minute)).document_id
        archive.finish_crawl(first, "finished", {"archive/new": len(RECORDS)}, now=at(10))
        other = archive.start_crawl(OTHER, now=at(11))
        ids["other"] = archive.save(OTHER, OTHER_RECORD, crawl_id=other, now=at(11)).document_id
        archive.finish_crawl(other, "finished", {"archive/new": 1}, now=at(12))
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
        archive.finish_crawl(third, "blocked", {"pages/antibot": 5}, now=at(125))
        record_health(archive, SITE, "blocked", "anti-bot pages on 5 of 5 requests",
                      crawl_id=third, now=at(125))
    return ids


def web_config(path: Path) -> WebConfig:
    """The config `serve` would make, with a definition for ``example-gov`` only."""
    info = SiteInfo(SITE, title=SITE_TITLE, home="http://www.example.gov.cn/",
                    columns=(("通知公告", "http://www.example.gov.cn/tzgg/"),
                             ("政策文件", "http://www.example.gov.cn/zcwj/")),
                    every_seconds=6 * 3600, own=True)  # the user's own definition: watched
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
