"""Shared helpers for the extraction tests: fixture loading and the corpus scoring rules."""

from __future__ import annotations

import hashlib
import json
import re
import unicodedata
from collections import Counter
from pathlib import Path

FIXTURES = Path(__file__).parent / "fixtures" / "extract"
CORPUS = FIXTURES / "corpus"
SYNTHETIC = FIXTURES / "synthetic"
OTHER = FIXTURES / "other"


def norm(s: str | None) -> str:
    """NFKC and all whitespace removed (the corpus scoring normalization)."""
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", s or ""))


def bigram_f1(got: str, want: str) -> float:
    """F1 of character-bigram multisets after norm()."""
    a, b = norm(got), norm(want)
    ga = Counter(a[i:i + 2] for i in range(len(a) - 1))
    gb = Counter(b[i:i + 2] for i in range(len(b) - 1))
    if not ga or not gb:
        return float(ga == gb)
    overlap = sum((ga & gb).values())
    if not overlap:
        return 0.0
    p, r = overlap / sum(ga.values()), overlap / sum(gb.values())
    return 2 * p * r / (p + r)


def title_ok(got: str, truth: dict) -> bool:
    return norm(got) in {norm(t) for t in [truth["title"], *truth.get("alt_titles", [])]}


def corpus_ids() -> list[str]:
    """Ids of the corpus pages; an empty corpus is an error, not zero passing tests."""
    ids = sorted(p.stem for p in CORPUS.glob("*.json"))
    assert ids, f"no corpus fixtures (*.json) in {CORPUS}"
    return ids


def corpus_page(page_id: str) -> tuple[bytes, dict]:
    truth = json.loads((CORPUS / f"{page_id}.json").read_text(encoding="utf-8"))
    return (CORPUS / f"{page_id}.html").read_bytes(), truth


def synthetic_names() -> list[str]:
    """Names of the synthetic layouts; none is an error, not zero passing tests."""
    names = sorted(p.stem for p in SYNTHETIC.glob("*.json"))
    assert names, f"no synthetic fixtures (*.json) in {SYNTHETIC}"
    return names


def synthetic_page(name: str) -> tuple[bytes, dict]:
    spec = json.loads((SYNTHETIC / f"{name}.json").read_text(encoding="utf-8"))
    html = (SYNTHETIC / f"{name}.html").read_text(encoding="utf-8")
    return html.encode(spec.get("encode", "utf-8")), spec


_KEEP_TOKENS = frozenset(("ng-hide", "hide", "hidden", "d-none"))


def scramble_names(html: str) -> str:
    """Replace every class/id token by a meaningless hash (hiding classes kept): no layout hints left."""
    def token(t: str) -> str:
        return t if t in _KEEP_TOKENS else "q" + hashlib.md5(t.encode()).hexdigest()[:6]

    return re.sub(r'\b(class|id)="([^"]*)"',
                  lambda m: f'{m.group(1)}="' + " ".join(token(t) for t in m.group(2).split()) + '"', html)


def strip_gov_meta(html: str) -> str:
    """Drop the per-article meta tags (ArticleTitle, PubDate, ContentSource, og:title)."""
    return re.sub(r"<meta[^>]+name=\"?(ArticleTitle|PubDate|ContentSource|og:title)[^>]*>", "", html, flags=re.I)


def site_only_title(html: str) -> str:
    """<title> reduced to a site name."""
    return re.sub(r"<title>.*?</title>", "<title>某某网站</title>", html, count=1, flags=re.S | re.I)


def unlabel_dates(html: str) -> str:
    """Remove the 发布日期：/发布时间：/时间：/日期： labels: dates stand bare or in an info line."""
    return re.sub(r"(发布日期|发布时间|时间|日期)\s*[:：]", "", html)


def add_header_clock(html: str) -> str:
    """A header clock (today's date with its weekday) at the top of the page."""
    clock = "<div class='topclock'>2026年11月25日 星期三</div><div>欢迎访问本网站</div>"
    return re.sub(r"(<body[^>]*>)", rf"\1{clock}", html, count=1, flags=re.I)
