"""Attachment files, pure: bytes -> kind (sniffed), text and why there is none (no Scrapy).

- `sniff`    the kind from the bytes (magic numbers, zip members, OLE2 streams), never the name
- `read`     `read(bytes) -> FileText`: one reader per kind, NFKC text, every failure recorded
- `limits`   characters, unpacked bytes, pages, cells and seconds per file; zip-bomb checks
Readers: `pdf` (pypdfium2), `xmlzip` (DOCX, PPTX, ODF, OFD, zip listings; lxml), `sheets`
(XLSX streamed with lxml, XLS/ET with xlrd), `word97` (DOC/WPS piece tables; olefile).
"""

from __future__ import annotations

from .limits import Limits
from .read import READERS, FileText, read
from .sniff import CONTENT_TYPES, Sniffed, sniff

__all__ = ["CONTENT_TYPES", "READERS", "FileText", "Limits", "Sniffed", "read", "sniff"]
