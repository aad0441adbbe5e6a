"""A small populated archive for the CLI tests, built only through the `Archive` API.

Timeline (relative to the real clock, so `--since 2d` style options can be tested):

- site `example-gov`, crawl 1 ten days ago: documents A and C are new.
- crawl 2 one day ago: A's body and title are edited (changed); B is new but claims a
  published date a year ago (back-dated: the site had an earlier finished crawl).
- crawl 3 one hour ago: C is gone.
- site `other-gov`, its first crawl just after that: D is new with an old date (not back-dated).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from click.testing import CliRunner, Result

from archive import Archive
from archive.timeutil import utcnow
from crawler.cli import cli

URL_A = "https://www.example.gov.cn/zwgk/2026/t20261101_1.html"
URL_B = "https://www.example.gov.cn/zwgk/2025/t20251101_2.html"
URL_C = "https://www.example.gov.cn/zwgk/2026/t20261110_3.html"
URL_D = "https://other.gov.cn/xxgk/t20200101_4.html"


def record(url: str, title: str, published: str | None, body: str, **metadata: str) -> dict:
    return {
        "url": url,
        "title": title,
        "published": published,
        "body": body,
        "metadata": dict(metadata),
        "attachments": [],
    }


def _crawl(archive: Archive, site: str, when: datetime, saves=(), gone=()) -> None:
    crawl_id = archive.start_crawl(site, now=when)
    for item in saves:
        archive.save(site, item, crawl_id=crawl_id, now=when + timedelta(seconds=1))
    for url in gone:
        archive.mark_gone(site, url, crawl_id=crawl_id, now=when + timedelta(seconds=2))
    archive.finish_crawl(crawl_id, "finished", {}, now=when + timedelta(minutes=1))


def build_archive(path: Path, now: datetime | None = None) -> dict[str, Any]:
    """Populate `path`; returns the reference times and document ids."""
    now = now or utcnow()
    times = {
        "crawl1": now - timedelta(days=10),
        "crawl2": now - timedelta(days=1),
        "crawl3": now - timedelta(hours=1),
    }
    body_v1 = "各单位：\n请于11月底前完成。\n特此通知。"
    body_v2 = "各单位：\n请于12月底前完成。\n特此通知。"
    a_v1 = record(URL_A, "关于开展法治宣传的通知", "2026-11-01", body_v1, issuer="司法局")
    a_v2 = record(URL_A, "关于开展法治宣传工作的通知", "2026-11-01", body_v2, issuer="司法局")
    b = record(URL_B, "2025年税收统计公告", "2025-11-01", "税收收入稳步增长。")
    c = record(URL_C, "招标公告", (now - timedelta(days=10)).date().isoformat(), "招标内容。")
    d = record(URL_D, "旧闻稿", "2020-01-01", "历史文件。")
    with Archive(path, create=True) as archive:
        archive.ensure_site("example-gov", base_url="https://www.example.gov.cn/")
        archive.ensure_site("other-gov", base_url="https://other.gov.cn/")
        _crawl(archive, "example-gov", times["crawl1"], saves=[a_v1, c])
        _crawl(archive, "example-gov", times["crawl2"], saves=[a_v2, b])
        _crawl(archive, "example-gov", times["crawl3"], saves=[a_v2, b], gone=[URL_C])
        _crawl(archive, "other-gov", times["crawl3"] + timedelta(minutes=5), saves=[d])
        urls = {"A": URL_A, "B": URL_B, "C": URL_C, "D": URL_D}
        ids = {key: archive.document(url)["id"] for key, url in urls.items()}
    return {"now": now, "times": times, "ids": ids}


def run(db: Path | str, *args: str, **kwargs: Any) -> Result:
    """Invoke the CLI on `db` with click's runner (stdout and stderr kept apart)."""
    return CliRunner().invoke(cli, ["--db", str(db), *args], **kwargs)
