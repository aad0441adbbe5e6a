"""The next list page, in the forms gov CMSs write it (docs/govsites.md §2).

Each form is a finder `(root, html, url, rules) -> NextPage | None`; `next_page` tries them in
order: TRS ``createPageHTML(n, cur, "index", "html")``, a 下一页/next link, numbered page links,
a TRS page count alone (countPage / m_nRecordCount), Hanweb ``dataproxy.jsp``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from urllib.parse import parse_qsl, urljoin, urlsplit

import lxml.html

from crawler.extract.dom import clean_text
from crawler.extract.urls import absolute_link, without_fragment

from .hanweb import hanweb_first
from .links import NEXT_WORDS
from .model import ListRules, NextPage

TRS_CALL_RE = re.compile(
    r"createPageHTML\(\s*(?:['\"][^'\"]*['\"]\s*,\s*)?([\w.]+)\s*,\s*([\w.]+)\s*,\s*"
    r"['\"]([\w-]+)['\"]\s*,\s*['\"](\w+)['\"]"
)
TRS_VAR_RE = r"(?<![\w.$]){name}\s*=\s*['\"]?(\d+)"
TRS_INDEX_RE = re.compile(r"/(index)(?:_(\d+))?\.(s?html?)$|/$", re.I)
PAGE_PARAMS = ("page", "pagenum", "pageno", "pageindex", "p", "pn", "curpage", "currentpage")
CURRENT_CLASS_RE = re.compile(r"(?:^|\s|[-_])(?:current|active|cur|on|selected|thisclass)(?:$|\s|[-_])", re.I)
NEXT_CLASS_RE = re.compile(r"(?:^|\s|[-_])next(?:$|\s|[-_])", re.I)
PAGE_COUNT_RE = re.compile(r"页次\s*[:：]?\s*\d+\s*/\s*(\d+)|共\s*(\d+)\s*页|第\s*\d+\s*页\s*/\s*共?\s*(\d+)\s*页?")
MAX_PAGE_NUMBER = 100_000

Finder = Callable[[lxml.html.HtmlElement, str, str, ListRules], NextPage | None]


# ---------------------------------------------------------------- TRS


def _trs_value(token: str, html: str) -> int | None:
    """A createPageHTML argument: a number, or a script variable set to one."""
    if token.isdigit():
        return int(token)
    v = re.search(TRS_VAR_RE.format(name=re.escape(token)), html)
    return int(v.group(1)) if v else None


def trs_pager(root, html: str, base_url: str, rules: ListRules) -> NextPage | None:
    """TRS ``createPageHTML(count, current, "index", "html")``: index.html, index_1.html ..."""
    m = TRS_CALL_RE.search(html)
    if not m:
        return None
    count, cur = _trs_value(m.group(1), html), _trs_value(m.group(2), html)
    if count is None:
        return None
    if cur is None:
        cur = page_index_from_url(base_url) or 0
    name, ext = m.group(3), m.group(4)
    url = urljoin(base_url, f"{name}_{cur + 1}.{ext}") if cur + 1 < count else None
    return NextPage("trs", url, count)


def _trs_total(html: str) -> int | None:
    count = re.search(TRS_VAR_RE.format(name="countPage"), html)
    if count:
        return int(count.group(1))
    records = re.search(TRS_VAR_RE.format(name="m_nRecordCount"), html)
    size = re.search(TRS_VAR_RE.format(name="m_nPageSize"), html)
    if records and size and int(size.group(1)):
        return -(-int(records.group(1)) // int(size.group(1)))
    return None


def trs_counted(root, html: str, base_url: str, rules: ListRules) -> NextPage | None:
    """A TRS list whose pager script only sets countPage (or m_nRecordCount / m_nPageSize) and whose
    URL is index.html / index_N.html: the next page is index_{N+1}."""
    m = TRS_INDEX_RE.search(urlsplit(base_url).path)
    total = _trs_total(html) if m else None
    if total is None:
        return None
    cur = int(m.group(2) or 0)
    url = urljoin(base_url, f"index_{cur + 1}.{m.group(3) or 'html'}") if cur + 1 < total else None
    return NextPage("trs", url, total)


def page_index_from_url(url: str) -> int | None:
    """0-based TRS index from index_N.html, else a page=N query parameter (1-based)."""
    m = re.search(r"_(\d+)\.\w+$", urlsplit(url).path)
    if m:
        return int(m.group(1))
    for k, v in parse_qsl(urlsplit(url).query):
        if k.lower() in PAGE_PARAMS and v.isdigit():
            return int(v) - 1
    return None


# ---------------------------------------------------------------- links


def _pager_links(root: lxml.html.HtmlElement, base_url: str) -> Iterator[tuple[str, str, lxml.html.HtmlElement]]:
    """(text, absolute URL, element) of every link; image buttons by their alt/title."""
    for a in root.iter("a"):
        text = clean_text(a.text_content()).replace(" ", "")
        if not text:  # an image button: <a><img alt="下一页"></a>, or <a title="下一页">
            img = a.find(".//img")
            text = clean_text(a.get("title") or (img.get("alt") if img is not None else "")).replace(" ", "")
        url = absolute_link(a.get("href"), base_url)
        if url:
            yield text, url, a


def _says_next(text: str, a: lxml.html.HtmlElement) -> bool:
    word = text.lower()
    return (word in NEXT_WORDS or "下一页" in word or (a.get("rel") or "").lower() == "next"
            or bool(NEXT_CLASS_RE.search(a.get("class", ""))))


def next_link(root, html: str, base_url: str, rules: ListRules) -> NextPage | None:
    """A 下一页 / next / » link (or the site's `next_selector`)."""
    if rules.next_selector:
        urls = (absolute_link(a.get("href"), base_url) for a in root.cssselect(rules.next_selector))
        url = next((u for u in urls if u), None)
    else:
        page = without_fragment(base_url)
        url = next((u for text, u, a in _pager_links(root, base_url) if _says_next(text, a) and u != page), None)
    return NextPage("next", url) if url else None


def _current_number(root: lxml.html.HtmlElement, base_url: str) -> int:
    for el in root.iter("span", "a", "li", "b", "strong", "font", "em"):
        text = clean_text(el.text_content()).strip("[]【】 ")
        if text.isdigit() and CURRENT_CLASS_RE.search(el.get("class", "")):
            return int(text)
    idx = page_index_from_url(base_url)
    return (idx + 1) if idx is not None else 1


def _same_list(url: str, base_url: str) -> bool:
    """A sibling page of the list: same folder, or the same path with another page parameter."""
    a, b = urlsplit(url), urlsplit(base_url)
    if a.netloc != b.netloc:
        return False
    if a.path.rsplit("/", 1)[0] == b.path.rsplit("/", 1)[0]:
        return True
    return any(k.lower() in PAGE_PARAMS for k, _ in parse_qsl(a.query))


def numbered_links(root, html: str, base_url: str, rules: ListRules) -> NextPage | None:
    """Numbered page links (1 2 [3] 4 5): the lowest number after the current page."""
    page = without_fragment(base_url)
    numbered: dict[int, str] = {}
    for text, url, _a in _pager_links(root, base_url):
        t = text.strip("[]【】")
        if t.isdigit() and 1 <= int(t) <= MAX_PAGE_NUMBER and url != page and _same_list(url, base_url):
            numbered.setdefault(int(t), url)
    current = _current_number(root, base_url) if numbered else 0
    later = [n for n in numbered if n > current]
    return NextPage("numbered", numbered[min(later)]) if later else None


def hanweb_proxy(root, html: str, base_url: str, rules: ListRules) -> NextPage | None:
    return hanweb_first(html, base_url)


# ---------------------------------------------------------------- in order

# (rules.pagination values that allow it, finder, whether a result without a next URL counts)
FINDERS: tuple[tuple[frozenset[str], Finder, bool], ...] = (
    (frozenset(("auto", "trs")), trs_pager, True),  # a stated count: the last page has no next
    (frozenset(("auto", "next")), next_link, False),
    (frozenset(("auto", "numbered")), numbered_links, False),
    (frozenset(("auto", "trs")), trs_counted, True),  # after the links: countPage alone is only a hint
    (frozenset(("auto", "hanweb")), hanweb_proxy, False),
)


def next_page(root: lxml.html.HtmlElement, html: str, base_url: str, rules: ListRules) -> NextPage | None:
    """The first pagination form that applies, in the order of FINDERS."""
    for kinds, finder, final in FINDERS:
        if rules.pagination in kinds:
            found = finder(root, html, base_url, rules)
            if found is not None and (found.url or final):
                return found
    return None


def stated_page_count(root: lxml.html.HtmlElement) -> int | None:
    """The page count a pager states in words (页次：1/26, 共26页, 第1页/共26页)."""
    for el in root.iter("div", "td", "span", "p", "li", "font", "form"):
        text = el.text_content() if len(el) < 40 else ""
        if "页" in text and len(text) < 300:
            m = PAGE_COUNT_RE.search(text)
            if m:
                return int(next(g for g in m.groups() if g))
    return None
