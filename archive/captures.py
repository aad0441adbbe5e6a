"""Compression of raw captures (the response bytes exactly as received)."""

from __future__ import annotations

import hashlib
import lzma
import zlib

# lzma's large window finds the boilerplate repeated inside one gov page (nav, sidebars,
# footer) and compresses CJK text markedly better than zlib; captures are written once and
# read rarely, so the slower codec is the right trade.
DEFAULT_CODEC = "lzma"


def sha256(data: bytes) -> str:
    """Hex sha256: the content address of a capture."""
    return hashlib.sha256(data).hexdigest()


def compress(data: bytes, codec: str = DEFAULT_CODEC) -> bytes:
    """Compress ``data`` with ``codec`` ("lzma", "zlib" or "raw")."""
    if codec == "lzma":
        return lzma.compress(data, format=lzma.FORMAT_RAW, filters=_LZMA_FILTERS)
    if codec == "zlib":
        return zlib.compress(data, 9)
    if codec == "raw":
        return data
    raise ValueError(f"unknown capture codec {codec!r}")


def decompress(blob: bytes, codec: str) -> bytes:
    """Inverse of :func:`compress`."""
    if codec == "lzma":
        return lzma.decompress(blob, format=lzma.FORMAT_RAW, filters=_LZMA_FILTERS)
    if codec == "zlib":
        return zlib.decompress(blob)
    if codec == "raw":
        return blob
    raise ValueError(f"unknown capture codec {codec!r}")


# FORMAT_RAW skips the ~60 bytes of .xz container per blob; the filter chain is fixed here
# so it must never change for the codec name "lzma" (a new chain needs a new codec name).
_LZMA_FILTERS = [{"id": lzma.FILTER_LZMA2, "preset": 6}]
