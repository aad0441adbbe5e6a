"""Crawl benchmark (run by hand): gov-archive crawl vs a bare Scrapy spider on a local site.

    python benchmarks/bench_crawl.py [--articles 2000] [--list-pages 100] [--concurrency 8]
                                     [--rounds 3]

Serves a generated TRS-style site (the demo generator: two columns, one GBK-encoded) on
127.0.0.1 and measures, in one run and with politeness delays off on every side:

1. baseline: a bare Scrapy spider that follows the same links (list pages via 下一页, article
   pages, the attachment files they link, also those written by document.write) and does
   nothing else;
2. `gov-archive crawl --url ...` first crawl into an empty archive (fetch, extract, archive);
3. the same command again on the unchanged site (default incremental mode);
4. (last round only) the same command "a day later" (every `last_checked` moved back 25 h):
   the known articles are due a re-check (the site's interval, at least a day; at most
   `revisit_max`, 200, per crawl), each a conditional request answered 304.

Targets: first crawl <= 3x baseline; unchanged re-crawl <= 0.25x first crawl.
Each side runs in its own process (the Twisted reactor cannot restart), so process start-up is
counted everywhere. Every round uses a new archive; the printed ratios are medians of the rounds' ratios
(wall time is the target; CPU time, less sensitive to a busy machine, is shown beside it).
"""

from __future__ import annotations

import argparse
import os
import re
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def common_settings(concurrency: int) -> list[str]:
    """Scrapy settings given to both sides."""
    return [f"CONCURRENT_REQUESTS_PER_DOMAIN={concurrency}", f"CONCURRENT_REQUESTS={concurrency}",
            "DOWNLOAD_DELAY=0", "AUTOTHROTTLE_ENABLED=False", "ROBOTSTXT_OBEY=True",
            "HTTPCACHE_ENABLED=False", "LOG_LEVEL=WARNING"]


def run_baseline(urls: list[str], settings: list[str]) -> None:
    """Entry point of the baseline subprocess: a bare spider over the same links."""
    # Each process loads only what its side runs: start-up time is part of the measurement.
    import scrapy  # noqa: PLC0415 — baseline side only, see above
    from scrapy.crawler import CrawlerProcess  # noqa: PLC0415 — baseline side only

    class FollowSpider(scrapy.Spider):
        name = "baseline"
        start_urls = urls

        def parse(self, response):  # list page
            for href in response.css("ul.list li a::attr(href)").getall():
                yield response.follow(href, self.parse_article)
            nxt = response.xpath('//div[@class="page-static"]/a[text()="下一页"]/@href').get()
            if nxt:
                yield response.follow(nxt, self.parse)

        def parse_article(self, response):
            # gov-archive fetches the files too (benchmarks/bench_attachments.py: with vs without)
            for href in re.findall(r'href="(\./P0[^"]+)"', response.text):
                yield response.follow(href, self.parse_file)

        def parse_file(self, response):
            return None

    values = dict(s.split("=", 1) for s in settings)
    process = CrawlerProcess(settings={"TELNETCONSOLE_ENABLED": False, **values})
    process.crawl(FollowSpider)
    process.start()


def timed(label: str, cmd: list[str], server) -> tuple[float, float]:
    """Run `cmd`; print and return its wall time and CPU time (user + sys of the process)."""
    before = len(server.requests)
    cpu_before = _children_cpu()
    started = time.perf_counter()
    env = {**os.environ, "PYTHONIOENCODING": "utf-8"}
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env, check=False)
    seconds = time.perf_counter() - started
    cpu = _children_cpu() - cpu_before
    requests = len(server.requests) - before
    if proc.returncode != 0:
        sys.stderr.write(proc.stdout[-2000:] + proc.stderr[-4000:])
        raise SystemExit(f"{label} failed with exit status {proc.returncode}")
    print(f"  {label:<32} {seconds:7.2f} s wall {cpu:7.2f} s CPU {requests:6d} requests")
    return seconds, cpu


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--articles", type=int, default=2000)
    parser.add_argument("--list-pages", type=int, default=100)
    parser.add_argument("--concurrency", type=int, default=8,
                        help="CONCURRENT_REQUESTS(_PER_DOMAIN) on both sides")
    parser.add_argument("--rounds", type=int, default=3,
                        help="measure this many times; ratios use the medians")
    parser.add_argument("--crawl-setting", action="append", default=[], metavar="NAME=VALUE",
                        help="extra -s for the gov-archive side only (experiments); repeatable")
    args = parser.parse_args()

    # Not at the top: the timed baseline process runs this file too and must not load gov-archive.
    from crawler.demo.server import DemoServer  # noqa: PLC0415 — parent process only, see above
    from crawler.demo.site import generate_site  # noqa: PLC0415 — parent process only

    half, pages = args.articles // 2, args.list_pages // 2
    page_size = max(1, -(-half // pages))
    site = generate_site(notices=half, policies=args.articles - half, notice_page_size=page_size,
                         policy_page_size=page_size)
    settings = common_settings(args.concurrency)
    workdir = Path(tempfile.mkdtemp(prefix="bench-crawl-"))
    rounds: list[dict[str, tuple[float, float]]] = []
    with DemoServer(site) as server:
        urls = [server.url(p) for p in site.column_paths()]
        print(f"site: {len(site.articles())} articles, {len(site.list_paths())} list pages, "
              f"served at {server.base_url}; archives in {workdir}")
        print(f"settings (both sides): {' '.join(settings)}")
        if args.crawl_setting:
            print(f"gov-archive only: {' '.join(args.crawl_setting)}")
        for n in range(1, args.rounds + 1):
            print(f"round {n}:")
            db = workdir / f"round{n}.db"
            crawl = [sys.executable, "-m", "crawler", "crawl", "--db", str(db)]
            for url in urls:
                crawl += ["--url", url]
            for setting in settings + args.crawl_setting:
                crawl += ["-s", setting]
            rounds.append({
                "base": timed("baseline (bare Scrapy)", [
                    sys.executable, __file__, "_baseline", *settings, "--", *urls], server),
                "first": timed("gov-archive first crawl", crawl, server),
                "again": timed("gov-archive unchanged re-crawl", crawl, server),
            })
        _age_checks(db, hours=25)
        timed("unchanged re-crawl, a day later", crawl, server)
        _print_archive_summary(db)
    _print_ratios(rounds)


def _print_ratios(rounds: list[dict[str, tuple[float, float]]]) -> None:
    """Median over rounds of each round's ratio (robust to load that drifts between rounds)."""
    verdict = {True: "ok", False: "MISSED"}
    for title, num, den, target in (("first crawl / baseline", "first", "base", 3.0),
                                    ("re-crawl / first crawl", "again", "first", 0.25)):
        wall = statistics.median(r[num][0] / r[den][0] for r in rounds)
        cpu = statistics.median(r[num][1] / r[den][1] for r in rounds)
        print(f"{title:<24} = {wall:5.2f}x wall (target <= {target}x: "
              f"{verdict[wall <= target]}); {cpu:5.2f}x CPU")


def _age_checks(db: Path, *, hours: float) -> None:
    """Move every document's last check `hours` back, as if that much time had passed."""
    import sqlite3  # noqa: PLC0415 — parent process only (see main)
    from datetime import UTC, datetime, timedelta  # noqa: PLC0415 — parent process only

    then = (datetime.now(UTC) - timedelta(hours=hours)).isoformat()
    with sqlite3.connect(db) as conn:
        conn.execute("UPDATE documents SET last_checked = ?", (then,))


def _print_archive_summary(db: Path) -> None:
    from archive import Archive  # noqa: PLC0415 — parent process only (see main)

    with Archive(db, create=False) as archive:
        crawls = archive.crawls()
    for crawl in reversed(crawls):
        stats = crawl.get("stats") or {}
        keys = ("archive/new", "archive/changed", "archive/unchanged", "archive/not_modified",
                "crawl/revisits", "downloader/request_count")
        print(f"  crawl {crawl['id']}: " + ", ".join(f"{k}={stats.get(k, 0)}" for k in keys))


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "_baseline":
        rest = sys.argv[2:]
        split = rest.index("--")
        run_baseline(rest[split + 1:], rest[:split])
    else:
        main()
