"""Hostile-page benchmark (run by hand): peak memory of a crawl of gzip bombs and oversized pages.

    python benchmarks/bench_hostile.py [--bombs 4] [--inflated-mb 1024] [--big-mb 40]
                                       [--maxsize BYTES]

Serves on 127.0.0.1 a column linking `--bombs` gzip bombs (about 1 MB each, inflating to
`--inflated-mb` MB of zeros), one page of `--big-mb` MB, and four ordinary articles; runs
`gov-archive crawl --url` on it in a subprocess (politeness off, 8 requests at once) and prints
one line: the crawl's peak resident memory (resource usage of the subprocess, not a guess), what
it refused and what it archived. `--maxsize 1073741824` reproduces Scrapy's default
DOWNLOAD_MAXSIZE (1 GiB), i.e. the behaviour before issue 10: mind the memory (4 bombs of
1 GiB took 11 GB).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
import zlib
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from crawler.demo.server import LocalServer  # noqa: E402 — after the path set-up above

ARTICLE = ("<html><head><meta charset='utf-8'><title>关于第{n}项工作的通知</title></head><body>"
           "<div class='article'><h1>关于第{n}项工作的通知</h1><div>发布日期：2024-01-05</div>"
           "<div class='TRS_Editor'><p>各区县人民政府：现将第{n}号通知的有关事项通知如下，请认真组织"
           "实施，确保各项工作落到实处。</p><p>示例市人民政府办公室</p></div></div></body></html>")


def gzip_bomb(inflated_mb: int) -> bytes:
    squeeze = zlib.compressobj(9, zlib.DEFLATED, 31)
    zeros = b"\0" * (1 << 20)
    return b"".join(squeeze.compress(zeros) for _ in range(inflated_mb)) + squeeze.flush()


def site(bombs: int, inflated_mb: int, big_mb: int) -> dict[str, tuple[dict[str, str], bytes]]:
    html = {"Content-Type": "text/html; charset=utf-8"}
    bomb = gzip_bomb(inflated_mb)
    pages: dict[str, tuple[dict[str, str], bytes]] = {}
    links = []
    for n in range(bombs):
        pages[f"/a/bomb{n}.html"] = ({**html, "Content-Encoding": "gzip"}, bomb)
        links.append(f"/a/bomb{n}.html")
    pages["/a/big.html"] = (html, ARTICLE.format(n=0).encode() + b" " * (big_mb << 20))
    links.append("/a/big.html")
    for n in range(1, 5):
        pages[f"/a/{n}.html"] = (html, ARTICLE.format(n=n).encode())
        links.append(f"/a/{n}.html")
    items = "".join(f"<li><a href='{href}'>关于第{i}项工作的通知</a><span>2024-01-05</span></li>"
                    for i, href in enumerate(links))
    pages["/list/index.html"] = (html, f"<html><body><ul>{items}</ul></body></html>".encode())
    pages["/robots.txt"] = ({"Content-Type": "text/plain"}, b"User-agent: *\nDisallow:\n")
    return pages


def serve(pages: dict[str, tuple[dict[str, str], bytes]]) -> LocalServer:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self) -> None:  # http.server API
            headers, body = pages.get(self.path, ({"Content-Type": "text/html"}, b"not found"))
            self.send_response(200 if self.path in pages else 404)
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            try:
                self.wfile.write(body)
            except (BrokenPipeError, ConnectionResetError):  # the crawler refused it mid-way
                self.close_connection = True

        def log_message(self, *args: Any) -> None:
            pass

    return LocalServer(Handler, name="hostile-bench").start()


def crawl(url: str, maxsize: int | None) -> tuple[float, float, dict[str, Any]]:
    """Peak RSS (MB), seconds and stats of one `gov-archive crawl --url` in a subprocess."""
    with tempfile.TemporaryDirectory() as tmp:
        argv = [sys.executable, "-m", "crawler", "crawl", "--db", f"{tmp}/a.db", "--url", url,
                "--json", "-s", "DOWNLOAD_DELAY=0", "-s", "AUTOTHROTTLE_ENABLED=0",
                "-s", "CONCURRENT_REQUESTS_PER_DOMAIN=8"]
        if maxsize is not None:
            argv += ["-s", f"DOWNLOAD_MAXSIZE={maxsize}"]
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        started = time.monotonic()
        done = subprocess.run(argv, capture_output=True, text=True, env=env, cwd=tmp, check=False)
        seconds = time.monotonic() - started
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    if not done.stdout.strip():
        raise SystemExit(f"the crawl printed no summary:\n{done.stderr[-3000:]}")
    return peak, seconds, json.loads(done.stdout)["sites"][0]["stats"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--bombs", type=int, default=4)
    parser.add_argument("--inflated-mb", type=int, default=1024)
    parser.add_argument("--big-mb", type=int, default=40)
    parser.add_argument("--maxsize", type=int, help="DOWNLOAD_MAXSIZE for the crawl (bytes)")
    args = parser.parse_args()
    server = serve(site(args.bombs, args.inflated_mb, args.big_mb))
    try:
        peak, seconds, stats = crawl(server.url("/list/index.html"), args.maxsize)
    finally:
        server.stop()
    print(f"hostile crawl ({args.bombs} gzip bombs of {args.inflated_mb} MB, one {args.big_mb} MB "
          f"page, 4 articles; DOWNLOAD_MAXSIZE {args.maxsize or 'default'}): "
          f"peak RSS {peak:.0f} MB, {seconds:.1f} s, "
          f"bombs refused {stats.get('download/decompression_refused', 0)}, "
          f"too large {stats.get('download/too_large', 0)}, new {stats.get('archive/new', 0)}")


if __name__ == "__main__":
    main()
