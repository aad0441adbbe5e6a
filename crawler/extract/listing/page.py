"""`parse_list`: a list page's announcement links and the way to the next page."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from crawler.extract.decoding import decode_html
from crawler.extract.dom import parse_html

from .hanweb import embedded_records, hanweb_next, is_datastore, parse_datastore
from .links import announcement_links
from .mainlist import main_lists
from .model import ListPage, ListRules
from .pagination import next_page, stated_page_count

_RECORDS = object()  # the Hanweb records embedded in a page count as one list


def parse_list(
    body: bytes | str,
    url: str,
    *,
    headers: Mapping[str, str] | None = None,
    rules: ListRules | None = None,
    allowed_domains: Iterable[str] = (),
    form: dict[str, str] | None = None,
) -> ListPage:
    """Items and pagination of a list page (HTML, or a Hanweb dataproxy.jsp XML answer).

    `body`: the raw response bytes, decoded like article pages (``decoding.decode_html`` with the
    response `headers`); text is taken as already decoded. `form`: the POST body that fetched
    this page (newer Hanweb), reused for the next one.
    """
    rules = rules or ListRules()
    text = decode_html(body, headers)[0] if isinstance(body, bytes) else body
    if is_datastore(text):
        return _datastore_page(text, url, rules, allowed_domains, form)
    return _html_page(text, url, rules, allowed_domains)


def _datastore_page(xml: str, url: str, rules: ListRules, allowed_domains: Iterable[str],
                    form: dict[str, str] | None) -> ListPage:
    items, total = parse_datastore(xml, url, rules=rules, allowed_domains=allowed_domains)
    nxt = hanweb_next(url, total, len(items)) if rules.pagination in ("auto", "hanweb") else None
    return ListPage(items, nxt, "hanweb", total_pages=total, next_form=form if nxt else None)


def _html_page(html: str, url: str, rules: ListRules, allowed_domains: Iterable[str]) -> ListPage:
    root = parse_html(html)
    if root is None:
        return ListPage()
    links = announcement_links(root, url, rules=rules, allowed_domains=allowed_domains)
    items = [c.list_item() for c in links]
    groups: list[object] = [c.group for c in links]
    known = {item.url for item in items}
    for record in embedded_records(html, url, rules=rules, allowed_domains=allowed_domains):
        if record.url not in known:
            known.add(record.url)
            items.append(record)
            groups.append(_RECORDS)
    if not rules.hand_picked:
        items = main_lists(items, groups, url)
    page = ListPage(items)
    found = next_page(root, html, url, rules) if rules.pagination != "none" else None
    if found is not None:
        page.next_url, page.pagination, page.total_pages = found.url, found.kind, found.total_pages
        page.next_form = found.form
    if page.total_pages is None:
        page.total_pages = stated_page_count(root)
    return page
