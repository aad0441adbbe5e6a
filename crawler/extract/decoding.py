"""Turn raw response bytes into text, coping with the charset lies common on gov sites."""

from __future__ import annotations

import codecs
import re
from typing import Mapping

_HEADER_CHARSET = re.compile(r"charset\s*=\s*[\"']?([\w.:-]+)", re.I)
_META_CHARSET = re.compile(
    rb"""<meta[^>]+charset\s*=\s*["']?\s*([\w.:-]+)""", re.I
)
# Labels that in practice mean "GBK or something close": GB18030 is a superset of all.
_GB_FAMILY = {"gb2312", "gbk", "x-gbk", "cp936", "ms936", "gb_2312-80", "gb_2312", "csgb2312",
              "euc-cn", "x-euc-cn", "chinese", "iso-ir-58", "windows-936", "gb18030"}
# Labels servers send by default that never describe a Chinese page correctly.
_LATIN_CODECS = {"iso8859-1", "latin-1", "ascii", "cp1252", "windows-1252", "iso-8859-1"}
_BOMS = ((codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF16_LE, "utf-16-le"),
         (codecs.BOM_UTF16_BE, "utf-16-be"))


def header_charset(headers: Mapping[str, str] | None) -> str | None:
    """The charset parameter of a Content-Type header, if any (names matched case-insensitively)."""
    if not headers:
        return None
    for name, value in headers.items():
        if name.lower() == "content-type" and value:
            m = _HEADER_CHARSET.search(value)
            if m:
                return m.group(1).strip().lower()
    return None


def meta_charset(raw: bytes) -> str | None:
    """The charset declared by `<meta charset>` or http-equiv in the first 8 KB."""
    m = _META_CHARSET.search(raw[:8192])
    return m.group(1).decode("ascii", "replace").strip().lower() if m else None


def normalize_label(label: str | None) -> str | None:
    """Map a declared charset label to the codec we decode with (gb2312/gbk -> gb18030)."""
    if not label:
        return None
    label = label.strip().lower()
    if label in _GB_FAMILY or label.replace("_", "-") in _GB_FAMILY:
        return "gb18030"
    if label in ("utf8", "utf-8", "unicode-1-1-utf-8"):
        return "utf-8"
    if label in ("big5-hkscs", "big5", "x-x-big5"):
        return "big5hkscs" if "hkscs" in label else "big5"
    try:
        return codecs.lookup(label).name
    except LookupError:
        return None


def _strict(raw: bytes, codec: str) -> str | None:
    try:
        return raw.decode(codec)
    except (UnicodeDecodeError, LookupError):
        return None


def decode_html(raw: bytes, headers: Mapping[str, str] | None = None) -> tuple[str, str, str | None]:
    """Decode a page: returns (text, encoding used, encoding declared by header/meta or None).

    Valid UTF-8 wins whatever is declared (GBK bytes practically never form valid UTF-8);
    otherwise the declared codecs (header, then meta; Latin-1 server defaults ignored) are
    tried strictly, then GB18030, then the least-damaging lenient decode.
    """
    from_header, from_meta = header_charset(headers), meta_charset(raw)
    declared = from_header or from_meta
    for bom, codec in _BOMS:
        if raw.startswith(bom):
            return raw.decode(codec, "replace"), codec.replace("-sig", ""), declared
    tried: list[str] = []
    latin: list[str] = []  # server defaults like ISO-8859-1: only if nothing Chinese fits
    for label in (from_header, from_meta):
        codec = normalize_label(label)
        if not codec or codec in tried or codec.startswith("utf-16"):
            continue
        (latin if codec in _LATIN_CODECS else tried).append(codec)
    if raw.isascii():
        return raw.decode("ascii"), tried[0] if tried else "utf-8", declared
    text = _strict(raw, "utf-8")
    if text is not None:
        return text, "utf-8", declared
    tried = [c for c in tried if c != "utf-8"]
    if "gb18030" not in tried:
        tried.append("gb18030")
    tried += latin
    for codec in tried:
        text = _strict(raw, codec)
        if text is not None:
            return text, codec, declared
    best = min(("utf-8", *tried), key=lambda c: raw.decode(c, "replace").count("\ufffd"))
    return raw.decode(best, "replace"), best, declared
