"""Raw response bytes -> text, for article and list pages alike, coping with the charset lies
common on gov sites.

The labels come from libraries: the Content-Type parameter from the standard library's email
parser, the BOM and the document's own declaration (``<meta charset>``, http-equiv, ``<?xml
encoding>``) from bs4's ``EncodingDetector``, label -> codec from ``w3lib.encoding`` (which
reads gb2312/gbk as GB18030). The policy is ours, because both libraries trust a declaration
first and gov pages lie (benchmarks/charset_detection.py measures them against it): valid UTF-8
wins whatever is declared; then the declared codecs strictly (Latin-1 server defaults last),
GB18030, and the least-damaging lenient decode. charset-normalizer as the last step was measured
too and decoded damaged pages worse.
"""

from __future__ import annotations

import codecs
from collections.abc import Mapping
from email.message import Message

from bs4.dammit import EncodingDetector
from w3lib.encoding import resolve_encoding

META_SCAN_BYTES = 8192  # a declaration further down is not one the browser honours either
# Labels servers send by default that never describe a Chinese page correctly (w3lib reads
# latin-1 and ascii as cp1252).
_LATIN_CODECS = frozenset(("cp1252", "iso8859-1", "latin-1", "ascii"))


def header_charset(headers: Mapping[str, str] | None) -> str | None:
    """The charset parameter of a Content-Type header, lower-cased (names matched case-insensitively)."""
    for name, value in (headers or {}).items():
        if name.lower() == "content-type" and value:
            parsed = Message()
            parsed["content-type"] = value
            return parsed.get_content_charset()
    return None


def meta_charset(raw: bytes) -> str | None:
    """The charset the document declares (meta charset, http-equiv, or XML declaration), lower-cased."""
    return EncodingDetector.find_declared_encoding(raw[:META_SCAN_BYTES], is_html=True,
                                                   search_entire_document=True)


def byte_order_mark(raw: bytes) -> tuple[bytes, str | None]:
    """(bytes without the BOM, the codec it names) — codec None without a BOM."""
    rest, codec = EncodingDetector.strip_byte_order_mark(raw)
    return rest, codecs.lookup(codec).name if codec else None


def codec_for(label: str | None) -> str | None:
    """The codec a declared label is decoded with (gb2312/gbk -> gb18030), None if unknown."""
    return resolve_encoding(label.strip()) if label and label.strip() else None


def declared_codecs(from_header: str | None, from_meta: str | None) -> tuple[list[str], list[str]]:
    """(codecs of the declared labels, header first, Latin-1 server defaults set apart: those)."""
    known = [c for c in (codec_for(from_header), codec_for(from_meta)) if c and not c.startswith("utf-16")]
    known = list(dict.fromkeys(known))
    return [c for c in known if c not in _LATIN_CODECS], [c for c in known if c in _LATIN_CODECS]


def decode_html(raw: bytes, headers: Mapping[str, str] | None = None) -> tuple[str, str, str | None]:
    """Decode a page: returns (text, encoding used, encoding declared by header/meta or None).

    Valid UTF-8 wins whatever is declared (GBK bytes practically never form valid UTF-8);
    otherwise the declared codecs (header, then meta; Latin-1 server defaults ignored) are
    tried strictly, then GB18030, then the least-damaging lenient decode.
    """
    from_header, from_meta = header_charset(headers), meta_charset(raw)
    declared = from_header or from_meta
    rest, bom = byte_order_mark(raw)
    if bom:
        return rest.decode(bom, "replace"), bom, declared
    chinese, latin = declared_codecs(from_header, from_meta)
    if raw.isascii():
        return raw.decode("ascii"), chinese[0] if chinese else "utf-8", declared
    tried = list(dict.fromkeys(["utf-8", *chinese, "gb18030", *latin]))
    for codec in tried:
        try:
            return raw.decode(codec), codec, declared
        except (UnicodeDecodeError, LookupError):
            continue
    best = min(tried, key=lambda c: raw.decode(c, "replace").count("\ufffd"))
    return raw.decode(best, "replace"), best, declared
