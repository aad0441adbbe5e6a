"""Attachment links (pdf/doc/xls/ofd/zip ...) in the body, including document.write scripts."""

from __future__ import annotations

import html
import re
from urllib.parse import unquote, urljoin, urlsplit

from lxml import etree

from crawler.extract.dom import plain_text, squash

EXTENSIONS = ("pdf", "doc", "docx", "xls", "xlsx", "wps", "et", "ofd", "zip", "rar", "7z", "txt",
              "ppt", "pptx", "csv", "ceb", "tif", "tiff")
_EXT_RE = re.compile(r"\.(" + "|".join(EXTENSIONS) + r")(?:$|[?#&])", re.I)
_NAME_EXT_RE = re.compile(r"\.(" + "|".join(EXTENSIONS) + r")\s*$", re.I)
_SCRIPT_LINK = re.compile(r"""<a\b[^>]*?href\s*=\s*\\?["']([^"'\\]+)\\?["'][^>]*>(.*?)</a>""", re.I | re.S)
_TAGS = re.compile(r"<[^>]+>")


def is_attachment_href(href: str, text: str = "") -> bool:
    if not href or href.startswith(("javascript:", "mailto:", "#")):
        return False
    path = href.split("#", 1)[0]
    if _EXT_RE.search(path):
        return True
    return "downfile.jsp" in path or ("download" in path.lower() and _NAME_EXT_RE.search(text or "") is not None)


def script_links(scripts: list[str]) -> list[tuple[str, str]]:
    """(href, text) of attachment links written by inline scripts."""
    out = []
    for code in scripts:
        if "href" not in code:
            continue
        for m in _SCRIPT_LINK.finditer(code):
            href, text = m.group(1), squash(html.unescape(_TAGS.sub("", m.group(2))))
            text = re.sub(r"['\"]\s*\+\s*\w+\s*\+\s*['\"]", "", text).strip("'\" +")
            if is_attachment_href(href, text):
                out.append((href, text))
    return out


_FILE_PARAM = re.compile(r"[?&](?:file|url|src|path)=([^&#]+)", re.I)


def embedded_links(root: etree._Element) -> list[tuple[str, str]]:
    """(href, text) of documents shown in an embedded viewer: <iframe src=viewer.html?file=x.pdf>,
    <embed src=x.pdf>, <object data=x.pdf> (read before those tags are pruned)."""
    out = []
    for el in root.iter("iframe", "embed", "object"):
        src = (el.get("src") or el.get("data") or "").strip()
        m = _FILE_PARAM.search(src)
        if m:  # pdf.js resolves ?file= against the viewer's own URL
            src = urljoin(src, unquote(m.group(1)))
        if is_attachment_href(src):
            out.append((src, squash(el.get("title") or "")))
    return out


def collect(elements: list[etree._Element], scripts: list[tuple[str, str]], base: str,
            page_url: str, embedded: list[tuple[str, str]] = ()) -> list[dict[str, str]]:
    """Absolute, de-duplicated attachment links (script links only from the page's own host)."""
    seen: dict[str, dict[str, str]] = {}
    out: list[dict[str, str]] = []
    host = urlsplit(page_url).netloc if page_url else ""

    def add(href: str, text: str, *, same_host_only: bool) -> None:
        absolute = urljoin(base, href.strip()) if base else href.strip()
        if same_host_only and host and urlsplit(absolute).netloc not in ("", host):
            return
        if absolute in seen:
            if text and not seen[absolute]["named"]:  # an icon link first, then the named one (Hanweb)
                seen[absolute]["text"], seen[absolute]["named"] = text, "1"
            return
        entry = {"url": absolute, "text": text or absolute.rstrip("/").rsplit("/", 1)[-1], "named": "1" if text else ""}
        seen[absolute] = entry
        out.append(entry)

    for el in elements:
        for a in el.iter("a"):
            href = a.get("href") or ""
            text = squash(plain_text(a)) or squash(a.get("title"))
            if is_attachment_href(href, text):
                add(href, text, same_host_only=False)
    for href, text in embedded:
        add(href, text, same_host_only=False)
    for href, text in scripts:
        add(href, text, same_host_only=True)
    return [{"url": a["url"], "text": a["text"]} for a in out]
