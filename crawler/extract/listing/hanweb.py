"""Hanweb (大汉 JCMS) lists: ``dataproxy.jsp`` XML records and the request for the next group.

A Hanweb column page embeds its first records (``<datastore><record><![CDATA[<li>...]]>``) and
loads the rest from ``dataproxy.jsp``, by GET with ``page=N`` or ``startrecord/endrecord``, or
(newer JCMS) by POST with the column ids in the body (docs/govsites.md §2.3).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit, urlunsplit

from crawler.extract.dom import parse_html

from .links import announcement_links
from .model import ListItem, ListRules, NextPage

DATAPROXY_RE = re.compile(r"""["']?((?:[\w./:-]*/)?dataproxy\.jsp\?[^"'\s<>]*)""", re.I)
HANWEB_POST_RE = re.compile(r"""["']((?:[\w./:-]*/)?dataproxy\.jsp)["']""", re.I)
HANWEB_PARAM_RE = re.compile(
    r"""\b(col|appid|webid|path|columnid|unitid|webname|permissiontype|sourceContentType)"""
    r"""["']?\s*[:=]\s*(["']?)([^"',}&\s]*)\2""")
DATASTORE_RE = re.compile(r"<datastore>.*?</datastore>|<recordset>.*?</recordset>", re.S | re.I)
RECORD_RE = re.compile(r"<record>\s*<!\[CDATA\[(.*?)\]\]>\s*</record>", re.S | re.I)
DEFAULT_PER_PAGE = 15
PAGES_PER_ANSWER = 3  # one POST answer holds three display pages


def is_datastore(text: str) -> bool:
    """A dataproxy.jsp answer (an XML ``<datastore>``), not an HTML page."""
    return bool(re.match(r"\s*(?:<\?xml[^>]*\?>\s*)?<datastore>", text, re.I))


def parse_datastore(xml: str, base_url: str, *, rules: ListRules | None = None,
                    allowed_domains: Iterable[str] = ()) -> tuple[list[ListItem], int | None]:
    """Items (one announcement per record) and total page count of a ``<datastore>`` document."""
    items: list[ListItem] = []
    seen: set[str] = set()
    for record in RECORD_RE.findall(xml):
        root = parse_html(f"<div>{record}</div>")
        if root is None:
            continue
        links = announcement_links(root, base_url, rules=rules or ListRules(), allowed_domains=allowed_domains,
                                   relaxed=True)
        first = next((c for c in links if c.url not in seen), None)
        if first is not None:
            seen.add(first.url)
            items.append(first.list_item())
    return items, _total_pages(xml)


def _total_pages(xml: str) -> int | None:
    m = re.search(r"<totalpage>\s*(\d+)", xml)
    if m:
        return int(m.group(1))
    records = re.search(r"<totalrecord>\s*(\d+)", xml)
    per = re.search(r"perpage=(\d+)", xml) or re.search(r"<perpage>\s*(\d+)", xml)
    if records and per and int(per.group(1)):
        return -(-int(records.group(1)) // int(per.group(1)))
    return None


def embedded_records(html: str, base_url: str, *, rules: ListRules,
                     allowed_domains: Iterable[str]) -> list[ListItem]:
    """The records a Hanweb column page embeds in its HTML (its first group of items)."""
    items: list[ListItem] = []
    for store in DATASTORE_RE.findall(html):
        items += parse_datastore(store, base_url, rules=rules, allowed_domains=allowed_domains)[0]
    return items


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


def hanweb_first(html: str, base_url: str) -> NextPage | None:
    """The first dataproxy.jsp request of a Hanweb column page (GET URL, or POST URL + form)."""
    for m in DATAPROXY_RE.finditer(html):
        url = urljoin(base_url, m.group(1).replace("&amp;", "&"))
        if "startrecord" in {k.lower() for k, _ in parse_qsl(urlsplit(url).query)}:
            return NextPage("hanweb", url, form=_column_params(html))
        return NextPage("hanweb", _set_query(url, page=1))
    proxy = HANWEB_POST_RE.search(html)
    params = _column_params(html)
    if proxy and params:
        # Newer JCMS: POST ?startrecord=&endrecord=&perpage= with the column ids in the body.
        per = re.search(r"perpage\s*[:=]\s*['\"]?(\d+)", html, re.I)
        size = int(per.group(1)) if per else DEFAULT_PER_PAGE
        query = f"?startrecord=1&endrecord={PAGES_PER_ANSWER * size}&perpage={size}"
        return NextPage("hanweb", urljoin(base_url, proxy.group(1)) + query, form=params)
    return None


def _column_params(html: str) -> dict[str, str] | None:
    """Column parameters of a Hanweb list (columnid, unitid, webid ...) from the page's script."""
    params = {k: v for k, _q, v in HANWEB_PARAM_RE.findall(html)}
    return params if "columnid" in params else None
