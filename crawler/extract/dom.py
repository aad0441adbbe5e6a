"""lxml parsing and reader-style text rendering (paragraphs by newline, tables by tab)."""

from __future__ import annotations

import re

import lxml.html
from lxml import etree

# Plain lxml elements (no lxml.html class lookup: proxies are cheaper); comments/PIs dropped at parse.
_PARSER = etree.HTMLParser(remove_comments=True, remove_pis=True)
_CLOSING = re.compile(r"</(?:html|body)\s*>", re.I)
_XML_DECL = re.compile(r"^\s*<\?xml[^>]*>", re.I)
WS = re.compile(r"[\s\u3000\xa0\u200b\ufeff]+")

BLOCK = frozenset((
    "p", "div", "section", "article", "h1", "h2", "h3", "h4", "h5", "h6", "li", "ul", "ol", "dl", "dt", "dd",
    "blockquote", "pre", "table", "tr", "form", "header", "footer", "center", "address", "figure", "figcaption",
    "hr", "main", "nav", "aside", "fieldset", "caption", "tbody", "thead", "tfoot", "title", "body", "html",
))
SKIP = frozenset((
    "script", "style", "noscript", "template", "iframe", "object", "embed", "select", "option", "button",
    "input", "textarea", "svg", "canvas", "video", "audio", "map", "head",
))

_HIDDEN_STYLE = re.compile(r"display\s*:\s*none|visibility\s*:\s*hidden", re.I)
_HIDDEN_CLASSES = frozenset(("ng-hide", "hide", "hidden", "d-none"))
_REMOVED_TAGS = ("script", "style", "noscript", "template", "link", "iframe", "object", "embed", "svg")


def is_hidden(el: etree._Element) -> bool:
    if el.get("hidden") is not None:
        return True
    style = el.get("style")
    if style and _HIDDEN_STYLE.search(style):
        return True
    cls = el.get("class")
    return bool(cls) and not _HIDDEN_CLASSES.isdisjoint(cls.split())


def prune(root: etree._Element) -> None:
    """Drop scripts, styles, comments and hidden elements (keeping tails); hidden article text
    next to an expand toggle (展开全文) is kept."""
    doomed = list(root.iter(*_REMOVED_TAGS))
    body = root.find("body")
    for el in (body.iter(etree.Element) if body is not None else ()):
        style, cls = el.get("style"), el.get("class")
        maybe_hidden = ((style and ("none" in style or "hidden" in style))
                        or (cls and ("hide" in cls or "hidden" in cls or "d-none" in cls))
                        or el.get("hidden") is not None)
        if maybe_hidden and is_hidden(el) and not _collapsed_text(el):
            doomed.append(el)
    for el in doomed:
        drop(el)


# toggles that unfold the text itself ("更多>>" links of sidebar tabs are not among them)
_EXPAND = re.compile(r"展开(?:阅读)?全文|(?:阅读|查看|显示)全文|展开全部|点击展开|展开更多")
_EXPAND_NAMES = re.compile(r"zhankai|expand|unfold|showall|show-all", re.I)


def _head_text(el: etree._Element, n: int) -> str:
    """About the first `n` characters of an element's text (without joining all of it)."""
    out, size = [], 0
    for chunk in el.itertext():
        out.append(chunk)
        size += len(chunk)
        if size >= n:
            break
    return "".join(out)


def _collapsed_text(el: etree._Element) -> bool:
    """Hidden only to be folded: article text next to a 展开全文 / 阅读全文 toggle."""
    text = "".join(el.itertext())
    if len(text) < 50 or sum(text.count(p) for p in "，。；") < 2:
        return False
    node = el
    for _ in range(3):
        for sib in (*node.itersiblings(), *node.itersiblings(preceding=True)):
            if sib.tag in ("script", "style") or not isinstance(sib.tag, str):
                continue
            names = f"{sib.get('class') or ''} {sib.get('id') or ''}"
            if _EXPAND_NAMES.search(names) or _EXPAND.search(_head_text(sib, 200)):
                return True
        node = node.getparent()
        if node is None or node.tag == "body":
            return False
    return False


def parse(text: str) -> etree._Element:
    """Parse the whole document; pages with two </html> tags keep everything after the first."""
    text = _XML_DECL.sub("", text, count=1)
    if len(re.findall(r"</html\s*>", text, re.I)) > 1:
        text = _CLOSING.sub("", text)
    if not text.strip():
        text = "<html><body></body></html>"
    try:
        root = etree.fromstring(text, _PARSER)
    except (etree.ParserError, ValueError):
        root = None
    if root is None:
        root = etree.fromstring("<html><body></body></html>", _PARSER)
    return root


def parse_html(text: str) -> lxml.html.HtmlElement | None:
    """lxml.html tree (text_content(), cssselect()) of a list page or fragment; None if empty."""
    text = _XML_DECL.sub("", text, count=1)  # lxml refuses str input with an XML encoding declaration
    if not text.strip():
        return None
    try:
        return lxml.html.fromstring(text)
    except (etree.ParserError, ValueError):
        return None


def clean_text(text: str | None) -> str:
    """Whitespace (incl. nbsp) collapsed to single spaces, stripped."""
    return re.sub(r"\s+", " ", (text or "").replace("\xa0", " ")).strip()


def squash(s: str | None) -> str:
    """Collapse whitespace (incl. U+3000 and nbsp) to single spaces and strip."""
    return WS.sub(" ", s).strip() if s else ""


def compact(s: str | None) -> str:
    """Text with all whitespace removed (for comparisons)."""
    return WS.sub("", s) if s else ""


def drop(el: etree._Element) -> None:
    """Remove an element (and its subtree) but keep its tail text."""
    parent = el.getparent()
    if parent is None:
        return
    if el.tail:
        prev = el.getprevious()
        if prev is not None:
            prev.tail = (prev.tail or "") + el.tail
        else:
            parent.text = (parent.text or "") + el.tail
    parent.remove(el)


def within(el: etree._Element | None, ancestor: etree._Element | None) -> bool:
    """Is `el` the ancestor itself or inside it?"""
    while el is not None:
        if el is ancestor:
            return True
        el = el.getparent()
    return False


def plain_text(el: etree._Element) -> str:
    """All text of an element (like text_content())."""
    return "".join(el.itertext())


def text_of(el: etree._Element) -> str:
    """Rendered text of an element, block-aware."""
    out: list[str] = []
    _render(el, out)
    return _tidy("".join(out))


CELL = "\ue000"  # cell separator while rendering; becomes a tab after whitespace is squashed


def head_lines(el: etree._Element, n: int) -> list[str]:
    """The first `n` rendered lines of an element, rendering no more than needed."""
    out: list[str] = [el.text or ""]
    for child in el:
        _render(child, out)
        if child.tail:
            out.append(child.tail)
        lines = _tidy("".join(out)).split("\n")
        if len(lines) > n:
            return lines[:n]
    return [ln for ln in _tidy("".join(out)).split("\n") if ln][:n]


# Two linear passes (a single "[^\S\n]*\n\s*" backtracks quadratically on long space runs).
_HSPACE = re.compile(r"[^\S\n]+")
_NEWLINE_RUN = re.compile(r" ?\n[ \n]*")


def _tidy(raw: str) -> str:
    raw = _NEWLINE_RUN.sub("\n", _HSPACE.sub(" ", raw))
    lines = (squash(line).replace(f" {CELL} ", "\t").replace(CELL, "\t") for line in raw.split("\n"))
    return "\n".join(line for line in lines if line.strip("\t"))


# Newlines in the HTML source are plain whitespace; only blocks and <br> break lines.
_SOURCE_NEWLINES = str.maketrans("\n\r", "  ")


def _render(el: etree._Element, out: list[str]) -> None:
    tag = el.tag if isinstance(el.tag, str) else None
    if tag is None:  # comment / processing instruction
        return
    tag = tag.lower()
    if tag in SKIP:
        return
    if tag == "br":
        out.append("\n")
        return
    if tag == "table" and not _is_layout_table(el):
        out.append("\n")
        out.append(_table_text(el))
        out.append("\n")
        return
    block = tag in BLOCK or tag in ("td", "th")
    if block:
        out.append("\n")
    elif tag == "img":
        return
    keep_newlines = tag in ("pre", "textarea", "plaintext", "xmp")
    if el.text:
        out.append(el.text if keep_newlines else el.text.translate(_SOURCE_NEWLINES))
    for child in el:
        _render(child, out)
        if child.tail:
            out.append(child.tail if keep_newlines else child.tail.translate(_SOURCE_NEWLINES))
    if block:
        out.append("\n")


def _is_layout_table(table: etree._Element) -> bool:
    """Tables used for page layout (nested tables, or a single column) render as blocks."""
    if table.find(".//table") is not None:
        return True
    return all(len(tr.findall("td")) + len(tr.findall("th")) <= 1 for tr in table.iter("tr"))


def _table_text(table: etree._Element) -> str:
    rows = []
    for tr in table.xpath(".//tr"):
        cells = []
        for cell in tr.xpath("./td|./th"):
            parts: list[str] = []
            _render(cell, parts)
            value = squash("".join(parts).replace("\n", " "))
            if value:
                cells.append(value)
        if cells:
            rows.append(f" {CELL} ".join(cells))
    return "\n".join(rows)


def inline_text(el: etree._Element) -> str:
    """Text of an element on one line (br and blocks joined by spaces), scripts skipped."""
    parts: list[str] = []
    _render(el, parts)
    return squash("".join(parts).replace("\n", " ").replace(CELL, " "))
