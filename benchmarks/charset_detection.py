"""Charset detection: which library decodes gov pages best, lying declarations included.

Builds decoding cases from real pages (the shared corpus's pages/lists/other, the test corpus
and the synthetic layouts) and, for each page, the ways gov sites get charsets wrong:

- ``as-is``            the page's own bytes and declaration
- ``gbk-honest``       GBK bytes (GB18030, a superset), meta says gb2312
- ``gbk-lying-utf8``   GBK bytes, meta still says utf-8
- ``gbk-undeclared``   GBK bytes, no meta charset, no header
- ``gbk-latin1-hdr``   GBK bytes, meta gbk, server header ``charset=ISO-8859-1``
- ``gbk-hdr-utf8``     GBK bytes, meta gbk, header says UTF-8
- ``utf8-lying-gbk``   UTF-8 bytes, meta gbk, header gb2312

plus the stored GBK fixtures (016.gbk.html, the gb2312/gbk synthetic layouts). A case is right
when the decoded text equals the page's text exactly (a leading BOM aside).

Decoders compared (each as its library is meant to be used, then with the project's policy):

- ``bs4``           ``UnicodeDammit(raw, known_definite_encodings=[header], is_html=True)``
- ``w3lib``         ``html_to_unicode(content_type, raw, auto_detect_fun=charset_normalizer)``
- ``bs4+policy``    bs4's ``EncodingDetector`` finds the labels, then the policy below
- ``w3lib+policy``  w3lib finds and resolves the labels, then the policy below
- ``bs4+policy+detect``  the same, with charset-normalizer's guess as the last step
- ``shipped``       ``crawler.extract.decoding.decode_html`` (what the extractor uses: bs4's
                    EncodingDetector for the labels, w3lib's label table, the policy)

The policy (valid UTF-8 wins whatever is declared; declared charsets tried strictly with
gb2312/gbk read as GB18030; Latin-1 server defaults only last; charset-normalizer only when
nothing fits strictly) is what gov pages need: both libraries trust a declaration first.

Usage::

    python benchmarks/charset_detection.py [--corpus DIR] [--repeat N]
"""

from __future__ import annotations

import argparse
import logging
import os
import re
import statistics
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import charset_normalizer
from bs4.dammit import EncodingDetector, UnicodeDammit
from w3lib.encoding import html_body_declared_encoding, html_to_unicode, http_content_type_encoding, read_bom

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from crawler.extract.decoding import decode_html  # noqa: E402

FIXTURES = REPO / "tests" / "fixtures" / "extract"
_META = re.compile(r"(<meta[^>]+charset\s*=\s*[\"']?\s*)([\w.:-]+)", re.I)

Case = tuple[str, bytes, dict[str, str], str]  # (name, raw, headers, expected text)
Decoder = Callable[[bytes, dict[str, str]], str]


def default_corpus() -> Path:
    env = os.environ.get("GOV_ARCHIVE_CORPUS")
    return Path(env) if env else REPO.parent.parent / "shared" / "corpus"


def source_pages(corpus: Path) -> Iterator[tuple[str, str]]:
    """(name, text) of every UTF-8 page available."""
    seen: set[str] = set()
    folders = [corpus / "pages", corpus / "lists", corpus / "other", FIXTURES / "corpus", FIXTURES / "other"]
    for folder in folders:
        for path in sorted(folder.glob("*.html")) if folder.is_dir() else ():
            if path.name in seen or ".gbk." in path.name:
                continue
            seen.add(path.name)
            yield path.name, path.read_bytes().decode("utf-8")
    for path in sorted((FIXTURES / "synthetic").glob("*.html")):
        yield f"synthetic/{path.name}", path.read_text(encoding="utf-8")


def with_meta(text: str, label: str | None) -> str:
    """The page with its meta charset set to `label` (removed with None; added if missing)."""
    if _META.search(text):
        return _META.sub(lambda m: m.group(1) + (label or ""), text)
    if label is None:
        return text
    return re.sub(r"<head[^>]*>", lambda m: m.group(0) + f'<meta charset="{label}">', text, count=1, flags=re.I)


def cases(corpus: Path) -> list[Case]:
    out: list[Case] = []
    for name, text in source_pages(corpus):
        out.append((f"{name} as-is", text.encode("utf-8"), {}, text))
        variants = (("gbk-honest", "gb2312", {}), ("gbk-lying-utf8", "utf-8", {}), ("gbk-undeclared", None, {}),
                    ("gbk-latin1-hdr", "gbk", {"Content-Type": "text/html; charset=ISO-8859-1"}),
                    ("gbk-hdr-utf8", "gbk", {"Content-Type": "text/html; charset=UTF-8"}))
        for kind, label, headers in variants:
            page = with_meta(text, label)
            out.append((f"{name} {kind}", page.encode("gb18030"), headers, page))
        page = with_meta(text, "gbk")
        out.append((f"{name} utf8-lying-gbk", page.encode("utf-8"), {"Content-Type": "text/html; charset=gb2312"},
                    page))
        out += damaged(name, with_meta(text, "gb2312"))
    gbk = FIXTURES / "corpus" / "016.gbk.html"
    if gbk.exists():
        raw = gbk.read_bytes()
        out.append(("016.gbk.html stored", raw, {}, raw.decode("gb18030")))
    return out


def damaged(name: str, page: str) -> list[Case]:
    """A GBK page cut inside a character (a truncated download), and one with a stray byte: right
    when everything but the damaged character reads back."""
    at = next((i for i in range(len(page) // 2, len(page)) if not page[i].isascii()), None)
    if at is None:
        return []
    head, char, tail = page[:at].encode("gb18030"), page[at].encode("gb18030"), page[at:].encode("gb18030")
    return [(f"{name} gbk-truncated", head + char[:1], {}, page[:at] + "\ufffd"),
            (f"{name} gbk-stray-byte", head + b"\xff" + tail, {}, page[:at] + "\ufffd" + page[at:])]


# --------------------------------------------------------------------------- decoders

def _detect(raw: bytes) -> str | None:
    best = charset_normalizer.from_bytes(raw).best()
    return best.encoding if best else None


def bs4_plain(raw: bytes, headers: dict[str, str]) -> str:
    header = http_content_type_encoding(headers.get("Content-Type"))
    return UnicodeDammit(raw, known_definite_encodings=[header] if header else [], is_html=True).unicode_markup or ""


def w3lib_plain(raw: bytes, headers: dict[str, str]) -> str:
    return html_to_unicode(headers.get("Content-Type"), raw, auto_detect_fun=_detect)[1]


_LATIN = {"cp1252", "iso8859-1", "latin-1", "ascii", "windows-1252", "iso-8859-1"}
_GB = {"gb2312", "gbk", "gb18030", "x-gbk", "cp936", "gb_2312-80", "euc-cn"}


def policy(raw: bytes, labels: list[str], *, detect: bool = False) -> str:
    """Valid UTF-8 first, then the declared codecs strictly (Latin-1 defaults last), GB18030;
    nothing fits: charset-normalizer's guess (`detect`), else the least-damaging lenient decode."""
    codecs_ = ["utf-8"] + [c for c in labels if c not in _LATIN] + ["gb18030"] + [c for c in labels if c in _LATIN]
    codecs_ = list(dict.fromkeys(codecs_))
    for codec in codecs_:
        try:
            return raw.decode(codec)
        except (UnicodeDecodeError, LookupError):
            continue
    if detect:
        return raw.decode(_detect(raw) or "gb18030", "replace")
    return min((raw.decode(c, "replace") for c in codecs_), key=lambda t: t.count("\ufffd"))


def bs4_policy(raw: bytes, headers: dict[str, str], detect: bool = False) -> str:
    bom_free, sniffed = EncodingDetector.strip_byte_order_mark(raw)
    if sniffed:
        return bom_free.decode(sniffed, "replace")
    header = (headers.get("Content-Type") or "").partition("charset=")[2].strip("\"' ;").lower()
    meta = EncodingDetector.find_declared_encoding(raw, is_html=True)
    labels = ["gb18030" if label in _GB else label for label in (header, meta) if label]
    return policy(raw, labels, detect=detect)


def w3lib_policy(raw: bytes, headers: dict[str, str]) -> str:
    bom, mark = read_bom(raw)
    if bom and mark:
        return raw[len(mark):].decode(bom, "replace")
    labels = [http_content_type_encoding(headers.get("Content-Type")), html_body_declared_encoding(raw)]
    return policy(raw, [label for label in labels if label])


def shipped(raw: bytes, headers: dict[str, str]) -> str:
    return decode_html(raw, headers)[0]


DECODERS: dict[str, Decoder] = {"bs4": bs4_plain, "w3lib": w3lib_plain, "bs4+policy": bs4_policy,
                                "w3lib+policy": w3lib_policy,
                                "bs4+policy+detect": lambda raw, headers: bs4_policy(raw, headers, detect=True),
                                "shipped": shipped}


# --------------------------------------------------------------------------- run

def score(decoder: Decoder, all_cases: list[Case], repeat: int) -> tuple[list[str], float]:
    """(names of the cases decoded wrong, median ms per case)."""
    wrong = [name for name, raw, headers, want in all_cases if decoder(raw, headers).lstrip("\ufeff") != want]
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        for _name, raw, headers, _want in all_cases:
            decoder(raw, headers)
        times.append((time.perf_counter() - start) * 1000 / len(all_cases))
    return wrong, statistics.median(times)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--corpus", type=Path, default=default_corpus())
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--misses", action="store_true", help="list the cases each decoder got wrong")
    args = parser.parse_args(argv)
    logging.getLogger("bs4").setLevel(logging.ERROR)  # UnicodeDammit warns on every lenient decode
    all_cases = cases(args.corpus)
    kinds = sorted({name.rsplit(" ", 1)[1] for name, *_ in all_cases})
    print(f"{len(all_cases)} cases from {args.corpus} and tests/fixtures/extract\n")
    print("| decoder | right | " + " | ".join(kinds) + " | ms/case |")
    print("|---|---:|" + "---:|" * len(kinds) + "---:|")
    for label, decoder in DECODERS.items():
        wrong, ms = score(decoder, all_cases, args.repeat)
        per_kind = []
        for kind in kinds:
            total = sum(1 for name, *_ in all_cases if name.endswith(" " + kind))
            bad = sum(1 for name in wrong if name.endswith(" " + kind))
            per_kind.append(f"{total - bad}/{total}")
        print(f"| {label} | {len(all_cases) - len(wrong)}/{len(all_cases)} | " + " | ".join(per_kind) +
              f" | {ms:.2f} |")
        if args.misses and wrong:
            print("    wrong: " + ", ".join(wrong))
    return 0


if __name__ == "__main__":
    sys.exit(main())
