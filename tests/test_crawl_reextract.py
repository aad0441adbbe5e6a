"""An extractor improvement is no edit (review finding S6).

The archive holds a version read by an older extractor ("version 1": a stub reading of a real
page: the site's name in the title, no ``pub_date_meta``), its capture the real page. The page
is then crawled with today's extractor after its visit counter moved (no edit: no ``changed``
event, no alert), or after a real edit of its text (one ``changed`` event naming ``body``
only). Through `ItemWriter` (one machine), the cluster host's `Ingester`, and a real crawl.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from helpers_archive import at, check_consistency
from helpers_crawl import article_html, article_text, html_page, list_html, make_spider, run_crawl, serve, totals
from helpers_watch import receiver
from scrapy import Request
from scrapy.http import HtmlResponse

from archive import Archive, Capture
from crawler.cluster.messages import Message, decode, encode
from crawler.extract import EXTRACTOR_VERSION, extract
from crawler.items import Announcement
from crawler.pipelines import ItemWriter
from crawler.service.cluster.ingest import CrawlContext, Ingester
from crawler.sites import ArticleRules

SITE = "city"
URL = "http://www.example.gov.cn/tzgg/202401/t20240106_5.html"
HEADERS = {"content-type": "text/html; charset=utf-8"}
TITLE = "关于第5项工作的通知"
EDIT = "截止日期延长至3月31日。"
OLD_EXTRACTOR = 1


def page(visits: int, extra: str = "") -> bytes:
    """The article, with a visit counter in its footer (outside the announcement)."""
    html = article_html(TITLE, "2024-01-06", article_text(5, extra))
    return html.replace("版权所有", f"<span>浏览次数：{visits}</span> 版权所有").encode()


def old_reading(body: bytes, url: str = URL) -> dict[str, Any]:
    """What the previous extractor made of `body` (a stub): the site's name left in the
    title, no pub_date_meta."""
    ex = extract(body, url, HEADERS, 200)
    assert "pub_date_meta" in ex.metadata  # today's extractor finds it
    return {"url": url, "title": f"{ex.title}_示例市人民政府", "published": ex.published,
            "body": ex.body, "metadata": {k: v for k, v in ex.metadata.items() if k != "pub_date_meta"},
            "attachments": ex.attachments}


def archive_read_by_the_old_extractor(path: Path, url: str = URL, site: str = SITE) -> Archive:
    archive = Archive(path, create=True)
    crawl = archive.start_crawl(site, now=at(0))
    archive.save(site, old_reading(page(1), url), crawl_id=crawl, extractor=OLD_EXTRACTOR,
                 capture=Capture(page(1), url=url, headers=HEADERS), now=at(1))
    archive.finish_crawl(crawl, "finished", {}, now=at(2))
    return archive


@pytest.fixture
def archive(tmp_path: Path) -> Iterator[Archive]:
    with archive_read_by_the_old_extractor(tmp_path / "a.db") as archive:
        yield archive


def crawled(tmp_path: Path, archive: Archive, body: bytes, article: ArticleRules | None = None) -> Announcement:
    """The spider's item for `body` at URL, the document known (a revisit)."""
    spider, _ = make_spider(tmp_path, article=article)
    doc = next(d for d in archive.known_documents(SITE) if d["url"] == URL)
    response = HtmlResponse(URL, status=200, body=body, headers=HEADERS,
                            request=Request(URL, meta={"doc": doc}))

    async def items() -> list[Any]:
        return [i async for i in spider.parse_article(response)]

    (item,) = asyncio.run(items())
    assert isinstance(item, Announcement) and item.extractor == EXTRACTOR_VERSION
    return item


def write(archive: Archive, item: Announcement, article: ArticleRules | None = None) -> list[str]:
    crawl = archive.start_crawl(SITE, now=at(60))
    return ItemWriter(archive, crawl, [], article=article).write(item)


def changed_events(archive: Archive) -> list[dict[str, Any]]:
    return archive.events(kinds=["changed"])


def alerts(archive: Archive) -> list[str]:
    """The kinds of the events a new webhook would be sent."""
    return [e["kind"] for e in archive.pending_deliveries("webhook:https://hooks.example/x")]


def test_today_the_extractor_reads_the_page_otherwise() -> None:
    assert EXTRACTOR_VERSION > OLD_EXTRACTOR
    today, before = extract(page(2), URL, HEADERS, 200), old_reading(page(1))
    assert today.title != before["title"] and today.metadata != before["metadata"]
    assert today.body == extract(page(1), URL, HEADERS, 200).body  # the counter is not in it


def test_a_new_visit_counter_read_by_a_newer_extractor_is_no_change(tmp_path: Path, archive: Archive) -> None:
    keys = write(archive, crawled(tmp_path, archive, page(2)))
    assert "archive/changed" not in keys
    assert {"archive/unchanged", "archive/reextracted", "archive/rechecked"} <= set(keys)
    assert changed_events(archive) == [] and alerts(archive) == ["new"]
    v1, v2 = archive.history(URL)
    assert (v1["extractor"], v1["reextracted"]) == (OLD_EXTRACTOR, False)
    assert (v2["extractor"], v2["reextracted"]) == (EXTRACTOR_VERSION, True)
    assert v2["changed_fields"] == ["title", "metadata"]  # the extractor's, not the publisher's
    assert (v2["capture_sha"], v2["fetched_at"]) == (v1["capture_sha"], v1["fetched_at"])
    assert v2["title"] == TITLE and "pub_date_meta" in v2["metadata"]
    assert [h["title"] for h in archive.search("第5项工作")] == [TITLE]  # today's reading indexed
    assert check_consistency(archive.path) == []
    # The next visit compares like with like: nothing is re-read, nothing recorded.
    assert write(archive, crawled(tmp_path, archive, page(3))) == [
        "archive/unchanged", "archive/rechecked"]
    assert len(archive.history(URL)) == 2


def test_a_real_edit_names_only_the_field_the_publisher_changed(tmp_path: Path, archive: Archive) -> None:
    keys = write(archive, crawled(tmp_path, archive, page(2, EDIT)))
    assert {"archive/changed", "archive/reextracted"} <= set(keys)
    (event,) = changed_events(archive)
    assert alerts(archive) == ["new", "changed"]
    history = archive.history(URL)
    assert [v["reextracted"] for v in history] == [False, True, False]
    assert event["version"] == 3 and history[2]["changed_fields"] == ["body"]
    diff = archive.diff(URL)
    assert diff["changed_fields"] == ["body"] and EDIT in diff["body_diff"]
    assert diff["reextracted"] == [] and archive.diff(URL, 1, 3)["reextracted"] == [2]
    assert check_consistency(archive.path) == []


def test_without_the_comparison_the_extractor_change_would_be_an_edit(tmp_path: Path,
                                                                        archive: Archive) -> None:
    """The control: an item of unknown extractor (an older crawl worker) is compared as before."""
    item = crawled(tmp_path, archive, page(2))
    item.extractor = None
    assert "archive/changed" in write(archive, item)
    assert len(changed_events(archive)) == 1
    assert archive.history(URL)[1]["changed_fields"] == ["title", "metadata"]


@pytest.mark.parametrize(("writer_rules", "changed"), [(True, False), (False, True)])
def test_the_site_rules_are_applied_to_the_reread_capture(tmp_path: Path, archive: Archive,
                                                          writer_rules: bool, changed: bool) -> None:
    """The title a site definition selects: the writer re-reads with the rules the spider read
    with (without them, the control, the re-reading differs and the title looks edited)."""
    rules = ArticleRules(title="div.info")
    item = crawled(tmp_path, archive, page(2), rules)
    assert item.title.startswith("发布日期")
    keys = write(archive, item, rules if writer_rules else None)
    assert ("archive/changed" in keys) is changed and len(changed_events(archive)) == changed
    assert archive.document(URL)["title"] == item.title


@pytest.mark.parametrize(("body", "kinds"), [(page(2), ["new"]), (page(2, EDIT), ["new", "changed"])])
def test_the_cluster_host_compares_the_same_way(tmp_path: Path, archive: Archive, body: bytes,
                                                kinds: list[str]) -> None:
    crawl = archive.start_crawl(SITE, now=at(60))
    message = decode({k.encode(): v for k, v in encode(Message("item", crawl, item=crawled(
        tmp_path, archive, body))).items()})  # the extractor version travels with the item
    assert message.item is not None and message.item.extractor == EXTRACTOR_VERSION
    ingester = Ingester(archive, lambda _id: CrawlContext(crawl, SITE))
    assert ingester.apply(message).outcome == "applied"
    assert alerts(archive) == kinds
    history = archive.history(URL)
    assert [v["reextracted"] for v in history] == [False, True, False][:len(kinds) + 1]
    assert [v["changed_fields"] for v in history[2:]] == [["body"]][:len(kinds) - 1]


def test_a_crawl_with_todays_extractor_alerts_only_on_the_real_edit(tmp_path: Path) -> None:
    path = "/tzgg/202401/t20240106_5.html"
    pages = {path: html_page(page(2)),
             "/tzgg/index.html": html_page(list_html([("./202401/t20240106_5.html", TITLE, "2024-01-06")]))}
    db = tmp_path / "a.db"
    with serve(pages) as srv, receiver() as hook:
        url = srv.url(path)
        archive_read_by_the_old_extractor(db, url, site="127.0.0.1").close()
        column = srv.url("/tzgg/index.html")

        counter = run_crawl(db, "--url", column, "-s", "REVISIT_INTERVAL=0s", "--webhook", hook.url)
        assert counter.returncode == 0, counter.stderr[-2000:]
        t = totals(counter)
        assert (t["archive/changed"], t["archive/reextracted"], t["archive/unchanged"]) == (0, 1, 1)
        assert [e["kind"] for r in hook.requests for e in r["events"]] == ["new"]

        srv.pages[path] = html_page(page(3, EDIT))
        edit = run_crawl(db, "--url", column, "-s", "REVISIT_INTERVAL=0s", "--webhook", hook.url)
        assert edit.returncode == 0, edit.stderr[-2000:]
        t = totals(edit)
        assert (t["archive/changed"], t["archive/reextracted"]) == (1, 0)  # the same extractor now
        assert [e["kind"] for r in hook.requests for e in r["events"]] == ["new", "changed"]
    with Archive(db) as a:
        assert [(v["reextracted"], v["changed_fields"]) for v in a.history(url)][1:] == [
            (True, ["title", "metadata"]), (False, ["body"])]
