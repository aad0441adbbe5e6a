"""Attachment benchmark (run by hand): reading text per MB and type, crawl cost, archive growth.

    python benchmarks/bench_attachments.py [--sizes 1,10,50] [--articles 600] [--rounds 3]
                                           [--skip read,crawl,growth]

1. read: files of about 1, 10 and 50 MB for each type gov-archive reads (PDF, DOCX, XLSX, XLS,
   DOC), filled with Chinese text, read whole (no character cap) by ``crawler.extract.files.read``
   in a fresh process each (seconds per MB, characters per second, peak memory above an idle
   process). Where installed,
   the libraries not chosen are timed on the same files and checked for the same text:
   pdfminer.six for PDF, python-docx for DOCX.
2. crawl: the demo generator's site (its notices and policies carry PDF, DOCX and XLSX
   attachments) crawled with ``ATTACHMENTS_ENABLED`` on and off, politeness off, same process
   start-up on both sides; median of the rounds' ratios (wall and CPU).
3. growth: bytes the archive file grows by per MB of attachments saved (blobs, text, index),
   with realistic files: text PDFs, DOCX and XLSX of 50 KB to 2 MB.

Needs the test extra (xlwt, for .xls) and tests/helpers_files.py (for .doc).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))
MB = 1024 * 1024
KINDS = ("pdf", "docx", "xlsx", "xls", "doc")


# --- files of a given size ------------------------------------------------------------------------


def chinese_lines(n: int, seed: int = 1) -> list[str]:
    """Lines of 60 characters drawn at random from the demo's Chinese sentences: it compresses
    about as well as real prose (whole repeated sentences would deflate 50x and flatter the zip
    formats)."""
    from crawler.demo import text  # noqa: PLC0415 — parent process only

    rng = random.Random(seed)
    pool = "".join(text.SENTENCES)
    return ["".join(rng.choices(pool, k=60)) for _ in range(n)]


def make_file(kind: str, size_mb: float) -> bytes:
    """A file of about `size_mb` MB of Chinese text (grown until it is big enough)."""
    lines = 200
    while True:
        data = _file(kind, chinese_lines(lines))
        if len(data) >= size_mb * MB or (kind == "xls" and lines >= 65_000):
            return data
        lines = int(lines * max(1.2, min(8.0, size_mb * MB / max(len(data), 1) * 1.05)))


def _file(kind: str, lines: list[str]) -> bytes:
    from helpers_files import doc, xls  # noqa: PLC0415 — tests helper, needs xlwt

    from crawler.demo import files  # noqa: PLC0415 — parent process only

    if kind == "pdf":
        return files.pdf(lines)
    if kind == "docx":
        return files.docx(lines)
    if kind == "xlsx":
        return _shared_strings_xlsx([[str(i), line[:30], line[30:]] for i, line in enumerate(lines)])
    if kind == "xls":
        return xls([[i, line[:30], line[30:]] for i, line in enumerate(lines[:65_000])])
    return doc("\n".join(lines))


def _shared_strings_xlsx(rows: list[list[str]]) -> bytes:
    """An XLSX as Excel writes it (shared strings), with openpyxl when installed."""
    try:
        import openpyxl  # noqa: PLC0415 — optional: a more realistic file than inline strings
    except ImportError:
        from crawler.demo import files  # noqa: PLC0415 — parent process only
        return files.xlsx(rows)
    import io  # noqa: PLC0415 — parent process only
    book = openpyxl.Workbook(write_only=True)
    sheet = book.create_sheet("名单")
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


# --- 1. reading -----------------------------------------------------------------------------------


READERS = {
    "gov-archive": "crawler.extract.files",
    "pdfminer.six": "pdfminer.high_level",
    "python-docx": "docx",
    "openpyxl": "openpyxl",
}


def read_in_child(path: Path, reader: str) -> dict[str, float | str | None]:
    """Entry of a child process: import, then time one reading; print JSON."""
    __import__(READERS[reader])
    data = path.read_bytes()
    before = _memory("VmRSS")
    started = time.perf_counter()
    text, error = _read_with(reader, data, path)
    seconds = time.perf_counter() - started
    peak = _memory("VmHWM")
    return {"seconds": seconds, "chars": len(text), "peak_mb": peak, "growth_mb": peak - before,
            "error": error, "head": text[:200]}


def _memory(field: str) -> float:
    """MB from /proc/self/status (VmHWM: the peak resident size of this process image)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    return 0.0


def _read_with(reader: str, data: bytes, path: Path) -> tuple[str, str | None]:
    import io  # noqa: PLC0415 — child process

    if reader == "gov-archive":
        from crawler.extract.files import Limits, read  # noqa: PLC0415 — child process
        # the whole file, as the peers read it (the crawl's defaults stop at 5M characters, 60 s)
        whole = Limits(max_chars=10**10, max_pages=10**7, max_cells=10**10, seconds=10**6)
        found = read(data, url=path.name, limits=whole)
        return found.text, found.error
    if reader == "pdfminer.six":
        from pdfminer.high_level import extract_text  # noqa: PLC0415 — optional peer
        return extract_text(io.BytesIO(data)), None
    if reader == "openpyxl":
        import openpyxl  # noqa: PLC0415 — optional peer
        book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        lines = [ws.title + "\n" + "\n".join("\t".join("" if v is None else str(v) for v in row)
                                             for row in ws.iter_rows(values_only=True))
                 for ws in book.worksheets]
        return "\n".join(lines), None
    import docx  # noqa: PLC0415 — optional peer (python-docx)
    document = docx.Document(io.BytesIO(data))
    return "\n".join(p.text for p in document.paragraphs), None


def available(reader: str) -> bool:
    proc = subprocess.run([sys.executable, "-c", f"import {READERS[reader]}"], capture_output=True,
                          check=False)
    return proc.returncode == 0


def bench_read(sizes: list[float], workdir: Path) -> None:
    print("\n== 1. text per MB and type (a fresh process per file; memory: peak RSS growth while reading)")
    peers = {"pdf": "pdfminer.six", "docx": "python-docx", "xlsx": "openpyxl"}
    print(f"{'type':<5} {'file MB':>8} {'reader':<13} {'s/MB':>7} {'chars/s':>10} {'peak MB':>8} "
          f"{'+MB':>6}  text")
    for kind in KINDS:
        # .xls holds at most 65,536 rows; the test helper's OLE2 writer has no DIFAT (~7 MB)
        cap = {"xls": 10.0, "doc": 5.0}.get(kind, max(sizes))
        for size in dict.fromkeys(min(s, cap) for s in sizes):
            data = make_file(kind, size)
            path = workdir / f"sample-{size:g}mb.{kind}"
            path.write_bytes(data)
            ours = _child(path, "gov-archive")
            _print_read(kind, len(data), "gov-archive", ours, "")
            peer = peers.get(kind)
            if peer and size <= 10 and available(peer):
                theirs = _child(path, peer)
                same = _same_text(ours["head"], theirs["head"])
                _print_read(kind, len(data), peer, theirs, "same text" if same else "TEXT DIFFERS")


def _same_text(a: object, b: object) -> bool:
    def squash(s: object) -> str:
        return "".join(str(s).split())[:100]
    return squash(a) == squash(b)


def _child(path: Path, reader: str) -> dict[str, float | str | None]:
    proc = subprocess.run([sys.executable, __file__, "_read", str(path), reader],
                          capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        return {"seconds": float("nan"), "chars": 0, "peak_mb": 0, "growth_mb": 0,
                "error": proc.stderr.strip().splitlines()[-1][:80], "head": ""}
    return json.loads(proc.stdout)


def _print_read(kind: str, size: int, reader: str, r: dict, note: str) -> None:
    mb = size / MB
    per_mb = float(r["seconds"]) / mb
    rate = float(r["chars"]) / float(r["seconds"]) if r["seconds"] else 0
    error = f"  ({r['error']})" if r.get("error") else ""
    print(f"{kind:<5} {mb:8.1f} {reader:<13} {per_mb:7.3f} {rate:10,.0f} {float(r['peak_mb']):8.0f} "
          f"{float(r['growth_mb']):6.0f}  {int(r['chars']):,} chars {note}{error}")


# --- 2. crawl cost -----------------------------------------------------------------------------------


def bench_crawl(articles: int, rounds: int, workdir: Path) -> list[Path]:
    from crawler.demo.server import DemoServer  # noqa: PLC0415 — parent process only
    from crawler.demo.site import generate_site  # noqa: PLC0415 — parent process only

    print(f"\n== 2. crawl with and without attachments ({articles} articles, politeness off)")
    site = generate_site(notices=articles // 2, policies=articles - articles // 2,
                         notice_page_size=20, policy_page_size=20)
    files = sum(len(a.attachments) for a in site.articles())
    ratios_wall, ratios_cpu, dbs = [], [], []
    with DemoServer(site) as server:
        urls = [server.url(p) for p in site.column_paths()]
        print(f"site: {len(site.articles())} articles with {files} attachment files")
        for n in range(1, rounds + 1):
            results = {}
            for enabled in (False, True):
                db = workdir / f"crawl-{n}-{'with' if enabled else 'without'}.db"
                results[enabled] = _timed_crawl(db, urls, enabled)
                dbs.append(db)
            (w0, c0), (w1, c1) = results[False], results[True]
            ratios_wall.append(w1 / w0)
            ratios_cpu.append(c1 / c0)
            print(f"  round {n}: without {w0:6.2f} s wall {c0:6.2f} s CPU | with {w1:6.2f} s wall "
                  f"{c1:6.2f} s CPU | ratio {w1 / w0:4.2f}x wall {c1 / c0:4.2f}x CPU")
    print(f"with / without attachments = {statistics.median(ratios_wall):.2f}x wall, "
          f"{statistics.median(ratios_cpu):.2f}x CPU (median of {rounds} rounds)")
    _print_crawl_stats(dbs[-1])
    return dbs


def _timed_crawl(db: Path, urls: list[str], attachments: bool) -> tuple[float, float]:
    cmd = [sys.executable, "-m", "crawler", "crawl", "--db", str(db)]
    for url in urls:
        cmd += ["--url", url]
    for setting in ("DOWNLOAD_DELAY=0", "AUTOTHROTTLE_ENABLED=False", "CONCURRENT_REQUESTS=8",
                    "CONCURRENT_REQUESTS_PER_DOMAIN=8", f"ATTACHMENTS_ENABLED={attachments}"):
        cmd += ["-s", setting]
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False,
                          env={**os.environ, "PYTHONIOENCODING": "utf-8"})
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if proc.returncode != 0:
        raise SystemExit(f"crawl failed: {proc.stderr[-2000:]}")
    return wall, (after.ru_utime + after.ru_stime) - (usage.ru_utime + usage.ru_stime)


def _print_crawl_stats(db: Path) -> None:
    from archive import Archive  # noqa: PLC0415 — parent process only

    with Archive(db) as archive:
        stats = archive.crawls(limit=1)[0]["stats"]
    keys = ("downloader/request_count", "attachments/fetched", "attachments/bytes", "archive/new")
    print("  last crawl with attachments: " + ", ".join(f"{k}={stats.get(k, 0)}" for k in keys))


# --- 3. archive growth ---------------------------------------------------------------------------


def bench_growth(workdir: Path, documents: int = 120) -> None:
    from archive import Archive, AttachmentFile  # noqa: PLC0415 — parent process only
    from crawler.extract.files import read  # noqa: PLC0415 — parent process only

    print(f"\n== 3. archive growth per attachment MB ({documents} documents, one file each)")
    plain, with_files = workdir / "growth-plain.db", workdir / "growth-files.db"
    rng = random.Random(7)
    kinds = [("pdf", 0.5), ("pdf", 2.0), ("docx", 0.2), ("xlsx", 0.3), ("pdf", 0.05)]
    samples = {(k, s): make_file(k, s) for k, s in kinds}
    texts = {key: read(data, kind=key[0]) for key, data in samples.items()}
    total = 0
    for path, keep in ((plain, False), (with_files, True)):
        with Archive(path, create=True) as archive:
            for i in range(documents):
                key = kinds[i % len(kinds)]
                body = samples[key] + rng.randbytes(64)  # every file distinct (no sharing)
                url = f"http://www.example.gov.cn/files/{i}.{key[0]}"
                record = {"url": f"http://www.example.gov.cn/art/{i}.html", "title": f"通知{i}",
                          "published": "2026-11-01", "body": "正文。" * 300,
                          "attachments": [{"url": url, "text": f"附件{i}"}]}
                files = [AttachmentFile(url, body=body, status=200, content_type=texts[key].content_type,
                                        text=texts[key].text)] if keep else None
                total += len(body) if keep else 0
                archive.save("example", record, crawl_id=None, files=files)
        subprocess.run(["sqlite3", str(path), "PRAGMA wal_checkpoint(TRUNCATE)"], check=False,
                       capture_output=True)
    grown = os.path.getsize(with_files) - os.path.getsize(plain)
    text_chars = sum(len(texts[kinds[i % len(kinds)]].text) for i in range(documents))
    print(f"attachments saved: {total / MB:.1f} MB ({text_chars:,} characters of text)")
    print(f"archive grew by {grown / MB:.1f} MB = {grown / total:.2f} MB per attachment MB")
    _print_table_sizes(with_files)


def _print_table_sizes(path: Path) -> None:
    import sqlite3  # noqa: PLC0415 — parent process only

    conn = sqlite3.connect(path)
    try:
        rows = conn.execute("SELECT name, sum(pgsize) FROM dbstat GROUP BY name ORDER BY 2 DESC LIMIT 6")
        print("  largest tables: " + ", ".join(f"{n} {s / MB:.1f} MB" for n, s in rows))
    except sqlite3.OperationalError:
        pass  # no dbstat in this SQLite build
    finally:
        conn.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default="1,10,50", help="file sizes in MB for part 1")
    parser.add_argument("--articles", type=int, default=600)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--skip", default="", help="comma-separated parts to skip: read,crawl,growth")
    args = parser.parse_args()
    skip = set(filter(None, args.skip.split(",")))
    workdir = Path(tempfile.mkdtemp(prefix="bench-attachments-"))
    print(f"work folder: {workdir}")
    if "read" not in skip:
        bench_read([float(s) for s in args.sizes.split(",")], workdir)
    if "crawl" not in skip:
        bench_crawl(args.articles, args.rounds, workdir)
    if "growth" not in skip:
        bench_growth(workdir)


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "_read":
        print(json.dumps(read_in_child(Path(sys.argv[2]), sys.argv[3]), ensure_ascii=False))
    else:
        main()
