"""End-to-end crawls (`python -m crawler crawl ...` in a subprocess) against local fixture sites."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from helpers_crawl import (
    FIXTURES,
    ROOT,
    article_html,
    article_path,
    article_text,
    build_hanweb_post_site,
    build_hanweb_site,
    build_next_link_site,
    build_numbered_site,
    build_trs_site,
    crawl_cmd,
    html_page,
    list_html,
    run_crawl,
    serve,
    summary,
    totals,
)

from archive import Archive
from crawler.service.locks import site_lock

SITE = "127.0.0.1"


def versions(db: Path) -> dict[str, int]:
    with Archive(db) as a:
        return {d["url"]: len(a.history(d["id"])) for d in a.known_documents(SITE)}


def statuses(db: Path) -> dict[str, str]:
    with Archive(db) as a:
        return {d["url"]: d["status"] for d in a.known_documents(SITE)}


def test_first_crawl_unchanged_edit_withdraw_restore(tmp_path: Path) -> None:
    db = tmp_path / "a.db"
    pages = build_trs_site(9, 3)
    for n in (2, 4, 6, 8):  # most articles support conditional requests
        status, headers, body = pages[article_path(n)]
        pages[article_path(n)] = (status, {**headers, "ETag": f'"v1-{n}"'}, body)
    for n in (7, 9):
        status, headers, body = pages[article_path(n)]
        pages[article_path(n)] = (status, {**headers, "Last-Modified": "Mon, 08 Jan 2024 01:00:00 GMT"}, body)
    with serve(pages) as srv:
        column = srv.url("/tzgg/index.html")
        first = run_crawl(db, "--url", column)
        assert first.returncode == 0, first.stderr[-2000:]
        t = totals(first)
        assert t["archive/new"] == 9 and t["pages/list"] == 3
        first_requests = srv.hits()
        assert set(versions(db).values()) == {1}

        srv.log.clear()  # unchanged re-crawl: page 1 only, every item known -> stop
        again = run_crawl(db, "--url", column)
        assert again.returncode == 0
        t = totals(again)
        assert t["archive/new"] == t["archive/changed"] == 0
        assert srv.hits() <= first_requests // 4
        assert set(versions(db).values()) == {1}

        # Edit #5, withdraw #4 (404) and #3 (redirect to the home page), publish #10.
        pages5 = article_html("关于第5项工作的通知", "2024-01-06", article_text(5, "截止日期延长至3月31日。"))
        srv.pages[article_path(5)] = html_page(pages5)
        del srv.pages[article_path(4)]
        srv.pages[article_path(3)] = (302, {"Location": "/"}, b"")
        srv.pages[article_path(10)] = html_page(article_html("关于第10项工作的通知", "2024-01-12",
                                                             article_text(10)))
        items = article_path(10).replace("/tzgg/", "./")
        srv.pages["/tzgg/index.html"] = html_page(list_html(
            [(items, "关于第10项工作的通知", "2024-01-12")], '<script>createPageHTML(1, 0, "index", "html");</script>'))
        srv.log.clear()
        full = run_crawl(db, "--url", column, "--full")
        assert full.returncode == 0, full.stderr[-2000:]
        t = totals(full)
        assert (t["archive/new"], t["archive/changed"], t["archive/gone"]) == (1, 1, 2)
        assert t["archive/not_modified"] == 5  # 2, 6, 8 (ETag) and 7, 9 (Last-Modified): 304
        assert t["archive/unchanged"] == 1  # #1: identical bytes, skipped without extraction
        assert versions(db)[srv.url(article_path(5))] == 2
        gone = {u for u, s in statuses(db).items() if s == "gone"}
        assert gone == {srv.url(article_path(4)), srv.url(article_path(3))}
        with Archive(db) as a:
            diff = a.diff(srv.url(article_path(5)))
            assert "截止日期延长至3月31日" in diff["body_diff"]

        srv.pages[article_path(4)] = html_page(article_html("关于第4项工作的通知", "2024-01-05",
                                                            article_text(4)))
        back = run_crawl(db, "--url", column, "-s", "REVISIT_INTERVAL=0s")  # revisit all, no --full
        assert back.returncode == 0
        t = totals(back)
        assert t["archive/restored"] == 1 and t["archive/gone"] == 0
        assert statuses(db)[srv.url(article_path(4))] == "live"
        assert versions(db)[srv.url(article_path(4))] == 1  # same content: no new version


def test_a_quiet_edit_and_a_withdrawal_are_found_by_the_next_days_crawl(tmp_path: Path) -> None:
    """NU9: an ordinary crawl (no --full, no -s) re-checks the known articles last checked a
    day ago (the site's interval, at least a day), with conditional requests."""
    db = tmp_path / "a.db"
    with serve(build_trs_site(6, 3)) as srv:
        column = srv.url("/tzgg/index.html")
        assert run_crawl(db, "--url", column).returncode == 0
        srv.pages[article_path(2)] = html_page(article_html(
            "关于第2项工作的通知", "2024-01-03", article_text(2, "截止日期延长至3月31日。")))
        del srv.pages[article_path(5)]
        same_day = run_crawl(db, "--url", column)
        assert totals(same_day)["crawl/revisits"] == 0  # checked less than a day ago
        with Archive(db) as a:  # a day later
            a.db.execute("UPDATE documents SET last_checked = ?",
                         [(datetime.now(UTC) - timedelta(days=1, minutes=1)).isoformat()])
            a.db.conn.commit()
        next_day = run_crawl(db, "--url", column)
        assert next_day.returncode == 0, next_day.stderr[-2000:]
        t = totals(next_day)
        assert (t["crawl/revisits"], t["archive/changed"], t["archive/gone"]) == (6, 1, 1)


def test_pagination_forms_and_gbk(tmp_path: Path) -> None:
    db = tmp_path / "a.db"
    pages = {**build_next_link_site(), **build_numbered_site(), **build_hanweb_site(),
             **build_hanweb_post_site(), **build_trs_site(4, 2, folder="/gbk", charset="gbk")}
    with serve(pages) as srv:
        columns = ["/xwdt/list.jsp?page=1", "/gsgg/list_1.html", "/col/col88/index.html",
                   "/col/col77/index.html", "/gbk/index.html"]
        args = [a for c in columns for a in ("--url", srv.url(c))]
        proc = run_crawl(db, *args, "--jobdir", str(tmp_path / "job"))  # one host: one site
        assert proc.returncode == 0, proc.stderr[-2000:]
        assert (tmp_path / "job" / "FINISHED").exists()
        t = totals(proc)
        assert t["archive/new"] == 5 + 5 + 5 + 5 + 4
        fetched = {p for _m, p, _h in srv.log}
        assert {"/xwdt/list.jsp?page=3", "/gsgg/list_3.html", "/gbk/index_1.html"} <= fetched
        assert any("dataproxy.jsp?page=3" in p for p in fetched)
        posts = [h["_form"] for m, p, h in srv.log if m == "POST"]
        assert len(posts) == 2 and all("columnid=77" in f and "unitid=55" in f for f in posts)
        with Archive(db) as a:
            doc = a.document(srv.url(article_path(3, "/gbk")))
        assert doc["title"] == "关于第3项工作的通知"
        assert "各区县人民政府" in doc["body"]


def test_antibot_answers_are_never_archived(tmp_path: Path) -> None:
    shell = (FIXTURES / "other/C02.html").read_bytes()
    jsl = b"<script>document.cookie=('__jsl_clearance_s=1');location.href=location.pathname</script>"
    for status, body in ((412, shell), (521, jsl), (200, shell)):
        db = tmp_path / f"{status}.db"
        pages = build_trs_site(3, 3)
        for path in list(pages):
            if path != "/robots.txt":
                pages[path] = (status, {"Content-Type": "text/html"}, body)
        with serve(pages) as srv:
            proc = run_crawl(db, "--url", srv.url("/tzgg/index.html"))
        assert proc.returncode == 1, (status, proc.stderr[-2000:])
        result = summary(proc)["sites"][0]
        assert result["outcome"] == "blocked"
        assert result["stats"]["pages/antibot"] >= 1
        with Archive(db) as a:
            assert a.known_documents(SITE) == []
        assert "blocked by anti-bot" in proc.stderr


def test_soft_404_and_empty_pages_are_counted_not_saved(tmp_path: Path) -> None:
    db = tmp_path / "a.db"
    pages = build_trs_site(3, 3)
    pages[article_path(1)] = html_page("<html><head><title>页面不存在</title></head><body>"
                                       "<h1>404</h1><p>对不起，您访问的页面不存在或已被删除！</p></body></html>")
    pages[article_path(2)] = html_page("<html><head><title></title></head><body></body></html>")
    private = "/private/202401/t20240101_99.html"  # robots.txt: Disallow: /private/
    pages[private] = html_page(article_html("内部通知", "2024-01-01", article_text(99)))
    items = [(article_path(n), f"关于第{n}项工作的通知", "2024-01-02") for n in (1, 2, 3)]
    pages["/tzgg/index.html"] = html_page(list_html([*items, (private, "关于内部事项的通知", "2024-01-01")]))
    with serve(pages) as srv:
        proc = run_crawl(db, "--url", srv.url("/tzgg/index.html"))
        assert srv.hits("/private/") == 0
    assert proc.returncode == 0, proc.stderr[-2000:]
    result = summary(proc)["sites"][0]["stats"]
    assert result["archive/new"] == 1
    assert result["pages/soft404"] == 1 and result.get("pages/empty", 0) + result.get("pages/js_shell", 0) == 1
    assert result["pages/ignored"] == 1  # robots.txt obeyed
    assert list(versions(db)) == [srv.url(article_path(3))]


def test_unreachable_site_and_unwritable_archive_exit_1(tmp_path: Path) -> None:
    with serve(build_trs_site(1, 1)) as srv:
        url = srv.url("/tzgg/index.html")
    proc = run_crawl(tmp_path / "a.db", "--url", url)  # server closed: connection refused
    assert proc.returncode == 1
    assert summary(proc)["sites"][0]["outcome"] == "failed"
    assert "Traceback" not in proc.stderr

    with serve(build_trs_site(2, 2)) as srv:  # timeouts and 5xx are errors, never withdrawals
        db = tmp_path / "t.db"
        assert run_crawl(db, "--url", srv.url("/tzgg/index.html")).returncode == 0
        srv.delay = 1.0
        srv.pages[article_path(1)] = (503, {}, b"busy")
        slow = run_crawl(db, "--url", srv.url("/tzgg/index.html"), "--full",
                         "-s", "DOWNLOAD_TIMEOUT=0.3", "-s", "RETRY_TIMES=0")
        assert slow.returncode == 1
        assert set(statuses(db).values()) == {"live"}

    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    with serve(build_trs_site(1, 1)) as srv:
        proc = run_crawl(blocker / "a.db", "--url", srv.url("/tzgg/index.html"))
    assert proc.returncode == 1
    assert "archive not writable" in proc.stderr


@pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGINT])
def test_killed_crawl_resumes_without_duplicates_or_losses(tmp_path: Path, sig: int) -> None:
    db = tmp_path / "a.db"
    with serve(build_trs_site(24, 4)) as srv:
        srv.delay = 0.05
        cmd = crawl_cmd(db, "--url", srv.url("/tzgg/index.html"))
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                cwd=tmp_path, start_new_session=True)
        deadline = time.monotonic() + 30
        while srv.hits("/tzgg/202401/") < 8 and time.monotonic() < deadline:
            time.sleep(0.02)
        os.killpg(proc.pid, sig)
        proc.wait(timeout=30)
        if sig == signal.SIGINT:  # graceful: Scrapy keeps its queue in the JOBDIR
            assert (tmp_path / "a.db.state" / "jobs" / SITE / "requests.queue").exists()
        saved_before = len(versions(db)) if db.exists() else 0
        assert saved_before < 24
        srv.delay = 0
        again = run_crawl(db, "--url", srv.url("/tzgg/index.html"))
        assert again.returncode == 0, again.stderr[-2000:]
        counts = versions(db)
        assert len(counts) == 24 and set(counts.values()) == {1}
        assert totals(again)["archive/new"] == 24 - saved_before
        stats = summary(again)["sites"][0]["stats"]
        if sig == signal.SIGINT:  # its queue goes on: no walk of every list page (NU20)
            assert stats.get("crawl/resumed") is True and not stats.get("crawl/recovery")
        else:  # killed: the queue cannot be trusted, every list page is walked again
            assert stats.get("crawl/recovery") is True and not stats.get("crawl/resumed")


def test_site_definition_crawl_and_scrapy_crawl(tmp_path: Path) -> None:
    sites = tmp_path / "sites"
    sites.mkdir()
    with serve({**build_trs_site(4, 2), **build_numbered_site(3, 2)}) as srv:
        (sites / "city.toml").write_text(
            f'name = "city"\ntitle = "示例市"\nevery = "1h"\n'
            f'[[columns]]\nname = "通知公告"\nurl = "{srv.url("/tzgg/index.html")}"\n'
            f'[list]\nitem_selector = "div.list li"\npagination = "trs"\n', encoding="utf-8")
        (sites / "town.toml").write_text(
            f'name = "town"\nstart_urls = ["{srv.url("/gsgg/list_1.html")}"]\n', encoding="utf-8")
        proc = run_crawl(tmp_path / "a.db", "city", "town", "--sites", str(sites))
        assert proc.returncode == 0, proc.stderr[-2000:]
        assert totals(proc)["archive/new"] == 4 + 3  # two sites, one process
        with Archive(tmp_path / "a.db") as a:
            assert len(a.known_documents("city")) == 4
            assert len(a.known_documents("town")) == 3
            assert a.crawls(site="city")[0]["outcome"] == "finished"

        srv.log.clear()  # crawled a moment ago, every = "1h": not due
        due = run_crawl(tmp_path / "a.db", "city", "--due", "--sites", str(sites))
        assert due.returncode == 0 and "No site is due" in due.stderr
        assert srv.hits() == 0

        with site_lock(tmp_path / "a.db", "city"):  # another crawl of the site is running
            busy = run_crawl(tmp_path / "a.db", "city", "--sites", str(sites))
        assert busy.returncode == 1 and "skipped" in busy.stderr  # named, yet not crawled
        assert srv.hits() == 0

        env = {**os.environ, "PYTHONPATH": str(ROOT), "GOV_ARCHIVE_SITES": str(sites)}
        scrapy = subprocess.run(
            [sys.executable, "-m", "scrapy", "crawl", "generic", "-a", f"url={srv.url('/tzgg/index.html')}",
             "-s", f"ARCHIVE_DB_PATH={tmp_path / 'b.db'}", "-s", "DOWNLOAD_DELAY=0",
             "-s", "AUTOTHROTTLE_ENABLED=0", "-s", "LOG_LEVEL=WARNING"],
            cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
        assert scrapy.returncode == 0, scrapy.stderr[-2000:]
        with Archive(tmp_path / "b.db") as a:
            assert len(a.known_documents(SITE)) == 4
