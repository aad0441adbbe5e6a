"""URL helpers shared by article and list pages: the site's registrable domain, on-site checks,
absolute links."""

from __future__ import annotations

from collections.abc import Iterable
from urllib.parse import urljoin, urlsplit, urlunsplit

import tldextract

# The public suffix list bundled with tldextract, never fetched (no network, no cache files).
_SUFFIXES = tldextract.TLDExtract(cache_dir=None, suffix_list_urls=(), fallback_to_snapshot=True)
_NOT_LINKS = ("#", "javascript:", "mailto:", "tel:", "data:")


def site_domain(url: str) -> str:
    """The gov site's own (registrable) domain: www.example.gov.cn and xxgk.example.gov.cn ->
    example.gov.cn. Hosts without a public suffix (IP addresses, localhost) stay as they are."""
    host = (urlsplit(url).hostname or "").lower()
    return _SUFFIXES(host).top_domain_under_public_suffix or host


def host_allowed(url: str, domains: Iterable[str]) -> bool:
    """Is the URL's host one of `domains` or a subdomain of one?"""
    host = (urlsplit(url).hostname or "").lower()
    return any(host == d or host.endswith("." + d) for d in domains)


def absolute_link(href: str | None, base: str) -> str | None:
    """The absolute http(s) URL of a link, without fragment; None for anchors, scripts, mail ..."""
    href = (href or "").strip()
    if not href or href.startswith(_NOT_LINKS):
        return None
    parts = urlsplit(urljoin(base, href))
    if parts.scheme not in ("http", "https"):
        return None
    return urlunsplit(parts._replace(fragment=""))


def without_fragment(url: str) -> str:
    return urlunsplit(urlsplit(url)._replace(fragment=""))
