"""Extraction accuracy and speed: gov-archive vs trafilatura, htmldate and GNE.

Two page sets, each scored and reported on its own:

- the **shared corpus** (``<corpus>/pages/NNN.html`` with ``<corpus>/truth/NNN.json``; pages whose
  truth says ``"skip": true`` are left out): real pages with hand-made truth;
- the **synthetic families** (``tests/fixtures/extract/synthetic/NAME.html`` + ``NAME.json``, the
  extraction tests' layouts, articles only): one page per layout family, written for the rules,
  so read its numbers as "the family is handled", not as accuracy in the field.

Scores per page:

- **title**: exact match after Unicode NFKC and removing all whitespace; any ``alt_titles``
  form in the truth counts.
- **date**: the ``YYYY-MM-DD`` day of what the tool gives. *Coverage*: share of the pages whose
  truth has a date on which the tool gives one. *Precision*: share of the dates given that are
  the truth's day (a date given on a page whose truth is ``null`` is a wrong date: a wrong date is
  worse than none). *Exact*: the day is right, or both are none.
- **body**: character bigrams (multiset) after NFKC and removing all whitespace: precision
  (share of the tool's bigrams in the truth), recall (share of the truth's bigrams found) and F1.
  Pages whose truth has no full ``body`` are left out of the body means.
- **time**: per page, the median of ``--repeat`` timed calls (after one untimed call whose
  result is the one scored), same machine, same run, the tools interleaved call by call so
  that load from other processes falls on all of them alike. The summary gives the median
  over pages and the ratio of gov-archive's time to trafilatura's (target <= 0.5).

The URL given to each extractor is the manifest's ``url_if_known``; where the manifest has
none, the truth's ``url`` (which the truth author took from the page itself).

Inputs: gov-archive gets the raw bytes (``crawler.extract.extract(raw, url)``), trafilatura
gets the raw bytes (it decodes them itself: ``bare_extraction(raw, url=..., with_metadata=True)``),
htmldate and GNE get text (the bytes decoded as UTF-8, else GB18030, inside the timed call).
htmldate finds dates only (``find_date(text, url=..., original_date=True)``: the publication
date, not the last update; its other settings at their defaults). trafilatura's text renders
tables as Markdown (``| a | b |`` rows and ``|---|`` rules); the rules are dropped and the pipes
turned into tabs before scoring, so table syntax is not counted against it (its table *content*
is scored as is). Peer dates are read only in a leading ``Y-M-D`` / ``Y/M/D`` / ``Y.M.D`` /
``Y年M月D日`` form; anything else counts as no date.

Peers are benchmark-only dependencies (NOT runtime dependencies of gov-archive)::

    pip install trafilatura htmldate gne lxml_html_clean

``lxml_html_clean`` is needed because lxml >= 5.2 split ``lxml.html.clean`` into that
separate package, and trafilatura (through justext) imports it; without it ``import
trafilatura`` fails with "lxml.html.clean module is now a separate project". A tool that is not
installed (or fails to import) is reported as NOT SCORED with the command that installs it and
left out of the tables; the run still exits 0.

Usage::

    python benchmarks/extraction_accuracy.py [--corpus DIR] [--synthetic DIR | --no-synthetic]
                                             [--repeat N] [--json] [--misses]

Default corpus: ``$GOV_ARCHIVE_CORPUS``, else ``../shared/corpus`` next to the repository
this script lives in; default synthetic families: this repository's
``tests/fixtures/extract/synthetic``.
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
OURS, TRAF, HTMLDATE, GNE = "gov-archive", "trafilatura", "htmldate", "GNE"
TOOL_ORDER = (OURS, TRAF, HTMLDATE, GNE)
DATE_ONLY = frozenset((HTMLDATE,))
SYNTHETIC = REPO / "tests" / "fixtures" / "extract" / "synthetic"
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


def bigram_prf(got: str | None, want: str | None) -> tuple[float, float, float]:
    """(precision, recall, F1) of character bigrams."""
    g, w = norm_text(got), norm_text(want)
    gb = Counter(g[i:i + 2] for i in range(len(g) - 1))
    wb = Counter(w[i:i + 2] for i in range(len(w) - 1))
    if not gb and not wb:  # nothing (or one character) on both sides
        same = 1.0 if g == w else 0.0
        return same, same, same
    overlap = sum((gb & wb).values())
    if not overlap:
        return 0.0, 0.0, 0.0
    p, r = overlap / sum(gb.values()), overlap / sum(wb.values())
    return p, r, 2 * p * r / (p + r)


def bigram_f1(got: str | None, want: str | None) -> float:
    return bigram_prf(got, want)[2]


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


def load_synthetic(folder: Path) -> tuple[list[Page], list[str]]:
    """The extraction tests' synthetic layouts (NAME.html + NAME.json spec), articles only."""
    pages, skipped = [], []
    for spec_path in sorted(folder.glob("*.json")):
        spec = json.loads(spec_path.read_text(encoding="utf-8"))
        html = spec_path.with_suffix(".html")
        if spec.get("page_class", "article") != "article" or not html.exists():
            skipped.append(spec_path.stem)
            continue
        raw = html.read_text(encoding="utf-8").encode(spec.get("encode", "utf-8"))
        pages.append(Page(spec_path.stem, html, spec.get("url") or "", raw, spec))
    return pages, skipped


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


def decode_text(raw: bytes) -> str:
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
        res = extractor.extract(decode_text(raw))
        return Output(res.get("title"), res.get("publish_time"), res.get("content"))
    return run, f"gne {getattr(gne, '__version__', '?')}"


def load_htmldate() -> tuple[Runner | None, str]:
    try:
        import htmldate  # noqa: PLC0415 — optional peer, reported as NOT SCORED if missing
    except Exception as exc:  # noqa: BLE001
        return None, (f"htmldate not available ({exc.__class__.__name__}: {exc}); "
                      "install with: pip install htmldate")

    def run(raw: bytes, url: str) -> Output:
        return Output(published=htmldate.find_date(decode_text(raw), url=url or None, original_date=True))
    return run, f"htmldate {getattr(htmldate, '__version__', '?')} (dates only)"


def load_tools() -> tuple[dict[str, Runner], dict[str, str]]:
    runners, info = {}, {}
    for name, loader in ((OURS, load_ours), (TRAF, load_trafilatura), (HTMLDATE, load_htmldate), (GNE, load_gne)):
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
    date_ok: bool  # right, or rightly none
    date_given: bool
    date_right: bool  # given and right
    truth_dated: bool
    body_p: float | None  # None: the page's truth has no full body, or the tool gives none
    body_r: float | None
    body_f1: float | None
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
    want = day_of(truth.get("published"))
    has_body = isinstance(truth.get("body"), str) and tool not in DATE_ONLY
    p, r, f1 = bigram_prf(out.body, truth["body"]) if has_body else (None, None, None)
    return Result(
        page=page.id, tool=tool, title=out.title, title_ok=title_ok(out.title, truth),
        date=day, date_raw=None if out.published is None else str(out.published),
        date_ok=day == want, date_given=day is not None, date_right=day is not None and day == want,
        truth_dated=want is not None,
        body_p=p, body_r=r, body_f1=f1, body_chars=len(norm_text(out.body)),
        ms=statistics.median(times), note=out.note, times_ms=[round(t, 3) for t in times])


def _pct(part: int, whole: int) -> float | None:
    return 100 * part / whole if whole else None


def _mean(values: list[float | None]) -> float | None:
    known = [v for v in values if v is not None]
    return sum(known) / len(known) if known else None


def summarize(results: list[Result], tools: list[str]) -> dict[str, dict[str, float | None]]:
    summary = {}
    for tool in tools:
        rs = [r for r in results if r.tool == tool]
        given = sum(r.date_given for r in rs)
        summary[tool] = {
            "pages": len(rs),
            "title_pct": None if tool in DATE_ONLY else _pct(sum(r.title_ok for r in rs), len(rs)),
            "date_coverage_pct": _pct(sum(r.date_given for r in rs if r.truth_dated),
                                      sum(r.truth_dated for r in rs)),
            "date_precision_pct": _pct(sum(r.date_right for r in rs), given),
            "dates_given": given,
            "date_pct": _pct(sum(r.date_ok for r in rs), len(rs)),
            "body_p_mean": _mean([r.body_p for r in rs]),
            "body_r_mean": _mean([r.body_r for r in rs]),
            "body_f1_mean": _mean([r.body_f1 for r in rs]),
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


def _fmt(value: float | None, spec: str, suffix: str = "") -> str:
    return "n/a" if value is None else f"{value:{spec}}{suffix}"


def print_pages(pages: list[Page], results: list[Result], tools: list[str]) -> None:
    by = {(r.page, r.tool): r for r in results}
    rows = []
    for p in pages:
        want = day_of(p.truth.get("published")) or "null"
        for i, tool in enumerate(tools):
            r = by[(p.id, tool)]
            date = "ok" if r.date_ok else f"MISS {r.date or 'none'} (want {want})"
            title = "-" if tool in DATE_ONLY else "ok" if r.title_ok else "MISS"
            rows.append([p.id if i == 0 else "", tool, title, date, _fmt(r.body_f1, ".3f"),
                         f"{r.ms:.1f}", clip(r.note, 40)])
    print_table(["page", "tool", "title", "date", "body F1", "ms", "note"], rows, right={4, 5})


_COLUMNS = (("title %", "title_pct", ".1f"), ("date cov %", "date_coverage_pct", ".1f"),
            ("date prec %", "date_precision_pct", ".1f"), ("date exact %", "date_pct", ".1f"),
            ("body P", "body_p_mean", ".3f"), ("body R", "body_r_mean", ".3f"), ("body F1", "body_f1_mean", ".3f"),
            ("median ms", "ms_median", ".1f"))


def print_summary(summary: dict[str, dict[str, float | None]]) -> None:
    rows = [[tool, *(_fmt(s[k], spec) for _, k, spec in _COLUMNS)] for tool, s in summary.items()]
    print_table(["tool", *(name for name, _, _ in _COLUMNS)], rows, right=set(range(1, len(_COLUMNS) + 1)))


def ratio_line(ratio: dict[str, float] | None) -> str:
    if ratio is None:
        return "time ratio gov-archive/trafilatura: n/a (needs both tools)"
    verdict = "meets" if ratio["median"] <= TIME_TARGET else "MISSES"
    return (f"time ratio gov-archive/trafilatura: {ratio['median']:.2f} on median ms/page "
            f"({ratio['total']:.2f} on total time); target <= {TIME_TARGET} -> {verdict}")


def markdown(label: str, summary: dict[str, dict[str, float | None]], ratio: dict[str, float] | None,
             n_pages: int, repeat: int, info: dict[str, str]) -> str:
    ours = summary.get(OURS)
    lines = [f"{label}: {n_pages} pages; time = median of {repeat} runs per page, same machine, same run."
             + (f" Dates given by gov-archive: {ours['dates_given']}." if ours else ""), "",
             ("| extractor | title exact | date coverage | date precision | body P | body R | body F1 "
              "| median ms/page |"),
             "|---|---:|---:|---:|---:|---:|---:|---:|"]
    for tool, s in summary.items():
        name = f"**{tool}**" if tool == OURS else info.get(tool, tool)
        lines.append(f"| {name} | {_fmt(s['title_pct'], '.1f', ' %')} | {_fmt(s['date_coverage_pct'], '.1f', ' %')} | "
                     f"{_fmt(s['date_precision_pct'], '.1f', ' %')} | {_fmt(s['body_p_mean'], '.3f')} | "
                     f"{_fmt(s['body_r_mean'], '.3f')} | {_fmt(s['body_f1_mean'], '.3f')} | {s['ms_median']:.1f} |")
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
        if not r.title_ok and r.tool not in DATE_ONLY:
            bits.append(f"  title got {r.title!r}\n        want {t.get('title')!r}")
        if not r.date_ok:
            bits.append(f"  date  got {r.date_raw!r} want {t.get('published')!r}")
        if r.body_f1 is not None and r.body_f1 < 0.95:
            bits.append(f"  body  F1 {r.body_f1:.3f} (P {r.body_p:.3f} R {r.body_r:.3f}): {r.body_chars} chars vs "
                        f"{len(norm_text(t.get('body')))} in truth")
        if bits:
            print(f"{r.page} {r.tool}" + (f" [{r.note}]" if r.note else ""))
            print("\n".join(bits))


# --------------------------------------------------------------------------- main

def parse_args(argv: list[str] | None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--corpus", type=Path, default=None,
                    help="corpus directory (default: ../shared/corpus beside the repo)")
    ap.add_argument("--synthetic", type=Path, default=SYNTHETIC,
                    help="synthetic families: NAME.html + NAME.json (default: the tests' fixtures)")
    ap.add_argument("--no-synthetic", action="store_true", help="score the corpus only")
    ap.add_argument("--repeat", type=int, default=5, help="timed runs per page and tool (default 5)")
    ap.add_argument("--json", action="store_true", help="print machine-readable results only")
    ap.add_argument("--misses", action="store_true", help="also print what each tool got wrong")
    args = ap.parse_args(argv)
    if args.repeat < 1:
        ap.error("--repeat must be >= 1")
    return args


@dataclass
class PageSet:
    label: str
    source: Path
    pages: list[Page]
    skipped: list[str]


def page_sets(args: argparse.Namespace) -> tuple[list[PageSet], str | None]:
    """The sets to score, or an error message."""
    corpus = (args.corpus or default_corpus()).resolve()
    if not (corpus / "truth").is_dir() or not (corpus / "pages").is_dir():
        return [], f"no corpus at {corpus} (expected pages/ and truth/); use --corpus DIR"
    sets = [PageSet("Shared corpus (real pages, hand-made truth)", corpus, *load_pages(corpus))]
    if not args.no_synthetic:
        folder = args.synthetic.resolve()
        if not folder.is_dir():
            return [], f"no synthetic families at {folder}; use --synthetic DIR or --no-synthetic"
        sets.append(PageSet("Synthetic families (one page per layout family, written for the rules)", folder,
                            *load_synthetic(folder)))
    return sets, None


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    sets, error = page_sets(args)
    if error:
        print(f"Error: {error}", file=sys.stderr)
        return 2
    runners, info = load_tools()
    tools = [t for t in TOOL_ORDER if t in runners]
    missing = {t: info[t] for t in TOOL_ORDER if t not in runners}
    ordered = {t: runners[t] for t in tools}
    scored = []
    for ps in sets:
        results = [r for p in ps.pages for r in measure(p, ordered, args.repeat)]
        summary = summarize(results, tools)
        scored.append((ps, results, summary, time_ratio(summary)))

    if args.json:
        json.dump({"repeat": args.repeat, "tools": {t: info[t] for t in tools}, "unavailable": missing,
                   "python": platform.python_version(),
                   "sets": [{"label": ps.label, "source": str(ps.source), "pages": [p.id for p in ps.pages],
                             "skipped": ps.skipped, "summary": summary, "time_ratio": ratio,
                             "results": [asdict(r) for r in results]}
                            for ps, results, summary, ratio in scored]},
                  sys.stdout, ensure_ascii=False, indent=2)
        print()
        return 0

    for t in tools:
        print(f"  {t}: {info[t]}")
    for t, msg in missing.items():
        print(f"  {t}: NOT SCORED - {msg}")
    if not tools:
        print("nothing to score")
        return 0
    for ps, results, summary, ratio in scored:
        print(f"\n== {ps.label}\n{ps.source}: {len(ps.pages)} pages"
              + (f" (skipped: {', '.join(ps.skipped)})" if ps.skipped else ""))
        if not ps.pages:
            continue
        print(f"\nPer page (time = median of {args.repeat} runs):")
        print_pages(ps.pages, results, tools)
        print("\nSummary:")
        print_summary(summary)
        print("\n" + ratio_line(ratio))
        print("\nMarkdown for the README:\n")
        print(markdown(ps.label, summary, ratio, len(ps.pages), args.repeat, info))
        if args.misses:
            print_misses(ps.pages, results)
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except BrokenPipeError:  # e.g. piped into `head`
        sys.stderr.close()
        sys.exit(0)
