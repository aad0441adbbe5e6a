"""List (column) pages: find the announcement links and the next page to walk.

Pure functions over HTML text; no Scrapy. Generic detection works without a site definition:
an announcement link points to an article-like URL on the site, usually sits in a list item
next to a date, and is not in the navigation, breadcrumb or footer. Pagination comes in the
forms described in docs/govsites.md §2: a 下一页/next link, TRS ``createPageHTML(n, cur,
"index", "html")`` (index.html, index_1.html ...), numbered page links, and Hanweb
``dataproxy.jsp`` XML records (``<record><![CDATA[<li>...]]></record>``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit, urlunsplit

import lxml.etree
import lxml.html

from crawler.extract.classify import challenge
from crawler.extract.dates import parse_date
from crawler.extract.decoding import decode_html

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
NEXT_WORDS = {"下一页", "下页", "下一頁", "后页", "後頁", "后一页", "下一张", "next", "nextpage", "next»", "›", "»", ">", ">>"}
PAGER_WORDS = NEXT_WORDS | {"上一页", "上页", "前页", "首页", "末页", "尾页", "最后一页", "prev",
                            "previous", "first", "last", "‹", "«", "<", "<<", "跳转", "确定", "go"}
CURRENT_CLASS_RE = re.compile(r"(?:^|\s|[-_])(?:current|active|cur|on|selected|thisclass)(?:$|\s|[-_])",
                              re.I)
TRS_CALL_RE = re.compile(
    r"createPageHTML\(\s*(?:['\"][^'\"]*['\"]\s*,\s*)?([\w.]+)\s*,\s*([\w.]+)\s*,\s*"
    r"['\"]([\w-]+)['\"]\s*,\s*['\"](\w+)['\"]"
)
TRS_VAR_RE = r"(?<![\w.$]){name}\s*=\s*['\"]?(\d+)"
PAGE_PARAMS = ("page", "pagenum", "pageno", "pageindex", "p", "pn", "curpage", "currentpage")
DATAPROXY_RE = re.compile(r"""["']?((?:[\w./:-]*/)?dataproxy\.jsp\?[^"'\s<>]*)""", re.I)
HANWEB_POST_RE = re.compile(r"""["']((?:[\w./:-]*/)?dataproxy\.jsp)["']""", re.I)
HANWEB_PARAM_RE = re.compile(
    r"""\b(col|appid|webid|path|columnid|unitid|webname|permissiontype|sourceContentType)"""
    r"""["']?\s*[:=]\s*(["']?)([^"',}&\s]*)\2""")
DATASTORE_RE = re.compile(r"<datastore>.*?</datastore>|<recordset>.*?</recordset>", re.S | re.I)
RECORD_RE = re.compile(r"<record>\s*<!\[CDATA\[(.*?)\]\]>\s*</record>", re.S | re.I)
MIN_SCORE = 3
PINNED_RE = re.compile(r"^\s*[\[【(（]?\s*(?:置顶|顶|top)\s*[\]】)）]?\s*[:：]?\s*", re.I)
PAGE_COUNT_RE = re.compile(r"页次\s*[:：]?\s*\d+\s*/\s*(\d+)|共\s*(\d+)\s*页|第\s*\d+\s*页\s*/\s*共?\s*(\d+)\s*页?")
SIDE_RE = re.compile(
    r"(?:^|[-_\s])(?:side\w*|aside|hot\w*|rd\w*|rank\w*|tj|tuijian|recommend\w*|related|xg\w*)"
    r"(?:$|[-_\s\d])", re.I)
SIDE_HEAD_RE = re.compile(r"^[【\[]?(?:热点|热门|推荐|相关|最新|排行|点击排行|图片|专题|友情)")
# Second-level suffixes under which a site's own domain has three labels (www.hd.gov.cn -> hd.gov.cn).
SHARED_SUFFIXES = ("gov.cn", "com.cn", "org.cn", "net.cn", "edu.cn", "ac.cn")
PAGINATION_KINDS = ("auto", "next", "trs", "numbered", "hanweb", "none")


@dataclass(frozen=True)
class ListRules:
    """Optional hints for list pages; empty values mean 'detect automatically'."""

    item_selector: str = ""  # CSS selecting each list item (e.g. "div.list li")
    link_selector: str = "a"  # CSS of the article link inside an item
    article_pattern: str = ""  # regex an article URL must match (search)
    exclude_pattern: str = ""  # regex of URLs never treated as articles
    pagination: str = "auto"  # auto | next | trs | numbered | hanweb | none
    next_selector: str = ""  # CSS of the next-page link (with pagination = "next")


@dataclass(frozen=True)
class ListItem:
    """An announcement link found on a list page."""

    url: str
    title: str = ""
    date: str | None = None  # YYYY-MM-DD when the list shows one
    pinned: bool = False  # marked 置顶 (kept at the top whatever its date)


@dataclass
class ListPage:
    """What a list page tells the crawler."""

    items: list[ListItem] = field(default_factory=list)
    next_url: str | None = None
    pagination: str = "none"  # next | trs | numbered | hanweb | none
    total_pages: int | None = None
    next_form: dict[str, str] | None = None  # POST body for the next page (newer Hanweb form)


# ---------------------------------------------------------------- small helpers


def clean_text(text: str | None) -> str:
    return re.sub(r"\s+", " ", (text or "").replace("\xa0", " ")).strip()


def find_date(text: str) -> str | None:
    """The item's YYYY-MM-DD date in `text` (``crawler.extract.dates.parse_date``, day only).

    parse_date prefers a labelled date (发布日期：…) and checks the calendar (no 2月30日).
    """
    found = parse_date(text) if text else None
    return found[:10] if found else None


def site_domain(url: str) -> str:
    """The gov site's own domain: www.example.gov.cn and xxgk.example.gov.cn -> example.gov.cn."""
    host = (urlsplit(url).hostname or "").lower()
    labels = host.split(".")
    if len(labels) < 3 or host.replace(".", "").isdigit():
        return host
    n = 3 if ".".join(labels[-2:]) in SHARED_SUFFIXES else 2
    return ".".join(labels[-n:])


def host_allowed(url: str, domains: Iterable[str]) -> bool:
    host = (urlsplit(url).hostname or "").lower()
    return any(host == d or host.endswith("." + d) for d in domains)


def _resolve(href: str | None, base: str) -> str | None:
    href = (href or "").strip()
    if not href or href.startswith(("#", "javascript:", "mailto:", "tel:", "data:")):
        return None
    url = urljoin(base, href)
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https"):
        return None
    return urlunsplit(parts._replace(fragment=""))


def _parse_html(html: str | bytes) -> lxml.html.HtmlElement | None:
    if isinstance(html, str):
        # lxml refuses str input with an XML encoding declaration.
        html = re.sub(r"^\s*<\?xml[^>]*\?>", "", html)
    if not html or not str(html).strip():
        return None
    try:
        return lxml.html.fromstring(html)
    except (lxml.etree.ParserError, ValueError):
        return None


def _classes(el: lxml.html.HtmlElement) -> str:
    return f"{el.get('class', '')} {el.get('id', '')}"


def _in_nav(a: lxml.html.HtmlElement) -> bool:
    for el in a.iterancestors():
        if not isinstance(el.tag, str):
            continue
        if el.tag in NAV_TAGS or NAV_RE.search(_classes(el)):
            return True
    return False


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


def _link_title(a: lxml.html.HtmlElement) -> str:
    text = PINNED_RE.sub("", clean_text(a.text_content()))
    title = PINNED_RE.sub("", clean_text(a.get("title")))
    # Lists truncate long titles ("...关于…的通…"); the title attribute keeps the full one.
    if title and (len(title) > len(text) or text.endswith(("...", "…", "..", "。。。"))):
        return title
    return text or title


def _is_pager_text(text: str) -> bool:
    t = text.replace(" ", "").strip("[]【】").lower()
    return t.isdigit() or t in PAGER_WORDS


def looks_like_article_url(url: str) -> bool:
    path = urlsplit(url).path
    if FILE_EXT_RE.search(path):
        return False
    if INDEX_URL_RE.search(path) and not urlsplit(url).query:
        return False
    return bool(ARTICLE_URL_RE.search(path + ("?" + urlsplit(url).query if urlsplit(url).query else "")))


def _score(a: lxml.html.HtmlElement, url: str, item_text: str) -> int:
    score = 0
    if find_date(item_text):
        score += 2
    if looks_like_article_url(url):
        score += 2
    if len(_link_title(a)) >= 8:
        score += 1
    if _in_nav(a):
        score -= 3
    return score


# ---------------------------------------------------------------- items


def find_items(
    root: lxml.html.HtmlElement,
    base_url: str,
    *,
    rules: ListRules | None = None,
    allowed_domains: Iterable[str] = (),
    relaxed: bool = False,
) -> list[ListItem]:
    """Announcement links of a parsed list page, in page order, without duplicates.

    `relaxed`: every on-site link counts (used for Hanweb records, which are list items by
    definition). Without `allowed_domains`, links to any host of the page's own gov site count
    (www.x.gov.cn lists link to xxgk.x.gov.cn). Without site rules, only the page's main list
    is kept, not the sidebars of other columns (see `_main_lists`).
    """
    items, groups = _find_items(root, base_url, rules=rules or ListRules(), allowed_domains=allowed_domains,
                                relaxed=relaxed)
    if relaxed or (rules and (rules.article_pattern or rules.item_selector)):
        return items
    return _main_lists(items, groups, base_url)


def _find_items(root: lxml.html.HtmlElement, base_url: str, *, rules: ListRules,
                allowed_domains: Iterable[str], relaxed: bool) -> tuple[list[ListItem], list]:
    """Every announcement-like link, with the list element (ul, table ...) holding each."""
    domains = tuple(allowed_domains) or (site_domain(base_url),)
    include = re.compile(rules.article_pattern) if rules.article_pattern else None
    exclude = re.compile(rules.exclude_pattern) if rules.exclude_pattern else None
    page_url = urlunsplit(urlsplit(base_url)._replace(fragment=""))
    seen: set[str] = set()
    items: list[ListItem] = []
    groups: list[lxml.html.HtmlElement] = []
    for a, item_el in _candidate_links(root, rules):
        url = _resolve(a.get("href"), base_url)
        if not url or url == page_url or url in seen or not host_allowed(url, domains):
            continue
        if FILE_EXT_RE.search(urlsplit(url).path) or (exclude and exclude.search(url)):
            continue
        title = _link_title(a)
        if _is_pager_text(title):
            continue
        item_text = clean_text(item_el.text_content())
        if len(item_text) > 400:  # the "item" is a whole block: only look next to the link
            item_text = clean_text((a.getparent() if a.getparent() is not None else a).text_content())[:400]
        if include is not None:
            if not include.search(url):
                continue
        elif not (relaxed or rules.item_selector) and _score(a, url, item_text) < MIN_SCORE:
            continue
        seen.add(url)
        pinned = bool(PINNED_RE.match(clean_text(item_el.text_content())) or "置顶" in item_text[:8])
        items.append(ListItem(url=url, title=title, date=find_date(item_text), pinned=pinned))
        groups.append(item_el.getparent() if item_el.getparent() is not None else item_el)
    return items, groups


def _main_lists(items: list[ListItem], groups: list, base_url: str) -> list[ListItem]:
    """The items of the page's main list(s): the largest list, and the others that look like it.

    When the main list links into the page's own column folder (/zwgk/tzgg/...), other lists must
    too (or be as long); otherwise a list is kept when it is at least half as long and does not
    sit in a sidebar (热点/推荐/相关 boxes, left/right columns).
    """
    groups = _merge_single_groups(groups)
    by_group: dict[int, list[int]] = {}
    for i, g in enumerate(groups):
        by_group.setdefault(id(g), []).append(i)
    if len(by_group) <= 1:
        return items
    main_key = max(by_group, key=lambda k: (len(by_group[k]), not _in_sidebar(groups[by_group[k][0]])))
    main = by_group[main_key]
    folder = urlsplit(base_url).path.rsplit("/", 1)[0] + "/"

    def in_column(idx: list[int]) -> bool:
        return folder != "/" and 2 * sum(urlsplit(items[i].url).path.startswith(folder) for i in idx) > len(idx)

    main_in = in_column(main)
    keep: set[int] = set()
    for key, idx in by_group.items():
        group_el = groups[idx[0]]
        if key == main_key or len(idx) >= len(main) and not _in_sidebar(group_el):
            keep.update(idx)
        elif main_in:
            if in_column(idx):
                keep.update(idx)
        elif 2 * len(idx) >= len(main) and not _in_sidebar(group_el):
            keep.update(idx)
    return [item for i, item in enumerate(items) if i in keep]


def _merge_single_groups(groups: list) -> list:
    """One link per wrapper (<div class=item><h3><a>, one <ul> per row): climb to the shared block."""
    groups = list(groups)
    for _ in range(3):
        counts: dict[int, int] = {}
        for g in groups:
            counts[id(g)] = counts.get(id(g), 0) + 1
        climbed = False
        for i, g in enumerate(groups):
            parent = g.getparent() if isinstance(g, lxml.html.HtmlElement) else None
            if counts[id(g)] == 1 and parent is not None and parent.tag not in ("body", "html"):
                groups[i], climbed = parent, True
        if not climbed:
            break
    return groups


def _in_sidebar(el: lxml.html.HtmlElement) -> bool:
    """A box of another column's links: named so (hot/side/related ...) or headed 热点/推荐/相关/最新 ..."""
    if not isinstance(el, lxml.html.HtmlElement):
        return False
    for anc in el.iterancestors():
        if isinstance(anc.tag, str) and SIDE_RE.search(_classes(anc)):
            return True
    if isinstance(el.tag, str) and SIDE_RE.search(_classes(el)):
        return True
    return any(box is not None and SIDE_HEAD_RE.match(_box_heading(box)) for box in (el, el.getparent()))


def _box_heading(box: lxml.html.HtmlElement) -> str:
    """The box's first text when it is a short caption, not a link (a list entry)."""
    for node in box.iter():
        if not isinstance(node.tag, str):
            continue
        text = (node.text or "").strip()
        if text:
            in_link = node.tag == "a" or any(a.tag == "a" for a in node.iterancestors())
            return "" if in_link or len(text) > 10 else text
    return ""


def _candidate_links(root: lxml.html.HtmlElement, rules: ListRules):
    if rules.item_selector:
        for item_el in root.cssselect(rules.item_selector):
            links = item_el.cssselect(rules.link_selector or "a") or (
                [item_el] if item_el.tag == "a" else [])
            for a in links[:1]:
                yield a, item_el
        return
    for a in root.iter("a"):
        if a.get("href"):
            yield a, _item_element(a)


# ---------------------------------------------------------------- pagination


TRS_INDEX_RE = re.compile(r"/(index)(?:_(\d+))?\.(s?html?)$|/$", re.I)


def _trs_counted(html: str, base_url: str) -> tuple[str | None, int | None]:
    """A TRS list whose pager script only sets countPage (or m_nRecordCount / m_nPageSize) and whose
    URL is index.html / index_N.html: the next page is index_{N+1}."""
    m = TRS_INDEX_RE.search(urlsplit(base_url).path)
    if not m:
        return None, None
    count = re.search(TRS_VAR_RE.format(name="countPage"), html)
    if count:
        total = int(count.group(1))
    else:
        records = re.search(TRS_VAR_RE.format(name="m_nRecordCount"), html)
        size = re.search(TRS_VAR_RE.format(name="m_nPageSize"), html)
        if not (records and size and int(size.group(1))):
            return None, None
        total = -(-int(records.group(1)) // int(size.group(1)))
    cur = int(m.group(2) or 0)
    if cur + 1 >= total:
        return None, total
    return urljoin(base_url, f"index_{cur + 1}.{m.group(3) or 'html'}"), total


def _trs_next(html: str, base_url: str) -> tuple[str | None, int | None]:
    m = TRS_CALL_RE.search(html)
    if not m:
        return None, None

    def value(token: str) -> int | None:
        if token.isdigit():
            return int(token)
        v = re.search(TRS_VAR_RE.format(name=re.escape(token)), html)
        return int(v.group(1)) if v else None

    count, cur = value(m.group(1)), value(m.group(2))
    if count is None:
        return None, None
    if cur is None:
        cur = _page_index_from_url(base_url) or 0
    name, ext = m.group(3), m.group(4)
    if cur + 1 >= count:
        return None, count
    return urljoin(base_url, f"{name}_{cur + 1}.{ext}"), count


def _page_index_from_url(url: str) -> int | None:
    """0-based TRS index from index_N.html, else a page=N query parameter (1-based)."""
    m = re.search(r"_(\d+)\.\w+$", urlsplit(url).path)
    if m:
        return int(m.group(1))
    for k, v in parse_qsl(urlsplit(url).query):
        if k.lower() in PAGE_PARAMS and v.isdigit():
            return int(v) - 1
    return None


def _pager_links(root: lxml.html.HtmlElement, base_url: str) -> list[tuple[str, str, lxml.html.HtmlElement]]:
    links = []
    for a in root.iter("a"):
        text = clean_text(a.text_content()).replace(" ", "")
        if not text:  # an image button: <a><img alt="下一页"></a>, or <a title="下一页">
            img = a.find(".//img")
            text = clean_text(a.get("title") or (img.get("alt") if img is not None else "")).replace(" ", "")
        url = _resolve(a.get("href"), base_url)
        if url:
            links.append((text, url, a))
    return links


def _next_link(root: lxml.html.HtmlElement, base_url: str, selector: str = "") -> str | None:
    if selector:
        for a in root.cssselect(selector):
            url = _resolve(a.get("href"), base_url)
            if url:
                return url
        return None
    page = urlsplit(base_url)._replace(fragment="").geturl()
    for text, url, a in _pager_links(root, base_url):
        rel = (a.get("rel") or "").lower()
        word = text.lower()
        if (word in NEXT_WORDS or "下一页" in word or rel == "next"
                or re.search(r"(?:^|\s|[-_])next(?:$|\s|[-_])", a.get("class", ""), re.I)):
            if url != page:
                return url
    return None


def _current_number(root: lxml.html.HtmlElement, base_url: str) -> int:
    for el in root.iter("span", "a", "li", "b", "strong", "font", "em"):
        text = clean_text(el.text_content()).strip("[]【】 ")
        if text.isdigit() and CURRENT_CLASS_RE.search(el.get("class", "")):
            return int(text)
    idx = _page_index_from_url(base_url)
    return (idx + 1) if idx is not None else 1


def _same_list(url: str, base_url: str) -> bool:
    """A sibling page of the list: same folder, or the same path with another page parameter."""
    a, b = urlsplit(url), urlsplit(base_url)
    if a.netloc != b.netloc:
        return False
    if a.path.rsplit("/", 1)[0] == b.path.rsplit("/", 1)[0]:
        return True
    return any(k.lower() in PAGE_PARAMS for k, _ in parse_qsl(a.query))


def _numbered_next(root: lxml.html.HtmlElement, base_url: str) -> str | None:
    page = urlsplit(base_url)._replace(fragment="").geturl()
    numbered: dict[int, str] = {}
    for text, url, _a in _pager_links(root, base_url):
        t = text.strip("[]【】")
        if t.isdigit() and 1 <= int(t) <= 100000 and url != page and _same_list(url, base_url):
            numbered.setdefault(int(t), url)
    if not numbered:
        return None
    current = _current_number(root, base_url)
    later = [n for n in numbered if n > current]
    return numbered[min(later)] if later else None


# ---------------------------------------------------------------- Hanweb dataproxy.jsp


def parse_datastore(xml: str, base_url: str, *, rules: ListRules | None = None,
                    allowed_domains: Iterable[str] = ()) -> tuple[list[ListItem], int | None]:
    """Items and total page count of a Hanweb ``<datastore>`` document."""
    items: list[ListItem] = []
    seen: set[str] = set()
    for record in RECORD_RE.findall(xml):
        root = _parse_html(f"<div>{record}</div>")
        if root is None:
            continue
        for item in find_items(root, base_url, rules=rules, allowed_domains=allowed_domains,
                               relaxed=True):
            if item.url not in seen:
                seen.add(item.url)
                items.append(item)
                break  # one announcement per record
    m = re.search(r"<totalpage>\s*(\d+)", xml)
    total = int(m.group(1)) if m else None
    if total is None:
        rec = re.search(r"<totalrecord>\s*(\d+)", xml)
        per = re.search(r"perpage=(\d+)", xml) or re.search(r"<perpage>\s*(\d+)", xml)
        if rec and per and int(per.group(1)):
            total = -(-int(rec.group(1)) // int(per.group(1)))
    return items, total


def _set_query(url: str, **params: int) -> str:
    parts = urlsplit(url)
    query = parse_qsl(parts.query, keep_blank_values=True)
    names = {k.lower(): k for k, _ in query}
    updated = dict(query)
    for k, v in params.items():
        updated[names.get(k.lower(), k)] = str(v)
    return urlunsplit(parts._replace(query=urlencode(list(updated.items()))))


def hanweb_next(url: str, total_pages: int | None, item_count: int) -> str | None:
    """The next dataproxy.jsp URL after `url` (page=N or startrecord/endrecord forms)."""
    query = {k.lower(): v for k, v in parse_qsl(urlsplit(url).query)}
    if "startrecord" in query and "endrecord" in query:
        start, end = int(query["startrecord"] or 1), int(query["endrecord"] or 0)
        step = max(end - start + 1, 1)
        if item_count == 0 or item_count < step:
            return None
        return _set_query(url, startrecord=start + step, endrecord=end + step)
    page = int(query.get("page", "1") or 1)
    if item_count == 0 or (total_pages is not None and page >= total_pages):
        return None
    return _set_query(url, page=page + 1)


def _hanweb_first(html: str, base_url: str) -> tuple[str | None, dict[str, str] | None]:
    """The first dataproxy.jsp request of a Hanweb column page: (url, POST form or None)."""
    for m in DATAPROXY_RE.finditer(html):
        url = urljoin(base_url, m.group(1).replace("&amp;", "&"))
        query = {k.lower() for k, _ in parse_qsl(urlsplit(url).query)}
        if "startrecord" in query:
            return url, _hanweb_params(html)
        return _set_query(url, page=1), None
    proxy = HANWEB_POST_RE.search(html)
    params = _hanweb_params(html)
    if proxy and params:
        # Newer JCMS: POST ?startrecord=&endrecord=&perpage= with the column ids in the body;
        # one answer holds three display pages (docs/govsites.md §2.3).
        per = re.search(r"perpage\s*[:=]\s*['\"]?(\d+)", html, re.I)
        size = int(per.group(1)) if per else 15
        url = urljoin(base_url, proxy.group(1)) + f"?startrecord=1&endrecord={3 * size}&perpage={size}"
        return url, params
    return None, None


def _hanweb_params(html: str) -> dict[str, str] | None:
    """Column parameters of a Hanweb list (columnid, unitid, webid ...) from the page's script."""
    params = {k: v for k, _q, v in HANWEB_PARAM_RE.findall(html)}
    return params if "columnid" in params else None


def is_datastore(text: str) -> bool:
    return bool(re.match(r"\s*(?:<\?xml[^>]*\?>\s*)?<datastore>", text, re.I))


# ---------------------------------------------------------------- entry point


def parse_list(
    html: str,
    url: str,
    *,
    rules: ListRules | None = None,
    allowed_domains: Iterable[str] = (),
    form: dict[str, str] | None = None,
) -> ListPage:
    """Items and pagination of a list page (HTML, or a Hanweb dataproxy.jsp XML answer).

    `form`: the POST body that fetched this page (newer Hanweb), reused for the next one.
    """
    rules = rules or ListRules()
    if is_datastore(html):
        items, total = parse_datastore(html, url, rules=rules, allowed_domains=allowed_domains)
        nxt = hanweb_next(url, total, len(items)) if rules.pagination in ("auto", "hanweb") else None
        return ListPage(items, nxt, "hanweb", total_pages=total, next_form=form if nxt else None)
    root = _parse_html(html)
    if root is None:
        return ListPage()
    items, groups = _find_items(root, url, rules=rules, allowed_domains=allowed_domains, relaxed=False)
    records = object()  # the Hanweb records below count as one list
    for store in DATASTORE_RE.findall(html):  # Hanweb pages embed the first group of records
        extra, _ = parse_datastore(store, url, rules=rules, allowed_domains=allowed_domains)
        known = {i.url for i in items}
        fresh = [i for i in extra if i.url not in known]
        items += fresh
        groups += [records] * len(fresh)
    if not (rules.article_pattern or rules.item_selector):
        items = _main_lists(items, groups, url)
    page = ListPage(items)
    _paginate(page, root, html, url, rules)
    if page.total_pages is None:
        page.total_pages = _page_count(root)
    return page


def _page_count(root: lxml.html.HtmlElement) -> int | None:
    """The page count a pager states in words (页次：1/26, 共26页, 第1页/共26页)."""
    for el in root.iter("div", "td", "span", "p", "li", "font", "form"):
        text = el.text_content() if len(el) < 40 else ""
        if "页" in text and len(text) < 300:
            m = PAGE_COUNT_RE.search(text)
            if m:
                return int(next(g for g in m.groups() if g))
    return None


def _paginate(page: ListPage, root: lxml.html.HtmlElement, html: str, url: str,
              rules: ListRules) -> None:
    kind = rules.pagination
    if kind == "none":
        return
    if kind in ("auto", "trs"):
        nxt, total = _trs_next(html, url)
        if total is not None:
            page.next_url, page.pagination, page.total_pages = nxt, "trs", total
            return
    if kind in ("auto", "next"):
        nxt = _next_link(root, url, rules.next_selector)
        if nxt:
            page.next_url, page.pagination = nxt, "next"
            return
    if kind in ("auto", "numbered"):
        nxt = _numbered_next(root, url)
        if nxt:
            page.next_url, page.pagination = nxt, "numbered"
            return
    if kind in ("auto", "trs"):
        nxt, total = _trs_counted(html, url)  # after the links: countPage alone is only a hint
        if total is not None:
            page.next_url, page.pagination, page.total_pages = nxt, "trs", total
            return
    if kind in ("auto", "hanweb"):
        nxt, form = _hanweb_first(html, url)
        if nxt:
            page.next_url, page.pagination, page.next_form = nxt, "hanweb", form


def looks_like_antibot(body: bytes, status: int = 200) -> bool:
    """A WAF challenge (瑞数 412, 加速乐 521, WZWS ...) rather than a real page.

    A challenge marker (``crawler.extract.classify.challenge``) alone is not enough: Ruishu
    sites put ``$_ts`` on real pages too. A page with announcement-like links or readable
    text is real; a challenge shell has scripts and next to nothing visible.
    """
    if status in (412, 521):
        return True
    text = decode_html(body[:SNIFF_BYTES], {})[0]
    if challenge(text, status) is None:
        return False
    return not _has_visible_content(text)


SNIFF_BYTES = 200_000
SHELL_MAX_LINKS = 3  # a shell has at most a couple of links; a list page has many
SHELL_MAX_TEXT = 300  # visible characters


def _has_visible_content(text: str) -> bool:
    """Real links (titles of 4+ characters) or readable text outside scripts and styles."""
    root = _parse_html(text)
    if root is None:
        return False
    for el in root.xpath("//script | //style | //noscript | //template"):
        el.drop_tree()
    links = [a for a in root.iter("a")
             if len(_link_title(a)) >= 4
             and not (a.get("href") or "").strip().lower().startswith(("javascript:", "#"))]
    if len(links) >= SHELL_MAX_LINKS:
        return True
    return len(clean_text(root.text_content())) >= SHELL_MAX_TEXT
