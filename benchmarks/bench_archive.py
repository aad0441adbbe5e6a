"""Archive benchmark: ingest, re-ingest, search latency, sizes, raw capture storage.

Run by hand (not in CI):

    python benchmarks/bench_archive.py            # 100,000 announcements
    python benchmarks/bench_archive.py --n 10000  # quicker

Every figure is printed next to a baseline measured in the same run: a bare ``sqlite3``
``executemany`` of the same rows into one table plus a trigram FTS5 index over title and body.
"""

from __future__ import annotations

import argparse
import glob
import json
import os
import random
import re
import sqlite3
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from archive import Archive, Capture  # noqa: E402

SHARED = Path("/work/shared")
CJK = re.compile(r"[\u4e00-\u9fff]+")
T0 = datetime(2026, 11, 1, tzinfo=UTC)

TARGETS = {
    "first_ingest_vs_baseline": 2.0,
    "reingest_speedup": 3.0,
    "search_p95_ms": 100.0,
    "size_vs_baseline": 1.5,
    "captures_vs_raw": 0.3,
}


# -- synthetic data ----------------------------------------------------------------------------

def load_sentences() -> list[str]:
    texts = [Path(p).read_text("utf-8") for p in sorted(glob.glob(str(SHARED / "examples/*.txt")))]
    for p in sorted(glob.glob(str(SHARED / "corpus/truth/*.json"))):
        texts.append(json.loads(Path(p).read_text("utf-8"))["body"])
    sentences = []
    for text in texts:
        for s in re.split(r"(?<=[。！？；])", text):
            s = s.strip()
            if len(CJK.findall(s)) and 8 <= len(s) <= 200:
                sentences.append(s)
    return sentences


PLACES = ["临沂", "德清", "太原", "杭州", "成都", "济南", "兰州", "南宁", "长沙", "昆明", "西宁", "银川"]
TOPICS = ["法治政府建设", "固定资产投资", "行政处罚信息", "政府采购项目", "安全生产检查", "义务教育招生",
          "医疗保障基金", "农村道路建设", "营商环境优化", "生态环境保护", "住房公积金", "防汛抗旱工作"]
KINDS = ["通知", "公告", "通告", "报告", "意见", "决定", "批复", "公示"]


def make_records(n: int, seed: int = 7) -> list[dict]:
    rng = random.Random(seed)
    sentences = load_sentences()
    records = []
    for i in range(n):
        place, topic, kind = rng.choice(PLACES), rng.choice(TOPICS), rng.choice(KINDS)
        paragraphs, length = [], 0
        while length < 1000:  # ~1,000 CJK characters = ~3 KB of UTF-8
            para = "".join(rng.choice(sentences) for _ in range(rng.randint(2, 5)))
            para = para.replace("临沂", place, 1)
            paragraphs.append(para)
            length += len(para)
        day = T0 - timedelta(days=rng.randint(0, 3000))
        paragraphs.append(f"{place}市人民政府办公室\n{day:%Y年%m月%d日}（编号{i}）")
        records.append({
            "url": f"http://www.site{i % 20}.gov.cn/art/{day:%Y/%m/%d}/art_{i}.html",
            "title": f"{place}市关于{topic}的{kind}（第{i}号）",
            "published": f"{day:%Y-%m-%d}",
            "body": "\n".join(paragraphs),
            "metadata": {"issuer": f"{place}市人民政府办公室", "doc_no": f"政办发〔{day:%Y}〕{i}号",
                         "topic": topic},
            "attachments": [] if i % 3 else [{"url": f"http://www.site{i % 20}.gov.cn/f/{i}.pdf",
                                               "text": "附件1"}],
        })
    return records


def site_of(i: int) -> str:
    return f"site{i % 20}"


def make_queries(records: list[dict], length: int, count: int, rng: random.Random) -> list[str]:
    queries: list[str] = []
    while len(queries) < count:
        runs = [r for r in CJK.findall(rng.choice(records)["body"]) if len(r) >= length]
        if runs:
            run = rng.choice(runs)
            start = rng.randrange(len(run) - length + 1)
            queries.append(run[start:start + length])
    return queries


# -- realistic raw pages -----------------------------------------------------------------------

def page_shells() -> list[tuple[str, str]]:
    """(prefix, suffix) around the article text of real gov pages from the shared corpus."""
    shells = []
    for html_path in sorted(glob.glob(str(SHARED / "corpus/pages/*.html"))):
        html = Path(html_path).read_text("utf-8", errors="replace")
        truth = json.loads(Path(html_path.replace("pages", "truth").replace(".html", ".json")).read_text())
        anchor = truth["body"].strip()[:6]
        at = html.rfind(anchor)
        if at < 0:
            continue
        prefix, suffix = html[:at], html[at:]
        shells.append((prefix[-44_000:], suffix[-22_000:]))
    return shells


PAGE_TARGET = 60_000  # bytes: typical size of a Chinese gov article page


def site_sidebar(shell: tuple[str, str], titles: list[str], seed: int) -> str:
    """A site-wide sidebar (latest news, links) shared by every page of a site, padding the
    page to about PAGE_TARGET bytes like the real sidebars and link farms of gov pages."""
    rng = random.Random(seed)
    room = PAGE_TARGET - len("".join(shell).encode()) - 8_000
    items, size = [], 0
    while size < room:
        item = (f'<li><a href="/col/col{rng.randint(1, 999)}/art_{rng.randint(1, 10**6)}.html" '
                f'target="_blank" title="{rng.choice(titles)}">{rng.choice(titles)}</a></li>\n')
        items.append(item)
        size += len(item.encode())
    return '<div class="sidebar"><ul>' + "".join(items) + "</ul></div>\n"


def make_page(record: dict, shell: tuple[str, str], rng: random.Random, titles: list[str],
              sidebar: str = "") -> bytes:
    prefix, suffix = shell
    prefix += sidebar
    related = "".join(f'<li><a href="/art/{rng.randint(1, 10**6)}.html">{rng.choice(titles)}</a>'
                      f"<span>{record['published']}</span></li>\n" for _ in range(12))
    body = "".join(f"<p style=\"text-indent:2em\">{p}</p>\n" for p in record["body"].split("\n"))
    token = f'<input type="hidden" name="csrf" value="{rng.getrandbits(128):032x}">访问量：{rng.randint(1, 99999)}'
    page = f"{prefix}<h1>{record['title']}</h1>\n{token}\n{body}<ul class=\"related\">{related}</ul>{suffix}"
    return page.encode("utf-8")


# -- measurements -------------------------------------------------------------------------------

class Clock:
    """Wall-clock and CPU seconds of a block (CPU time is less sensitive to other load)."""

    def __enter__(self) -> Clock:
        self.wall, self.cpu = time.perf_counter(), time.process_time()
        return self

    def __exit__(self, *exc: object) -> None:
        self.wall = time.perf_counter() - self.wall
        self.cpu = time.process_time() - self.cpu


def baseline_ingest(path: str, records: list[dict]) -> Clock:
    for suffix in ("", "-wal", "-shm"):
        if os.path.exists(path + suffix):
            os.remove(path + suffix)
    with Clock() as clock:
        _baseline_ingest(path, records)
    return clock


def _baseline_ingest(path: str, records: list[dict]) -> None:
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA journal_mode = wal")
    conn.execute("CREATE TABLE docs (id INTEGER PRIMARY KEY, site TEXT, url TEXT, title TEXT, "
                 "published TEXT, metadata TEXT, attachments TEXT, body TEXT)")
    conn.execute("CREATE VIRTUAL TABLE docs_fts USING fts5(title, body, content='docs', "
                 "content_rowid='id', tokenize='trigram')")
    conn.executemany(
        "INSERT INTO docs (site, url, title, published, metadata, attachments, body) VALUES (?,?,?,?,?,?,?)",
        [(site_of(i), r["url"], r["title"], r["published"], json.dumps(r["metadata"], ensure_ascii=False),
          json.dumps(r["attachments"], ensure_ascii=False), r["body"]) for i, r in enumerate(records)],
    )
    conn.execute("INSERT INTO docs_fts (docs_fts) VALUES ('rebuild')")
    conn.commit()
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()


def archive_ingest(archive: Archive, records: list[dict], crawl: int, minute: int) -> tuple[Clock, dict]:
    now = T0 + timedelta(minutes=minute)
    outcomes: dict[str, int] = {}
    with Clock() as clock:
        for i, rec in enumerate(records):
            outcome = archive.save(site_of(i), rec, crawl_id=crawl, now=now).outcome
            outcomes[outcome] = outcomes.get(outcome, 0) + 1
        archive.index_pending()  # the last partial batch belongs to this ingest
    return clock, outcomes


def latencies(fn, queries: list[str]) -> tuple[float, float, float]:
    times = []
    hits = 0
    for q in queries:
        started = time.perf_counter()
        hits += len(fn(q))
        times.append((time.perf_counter() - started) * 1000)
    times.sort()
    p95 = times[min(len(times) - 1, round(0.95 * (len(times) - 1)))]
    return statistics.median(times), p95, hits / len(queries)


def baseline_search(conn: sqlite3.Connection):
    def run(q: str) -> list:
        if len(q) >= 3:
            return conn.execute(
                "SELECT d.id, d.title FROM docs_fts f JOIN docs d ON d.id = f.rowid "
                "WHERE docs_fts MATCH ? ORDER BY bm25(docs_fts, 5.0, 1.0) LIMIT 20",
                ('"' + q + '"',)).fetchall()
        return conn.execute("SELECT id, title FROM docs WHERE title LIKE ? OR body LIKE ? LIMIT 20",
                            (f"%{q}%", f"%{q}%")).fetchall()
    return run


def file_size(path: str) -> int:
    return sum(os.path.getsize(p) for p in (path, path + "-wal") if os.path.exists(p))


def checkpoint(path: str) -> None:
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()


def row(name: str, value: str, baseline: str, ratio: str, target: str) -> None:
    print(f"{name:<34} {value:>14} {baseline:>14} {ratio:>10}  {target}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=100_000, help="announcements to ingest")
    parser.add_argument("--pages", type=int, default=2_000, help="raw ~60 KB pages for the capture test")
    parser.add_argument("--queries", type=int, default=40, help="queries per length")
    parser.add_argument("--dir", default=None, help="work directory (default: a temporary one)")
    args = parser.parse_args()
    work = args.dir or tempfile.mkdtemp(prefix="bench_archive_")
    os.makedirs(work, exist_ok=True)
    base_path, arch_path, cap_path = (os.path.join(work, n) for n in ("baseline.db", "archive.db", "captures.db"))
    for p in (base_path, arch_path, cap_path):
        for suffix in ("", "-wal", "-shm"):
            if os.path.exists(p + suffix):
                os.remove(p + suffix)

    print(f"generating {args.n:,} announcements ...", flush=True)
    records = make_records(args.n)
    raw_text = sum(len(r["title"].encode()) + len(r["body"].encode()) for r in records)
    print(f"  raw title+body text: {raw_text / 1e6:.1f} MB, mean body {raw_text / args.n / 1e3:.1f} KB\n")

    # The baseline runs before and after the archive's first ingest and the two are averaged,
    # so that load from other processes drifting during the run affects both sides alike.
    base1 = baseline_ingest(base_path, records)
    print(f"baseline ingest (1): {base1.wall:.1f} s wall, {base1.cpu:.1f} s CPU", flush=True)
    archive = Archive(arch_path, create=True)
    crawl = archive.start_crawl("bench")
    clock1, outcomes1 = archive_ingest(archive, records, crawl, 1)
    print(f"first ingest: {clock1.wall:.1f} s wall, {clock1.cpu:.1f} s CPU {outcomes1}", flush=True)
    base2 = baseline_ingest(base_path + ".2", records)
    print(f"baseline ingest (2): {base2.wall:.1f} s wall, {base2.cpu:.1f} s CPU", flush=True)
    for suffix in ("", "-wal", "-shm"):
        if os.path.exists(base_path + ".2" + suffix):
            os.remove(base_path + ".2" + suffix)
    base_time, base_cpu = (base1.wall + base2.wall) / 2, (base1.cpu + base2.cpu) / 2
    first, first_cpu = clock1.wall, clock1.cpu
    clock2, outcomes2 = archive_ingest(archive, records, crawl, 2)
    again = clock2.wall
    print(f"unchanged re-ingest: {again:.1f} s wall, {clock2.cpu:.1f} s CPU {outcomes2}", flush=True)
    rng = random.Random(11)
    changed = [dict(r) for r in records]
    for i in rng.sample(range(args.n), max(1, args.n // 100)):
        changed[i]["body"] = changed[i]["body"] + "\n（本文已于近日更正。）"
    clock3, outcomes3 = archive_ingest(archive, changed, crawl, 3)
    third = clock3.wall
    print(f"1% changed re-ingest: {third:.1f} s wall {outcomes3}\n", flush=True)

    base_conn = sqlite3.connect(base_path)
    search_rows = []
    for length in (2, 4, 8):
        queries = make_queries(records, length, args.queries, random.Random(length))
        archive.search(queries[0])  # warm the page cache like a real session would
        a50, a95, ahits = latencies(lambda q: archive.search(q), queries)
        b50, b95, bhits = latencies(baseline_search(base_conn), queries)
        search_rows.append((length, a50, a95, ahits, b50, b95, bhits))
    base_conn.close()
    archive.close()

    checkpoint(arch_path)
    arch_size, base_size = file_size(arch_path), file_size(base_path)

    cap_raw, cap_stored, cap_time = capture_test(cap_path, records, args.pages)

    print(f"{'figure':<34} {'gov-archive':>14} {'baseline':>14} {'ratio':>10}  target")
    row("first ingest (s wall)", f"{first:.1f}", f"{base_time:.1f}", f"{first / base_time:.2f}x",
        f"<= {TARGETS['first_ingest_vs_baseline']}x baseline")
    row("first ingest (s CPU)", f"{first_cpu:.1f}", f"{base_cpu:.1f}", f"{first_cpu / base_cpu:.2f}x",
        f"<= {TARGETS['first_ingest_vs_baseline']}x baseline")
    row("unchanged re-ingest (s)", f"{again:.1f}", f"{first:.1f} (1st)", f"{first / again:.1f}x faster",
        f">= {TARGETS['reingest_speedup']}x faster than first")
    row("1% changed re-ingest (s)", f"{third:.1f}", f"{first:.1f} (1st)", f"{first / third:.1f}x faster", "")
    for length, a50, a95, ahits, b50, b95, bhits in search_rows:
        row(f"search {length} chars p50 / p95 (ms)", f"{a50:.1f} / {a95:.1f}", f"{b50:.1f} / {b95:.1f}",
            f"{a95 / max(b95, 0.01):.2f}x", f"p95 <= {TARGETS['search_p95_ms']:.0f} ms")
        row("  mean hits returned (limit 20)", f"{ahits:.1f}", f"{bhits:.1f}", "", "")
    row("database size (MB)", f"{arch_size / 1e6:.1f}", f"{base_size / 1e6:.1f}", f"{arch_size / base_size:.2f}x",
        f"<= {TARGETS['size_vs_baseline']}x baseline")
    row("database size vs raw text", f"{arch_size / raw_text:.2f}x", f"{base_size / raw_text:.2f}x", "", "")
    row(f"raw captures, {args.pages} pages (MB)", f"{cap_stored / 1e6:.1f}", f"{cap_raw / 1e6:.1f} raw",
        f"{cap_stored / cap_raw:.3f}x", f"<= {TARGETS['captures_vs_raw']}x raw bytes")
    row("  capture save rate (pages/s)", f"{args.pages / cap_time:.0f}", "", "", "")
    print(f"\nwork dir: {work}")


def capture_test(path: str, records: list[dict], pages: int) -> tuple[int, int, float]:
    rng = random.Random(5)
    shells = page_shells()
    titles = [r["title"] for r in records[:2000]]
    sample = records[:pages]
    raw = 0
    sidebars = [site_sidebar(shell, titles, seed) for seed, shell in enumerate(shells)]
    with Archive(path, create=True) as archive:
        started = time.perf_counter()
        for i, rec in enumerate(sample):
            k = i % len(shells)
            page = make_page(rec, shells[k], rng, titles, sidebars[k])
            raw += len(page)
            archive.save(site_of(i), rec, crawl_id=None,
                         capture=Capture(page, headers={"content-type": "text/html; charset=utf-8"}))
        elapsed = time.perf_counter() - started
        stats = archive.stats()
    assert stats["capture_raw_bytes"] == raw
    print(f"captures: {pages} pages, mean {raw / pages / 1e3:.1f} KB raw\n", flush=True)
    return raw, stats["capture_stored_bytes"], elapsed


if __name__ == "__main__":
    main()
