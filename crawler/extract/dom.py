"""lxml parsing and reader-style text rendering (paragraphs by newline, tables by tab)."""

from __future__ import annotations

import re

import lxml.html
from lxml import etree

_CLOSING = re.compile(r"</(?:html|body)\s*>", re.I)
_XML_DECL = re.compile(r"^\s*<\?xml[^>]*>", re.I)
WS = re.compile(r"[\s\u3000\xa0\u200b\ufeff]+")

BLOCK = frozenset(
    "p div section article h1 h2 h3 h4 h5 h6 li ul ol dl dt dd blockquote pre table tr form header "
    "footer center address figure figcaption hr main nav aside fieldset caption tbody thead tfoot "
    "title body html".split()
)
SKIP = frozenset("script style noscript template iframe object embed select option button input "
                 "textarea svg canvas video audio map head".split())

HIDDEN_XPATH = (
    "//*[@hidden "
    "or contains(translate(@style,' ',''),'display:none') "
    "or contains(translate(@style,' ',''),'visibility:hidden') "
    "or contains(concat(' ',normalize-space(@class),' '),' ng-hide ') "
    "or contains(concat(' ',normalize-space(@class),' '),' hide ') "
    "or contains(concat(' ',normalize-space(@class),' '),' hidden ') "
    "or contains(concat(' ',normalize-space(@class),' '),' d-none ')]"
)


def parse(text: str) -> lxml.html.HtmlElement:
    """Parse the whole document; pages with two </html> tags keep everything after the first."""
    text = _XML_DECL.sub("", text, count=1)
    if len(re.findall(r"</html\s*>", text, re.I)) > 1:
        text = _CLOSING.sub("", text)
    if not text.strip():
        text = "<html><body></body></html>"
    try:
        return lxml.html.document_fromstring(text)
    except (etree.ParserError, ValueError):
        return lxml.html.document_fromstring("<html><body></body></html>")


def squash(s: str | None) -> str:
    """Collapse whitespace (incl. U+3000 and nbsp) to single spaces and strip."""
    return WS.sub(" ", s).strip() if s else ""


def compact(s: str | None) -> str:
    """Text with all whitespace removed (for comparisons)."""
    return WS.sub("", s) if s else ""


def drop(el: lxml.html.HtmlElement) -> None:
    """Remove an element but keep its tail text."""
    parent = el.getparent()
    if parent is not None:
        el.drop_tree()


def text_of(el: lxml.html.HtmlElement) -> str:
    """Rendered text of an element, block-aware."""
    out: list[str] = []
    _render(el, out)
    return _tidy("".join(out))


CELL = "\ue000"  # cell separator while rendering; becomes a tab after whitespace is squashed


def _tidy(raw: str) -> str:
    lines = (squash(line).replace(f" {CELL} ", "\t").replace(CELL, "\t") for line in raw.split("\n"))
    return "\n".join(line for line in lines if line.strip("\t"))


def _render(el: lxml.html.HtmlElement, out: list[str]) -> None:
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
    if el.text:
        out.append(el.text)
    for child in el:
        _render(child, out)
        if child.tail:
            out.append(child.tail)
    if block:
        out.append("\n")


def _is_layout_table(table: lxml.html.HtmlElement) -> bool:
    return bool(table.xpath(".//table"))


def _table_text(table: lxml.html.HtmlElement) -> str:
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


def inline_text(el: lxml.html.HtmlElement) -> str:
    """Text of an element on one line (br and blocks joined by spaces), scripts skipped."""
    parts: list[str] = []
    _render(el, parts)
    return squash("".join(parts).replace("\n", " "))
