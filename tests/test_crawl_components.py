"""Crawler components without a crawl: settings, spider callbacks, retry backoff, verdicts,
the JOBDIR extension, and leaving spiders that are not ours alone."""

from __future__ import annotations

import asyncio
import hashlib
import subprocess
import sys
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import scrapy
from helpers_crawl import ROOT, make_spider, serve
from scrapy import Request, signals
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured
from scrapy.http import HtmlResponse
from scrapy.utils.test import get_reactor_settings

from archive import Archive
from crawler.extensions.jobdir import JobDirLifecycle
from crawler.http import user_agent, with_contact
from crawler.items import Unchanged, Withdrawn
from crawler.middlewares import BackoffRetryMiddleware, retry_after_seconds
from crawler.outcome import Verdict, assess
from crawler.pipelines import ArchivePipeline
from crawler.service.overrides import project_settings
from crawler.sites import Column, Incremental, SiteDef
from crawler.sites.definitions import site_from_data, site_to_data


def test_site_politeness_applies_below_command_line(tmp_path: Path) -> None:
    _spider, crawler = make_spider(tmp_path, {"CONCURRENT_REQUESTS_PER_DOMAIN": 7,
                                              "CONTACT": "ops@example.org"})
    s = crawler.settings
    assert s.getfloat("DOWNLOAD_DELAY") == 4.0  # from the site definition
    assert s.getint("CONCURRENT_REQUESTS_PER_DOMAIN") == 7  # -s wins over the definition
    assert s.getint("CLOSESPIDER_PAGECOUNT") == 50
    assert s.getbool("ROBOTSTXT_OBEY") and s.getbool("AUTOTHROTTLE_ENABLED")
    assert "contact: ops@example.org" in s.get("USER_AGENT")
    assert s.get("JOBDIR").endswith("a.db.state/jobs/city")
    assert (Path(s.get("JOBDIR")) / "RUNNING").exists()


def test_a_killed_crawls_jobdir_starts_afresh_and_recovers(tmp_path: Path) -> None:
    make_spider(tmp_path)  # a crawl that never closed: its JOBDIR still says RUNNING
    spider, crawler = make_spider(tmp_path)
    jobdir = Path(crawler.settings.get("JOBDIR"))
    assert crawler.get_extension(JobDirLifecycle).killed
    crawler.signals.send_catch_log(signals.spider_opened, spider=spider)
    assert crawler.stats.get_value("crawl/recovery") is True
    crawler.signals.send_catch_log(signals.spider_closed, spider=spider, reason="finished")
    assert (jobdir / "FINISHED").exists() and not (jobdir / "RUNNING").exists()
    _spider, again = make_spider(tmp_path)  # after a finished crawl: fresh, no recovery
    assert not again.get_extension(JobDirLifecycle).killed
    assert not (jobdir / "FINISHED").exists() and (jobdir / "RUNNING").exists()


def test_revisit_interval_zero_rechecks_everything(tmp_path: Path) -> None:
    spider, _ = make_spider(tmp_path, {"REVISIT_INTERVAL": "0s"})
    assert spider._revisit_interval() == timedelta(0)


def test_with_contact() -> None:
    assert with_contact("bot/1 (+https://x)", "a@b") == "bot/1 (+https://x; contact: a@b)"
    assert with_contact("bot/1", "a@b") == "bot/1 (contact: a@b)"
    assert user_agent({"USER_AGENT": "bot/1 (+u)", "CONTACT": " a@b "}) == "bot/1 (+u; contact: a@b)"
    assert user_agent({"USER_AGENT": "bot/1 (contact: x@y)", "CONTACT": "a@b"}) == "bot/1 (contact: x@y)"
    assert user_agent({"USER_AGENT": "bot/1", "CONTACT": ""}) == "bot/1"


def list_response(url: str, hrefs: list[str], pager: str = "") -> HtmlResponse:
    lis = "".join(f'<li><a href="{h}">关于开展第{i}项检查工作的通知</a><span>2024-01-0{i % 9 + 1}</span></li>'
                  for i, h in enumerate(hrefs))
    body = f"<html><body><ul>{lis}</ul>{pager}</body></html>".encode()
    request = Request(url, meta={"column": 0, "list_page": 1, "known_streak": 0})
    return HtmlResponse(url, body=body, encoding="utf-8", request=request)


def test_list_walk_stops_on_a_page_of_known_items(tmp_path: Path) -> None:
    spider, crawler = make_spider(tmp_path)
    base = "http://www.example.gov.cn/tzgg/"
    hrefs = ["./202401/t20240101_1.html", "./202401/t20240102_2.html"]
    pager = '<a href="index_1.html">下一页</a>'
    spider._known = {base + h[2:]: {"url": base + h[2:], "status": "live"} for h in hrefs}
    out = list(spider.parse_list(list_response(base + "index.html", hrefs, pager)))
    assert out == []
    assert crawler.stats.get_value("list/stopped_known") == 1

    spider.full = True  # --full walks on
    spider._list_seen.clear()
    out = list(spider.parse_list(list_response(base + "index.html", hrefs, pager)))
    assert [r.url for r in out] == [base + "index_1.html"]


def test_new_items_are_requested_once(tmp_path: Path) -> None:
    spider, _ = make_spider(tmp_path)
    base = "http://www.example.gov.cn/tzgg/"
    hrefs = ["./202401/t20240101_1.html", "./202401/t20240101_1.html#top", "/other/t20240101_9.html"]
    out = list(spider.parse_list(list_response(base + "index.html", hrefs)))
    assert [r.url for r in out] == [base + "202401/t20240101_1.html",
                                    "http://www.example.gov.cn/other/t20240101_9.html"]
    assert all(r.dont_filter for r in out)
    assert list(spider.parse_list(list_response(base + "index.html", hrefs))) == []


def article_response(url: str, status: int, *, doc: dict[str, Any] | None,
                     redirected_from: str | None = None, body: bytes = b"") -> HtmlResponse:
    meta: dict[str, Any] = {"doc": doc}
    if redirected_from:
        meta["redirect_urls"] = [redirected_from]
    request = Request(url, meta=meta)
    return HtmlResponse(url, status=status, body=body, encoding="utf-8", request=request)


def collect(agen: Any) -> list[Any]:
    async def run() -> list[Any]:
        return [x async for x in agen]

    return asyncio.run(run())


def test_withdrawals_only_for_known_articles(tmp_path: Path) -> None:
    spider, crawler = make_spider(tmp_path)
    url = "http://www.example.gov.cn/tzgg/202401/t20240101_1.html"
    doc = {"id": 1, "url": url, "status": "live"}
    assert collect(spider.parse_article(article_response(url, 410, doc=doc))) == [
        Withdrawn("city", url, 410, "http_410")]
    home = article_response("http://www.example.gov.cn/index.html", 200, doc=doc,
                            redirected_from=url, body=b"<html><body>home</body></html>")
    assert [w.reason for w in collect(spider.parse_article(home))] == ["redirect_home"]
    assert collect(spider.parse_article(article_response(url, 404, doc=None))) == []
    notfound = article_response("http://www.example.gov.cn/404.html", 200, doc=doc, redirected_from=url,
                                body="<html><head><title>404</title></head><body><h1>页面不存在</h1>"
                                     "<p>对不起，您访问的页面不存在或已被删除！</p></body></html>".encode())
    assert [w.reason for w in collect(spider.parse_article(notfound))] == ["redirect_notfound"]
    away = article_response("http://mp.weixin.qq.com/s/abc", 200, doc=doc, redirected_from=url,
                            body=b"<html><body>elsewhere</body></html>")
    assert collect(spider.parse_article(away)) == []
    assert crawler.stats.get_value("pages/offsite_redirect") == 1
    for status in (500, 503, 403):  # errors are never withdrawals
        assert collect(spider.parse_article(article_response(url, status, doc=doc))) == []
    assert crawler.stats.get_value("pages/error") == 3


def test_identical_bytes_of_a_known_article_are_unchanged_without_a_query(tmp_path: Path) -> None:
    spider, _ = make_spider(tmp_path)
    url = "http://www.example.gov.cn/tzgg/202401/t20240101_1.html"
    body = "<html><body><h1>关于开展检查工作的通知</h1><p>正文</p></body></html>".encode()
    doc = {"id": 1, "url": url, "status": "live", "capture_sha": hashlib.sha256(body).hexdigest()}
    assert collect(spider.parse_article(article_response(url, 200, doc=doc, body=body))) == [
        Unchanged("city", url, "same_bytes")]
    edited = article_response(url, 200, doc=doc, body=body.replace("正文".encode(), "修改".encode()))
    assert not any(isinstance(i, Unchanged) for i in collect(spider.parse_article(edited)))
    gone = {**doc, "status": "gone"}  # a withdrawn page that is back must be saved to restore it
    assert not any(isinstance(i, Unchanged)
                   for i in collect(spider.parse_article(article_response(url, 200, doc=gone, body=body))))


def test_backoff_grows_and_honours_retry_after(tmp_path: Path) -> None:
    _spider, crawler = make_spider(tmp_path, {"RETRY_BACKOFF_BASE": 1.0, "RETRY_BACKOFF_MAX": 10})
    mw = BackoffRetryMiddleware.from_crawler(crawler)
    assert [mw.backoff(n) for n in (1, 2, 3, 4, 5)] == [1.0, 2.0, 4.0, 8.0, 10.0]
    assert mw.backoff(1, retry_after=6) == 6
    request = Request("http://www.example.gov.cn/a")
    retry = mw.process_response(request, HtmlResponse(request.url, status=503, request=request))
    assert isinstance(retry, Request) and retry.meta["retry_delay"] == 1.0
    again = mw.process_response(retry, HtmlResponse(request.url, status=503, request=retry,
                                                    headers={"Retry-After": "7"}))
    assert again.meta["retry_times"] == 2 and again.meta["retry_delay"] == 7
    gave_up = HtmlResponse(request.url, status=503, request=again)
    assert mw.process_response(again, gave_up) is gave_up  # RETRY_TIMES = 2
    assert crawler.stats.get_value("retry/max_reached") == 1
    assert mw.process_exception(request, ValueError("a bug, not the network")) is None
    assert retry_after_seconds(b"120") == 120
    assert retry_after_seconds("Wed, 21 Oct 2015 07:28:00 GMT", now=1445412470) == 10
    assert retry_after_seconds(None) is None


def test_backoff_waits_before_the_retry(tmp_path: Path) -> None:
    _spider, crawler = make_spider(tmp_path)
    mw = BackoffRetryMiddleware.from_crawler(crawler)
    request = Request("http://www.example.gov.cn/a", meta={"retry_delay": 0.05})
    loop = asyncio.new_event_loop()
    try:
        started = loop.time()
        loop.run_until_complete(mw.process_request(request))
        assert loop.time() - started >= 0.04
    finally:
        loop.close()
    assert "retry_delay" not in request.meta


@pytest.mark.parametrize(
    ("stats", "outcome", "healthy"),
    [
        ({"finish_reason": "finished", "pages/list": 2, "pages/article": 5}, "finished", True),
        ({"finish_reason": "finished", "pages/list": 1}, "finished", True),
        ({"finish_reason": "finished", "pages/antibot": 3}, "blocked", False),
        ({"finish_reason": "antibot", "pages/antibot": 5, "pages/list": 1}, "blocked", False),
        ({"finish_reason": "finished", "pages/antibot": 1, "pages/list": 1, "pages/article": 9},
         "finished", True),
        ({"finish_reason": "finished", "pages/failed": 3}, "failed", False),
        ({"finish_reason": "finished", "pages/error": 2}, "failed", False),
        ({"finish_reason": "archive_error", "pages/list": 1}, "failed", False),
        ({"finish_reason": "closespider_pagecount", "pages/list": 4}, "partial", True),
        ({"finish_reason": "shutdown", "pages/list": 4}, "interrupted", True),
        ({"finish_reason": "shutdown", "downloader/request_count": 1}, "interrupted", True),
        ({"finish_reason": "shutdown", "pages/failed": 2}, "interrupted", True),
        ({"finish_reason": "finished", "archive/not_modified": 3}, "finished", True),
    ],
)
def test_assess(stats: dict[str, Any], outcome: str, healthy: bool) -> None:
    health = assess(stats)
    assert (health.outcome, health.healthy) == (outcome, healthy)


def test_the_pipeline_judges_the_crawl_once_when_the_spider_closes(tmp_path: Path) -> None:
    spider, crawler = make_spider(tmp_path)
    db = tmp_path / "a.db"
    pipeline = ArchivePipeline(crawler, str(db))
    pipeline.open_spider()
    crawler.stats.set_value("pages/list", 3)
    crawler.stats.set_value("pages/failed", 1)
    pipeline.spider_closed(spider, "finished")
    verdict = Verdict.from_stats(crawler.stats.get_stats())
    assert verdict == Verdict("finished", True, ["1 failed requests"])
    with Archive(db) as a:
        (row,) = a.crawls(site="city")
    assert row["outcome"] == "finished" and row["finished_at"]
    assert Verdict.from_stats(row["stats"]) == verdict


def test_a_verdict_is_only_read_back_once_recorded() -> None:
    assert Verdict.from_stats({"finish_reason": "finished"}) is None
    verdict = Verdict("blocked", False, ["blocked by anti-bot protection (5 challenge pages)"])
    assert Verdict.from_stats(verdict.as_stats()) == verdict


# ---------------------------------------------------------------- spiders that are not ours


class BareSpider(scrapy.Spider):
    name = "bare"


def test_our_components_leave_other_spiders_alone(tmp_path: Path) -> None:
    settings = project_settings({"ARCHIVE_DB_PATH": str(tmp_path / "a.db"),
                                 **get_reactor_settings()})
    crawler = Crawler(BareSpider, settings)
    crawler.spider = BareSpider.from_crawler(crawler)
    crawler._apply_settings()
    assert crawler.get_extension(JobDirLifecycle) is None and not settings.get("JOBDIR")
    with pytest.raises(NotConfigured, match="not a gov-archive spider"):
        ArchivePipeline.from_crawler(crawler)
    assert not (tmp_path / "a.db").exists()


BARE_SPIDER = """
import scrapy

class BareSpider(scrapy.Spider):
    name = "bare"
    start_urls = [{url!r}]

    def parse(self, response):
        yield {{"url": response.url, "title": response.css("title::text").get()}}
"""


def test_a_users_own_spider_runs_with_our_settings(tmp_path: Path) -> None:
    """`scrapy runspider` in the project (our pipeline and extensions on): no crash, no archive."""
    with serve({"/": (200, {"Content-Type": "text/html"}, b"<title>hi</title>")}) as srv:
        spider = tmp_path / "bare.py"
        spider.write_text(BARE_SPIDER.format(url=srv.url("/")), encoding="utf-8")
        out = tmp_path / "items.jsonl"
        proc = subprocess.run(
            [sys.executable, "-m", "scrapy", "runspider", str(spider), "-o", str(out),
             "-s", f"ARCHIVE_DB_PATH={tmp_path / 'a.db'}", "-s", "LOG_LEVEL=INFO"],
            cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "Traceback" not in proc.stderr and "has no attribute 'site'" not in proc.stderr
    assert '"title": "hi"' in out.read_text(encoding="utf-8")
    assert not (tmp_path / "a.db").exists() and not (tmp_path / "a.db.state").exists()


def test_known_articles_are_rechecked_at_the_sites_interval_but_at_most_daily() -> None:
    """NU9: quiet edits and withdrawals are found within the site's interval (at least a day)."""
    column = (Column("http://www.example.gov.cn/tzgg/index.html"),)
    assert SiteDef("a", column).revisit == timedelta(days=1)  # default interval 6h: a day
    assert SiteDef("a", column, every=timedelta(days=2)).revisit == timedelta(days=2)
    assert SiteDef("a", column, every=timedelta(minutes=10)).revisit == timedelta(days=1)
    own = SiteDef("a", column, incremental=Incremental(revisit=timedelta(hours=1)))
    assert own.revisit == timedelta(hours=1)  # a definition's [incremental] revisit wins
    assert site_from_data(site_to_data(own)) == own
    assert site_from_data(site_to_data(SiteDef("a", column))).incremental.revisit is None
