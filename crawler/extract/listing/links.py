"""Announcement links of a list page: link candidates -> one score -> kept in page order.

An announcement link points to an article-like URL on the site, usually sits in a list item
next to a date, and is not in the navigation, breadcrumb or footer. A list item may also link
straight to a document file (a 公示 as .pdf, a form as .doc): that file is the announcement,
unless the item also links to a page (then the file is that page's attachment).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from urllib.parse import urlsplit

import lxml.html

from crawler.extract.dates import parse_date
from crawler.extract.dom import clean_text
from crawler.extract.urls import absolute_link, host_allowed, site_domain, without_fragment

from .model import ListItem, ListRules

ARTICLE_URL_RE = re.compile(
    r"""(
      /t\d{8}_\d+\.\w+$                     # TRS: /202302/t20230228_123.html
    | /art_\d+_\d+\.\w+$                    # Hanweb: /art/2017/5/24/art_1312722_7744076.html
    | /content_\d+\.\w+$ | /post_\d+\.\w+$   # gov.cn / gkmlpt
    | /(?:19|20)\d{4}/[^/]+\.\w+$           # a YYYYMM folder
    | /(?:19|20)\d{2}[-/]?\d{1,2}[-/]?\d{1,2}/[^/]+$   # a date in the path
    | /[^/]*\d{5,}[^/]*\.(?:s?html?|jhtml|jsp|php|aspx?)$   # a long number in the file name
    | [?&](?:docid|articleid|artid|contentid|infoid|newsid|id)=\w+
    )""",
    re.I | re.X,
)
#: Files a list item may publish as the announcement itself.
DOCUMENT_FILE_RE = re.compile(r"\.(?:pdf|docx?|xlsx?|wps|et|ofd)$", re.I)
INDEX_URL_RE = re.compile(r"/(?:index|default|list)(?:_\d+)?\.\w+$|/$", re.I)
FILE_EXT_RE = re.compile(
    r"\.(?:pdf|docx?|xlsx?|pptx?|wps|et|zip|rar|7z|jpe?g|png|gif|bmp|mp4|mp3|avi|txt|xml|css|js)$",
    re.I,
)
NAV_RE = re.compile(
    r"(?:^|[-_\s])(?:nav\w*|menu\w*|header|footer|foot|crumbs?|breadcrumbs?|position|location|"
    r"copyright|friendlinks?|yqlj|dh|daohang)(?:$|[-_\s\d])",
    re.I,
)
NAV_TAGS = {"nav", "header", "footer"}
ITEM_TAGS = {"li", "tr", "dd", "dt", "p", "article"}
PINNED_RE = re.compile(r"^\s*[\[【(（]?\s*(?:置顶|顶|top)\s*[\]】)）]?\s*[:：]?\s*", re.I)
NEXT_WORDS = {"下一页", "下页", "下一頁", "后页", "後頁", "后一页", "下一张",
              "next", "nextpage", "next»", "›", "»", ">", ">>"}
PAGER_WORDS = NEXT_WORDS | {"上一页", "上页", "前页", "首页", "末页", "尾页", "最后一页", "prev",
                            "previous", "first", "last", "‹", "«", "<", "<<", "跳转", "确定", "go"}
MIN_SCORE = 3
ITEM_TEXT_MAX = 400  # longer "items" are whole blocks: only the text next to the link counts


@dataclass(frozen=True)
class LinkCandidate:
    """An on-site link of a list page, with the list item (li/tr/dd ...) holding it."""

    anchor: lxml.html.HtmlElement
    item: lxml.html.HtmlElement
    url: str
    title: str
    item_text: str  # the item's text, or the link's neighbourhood in a long block

    @property
    def group(self) -> lxml.html.HtmlElement:
        """The list (ul, table ...) the item belongs to."""
        parent = self.item.getparent()
        return parent if parent is not None else self.item

    @property
    def is_file(self) -> bool:
        return bool(DOCUMENT_FILE_RE.search(urlsplit(self.url).path))

    def list_item(self) -> ListItem:
        pinned = bool(PINNED_RE.match(clean_text(self.item.text_content())) or "置顶" in self.item_text[:8])
        return ListItem(url=self.url, title=self.title, date=find_date(self.item_text), pinned=pinned,
                        is_file=self.is_file)


def find_date(text: str) -> str | None:
    """The item's YYYY-MM-DD date in `text` (``crawler.extract.dates.parse_date``, day only).

    parse_date prefers a labelled date (发布日期：…) and checks the calendar (no 2月30日).
    """
    found = parse_date(text) if text else None
    return found[:10] if found else None


def link_title(a: lxml.html.HtmlElement) -> str:
    """The link's title: its text, or the title attribute when that is longer (lists truncate)."""
    text = PINNED_RE.sub("", clean_text(a.text_content()))
    title = PINNED_RE.sub("", clean_text(a.get("title")))
    # Lists truncate long titles ("...关于…的通…"); the title attribute keeps the full one.
    if title and (len(title) > len(text) or text.endswith(("...", "…", "..", "。。。"))):
        return title
    return text or title


def is_pager_text(text: str) -> bool:
    t = text.replace(" ", "").strip("[]【】").lower()
    return t.isdigit() or t in PAGER_WORDS


def looks_like_article_url(url: str) -> bool:
    parts = urlsplit(url)
    if FILE_EXT_RE.search(parts.path):
        return False
    if INDEX_URL_RE.search(parts.path) and not parts.query:
        return False
    return bool(ARTICLE_URL_RE.search(parts.path + ("?" + parts.query if parts.query else "")))


# ---------------------------------------------------------------- candidates


def _item_element(a: lxml.html.HtmlElement) -> lxml.html.HtmlElement:
    """The list item holding link `a` (its li/tr/dd..., else its parent)."""
    el = a.getparent()
    for _ in range(4):
        if el is None:
            break
        if el.tag in ITEM_TAGS:
            return el
        el = el.getparent()
    return a.getparent() if a.getparent() is not None else a


def _anchors(
    root: lxml.html.HtmlElement, rules: ListRules
) -> Iterator[tuple[lxml.html.HtmlElement, lxml.html.HtmlElement]]:
    """(link, list item) pairs: the site's item selector, else every link with an href."""
    if rules.item_selector:
        for item_el in root.cssselect(rules.item_selector):
            links = item_el.cssselect(rules.link_selector or "a") or ([item_el] if item_el.tag == "a" else [])
            for a in links[:1]:
                yield a, item_el
        return
    for a in root.iter("a"):
        if a.get("href"):
            yield a, _item_element(a)


def _item_text(a: lxml.html.HtmlElement, item_el: lxml.html.HtmlElement) -> str:
    text = clean_text(item_el.text_content())
    if len(text) > ITEM_TEXT_MAX:
        near = a.getparent() if a.getparent() is not None else a
        text = clean_text(near.text_content())[:ITEM_TEXT_MAX]
    return text


def link_candidates(root: lxml.html.HtmlElement, base_url: str, rules: ListRules,
                    domains: tuple[str, ...]) -> Iterator[LinkCandidate]:
    """On-site links but for excluded URLs, the page itself, pager buttons and files other
    than documents (images, archives, scripts ...)."""
    exclude = re.compile(rules.exclude_pattern) if rules.exclude_pattern else None
    page_url = without_fragment(base_url)
    for a, item_el in _anchors(root, rules):
        url = absolute_link(a.get("href"), base_url)
        if not url or url == page_url or not host_allowed(url, domains):
            continue
        path = urlsplit(url).path
        if (FILE_EXT_RE.search(path) and not DOCUMENT_FILE_RE.search(path)) or (exclude and exclude.search(url)):
            continue
        title = link_title(a)
        if not is_pager_text(title):
            yield LinkCandidate(a, item_el, url, title, _item_text(a, item_el))


# ---------------------------------------------------------------- score


def _in_nav(a: lxml.html.HtmlElement) -> bool:
    for el in a.iterancestors():
        if not isinstance(el.tag, str):
            continue
        if el.tag in NAV_TAGS or NAV_RE.search(f"{el.get('class', '')} {el.get('id', '')}"):
            return True
    return False


def link_score(c: LinkCandidate) -> int:
    """+2 a date in the item, +2 an article-like URL, +1 a real title, -3 inside navigation."""
    score = 0
    if find_date(c.item_text):
        score += 2
    if looks_like_article_url(c.url):
        score += 2
    if len(c.title) >= 8:
        score += 1
    if _in_nav(c.anchor):
        score -= 3
    return score


def _accepts(rules: ListRules, relaxed: bool) -> Callable[[LinkCandidate], bool]:
    include = re.compile(rules.article_pattern) if rules.article_pattern else None
    if include is not None:
        return lambda c: bool(include.search(c.url))
    if relaxed or rules.item_selector:
        return lambda c: True
    return lambda c: link_score(c) >= MIN_SCORE


def announcement_links(root: lxml.html.HtmlElement, base_url: str, *, rules: ListRules,
                       allowed_domains: Iterable[str] = (), relaxed: bool = False) -> list[LinkCandidate]:
    """Every announcement-like link, in page order, one per URL.

    `relaxed`: every on-site link counts (Hanweb records are list items by definition). Without
    `allowed_domains`, links to any host of the page's own gov site count (www.x.gov.cn lists
    link to xxgk.x.gov.cn).
    """
    domains = tuple(allowed_domains) or (site_domain(base_url),)
    accepts = _accepts(rules, relaxed)
    seen: set[str] = set()
    out = []
    candidates = list(link_candidates(root, base_url, rules, domains))
    with_pages = {id(c.item) for c in candidates if not c.is_file}
    for c in candidates:
        if c.is_file and id(c.item) in with_pages:
            continue  # the item's page is the announcement, the file its attachment
        if c.url not in seen and accepts(c):
            seen.add(c.url)
            out.append(c)
    return out
