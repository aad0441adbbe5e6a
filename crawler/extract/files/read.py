"""Bytes -> kind, text, error: one reader per kind, every failure recorded, never raised.

The text is folded where PDF fonts need it: they often map CJK characters to radicals (⾦ U+2FA6
for 金, ⻔ U+2EFB for 门; folded by the glyph table in `radicals`) or to compatibility forms (﹝
for 〔, ﬁ for fi; NFKC), which search would otherwise never match. Full-width punctuation and
digits (，：（１）) are left as they are: they are ordinary Chinese text, as in titles and bodies,
and as users type them in queries (NFKC would make them ASCII).
"""

from __future__ import annotations

import re
import unicodedata
import zipfile
from collections.abc import Callable
from dataclasses import dataclass

from .limits import Enough, Limits, Sink, Unsafe
from .pdf import Encrypted, read_pdf
from .radicals import FOLD
from .sheets import EncryptedSheet, read_xls, read_xlsx
from .sniff import Sniffed, sniff
from .word97 import EncryptedDoc, read_doc
from .xmlzip import read_docx, read_odf, read_ofd, read_pptx, read_zip_names

Reader = Callable[[bytes, Sink], str | None]
READERS: dict[str, Reader] = {
    "pdf": read_pdf,
    "docx": read_docx,
    "xlsx": read_xlsx,
    "pptx": read_pptx,
    "odt": read_odf,
    "ods": read_odf,
    "ofd": read_ofd,
    "doc": read_doc,
    "wps": read_doc,
    "xls": read_xls,
    "et": read_xls,
    "zip": read_zip_names,
}
#: Why files of these kinds have no text (their bytes are kept all the same).
NOT_READ = {
    "empty": "empty file (0 bytes)",
    "html": "an HTML page, not a file (an error page?)",
    "rar": "RAR archive: kept, not unpacked",
    "7z": "7z archive: kept, not unpacked",
    "gzip": "gzip file: kept, not unpacked",
    "ppt": "PowerPoint 97-2003: kept, text not read",
    "ole2": "OLE2 file of an unknown kind: kept, not read",
    "xz": "xz file: kept, not unpacked",
    "encrypted": "encrypted Office document (a password is needed to open it)",
    "rtf": "RTF document: kept, text not read",
    "png": "an image (no OCR)",
    "jpeg": "an image (no OCR)",
    "gif": "an image (no OCR)",
    "tiff": "an image (no OCR)",
    "ico": "an image (no OCR)",
    "binary": "unknown file type: kept, not read",
}
REFUSED = (Encrypted, EncryptedSheet, EncryptedDoc, Unsafe)
# Kangxi radicals and CJK radicals supplement, vertical forms, CJK compatibility forms and small
# forms, Latin ligatures, CJK compatibility ideographs (and their supplement).
_COMPATIBLE = re.compile("[\u2e80-\u2fdf\ufe10-\ufe1f\ufe30-\ufe6f\ufb00-\ufb06\uf900-\ufaff"
                         "\U0002f800-\U0002fa1f]+")
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f\ufffe\uffff]")
_TRAILING = re.compile(r"[ \t]+\n")
_BLANK_LINES = re.compile(r"\n{3,}")


@dataclass(frozen=True)
class FileText:
    """What reading a file gave: its kind, the text (maybe partial) and why it is not all.

    `transient`: the text is missing or partial for a reason that may not recur (the time ran
    out, the reader crashed): the same bytes are worth reading again.
    """

    kind: str
    content_type: str
    text: str
    error: str | None = None
    transient: bool = False


def read(data: bytes, *, url: str = "", kind: str | None = None,
         limits: Limits | None = None) -> FileText:
    """The text of a file, within `limits`; `kind` (else sniffed from the bytes and `url`)."""
    sniffed = Sniffed(kind) if kind else sniff(data, url)
    if sniffed.kind == "text":
        return FileText("text", sniffed.content_type, clean(_decode_text(data)))
    reader = READERS.get(sniffed.kind)
    if reader is None:
        return FileText(sniffed.kind, sniffed.content_type, "", NOT_READ.get(sniffed.kind))
    sink = Sink(limits or Limits())
    error = _run(reader, data, sink, sniffed.kind)
    return FileText(sniffed.kind, sniffed.content_type, clean(sink.text()), error,
                    transient=sink.out_of_time)


def _run(reader: Reader, data: bytes, sink: Sink, kind: str) -> str | None:
    try:
        note = reader(data, sink)
    except Enough:
        return sink.stopped
    except REFUSED as exc:
        return str(exc)
    except MemoryError:
        return f"unreadable {kind.upper()}: too large to read"
    except Exception as exc:  # noqa: BLE001 — a hostile or broken file may fail any way; record it
        return f"unreadable {kind.upper()} ({_describe(exc)})"
    return note or sink.stopped


def _describe(exc: Exception) -> str:
    if isinstance(exc, zipfile.BadZipFile):
        return "broken zip: truncated?"
    text = " ".join(str(exc).split())[:200]
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def _decode_text(data: bytes) -> str:
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    return data.decode("utf-8", "replace")


def clean(text: str) -> str:
    """Compatibility forms folded (NFKC), no control characters, no trailing blanks, at most
    one empty line in a row."""
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\u3000", " ").replace("\xa0", " ")
    text = text.translate(FOLD)
    text = _COMPATIBLE.sub(lambda m: unicodedata.normalize("NFKC", m.group(0)), text)
    text = _CONTROL.sub("", text)
    text = _TRAILING.sub("\n", text)
    return _BLANK_LINES.sub("\n\n", text).strip()
