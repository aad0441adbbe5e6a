"""Extraction accuracy and speed: gov-archive vs trafilatura vs GNE on the real-page corpus.

Scores every page of ``<corpus>/pages/NNN.html`` that has ``<corpus>/truth/NNN.json``
(pages whose truth says ``"skip": true`` are left out), running the three extractors side by
side in the same process:

- **title**: exact match after Unicode NFKC and removing all whitespace; any ``alt_titles``
  form in the truth counts.
- **date**: the ``YYYY-MM-DD`` day equals the truth's ``published`` (a truth of ``null`` is
  matched only by no date).
- **body**: F1 of character bigrams (multiset) after NFKC and removing all whitespace.
- **time**: per page, the median of ``--repeat`` timed calls (after one untimed call whose
  result is the one scored), same machine, same run, the tools interleaved call by call so
  that load from other processes falls on all of them alike. The summary gives the median
  over pages and the ratio of gov-archive's time to trafilatura's (target <= 0.5).

The URL given to each extractor is the manifest's ``url_if_known``; where the manifest has
none, the truth's ``url`` (which the truth author took from the page itself).

Inputs: gov-archive gets the raw bytes (``crawler.extract.extract(raw, url)``), trafilatura
gets the raw bytes (it decodes them itself: ``bare_extraction(raw, url=..., with_metadata=True)``),
GNE gets text (it accepts only ``str``; the bytes are decoded as UTF-8, else GB18030, inside
the timed call). trafilatura's text renders tables as Markdown (``| a | b |`` rows and
``|---|`` rules); the rules are dropped and the pipes turned into tabs before scoring, so table
syntax is not counted against it (its table *content* is scored as is). Peer dates are read
only in a leading ``Y-M-D`` / ``Y/M/D`` / ``Y.M.D`` / ``Y年M月D日`` form; anything else counts
as no date.

Peers are benchmark-only dependencies (NOT runtime dependencies of gov-archive)::

    pip install trafilatura gne lxml_html_clean

``lxml_html_clean`` is needed because lxml >= 5.2 split ``lxml.html.clean`` into that
separate package, and trafilatura (through justext) imports it; without it ``import
trafilatura`` fails with "lxml.html.clean module is now a separate project". A tool that is not
installed (or fails to import) is reported and left out; the run still exits 0.

Usage::

    python benchmarks/extraction_accuracy.py [--corpus DIR] [--repeat N] [--json] [--misses]

Default corpus: ``$GOV_ARCHIVE_CORPUS``, else ``../shared/corpus`` next to the repository
this script lives in.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import gc
import json
import os
import platform
import re
import statistics
import sys
import time
import unicodedata
from collections import Counter
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
OURS, TRAF, GNE = "gov-archive", "trafilatura", "GNE"
TOOL_ORDER = (OURS, TRAF, GNE)
TIME_TARGET = 0.5

# Peer dates: a leading Y-M-D form only (no fuzzy parsing on the peers' behalf).
_LEADING_DATE = re.compile(r"^\s*(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})(?!\d)")
_WS = re.compile(r"\s+")


# --------------------------------------------------------------------------- scoring

def norm_text(s: str | None) -> str:
    """NFKC, then every whitespace character removed."""
    return _WS.sub("", unicodedata.normalize("NFKC", s or ""))


def title_ok(got: str | None, truth: dict[str, Any]) -> bool:
    want = [truth.get("title") or "", *(truth.get("alt_titles") or [])]
    g = norm_text(got)
    return bool(g) and any(g == norm_text(w) for w in want)


def day_of(value: str | None) -> str | None:
    """``YYYY-MM-DD`` from a leading Y-M-D form, else None."""
    if not value:
        return None
    m = _LEADING_DATE.match(str(value))
    if not m:
        return None
    try:
        return dt.date(int(m[1]), int(m[2]), int(m[3])).isoformat()
    except ValueError:
        return None


def bigram_f1(got: str | None, want: str | None) -> float:
    g, w = norm_text(got), norm_text(want)
    gb = Counter(g[i:i + 2] for i in range(len(g) - 1))
    wb = Counter(w[i:i + 2] for i in range(len(w) - 1))
    if not gb and not wb:  # nothing (or one character) on both sides
        return 1.0 if g == w else 0.0
    overlap = sum((gb & wb).values())
    if not overlap:
        return 0.0
    p, r = overlap / sum(gb.values()), overlap / sum(wb.values())
    return 2 * p * r / (p + r)


# --------------------------------------------------------------------------- corpus

@dataclass
class Page:
    id: str
    path: Path
    url: str
    raw: bytes
    truth: dict[str, Any]


def default_corpus() -> Path:
    env = os.environ.get("GOV_ARCHIVE_CORPUS")
    if env:
        return Path(env)
    # The repo may be a clone anywhere; shared/ sits beside it.
    for base in (REPO, *REPO.parents):
        cand = base.parent / "shared" / "corpus"
        if (cand / "truth").is_dir():
            return cand
    return REPO.parent / "shared" / "corpus"


def manifest_urls(corpus: Path) -> dict[str, str]:
    path = corpus / "manifest.tsv"
    if not path.exists():
        return {}
    with path.open(encoding="utf-8", newline="") as fh:
        return {row["id"]: (row.get("url_if_known") or "").strip()
                for row in csv.DictReader(fh, delimiter="\t") if row.get("id")}


def load_pages(corpus: Path) -> tuple[list[Page], list[str]]:
    urls = manifest_urls(corpus)
    pages, skipped = [], []
    for tpath in sorted((corpus / "truth").glob("*.json")):
        pid = tpath.stem
        truth = json.loads(tpath.read_text(encoding="utf-8"))
        hpath = corpus / "pages" / f"{pid}.html"
        if truth.get("skip") or not hpath.exists():
            skipped.append(pid)
            continue
        url = urls.get(pid) or truth.get("url") or ""
        pages.append(Page(pid, hpath, url, hpath.read_bytes(), truth))
    return pages, skipped


# --------------------------------------------------------------------------- tools

@dataclass
class Output:
    title: str | None = None
    published: str | None = None
    body: str | None = None
    note: str = ""


Runner = Callable[[bytes, str], Output]


def decode_for_gne(raw: bytes) -> str:
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return raw.decode("gb18030", errors="replace")


def load_ours() -> tuple[Runner | None, str]:
    sys.path.insert(0, str(REPO))  # benchmark this work tree, not an installed copy
    try:
        from crawler.extract import extract  # noqa: PLC0415 — after the sys.path line; may be missing
    except ModuleNotFoundError as exc:
        if exc.name and (exc.name == "crawler" or exc.name.startswith("crawler.extract")):
            return None, "gov-archive extractor not available yet (crawler.extract is missing)"
        return None, f"gov-archive extractor failed to import: {exc!r}"
    except Exception as exc:  # noqa: BLE001 - a broken import must not stop the peers' run
        return None, f"gov-archive extractor failed to import: {exc!r}"

    def run(raw: bytes, url: str) -> Output:
        ex = extract(raw, url)
        cls = getattr(ex, "page_class", "article")
        return Output(ex.title, ex.published, ex.body, "" if cls == "article" else f"class={cls}")
    return run, "crawler.extract (this work tree)"


_MD_RULE = re.compile(r"\|(?:\s*:?-+:?\s*\|)+")
_MD_CELL_SEP = re.compile(r"(?<!\\)\|")


def md_tables_to_tabs(text: str) -> str:
    """trafilatura's text output renders tables as Markdown; give cells tabs like the truth."""
    lines = []
    for line in text.split("\n"):
        s = line.strip()
        if _MD_RULE.fullmatch(s):
            continue
        if len(s) > 1 and s.startswith("|") and s.endswith("|"):
            line = "\t".join(c.strip().replace("\\|", "|") for c in _MD_CELL_SEP.split(s[1:-1]))
        lines.append(line)
    return "\n".join(lines)


def load_trafilatura() -> tuple[Runner | None, str]:
    try:
        import trafilatura  # noqa: PLC0415 — optional peer, reported as NOT SCORED if missing
    except Exception as exc:  # noqa: BLE001
        return None, (f"trafilatura not available ({exc.__class__.__name__}: {exc}); "
                      "install with: pip install trafilatura lxml_html_clean")

    def run(raw: bytes, url: str) -> Output:
        doc = trafilatura.bare_extraction(raw, url=url or None, with_metadata=True)
        if doc is None:
            return Output(note="no result")
        get = doc.get if isinstance(doc, dict) else lambda k: getattr(doc, k, None)
        return Output(get("title"), get("date"), md_tables_to_tabs(get("text") or ""))
    return run, f"trafilatura {getattr(trafilatura, '__version__', '?')}"


def load_gne() -> tuple[Runner | None, str]:
    try:
        import gne  # noqa: PLC0415 — optional peer, reported as NOT SCORED if missing
        from gne import GeneralNewsExtractor  # noqa: PLC0415 — optional peer
    except Exception as exc:  # noqa: BLE001
        return None, (f"GNE not available ({exc.__class__.__name__}: {exc}); "
                      "install with: pip install gne")
    extractor = GeneralNewsExtractor()

    def run(raw: bytes, url: str) -> Output:
        res = extractor.extract(decode_for_gne(raw))
        return Output(res.get("title"), res.get("publish_time"), res.get("content"))
    return run, f"gne {getattr(gne, '__version__', '?')}"


def load_tools() -> tuple[dict[str, Runner], dict[str, str]]:
    runners, info = {}, {}
    for name, loader in ((OURS, load_ours), (TRAF, load_trafilatura), (GNE, load_gne)):
        run, msg = loader()
        info[name] = msg
        if run is not None:
            runners[name] = run
    return runners, info


# --------------------------------------------------------------------------- measuring

@dataclass
class Result:
    page: str
    tool: str
    title: str | None
    title_ok: bool
    date: str | None
    date_raw: str | None
    date_ok: bool
    body_f1: float
    body_chars: int
    ms: float
    note: str = ""
    times_ms: list[float] = field(default_factory=list)


def call(run: Runner, raw: bytes, url: str) -> tuple[Output, float]:
    t0 = time.perf_counter()
    try:
        out = run(raw, url)
    except Exception as exc:  # noqa: BLE001 - a crash scores as an empty result
        out = Output(note=f"error: {exc.__class__.__name__}: {exc}"[:120])
    return out, (time.perf_counter() - t0) * 1000


def measure(page: Page, runners: dict[str, Runner], repeat: int) -> list[Result]:
    """Score each tool's first output; time `repeat` rounds, the tools interleaved in each round
    so that a burst of load on the machine falls on all of them alike."""
    outs = {tool: call(run, page.raw, page.url)[0] for tool, run in runners.items()}
    times: dict[str, list[float]] = {tool: [] for tool in runners}
    gc.collect()
    gc.disable()
    try:
        for _ in range(repeat):
            for tool, run in runners.items():
                times[tool].append(call(run, page.raw, page.url)[1])
    finally:
        gc.enable()
    return [score(page, tool, outs[tool], times[tool]) for tool in runners]


def score(page: Page, tool: str, out: Output, times: list[float]) -> Result:
    day = day_of(out.published)
    truth = page.truth
    return Result(
        page=page.id, tool=tool, title=out.title, title_ok=title_ok(out.title, truth),
        date=day, date_raw=None if out.published is None else str(out.published),
        date_ok=day == day_of(truth.get("published")),
        body_f1=bigram_f1(out.body, truth.get("body")), body_chars=len(norm_text(out.body)),
        ms=statistics.median(times), note=out.note, times_ms=[round(t, 3) for t in times])


def summarize(results: list[Result], tools: list[str]) -> dict[str, dict[str, float]]:
    summary = {}
    for tool in tools:
        rs = [r for r in results if r.tool == tool]
        n = len(rs) or 1
        summary[tool] = {
            "pages": len(rs),
            "title_pct": 100 * sum(r.title_ok for r in rs) / n,
            "date_pct": 100 * sum(r.date_ok for r in rs) / n,
            "body_f1_mean": sum(r.body_f1 for r in rs) / n,
            "ms_median": statistics.median([r.ms for r in rs]) if rs else 0.0,
            "ms_total": sum(r.ms for r in rs),
        }
    return summary


def time_ratio(summary: dict[str, dict[str, float]]) -> dict[str, float] | None:
    if OURS not in summary or TRAF not in summary:
        return None
    o, t = summary[OURS], summary[TRAF]
    return {"median": o["ms_median"] / t["ms_median"] if t["ms_median"] else float("nan"),
            "total": o["ms_total"] / t["ms_total"] if t["ms_total"] else float("nan"),
            "target": TIME_TARGET}


# --------------------------------------------------------------------------- printing

def clip(s: str | None, n: int) -> str:
    s = _WS.sub(" ", s or "").strip()
    return s if len(s) <= n else s[: n - 1] + "…"


def print_table(headers: list[str], rows: list[list[str]], right: set[int] = frozenset()) -> None:
    widths = [max(_width(h), *(_width(r[i]) for r in rows)) if rows else _width(h)
              for i, h in enumerate(headers)]
    def fmt(cells: list[str]) -> str:
        return "  ".join(_pad(c, w, i in right) for i, (c, w) in enumerate(zip(cells, widths, strict=True)))
    print(fmt(headers))
    print("  ".join("-" * w for w in widths))
    for r in rows:
        print(fmt(r).rstrip())


def _width(s: str) -> int:
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in s)


def _pad(s: str, w: int, right: bool) -> str:
    fill = " " * (w - _width(s))
    return fill + s if right else s + fill


def print_pages(pages: list[Page], results: list[Result], tools: list[str]) -> None:
    by = {(r.page, r.tool): r for r in results}
    rows = []
    for p in pages:
        want = day_of(p.truth.get("published")) or "null"
        for i, tool in enumerate(tools):
            r = by[(p.id, tool)]
            date = "ok" if r.date_ok else f"MISS {r.date or 'none'} (want {want})"
            rows.append([p.id if i == 0 else "", tool, "ok" if r.title_ok else "MISS", date,
                         f"{r.body_f1:.3f}", f"{r.ms:.1f}", clip(r.note, 40)])
    print_table(["page", "tool", "title", "date", "body F1", "ms", "note"], rows, right={4, 5})


def print_summary(summary: dict[str, dict[str, float]]) -> None:
    rows = [[tool, f"{s['title_pct']:.1f}", f"{s['date_pct']:.1f}", f"{s['body_f1_mean']:.3f}",
             f"{s['ms_median']:.1f}", f"{s['ms_total']:.1f}"] for tool, s in summary.items()]
    print_table(["tool", "title %", "date %", "mean body F1", "median ms/page", "total ms"],
                rows, right={1, 2, 3, 4, 5})


def ratio_line(ratio: dict[str, float] | None) -> str:
    if ratio is None:
        return "time ratio gov-archive/trafilatura: n/a (needs both tools)"
    verdict = "meets" if ratio["median"] <= TIME_TARGET else "MISSES"
    return (f"time ratio gov-archive/trafilatura: {ratio['median']:.2f} on median ms/page "
            f"({ratio['total']:.2f} on total time); target <= {TIME_TARGET} -> {verdict}")


def markdown(summary: dict[str, dict[str, float]], ratio: dict[str, float] | None,
             n_pages: int, repeat: int, info: dict[str, str]) -> str:
    lines = [(f"Corpus: {n_pages} real government pages with hand-made truth; "
              f"time = median of {repeat} runs per page, same machine, same run."), "",
             "| extractor | title exact | date exact (day) | mean body F1 | median ms/page |",
             "|---|---:|---:|---:|---:|"]
    for tool, s in summary.items():
        name = f"**{tool}**" if tool == OURS else info.get(tool, tool)
        lines.append(f"| {name} | {s['title_pct']:.1f} % | {s['date_pct']:.1f} % | "
                     f"{s['body_f1_mean']:.3f} | {s['ms_median']:.1f} |")
    if ratio is not None:
        lines += ["", (f"gov-archive / trafilatura time per page: **{ratio['median']:.2f}** "
                       f"(median; {ratio['total']:.2f} on total time; target <= {TIME_TARGET}).")]
    return "\n".join(lines)


def print_misses(pages: list[Page], results: list[Result]) -> None:
    truth = {p.id: p.truth for p in pages}
    print("\nMisses (title / date / body F1 < 0.95):")
    for r in results:
        t = truth[r.page]
        bits = []
        if not r.title_ok:
            bits.append(f"  title got {r.title!r}\n        want {t.get('title')!r}")
        if not r.date_ok:
            bits.append(f"  date  got {r.date_raw!r} want {t.get('published')!r}")
        if r.body_f1 < 0.95:
            bits.append(f"  body  F1 {r.body_f1:.3f}: {r.body_chars} chars vs "
                        f"{len(norm_text(t.get('body')))} in truth")
        if bits:
            print(f"{r.page} {r.tool}" + (f" [{r.note}]" if r.note else ""))
            print("\n".join(bits))


# --------------------------------------------------------------------------- main

def parse_args(argv: list[str] | None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--corpus", type=Path, default=None,
                    help="corpus directory (default: ../shared/corpus beside the repo)")
    ap.add_argument("--repeat", type=int, default=5, help="timed runs per page and tool (default 5)")
    ap.add_argument("--json", action="store_true", help="print machine-readable results only")
    ap.add_argument("--misses", action="store_true", help="also print what each tool got wrong")
    args = ap.parse_args(argv)
    if args.repeat < 1:
        ap.error("--repeat must be >= 1")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    corpus = (args.corpus or default_corpus()).resolve()
    if not (corpus / "truth").is_dir() or not (corpus / "pages").is_dir():
        print(f"Error: no corpus at {corpus} (expected pages/ and truth/); use --corpus DIR",
              file=sys.stderr)
        return 2
    pages, skipped = load_pages(corpus)
    runners, info = load_tools()
    tools = [t for t in TOOL_ORDER if t in runners]
    missing = {t: info[t] for t in TOOL_ORDER if t not in runners}

    ordered = {t: runners[t] for t in tools}
    results = [r for p in pages for r in measure(p, ordered, args.repeat)]
    summary = summarize(results, tools)
    ratio = time_ratio(summary)

    if args.json:
        json.dump({"corpus": str(corpus), "repeat": args.repeat, "pages": [p.id for p in pages],
                   "skipped": skipped, "tools": {t: info[t] for t in tools},
                   "unavailable": missing, "python": platform.python_version(),
                   "summary": summary, "time_ratio": ratio,
                   "results": [asdict(r) for r in results]},
                  sys.stdout, ensure_ascii=False, indent=2)
        print()
        return 0

    print(f"corpus {corpus}: {len(pages)} pages" + (f" (skipped: {', '.join(skipped)})" if skipped else ""))
    for t in tools:
        print(f"  {t}: {info[t]}")
    for t, msg in missing.items():
        print(f"  {t}: NOT SCORED - {msg}")
    if not tools or not pages:
        print("nothing to score")
        return 0
    print(f"\nPer page (time = median of {args.repeat} runs):")
    print_pages(pages, results, tools)
    print("\nSummary:")
    print_summary(summary)
    print("\n" + ratio_line(ratio))
    print("\nMarkdown for the README:\n")
    print(markdown(summary, ratio, len(pages), args.repeat, info))
    if args.misses:
        print_misses(pages, results)
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except BrokenPipeError:  # e.g. piped into `head`
        sys.stderr.close()
        sys.exit(0)
