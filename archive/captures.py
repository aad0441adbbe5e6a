"""Raw captures (the response bytes exactly as received) and their compression."""

from __future__ import annotations

import hashlib
import lzma
import zlib
from dataclasses import dataclass, field

# zlib level 6 stores realistic ~60 KB gov pages in ~0.18x their size (xz preset 3: ~0.17x)
# at ~0.7 ms a page against ~2.2 ms for xz, and reads back 4x faster: captures are written
# on every new or changed page of a crawl, so the CPU matters more than the last 8% of size
# (target: <= 0.3x). Level 9 gains nothing on HTML for 1.7x the CPU. Each blob's codec is
# stored beside it, so blobs written with xz stay readable.
DEFAULT_CODEC = "zlib"
ZLIB_LEVEL = 6
XZ_PRESET = 3
# Attachment files are often compressed already (PDF streams, DOCX/XLSX zips): a file is
# stored compressed only if a sample of it shrinks by a tenth, so a 50 MB PDF is not run
# through zlib for nothing.
SAMPLE_BYTES = 256 * 1024
WORTH_IT = 0.9


@dataclass(frozen=True)
class Capture:
    """A raw response as received."""

    body: bytes
    status: int = 200
    url: str = ""  # final URL after redirects
    headers: dict[str, str] = field(default_factory=dict)  # lower-cased names
    declared_encoding: str | None = None
    used_encoding: str | None = None


def sha256(data: bytes) -> str:
    """Hex sha256: the content address of a capture."""
    return hashlib.sha256(data).hexdigest()


def compress(data: bytes, codec: str = DEFAULT_CODEC) -> bytes:
    """Compress ``data`` with ``codec`` ("zlib", "xz" or "raw")."""
    if codec == "zlib":
        return zlib.compress(data, ZLIB_LEVEL)
    if codec == "xz":
        return lzma.compress(data, format=lzma.FORMAT_XZ, preset=XZ_PRESET)
    if codec == "raw":
        return data
    raise ValueError(f"unknown capture codec {codec!r}")


def compress_best(data: bytes) -> tuple[str, bytes]:
    """``(codec, blob)``: zlib when a sample of `data` compresses to under 90 %, else raw."""
    sample = data[:SAMPLE_BYTES]
    if not sample or len(zlib.compress(sample, 1)) > WORTH_IT * len(sample):
        return "raw", data
    blob = zlib.compress(data, ZLIB_LEVEL)
    return ("zlib", blob) if len(blob) < len(data) else ("raw", data)


def decompress(blob: bytes, codec: str) -> bytes:
    """Inverse of :func:`compress` (whatever level or preset wrote the blob)."""
    if codec == "zlib":
        return zlib.decompress(blob)
    if codec == "xz":
        return lzma.decompress(blob, format=lzma.FORMAT_XZ)
    if codec == "raw":
        return blob
    raise ValueError(f"unknown capture codec {codec!r}")
