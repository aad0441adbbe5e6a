"""What a file is, from its bytes: an HTML error page served as ``.pdf`` is not a PDF.

The page classifier's magic numbers (``classify.sniff.magic_kind``: ``%PDF-``, OLE2, ZIP with
its member names, RAR ...), then what reading needs beyond them: OLE2 stream names read with
olefile (a password-protected DOCX/XLSX is OLE2 too), ODF text or spreadsheet; then text:
HTML or plain. The link's extension and the Content-Type header only break ties the bytes leave open (a
Kingsoft ``.wps`` and a Word ``.doc`` are the same OLE2 shape).
"""

from __future__ import annotations

import io
import re
import zipfile
from dataclasses import dataclass
from urllib.parse import urlsplit

import olefile

from crawler.extract.classify.sniff import magic_kind

CONTENT_TYPES = {
    "pdf": "application/pdf",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "pptx": "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    "odt": "application/vnd.oasis.opendocument.text",
    "ods": "application/vnd.oasis.opendocument.spreadsheet",
    "ofd": "application/ofd",
    "doc": "application/msword",
    "wps": "application/vnd.ms-works",
    "xls": "application/vnd.ms-excel",
    "et": "application/vnd.ms-excel",
    "ppt": "application/vnd.ms-powerpoint",
    "ole2": "application/x-ole-storage",
    "encrypted": "application/encrypted",
    "rtf": "application/rtf",
    "zip": "application/zip",
    "rar": "application/vnd.rar",
    "7z": "application/x-7z-compressed",
    "gzip": "application/gzip",
    "png": "image/png",
    "jpeg": "image/jpeg",
    "gif": "image/gif",
    "tiff": "image/tiff",
    "ico": "image/vnd.microsoft.icon",
    "xz": "application/x-xz",
    "html": "text/html",
    "text": "text/plain",
    "empty": "application/x-empty",
    "binary": "application/octet-stream",
}
_HTML = re.compile(rb"<(?:!doctype\s+html|html|head|body|meta|title|script|div|table|p|br|h[1-6])[\s>/]",
                   re.I)
_OLE_STREAMS = (("WordDocument", "doc"), ("Workbook", "xls"), ("Book", "xls"),
                ("PowerPoint Document", "ppt"))
# The extension decides between kinds of the same shape (Kingsoft files are Word/Excel-like OLE2).
_SAME_SHAPE = {"doc": {"wps"}, "xls": {"et"}}


@dataclass(frozen=True)
class Sniffed:
    """A file's kind (a key of CONTENT_TYPES) and the matching MIME type."""

    kind: str

    @property
    def content_type(self) -> str:
        return CONTENT_TYPES[self.kind]


def sniff(data: bytes, url: str = "") -> Sniffed:
    """The kind of `data`; `url`'s extension only breaks ties (wps/doc, et/xls)."""
    kind = _kind(data)
    extension = _extension(url)
    if extension in _SAME_SHAPE.get(kind, ()):
        kind = extension
    return Sniffed(kind)


def _kind(data: bytes) -> str:
    if not data:
        return "empty"
    if b"%PDF-" in data[:1024]:  # readers accept junk before the header
        return "pdf"
    kind = magic_kind(data)  # the page classifier's magic numbers (crawler/extract/classify)
    if kind in ("doc", "xls", "ppt", "ole2"):
        return _ole_kind(data)  # stream names read properly; encrypted OOXML is OLE2 too
    if kind == "odf":
        return _odf_kind(data)
    if kind is not None:
        return kind if kind in CONTENT_TYPES else "binary"
    return _text_kind(data[:4096])


def _odf_kind(data: bytes) -> str:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            mimetype = zf.read("mimetype")[:100] if "mimetype" in zf.namelist() else b""
    except (zipfile.BadZipFile, OSError, EOFError, NotImplementedError):
        return "zip"
    return "ods" if b"opendocument.spreadsheet" in mimetype else "odt"


def _ole_kind(data: bytes) -> str:
    try:
        with olefile.OleFileIO(data) as ole:
            if ole.exists("EncryptionInfo") and ole.exists("EncryptedPackage"):
                return "encrypted"  # a password-protected DOCX/XLSX/PPTX
            for stream, kind in _OLE_STREAMS:
                if ole.exists(stream):
                    return kind
    except (OSError, ValueError, IndexError, TypeError):  # olefile's errors on broken files
        pass
    return "ole2"


def _text_kind(head: bytes) -> str:
    if _HTML.search(head):
        return "html"
    if _looks_like_text(head):
        return "text"
    return "binary"


def _looks_like_text(head: bytes) -> bool:
    controls = sum(1 for b in head if b < 9 or 13 < b < 32)
    if controls > len(head) // 100:
        return False
    for encoding in ("utf-8", "gb18030"):
        try:
            head.decode(encoding)
        except UnicodeDecodeError as exc:
            if exc.start >= len(head) - 4:  # a character cut at the sample's end
                return True
            continue
        return True
    return False


def _extension(url: str) -> str:
    path = urlsplit(url).path if url else ""
    name = path.rsplit("/", 1)[-1]
    return name.rsplit(".", 1)[-1].lower() if "." in name else ""
