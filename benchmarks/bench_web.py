"""Web interface benchmark: p50/p95 per route of `gov-archive serve` on a 100,000-document archive.

Run by hand (not in CI):

    python benchmarks/bench_web.py              # 100,000 documents (built once, ~3 min)
    python benchmarks/bench_web.py --n 10000    # quicker
    python benchmarks/bench_web.py --rebuild    # build the archive again

The archive is built through ``Archive.save`` like a crawl would (20 sites, one crawl each,
then a re-crawl that edits 1%, withdraws 0.5% and restores 0.1%, plus health events) and
cached as ``benchmarks/out/web-N.db``. Requests go through Datasette's in-process client
(the whole ASGI app: routing, a fresh read-only archive per request, templates), one at a
time, after a warm-up. Target: p95 under 150 ms for ``/``, ``/search`` and ``/documents/{id}``.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import statistics
import sys
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from urllib.parse import quote

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from bench_archive import CJK, T0, make_queries, make_records, site_of  # noqa: E402

from archive import Archive  # noqa: E402
from crawler.web import WebConfig, create_datasette  # noqa: E402

OUT = ROOT / "benchmarks" / "out"
TARGET_P95_MS = 150.0
SITES = 20


# -- the archive ---------------------------------------------------------------------------------


def build(path: Path, n: int) -> None:
    """Ingest ``n`` documents, then a re-crawl with edits, withdrawals and restorations."""
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    records = [_with_site_meta(i, r) for i, r in enumerate(make_records(n))]
    started = time.perf_counter()
    with Archive(path, create=True) as archive:
        crawls = {site_of(i): archive.start_crawl(site_of(i), now=T0) for i in range(SITES)}
        for i, record in enumerate(records):
            archive.save(site_of(i), record, crawl_id=crawls[site_of(i)],
                         now=T0 + timedelta(seconds=i))
        for crawl in crawls.values():
            archive.finish_crawl(crawl, "finished", {"archive/new": n // SITES},
                                 now=T0 + timedelta(seconds=n))
        print(f"  first crawl: {time.perf_counter() - started:.0f} s", flush=True)
        recrawl(archive, records, n)
    print(f"  built {path} in {time.perf_counter() - started:.0f} s", flush=True)


def recrawl(archive: Archive, records: list[dict], n: int) -> None:
    rng = random.Random(3)
    later = T0 + timedelta(days=1)
    crawls = {site_of(i): archive.start_crawl(site_of(i), now=later) for i in range(SITES)}
    for k, i in enumerate(sorted(rng.sample(range(n), n // 100))):
        body = records[i]["body"].replace("。", "；", 1) + "\n（本文已更正。）"
        archive.save(site_of(i), dict(records[i], body=body), crawl_id=crawls[site_of(i)],
                     now=later + timedelta(seconds=k))
    gone = sorted(rng.sample(range(n), n // 200))
    for k, i in enumerate(gone):
        archive.mark_gone(site_of(i), records[i]["url"], crawl_id=crawls[site_of(i)],
                          now=later + timedelta(hours=1, seconds=k))
    for k, i in enumerate(gone[: n // 1000]):
        archive.save(site_of(i), records[i], crawl_id=crawls[site_of(i)],
                     now=later + timedelta(hours=2, seconds=k))
    for k, site in enumerate(crawls):
        outcome = "blocked" if k == 3 else "finished"
        archive.finish_crawl(crawls[site], outcome, {"archive/changed": n // 100 // SITES},
                             now=later + timedelta(hours=3))
        if k in (3, 7):
            issue = (("blocked", "anti-bot pages on most requests") if k == 3
                     else ("extraction", "titles missing on 80% of pages"))
            archive.record_site_outcome(site, {}, health=[(*issue, crawls[site])],
                                        now=later + timedelta(hours=3))
    archive.set_site_state(site_of(3), failures=2, last_outcome="blocked")


def _with_site_meta(i: int, record: dict) -> dict:
    place = record["title"][:2]
    metadata = dict(record["metadata"], site_name=f"{place}市人民政府门户网站",
                    column_name=("通知公告", "政策文件", "政务动态")[i % 3])
    return dict(record, metadata=metadata)


def cached_archive(n: int, rebuild: bool) -> Path:
    OUT.mkdir(parents=True, exist_ok=True)
    path = OUT / f"web-{n}.db"
    if rebuild or not _complete(path, n):
        print(f"building a {n:,}-document archive ...", flush=True)
        build(path, n)
    return path


def _complete(path: Path, n: int) -> bool:
    if not path.exists():
        return False
    with Archive(path, read_only=True) as archive:
        return archive.stats()["documents"] == n


# -- requests ------------------------------------------------------------------------------------


def request_sets(path: Path, n: int, count: int) -> dict[str, list[str]]:
    """URLs per route (and per search word length), ``count`` each, drawn with fixed seeds."""
    rng = random.Random(5)
    records = make_records(min(n, 2000))
    with Archive(path, read_only=True) as archive:
        changed = [e["document_id"] for e in archive.recent_events(kinds=["changed"], limit=500)]
        newest = archive.recent_events(limit=1)[0]["id"]
    sites = [site_of(i) for i in range(SITES)]
    homes = ["/", "/?kind=gone", "/?kind=changed", f"/?site={sites[1]}",
             f"/?site={sites[2]}&kind=new", f"/?before={max(2, newest - n // 20)}"]
    sets = {
        "/": [homes[k % len(homes)] for k in range(count)],
        "/documents/{id}": [f"/documents/{rng.randint(1, n)}" for _ in range(count)],
        "/documents/{id}/diff": [f"/documents/{rng.choice(changed)}/diff" for _ in range(count)],
        "/sites/{name}": [f"/sites/{rng.choice(sites)}" for _ in range(count)],
        "/feed.atom": [("/feed.atom", f"/feed.atom?site={rng.choice(sites)}",
                        "/feed.atom?kind=new")[k % 3] for k in range(count)],
    }
    for length in (1, 2, 4, 8):
        words = one_characters(records, count, rng) if length == 1 else \
            make_queries(records, length, count, random.Random(length))
        urls = [f"/search?q={quote(w)}" for w in words]
        for k in range(0, count, 4):  # every fourth search also filters
            urls[k] += f"&site={rng.choice(sites)}&from=2020-01-01"
        sets[f"/search ({length} char{'s' if length > 1 else ''})"] = urls
    return sets


def one_characters(records: list[dict], count: int, rng: random.Random) -> list[str]:
    chars = [c for r in records for run in CJK.findall(r["title"]) for c in run]
    return [rng.choice(chars) for _ in range(count)]


async def measure(datasette, urls: list[str]) -> list[float]:
    times = []
    for url in urls:
        started = time.perf_counter()
        response = await datasette.client.get(url)
        times.append((time.perf_counter() - started) * 1000)
        if response.status_code != 200:
            raise SystemExit(f"{url} answered {response.status_code}")
    return times


def percentile(times: list[float], p: float) -> float:
    ordered = sorted(times)
    return ordered[min(len(ordered) - 1, round(p * (len(ordered) - 1)))]


async def run(path: Path, sets: dict[str, list[str]],
              report: Callable[[str, list[float]], None]) -> None:
    datasette = create_datasette(WebConfig(str(path)))
    for urls in sets.values():  # warm-up: page cache, templates, first-request start-up
        await measure(datasette, urls[:3])
    for route, urls in sets.items():
        report(route, await measure(datasette, urls))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=100_000, help="documents in the archive")
    parser.add_argument("--requests", type=int, default=100, help="requests per route")
    parser.add_argument("--rebuild", action="store_true", help="build the archive even if cached")
    args = parser.parse_args()
    path = cached_archive(args.n, args.rebuild)
    size = sum(os.path.getsize(p) for p in (path, f"{path}-wal") if os.path.exists(p))
    print(f"archive: {path} ({size / 1e6:.0f} MB, {args.n:,} documents)\n")
    print(f"{'route':<28} {'p50 ms':>8} {'p95 ms':>8} {'max ms':>8}  target")
    search_times: list[float] = []

    def report(route: str, times: list[float]) -> None:
        gated = route in ("/", "/documents/{id}") or route.startswith("/search")
        if route.startswith("/search"):
            search_times.extend(times)
        target = f"p95 <= {TARGET_P95_MS:.0f} ms" if gated else ""
        print(f"{route:<28} {statistics.median(times):>8.1f} {percentile(times, 0.95):>8.1f} "
              f"{max(times):>8.1f}  {target}", flush=True)

    asyncio.run(run(path, request_sets(path, args.n, args.requests), report))
    print(f"{'/search (all)':<28} {statistics.median(search_times):>8.1f} "
          f"{percentile(search_times, 0.95):>8.1f} {max(search_times):>8.1f}  "
          f"p95 <= {TARGET_P95_MS:.0f} ms")


if __name__ == "__main__":
    main()
