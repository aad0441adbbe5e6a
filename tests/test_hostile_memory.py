"""Bounded memory per response: gzip bombs and oversized pages are refused early and counted.

Memory is measured, not guessed: the crawl runs in a subprocess and reports its peak resident
size. Before DOWNLOAD_MAXSIZE was lowered, a crawl of three 256 MB bombs peaked above 1 GB.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from helpers_crawl import ROOT, crawl_cmd
from helpers_hostile import HostileServer, article, bomb_page, column, peak_rss_mb

from archive import Archive

PEAK_LIMIT_MB = 400  # a crawl alone takes about 120 MB; one inflated bomb would be 256 MB


def _env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "GOV_ARCHIVE_SITES"}
    env["PYTHONPATH"] = str(ROOT)
    return env


def test_gzip_bombs_are_refused_early_counted_and_memory_stays_bounded(tmp_path: Path) -> None:
    pages = {"/list/index.html": column(["/a/bomb1.html", "/a/bomb2.html", "/a/bomb3.html",
                                         "/a/fine.html"]),
             "/a/fine.html": article(1)}
    for n in (1, 2, 3):
        pages[f"/a/bomb{n}.html"] = bomb_page(256)
    db = tmp_path / "a.db"
    with HostileServer(pages) as server:
        peak, proc = peak_rss_mb(crawl_cmd(db, "--url", server.url("/list/index.html"), "--json"),
                                 env=_env(), cwd=str(tmp_path))
    stats = json.loads(proc.stdout)["sites"][0]["stats"]
    assert stats["download/decompression_refused"] == 3, proc.stderr[-2000:]
    assert stats["archive/new"] == 1  # the ordinary article still gets in
    assert peak < PEAK_LIMIT_MB, f"peak {peak:.0f} MB"
    with Archive(db) as archive:
        assert [d["url"] for d in archive.export()] == [server.url("/a/fine.html")]


def test_an_oversized_page_is_refused_and_counted(tmp_path: Path) -> None:
    big = article(2)[0], article(2)[1], article(2)[2] + b"<!--" + b"x" * 300_000 + b"-->"
    pages = {"/list/index.html": column(["/a/big.html", "/a/fine.html"]),
             "/a/big.html": big, "/a/fine.html": article(1)}
    db = tmp_path / "a.db"
    with HostileServer(pages) as server:
        _peak, proc = peak_rss_mb(crawl_cmd(db, "--url", server.url("/list/index.html"), "--json",
                                            "-s", "DOWNLOAD_MAXSIZE=200000"),
                                  env=_env(), cwd=str(tmp_path))
    stats = json.loads(proc.stdout)["sites"][0]["stats"]
    assert stats["download/too_large"] == 1, proc.stderr[-2000:]
    assert stats["archive/new"] == 1
