"""lxml parsing and reader-style text rendering (paragraphs by newline, tables by tab)."""

from __future__ import annotations

import re

import lxml.html
from lxml import etree

# Plain lxml elements (no lxml.html class lookup: proxies are cheaper); comments/PIs dropped at parse.
_PARSER = etree.HTMLParser(remove_comments=True, remove_pis=True)
# huge_tree lifts libxml2's limits (depth 256, 10 MB text nodes); used only on documents that hit
# them, after flattening: unflattened, a 10,000-deep document takes libxml2 seconds to parse.
_HUGE_PARSER = etree.HTMLParser(remove_comments=True, remove_pis=True, huge_tree=True)
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
    """Parse the whole document; pages with two </html> tags keep everything after the first.

    Documents nested deeper than the parser's limit (libxml2 stops at depth 256 and drops the
    rest: 100 unclosed <p><font><span> paragraphs, 10,000 nested divs) are flattened below
    MAX_DEPTH first, so their text is kept whole and every walker stays shallow.
    """
    text = _XML_DECL.sub("", text, count=1)
    if len(re.findall(r"</html\s*>", text, re.I)) > 1:
        text = _CLOSING.sub("", text)
    if not text.strip():
        text = "<html><body></body></html>"
    root = _parse_within_limits(text, lambda doc, parser: etree.fromstring(doc, parser), _PARSER, _HUGE_PARSER)
    if root is None:
        root = etree.fromstring("<html><body></body></html>", _PARSER)
    return root


def _parse_within_limits(text: str, parse_with, parser, huge_parser):
    """Parse; when libxml2 hit a resource limit (depth, huge text node), parse again with the
    nesting flattened and the size limits lifted. None if nothing could be parsed."""
    try:
        root = parse_with(text, parser)
    except (etree.ParserError, ValueError):
        return None
    if not _hit_limit(parser):
        return root
    for depth in (MAX_DEPTH, MAX_DEPTH // 2, MAX_DEPTH // 8):
        try:
            root = parse_with(flatten_deep(text, depth), huge_parser)
        except (etree.ParserError, ValueError):
            return root
        if not _hit_limit(huge_parser):
            break
    return root


def _hit_limit(parser) -> bool:
    return any(e.type_name == "ERR_RESOURCE_LIMIT" or "Excessive depth" in e.message for e in parser.error_log)


MAX_DEPTH = 160  # below libxml2's 256 with room for the elements it adds (html, body, implied p)
_TAG = re.compile(r"<(/?)([A-Za-z][A-Za-z0-9:-]*)(?:\s[^>]*)?>")
VOID = frozenset(("area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "param", "source",
                  "track", "wbr", "basefont", "bgsound", "frame", "keygen", "isindex"))


def flatten_deep(text: str, limit: int = MAX_DEPTH) -> str:
    """The markup with every tag nested deeper than `limit` removed (its text kept; a removed
    block tag becomes a line break). Linear: one pass over the tags with a stack of open ones."""
    out: list[str] = []
    stack: list[str] = []
    dropped: dict[str, int] = {}
    last = 0
    for m in _TAG.finditer(text):
        closing, name = m.group(1), m.group(2).lower()
        if name in VOID or m.group(0).endswith("/>"):
            continue
        if not closing and len(stack) < limit:
            stack.append(name)
            continue
        if not closing:
            dropped[name] = dropped.get(name, 0) + 1
        elif dropped.get(name):
            dropped[name] -= 1
        else:
            if name in stack:
                del stack[len(stack) - 1 - stack[::-1].index(name):]
            continue
        out.append(text[last:m.start()])
        out.append("<br>" if name in BLOCK or name in ("td", "th", "tr") else "")
        last = m.end()
    out.append(text[last:])
    return "".join(out)


def parse_html(text: str) -> lxml.html.HtmlElement | None:
    """lxml.html tree (text_content(), cssselect()) of a list page or fragment; None if empty.
    Deep documents are flattened like in `parse`."""
    text = _XML_DECL.sub("", text, count=1)  # lxml refuses str input with an XML encoding declaration
    if not text.strip():
        return None
    return _parse_within_limits(text, lambda doc, parser: lxml.html.fromstring(doc, parser=parser),
                                _HTML_PARSER, _HTML_HUGE_PARSER)


_HTML_PARSER = lxml.html.HTMLParser()
_HTML_HUGE_PARSER = lxml.html.HTMLParser(huge_tree=True)


def clean_text(text: str | None) -> str:
    """Whitespace (incl. nbsp) collapsed to single spaces, stripped."""
    return re.sub(r"\s+", " ", (text or "").replace("\xa0", " ")).strip()


def squash(s: str | None) -> str:
    """Collapse whitespace (incl. U+3000 and nbsp) to single spaces and strip."""
    return WS.sub(" ", s).strip() if s else ""


# C0 and C1 controls (not tab/newline), DEL, bidi embeddings/overrides/isolates/marks, non-characters
_CONTROLS = dict.fromkeys((*range(0x09), 0x0B, 0x0C, 0x0D, *range(0x0E, 0x20), 0x7F, *range(0x80, 0xA0),
                           0x061C, 0x200E, 0x200F, *range(0x202A, 0x202F), *range(0x2066, 0x206A), 0xFFFE, 0xFFFF))
_CONTROLS.update({0x2028: "\n", 0x2029: "\n"})
_CONTROL_RE = re.compile("[" + "".join(re.escape(chr(c)) for c in _CONTROLS) + "]")


def strip_controls(s: str) -> str:
    """Text without control characters (bell, escape, bidi overrides ...); newlines and tabs stay."""
    return s.translate(_CONTROLS) if s and _CONTROL_RE.search(s) else s


def one_line(s: str | None) -> str:
    """One-line text: control characters dropped, whitespace runs (incl. newlines, tabs) as one space."""
    return squash(strip_controls(s or ""))


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


def _render(top: etree._Element, out: list[str]) -> None:
    """Append the reader text of `top` to `out` (iterative: documents may nest thousands deep)."""
    stack: list[etree._Element | str] = [top]
    while stack:
        el = stack.pop()
        if isinstance(el, str):
            out.append(el)
            continue
        tag = el.tag.lower() if isinstance(el.tag, str) else None
        if tag is None or tag in SKIP:  # comment / processing instruction, script ...
            continue
        if tag == "br":
            out.append("\n")
            continue
        if tag == "table" and not _is_layout_table(el):
            out.extend(("\n", _table_text(el), "\n"))
            continue
        block = tag in BLOCK or tag in ("td", "th")
        if block:
            out.append("\n")
        elif tag == "img":
            continue
        keep_newlines = tag in ("pre", "textarea", "plaintext", "xmp")
        if el.text:
            out.append(el.text if keep_newlines else el.text.translate(_SOURCE_NEWLINES))
        pending: list[etree._Element | str] = []
        for child in el:
            pending.append(child)
            if child.tail:
                pending.append(child.tail if keep_newlines else child.tail.translate(_SOURCE_NEWLINES))
        if block:
            pending.append("\n")
        stack.extend(reversed(pending))


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
