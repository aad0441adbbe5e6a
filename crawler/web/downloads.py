"""How archived bytes are served: a download's Content-Type and Content-Disposition.

An attachment file is whatever the site served: a "pdf" may be HTML with scripts. It is always
a download (``attachment``), and a type a browser would run as a page of our origin is served
as plain bytes. Pure functions; the headers around them are in ``views``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any
from urllib.parse import quote

from archive.attachments import file_name

OCTET_STREAM = "application/octet-stream"
#: Types a browser would run as a page (scripts included): served as plain bytes.
ACTIVE_TYPES = frozenset({"text/html", "application/xhtml+xml", "image/svg+xml", "text/xml",
                          "application/xml", "text/xsl", "text/javascript", "application/javascript"})
_MEDIA_TYPE = re.compile(r"[a-z0-9][a-z0-9.+-]*/[a-z0-9][a-z0-9.+-]*")
_EXTENSION = re.compile(r"\.[A-Za-z0-9]{1,5}$")
_UNSAFE_IN_NAME = re.compile(r'[\x00-\x1f\x7f/\\"]')


def content_type(sniffed: str | None) -> str:
    """The Content-Type of a download: the type sniffed from its bytes, unless a browser
    could run it (or it is no media type): then ``application/octet-stream``."""
    kind = (sniffed or "").split(";")[0].strip().lower()
    if not _MEDIA_TYPE.fullmatch(kind) or kind in ACTIVE_TYPES or kind.endswith("+xml"):
        return OCTET_STREAM
    return kind


def file_names(entry: Mapping[str, Any]) -> tuple[str, str]:
    """``(name, ascii_fallback)`` for an attachment (``Archive.attachments`` entry).

    The name is its link's (with the extension of its URL when it has none), without path
    separators, quotes or control characters; the fallback is the URL's file name when that is
    plain ASCII with an extension, else ``attachment-N.ext``.
    """
    name = _UNSAFE_IN_NAME.sub("_", str(entry.get("name") or "")).strip(" .") or "attachment"
    from_url = file_name(str(entry.get("url") or ""))
    if not _suffix(name):
        name += _suffix(from_url)
    if _suffix(from_url) and _plain_ascii(from_url):
        return name, from_url
    return name, f"attachment-{entry.get('position') or 1}{_suffix(name)}"


def content_disposition(kind: str, name: str, fallback: str | None = None) -> str:
    """``inline`` or ``attachment`` with `name` in UTF-8 (RFC 5987 ``filename*``), after an
    ASCII `fallback` for old clients (RFC 6266)."""
    plain = f'; filename="{fallback}"' if fallback and _plain_ascii(fallback) else ""
    return f"{kind}{plain}; filename*=UTF-8''{quote(name, safe='')}"


def _suffix(name: str) -> str:
    found = _EXTENSION.search(name)
    return found.group(0).lower() if found else ""


def _plain_ascii(name: str) -> bool:
    return all(" " <= c <= "~" and c not in '"\\;' for c in name)
