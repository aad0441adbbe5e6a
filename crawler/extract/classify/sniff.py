"""Is a response a file or garbage rather than a page? Decided from the bytes first, then the
declared Content-Type, then the share of control bytes and undecodable characters.

`sniff(raw, headers)` names the file kind (``pdf``, ``docx``, ``doc``, ``zip``, ``png`` ...,
``binary`` for bytes of no known kind) or returns None for text that is worth parsing as a
page. A page served as ``application/octet-stream`` is still a page: markup at the start of the
bytes wins over a declared type, and magic numbers win over a declared ``text/html``.
"""

from __future__ import annotations

import re
import zipfile
from collections.abc import Mapping
from email.message import Message
from io import BytesIO

from crawler.extract.decoding import decode_html

SAMPLE_BYTES = 65_536
# Share of C0 control bytes (not tab/newline/CR/FF/ESC) that text never has: random bytes have
# about 11 %, a page none.
MAX_CONTROL_SHARE = 0.01
# Share of U+FFFD, private-use and control characters after decoding the sample with the page's
# own codec: a damaged page has a few, bytes of no encoding have many.
MAX_ODD_SHARE = 0.05
# Random high bytes decode as GB18030 into valid but rare ideographs: Chinese text is written in
# the 6,763 common ones of GB2312 (> 99 % of the ideographs of any page), garbage in about 28 %.
MIN_COMMON_IDEOGRAPHS = 0.6
_IDEOGRAPH_SAMPLE = 4000

_MAGIC: tuple[tuple[bytes, str], ...] = (
    (b"%PDF-", "pdf"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "ole2"),  # doc / xls / ppt / wps (Compound File)
    (b"PK\x03\x04", "zip"),
    (b"PK\x05\x06", "zip"),  # an empty archive
    (b"Rar!\x1a\x07", "rar"),
    (b"7z\xbc\xaf\x27\x1c", "7z"),
    (b"\x1f\x8b\x08", "gzip"),
    (b"\xfd7zXZ\x00", "xz"),
    (b"\x89PNG\r\n\x1a\n", "png"),
    (b"\xff\xd8\xff", "jpeg"),
    (b"GIF87a", "gif"),
    (b"GIF89a", "gif"),
    (b"II*\x00", "tiff"),
    (b"MM\x00*", "tiff"),
    (b"{\\rtf", "rtf"),
    (b"\x00\x00\x01\x00", "ico"),
)
_OLE2_STREAMS = ((b"W\x00o\x00r\x00d\x00D\x00o\x00c\x00u\x00m\x00e\x00n\x00t", "doc"),
                 (b"W\x00o\x00r\x00k\x00b\x00o\x00o\x00k", "xls"),
                 (b"P\x00o\x00w\x00e\x00r\x00P\x00o\x00i\x00n\x00t", "ppt"))
_ZIP_MEMBERS = (("word/", "docx"), ("xl/", "xlsx"), ("ppt/", "pptx"), ("OFD.xml", "ofd"),
                ("Doc_0/", "ofd"), ("content.xml", "odf"))
# Declared types that are files whatever the bytes look like (unless they are markup).
_DECLARED = {
    "application/pdf": "pdf", "application/x-pdf": "pdf",
    "application/msword": "doc", "application/vnd.ms-excel": "xls", "application/vnd.ms-powerpoint": "ppt",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": "docx",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": "xlsx",
    "application/vnd.openxmlformats-officedocument.presentationml.presentation": "pptx",
    "application/ofd": "ofd", "application/zip": "zip", "application/x-zip-compressed": "zip",
    "application/vnd.rar": "rar", "application/x-rar-compressed": "rar", "application/x-7z-compressed": "7z",
    "application/gzip": "gzip", "application/x-gzip": "gzip", "application/rtf": "rtf",
    "application/wps-office.doc": "wps", "application/kswps": "wps",
}
_BINARY_TYPES = ("image/", "audio/", "video/", "font/")
_MARKUP_STARTS = (b"<!doctype", b"<html", b"<head", b"<body", b"<meta", b"<title", b"<?xml", b"<!--",
                  b"<div", b"<table", b"<p", b"<script", b"<link", b"<style", b"<span", b"<form", b"<center")
_CONTROL_BYTES = bytes(sorted(frozenset(range(0x20)) - {0x09, 0x0A, 0x0C, 0x0D, 0x1B}))
_ODD_CHARS = re.compile("[\ufffd\ue000-\uf8ff\x00-\x08\x0b\x0e-\x1f\x7f-\x9f]")
_IDEOGRAPHS = re.compile("[\u4e00-\u9fff]")


def sniff(raw: bytes, headers: Mapping[str, str] | None = None) -> str | None:
    """The file kind of a response that is not a page, else None.

    Kinds: pdf, doc, xls, ppt, ole2, docx, xlsx, pptx, ofd, odf, zip, rar, 7z, gzip, xz, png,
    jpeg, gif, tiff, ico, rtf, wps, image, audio, video, font, binary (bytes of no
    known kind: NUL and other control bytes, or text that decodes to replacement characters).
    """
    raw = raw or b""
    kind = magic_kind(raw)
    if kind is not None:
        return kind
    head = raw[:1024].lstrip(b"\xef\xbb\xbf \t\r\n\x0c").lower()
    if head.startswith(_MARKUP_STARTS):
        return None
    declared = declared_kind(headers)
    if declared is not None:
        return declared
    return "binary" if is_garbage(raw, headers) else None


def magic_kind(raw: bytes) -> str | None:
    """The kind named by the first bytes (zip and Compound File containers looked into)."""
    for magic, kind in _MAGIC:
        if raw.startswith(magic):
            if kind == "zip":
                return _zip_kind(raw)
            if kind == "ole2":
                return next((k for name, k in _OLE2_STREAMS if name in raw), "ole2")
            return kind
    return None


def _zip_kind(raw: bytes) -> str:
    """docx / xlsx / pptx / ofd / odf by the archive's member names, else zip."""
    try:
        names = zipfile.ZipFile(BytesIO(raw)).namelist()
    except (zipfile.BadZipFile, ValueError, OSError, EOFError):
        return "zip"  # a truncated archive is still not a page
    for prefix, kind in _ZIP_MEMBERS:
        if any(n.startswith(prefix) for n in names):
            return kind
    return "zip"


def declared_kind(headers: Mapping[str, str] | None) -> str | None:
    """The kind the Content-Type declares, when it declares a file (octet-stream: None, the bytes
    decide)."""
    for name, value in (headers or {}).items():
        if name.lower() == "content-type" and value:
            parsed = Message()
            parsed["content-type"] = value
            mime = parsed.get_content_type()
            if mime in _DECLARED:
                return _DECLARED[mime]
            if mime.startswith(_BINARY_TYPES) and mime != "image/svg+xml":
                return mime.split("/", 1)[0]
            return None
    return None


def is_garbage(raw: bytes, headers: Mapping[str, str] | None = None) -> bool:
    """Bytes no page is made of: control bytes, or mostly undecodable text."""
    sample = raw[:SAMPLE_BYTES]
    if not sample or sample.startswith((b"\xff\xfe", b"\xfe\xff")) or _utf16_without_bom(sample):
        return False  # UTF-16 text has NUL bytes by design
    controls = len(sample) - len(sample.translate(None, _CONTROL_BYTES))
    if controls > MAX_CONTROL_SHARE * len(sample):
        return True
    text = decode_html(sample, headers)[0]
    if len(_ODD_CHARS.findall(text)) > MAX_ODD_SHARE * max(len(text), 1):
        return True  # replacement, private-use and control characters
    ideographs = _IDEOGRAPHS.findall(text)[:_IDEOGRAPH_SAMPLE]
    return len(ideographs) >= 200 and sum(map(_common, ideographs)) < MIN_COMMON_IDEOGRAPHS * len(ideographs)


def _common(ch: str) -> bool:
    try:
        ch.encode("gb2312")
    except UnicodeEncodeError:
        return False
    return True


def _utf16_without_bom(sample: bytes) -> bool:
    """ASCII markup in UTF-16: every other byte NUL, the others holding a tag."""
    head = sample[:512]
    if len(head) < 16:
        return False
    even, odd = head[0::2], head[1::2]
    return any(nuls.count(0) >= 0.9 * len(nuls) and b"<" in text for nuls, text in ((odd, even), (even, odd)))
