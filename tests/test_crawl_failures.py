"""Failed requests are named, and listed links that answer 404 are remembered (NU10, NU11).

A column lists 20 links, 17 of which answer 404, and names a second list page that does not
exist either. The crawl's problems say which, the progress line and the summary count the same
errors, `sites` shows the dead links, and later crawls retry them only after a back-off.
"""

from __future__ import annotations

import json
import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

from click.testing import CliRunner
from helpers_crawl import (
    article_html,
    article_path,
    article_text,
    html_page,
    list_html,
    run_crawl,
    serve,
    summary,
    trs_pager,
)

from crawler.cli import cli
from crawler.cli.crawl import _site_line
from crawler.extensions.progress import status_line
from crawler.service.runner import SiteResult


def _site() -> dict:
    items = [(article_path(n), f"关于第{n}项工作的通知", f"2024-01-{(n % 28) + 1:02d}")
             for n in range(20, 0, -1)]
    pages = {"/tzgg/index.html": html_page(list_html(items, trs_pager(2, 0)))}
    for n in (20, 19, 18):  # the three that answer; index_1.html and the other 17 are 404
        pages[article_path(n)] = html_page(article_html(f"关于第{n}项工作的通知", "2024-01-02",
                                                        article_text(n)))
    return pages


def _fetched(srv, prefix: str) -> int:
    return sum(1 for _m, path, _h in srv.log if path.startswith(prefix))


def test_failures_are_named_and_dead_links_are_not_fetched_every_crawl(tmp_path: Path) -> None:
    db = tmp_path / "gov.db"
    with serve(_site()) as srv:
        column = srv.url("/tzgg/index.html")
        first = run_crawl(db, "--url", column)
        assert first.returncode == 0, first.stderr[-2000:]
        (site,) = summary(first)["sites"]
        problems = site["problems"]
        assert f"list page 2 {srv.url('/tzgg/index_1.html')}: HTTP 404" in problems
        assert any(p.startswith("17 listed links: HTTP 404 (first: http://") for p in problems)
        assert not any("failed requests" in p for p in problems)
        assert _site_line(SiteResult(**site)).endswith(", 18 errors")
        assert status_line("x", site["stats"]).endswith("errors 18")  # the same count

        listing = CliRunner().invoke(cli, ["--db", str(db), "sites"]).output
        assert "17 listed links answer 404/410" in listing
        (row,) = json.loads(CliRunner().invoke(cli, ["--db", str(db), "sites", "--json"]).output)
        assert row["columns"][0]["dead_links"] == 17

        srv.log.clear()
        second = run_crawl(db, "--url", column)
        assert second.returncode == 0
        assert _fetched(srv, "/tzgg/2024") == 0 and _fetched(srv, "/tzgg/index_1") == 0
        assert ("17 listed links not fetched: they answered 404/410 on earlier crawls (tried "
                "again after a while)") in summary(second)["sites"][0]["problems"]

        with sqlite3.connect(db) as conn:  # a day and more later: tried again
            old = (datetime.now(UTC) - timedelta(days=1, minutes=1)).isoformat()
            conn.execute("UPDATE dead_links SET last_tried = ?", (old,))
        srv.log.clear()
        assert run_crawl(db, "--url", column).returncode == 0
        assert _fetched(srv, "/tzgg/2024") == 17
        with sqlite3.connect(db) as conn:
            assert conn.execute("SELECT DISTINCT tries FROM dead_links").fetchall() == [(2,)]

        srv.log.clear()  # the next retry waits two days
        assert run_crawl(db, "--url", column).returncode == 0
        assert _fetched(srv, "/tzgg/2024") == 0

        srv.pages[article_path(5)] = html_page(article_html("关于第5项工作的通知", "2024-01-06",
                                                            article_text(5)))
        srv.log.clear()  # --full fetches them all; one answers at last and is no longer dead
        assert run_crawl(db, "--url", column, "--full").returncode == 0
        assert _fetched(srv, "/tzgg/2024") == 20
    (row,) = json.loads(CliRunner().invoke(cli, ["--db", str(db), "sites", "--json"]).output)
    assert row["columns"][0]["dead_links"] == 16
