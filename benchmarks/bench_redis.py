"""Cluster benchmark (run by hand): crawl throughput with 1, 2 and 4 workers, and ingest rate.

    python benchmarks/bench_redis.py [--sites 8] [--list-pages 10] [--delay 0.5]
                                     [--concurrency 4] [--workers 1,2,4] [--ingest-pages 50]

Generated TRS-style sites (one column each, 20 articles per list page, ~6 KB articles) are
served on 127.0.0.1 by an asyncio server that answers every request after a fixed `--delay`
(keep-alive, any number of connections): the network, not this machine's cores, limits a
crawl, as in real crawling. Each worker runs one crawl at a time (``--max-parallel 1``) with
``--concurrency`` requests in flight, so one crawl makes at most concurrency / delay requests
per second. A real redis-server (AOF on) and the real processes run: ``gov-archive watch
--redis URL --once`` (the archive host) and N ``gov-archive worker``s.

1. Throughput: for N in `--workers`, from the host's start to its exit (every crawl offered,
   crawled, shipped, archived and closed), requests per second; target >= 0.8 x N times the
   one-worker rate.
2. Ingest: the host is stopped while 4 workers crawl `--sites` sites of `--ingest-pages` list
   pages with no delay; then the host is started on the backlog and timed from its first
   applied message to the last: the host's ingest rate in items per second.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

PER_PAGE = 20
PARAGRAPH = "现将有关事项通知如下。请各单位认真组织实施，确保各项工作落到实处，并于规定时间内报送工作进展情况。"


# ---------------------------------------------------------------- the delayed sites


def page(path: str, pages: int) -> tuple[int, bytes]:
    """/s{k}/index.html, index_{p}.html (list pages) and /s{k}/a/{n}.html (articles)."""
    parts = path.strip("/").split("/")
    if len(parts) == 2 and parts[1].startswith("index"):
        stem = parts[1].removesuffix(".html")
        p = int(stem.split("_")[1]) if "_" in stem else 0
        if p >= pages:
            return 404, b"not found"
        links = "".join(f'<li><a href="a/{p * PER_PAGE + i}.html">关于第{p * PER_PAGE + i}项工作的通知</a>'
                        f"<span>2024-01-{i + 1:02d}</span></li>" for i in range(PER_PAGE))
        pager = (f"<script>var currentPage = {p};var countPage = {pages};"
                 'createPageHTML(countPage, currentPage, "index", "html");</script>')
        return 200, (f'<html><head><meta charset="utf-8"><title>通知公告</title></head><body>'
                     f'<div class="list"><ul>{links}</ul></div><div class="page">{pager}</div>'
                     "</body></html>").encode()
    if len(parts) == 3 and parts[1] == "a":
        n = parts[2].removesuffix(".html")
        body = "".join(f"<p>第{n}号：{PARAGRAPH}</p>" for _ in range(30))
        return 200, (f'<html><head><meta charset="utf-8"><title>关于第{n}项工作的通知</title></head><body>'
                     f'<div class="article"><h1>关于第{n}项工作的通知</h1><div class="info">发布日期：2024-01-05'
                     f'</div><div class="TRS_Editor">{body}</div></div></body></html>').encode()
    return 404, b"not found"


def serve(port_file: str, delay: float, pages: int) -> None:
    """Entry point of the site server's process."""

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while line := await reader.readline():
                path = line.split()[1].decode()
                while (await reader.readline()) not in (b"\r\n", b""):
                    pass
                await asyncio.sleep(delay)
                status, body = page(path, pages)
                writer.write(b"HTTP/1.1 %d X\r\nContent-Type: text/html; charset=utf-8\r\n"
                             b"Content-Length: %d\r\n\r\n" % (status, len(body)) + body)
                await writer.drain()
        except (ConnectionError, IndexError):
            pass
        finally:
            writer.close()

    async def main() -> None:
        server = await asyncio.start_server(handle, "127.0.0.1", 0, backlog=1024)
        Path(port_file).write_text(str(server.sockets[0].getsockname()[1]))
        async with server:
            await server.serve_forever()

    asyncio.run(main())


class Sites:
    """The site server in its own process, with a given delay."""

    def __init__(self, folder: Path, delay: float, pages: int) -> None:
        port_file = folder / f"port-{delay}-{pages}"
        self.process = subprocess.Popen([sys.executable, __file__, "--serve", str(port_file), str(delay),
                                         str(pages)])
        while not port_file.exists() or not port_file.read_text():
            time.sleep(0.05)
        self.base = f"http://127.0.0.1:{port_file.read_text()}"

    def close(self) -> None:
        self.process.terminate()
        self.process.wait()


# ---------------------------------------------------------------- the cluster


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Redis:
    def __init__(self, folder: Path) -> None:
        import redis  # noqa: PLC0415 — the benchmark's own client

        self.port = free_port()
        self.process = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "yes", "--appendfsync", "everysec", "--dir", str(folder),
             "--logfile", str(folder / "redis.log")])
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.client = redis.Redis.from_url(self.url)
        for _ in range(200):
            try:
                self.client.ping()
                return
            except redis.ConnectionError:
                time.sleep(0.05)
        raise RuntimeError("redis-server did not start")

    def close(self) -> None:
        self.client.close()
        self.process.terminate()
        self.process.wait()


def gov(*args: str, log: Path) -> subprocess.Popen[bytes]:
    env = {k: v for k, v in os.environ.items() if k not in ("GOV_ARCHIVE_SITES", "GOV_ARCHIVE_REDIS")}
    env["PYTHONPATH"] = str(ROOT)
    with open(log, "ab") as out:
        return subprocess.Popen([sys.executable, "-m", "crawler", *args], env=env, stdout=out,
                                stderr=out, start_new_session=True)


def write_sites(folder: Path, base: str, sites: int, concurrency: int) -> None:
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    for k in range(sites):
        (folder / f"s{k}.toml").write_text(
            f'name = "s{k}"\nevery = "1d"\nmax_list_pages = 0\n[[columns]]\nurl = "{base}/s{k}/index.html"\n'
            f"[politeness]\nconcurrency = {concurrency}\nobey_robots = false\n", encoding="utf-8")


def worker_args(redis_url: str, name: str, concurrency: int) -> list[str]:
    return ["worker", "--redis", redis_url, "--name", name, "--max-parallel", "1",
            "-s", "DOWNLOAD_DELAY=0", "-s", "AUTOTHROTTLE_ENABLED=0",
            "-s", f"CONCURRENT_REQUESTS={concurrency}", "-s", f"CONCURRENT_REQUESTS_PER_DOMAIN={concurrency}"]


def stop(processes: list[subprocess.Popen[bytes]]) -> None:
    for process in processes:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
    for process in processes:
        process.wait()


def throughput(work: Path, redis: Redis, base: str, args: argparse.Namespace, workers: int) -> tuple[float, int]:
    """Seconds from the host's start to its exit, and the documents archived."""
    redis.client.flushall()
    db = work / f"throughput-{workers}.db"
    write_sites(work / "sites", base, args.sites, args.concurrency)
    procs = [gov(*worker_args(redis.url, f"w{i}", args.concurrency), log=work / f"w{i}.log")
             for i in range(workers)]
    started = time.monotonic()
    host = gov("watch", "--redis", redis.url, "--db", str(db), "--sites", str(work / "sites"), "--once",
               "--interval", "1s", log=work / "host.log")
    if host.wait() != 0:
        raise SystemExit(f"the host failed: see {work / 'host.log'}")
    elapsed = time.monotonic() - started
    stop(procs)
    from archive import Archive  # noqa: PLC0415 — after sys.path is set

    with Archive(db) as archive:
        return elapsed, archive.stats()["documents"]


def ingest_rate(work: Path, redis: Redis, base: str, args: argparse.Namespace) -> tuple[int, float]:
    """Items in a backlog and the host's items per second on it."""
    redis.client.flushall()
    db = work / "ingest.db"
    write_sites(work / "sites", base, args.sites, 8)
    host = gov("watch", "--redis", redis.url, "--db", str(db), "--sites", str(work / "sites"),
               "--interval", "1h", log=work / "host.log")
    while redis.client.xlen("ga:offers") < args.sites:
        time.sleep(0.1)
    stop([host])  # the offers stay; workers crawl while no host takes anything
    procs = [gov(*worker_args(redis.url, f"i{i}", 8), "-s", "CLUSTER_INGEST_MAX=1000000",
                 log=work / f"i{i}.log") for i in range(4)]
    while redis.client.xlen("ga:offers"):
        time.sleep(0.2)
    stop(procs)
    backlog = redis.client.xlen("ga:ingest")
    items = backlog - 2 * args.sites  # less each crawl's begin and end
    host = gov("watch", "--redis", redis.url, "--db", str(db), "--sites", str(work / "sites"), "--once",
               log=work / "host.log")
    while redis.client.xlen("ga:ingest") >= backlog:
        time.sleep(0.01)
    first = time.monotonic()
    while redis.client.xlen("ga:ingest"):
        time.sleep(0.01)
    rate = backlog / (time.monotonic() - first)
    host.wait()
    return items, rate


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sites", type=int, default=8)
    parser.add_argument("--list-pages", type=int, default=10)
    parser.add_argument("--delay", type=float, default=0.5)
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--workers", default="1,2,4")
    parser.add_argument("--ingest-pages", type=int, default=50)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="bench-redis-"))
    (work / "redis").mkdir()
    redis = Redis(work / "redis")
    delayed = Sites(work, args.delay, args.list_pages)
    requests = args.sites * (args.list_pages * (PER_PAGE + 1))
    print(f"{args.sites} sites x {args.list_pages} list pages x {PER_PAGE} articles = {requests} requests; "
          f"delay {args.delay}s, {args.concurrency} in flight per crawl (at most "
          f"{args.concurrency / args.delay:g} requests/s per crawl); work folder {work}", flush=True)
    try:
        rates: dict[int, float] = {}
        for n in [int(x) for x in args.workers.split(",")]:
            elapsed, documents = throughput(work, redis, delayed.base, args, n)
            rates[n] = requests / elapsed
            first = next(iter(rates.values()))
            print(f"| {n} | {elapsed:.1f} s | {rates[n]:.1f} | {rates[n] / first:.2f}x | {0.8 * n:.1f}x | "
                  f"{documents} |", flush=True)
        delayed.close()
        fast = Sites(work, 0.0, args.ingest_pages)
        items, rate = ingest_rate(work, redis, fast.base, args)
        fast.close()
        print(f"ingest: {items} items (+{2 * args.sites} begin/end messages) applied at {rate:.0f} messages/s",
              flush=True)
    finally:
        redis.close()


if __name__ == "__main__":
    if sys.argv[1:2] == ["--serve"]:
        serve(sys.argv[2], float(sys.argv[3]), int(sys.argv[4]))
    else:
        main()
