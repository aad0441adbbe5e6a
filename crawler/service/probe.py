"""Fetch a column page once and say what it is, before it goes on the watch list (`add URL`).

`probe_column` answers with the page class (crawler/extract classify), the number of
announcement links and the pagination form (crawler/extract/listing `parse_list`), and a
`problem` when the page cannot be watched as a column: no answer (DNS, refused, timed out),
an HTTP error, or a page without announcement links. An article page is accepted with a
note (each crawl archives it as one document), an anti-bot challenge too (crawls may be
blocked). One plain HTTP GET with a time-out, no Scrapy.
"""

from __future__ import annotations

import os
import socket
import urllib.error
import urllib.request
from dataclasses import dataclass
from urllib.parse import urlsplit

from crawler import settings
from crawler.extract import extract
from crawler.extract.classify import looks_like_antibot
from crawler.extract.listing import parse_list, site_domain
from crawler.outcome import ARTICLE_NOTE, NOT_LIST_NOTE, is_article_column

DEFAULT_TIMEOUT = 20.0


class FetchError(Exception):
    """No answer: ``cause`` is "dns", "refused", "timeout" or "error"; the message says it."""

    def __init__(self, cause: str, message: str) -> None:
        super().__init__(message)
        self.cause = cause


@dataclass(frozen=True)
class Fetched:
    body: bytes
    headers: dict[str, str]  # lower-cased names
    status: int
    url: str  # after redirects


@dataclass(frozen=True)
class Probe:
    """What one fetch of a column page found."""

    url: str
    status: int | None = None
    page_class: str | None = None
    links: int = 0
    pagination: str = "none"
    problem: str | None = None  # why it cannot be watched as a column
    note: str | None = None  # worth telling, not a reason to refuse

    @property
    def summary(self) -> str:
        """``list page, 20 announcement links, pagination: trs``."""
        if self.status is None:
            return "no answer"
        what = f"{self.page_class or 'page'} page" if self.status == 200 else f"HTTP {self.status}"
        return f"{what}, {self.links} announcement links, pagination: {self.pagination}"


def user_agent() -> str:
    """The crawls' User-Agent, with ``$GOV_ARCHIVE_CONTACT`` as they add it."""
    contact = os.environ.get("GOV_ARCHIVE_CONTACT", "").strip()
    agent = settings.USER_AGENT
    return f"{agent[:-1]}; contact: {contact})" if contact and agent.endswith(")") else agent


def fetch(url: str, *, timeout: float = DEFAULT_TIMEOUT) -> Fetched:
    """GET `url` (http or https, checked by the caller); an HTTP error status is an answer."""
    request = urllib.request.Request(url, headers={"User-Agent": user_agent(),
                                                   "Accept-Language": "zh-CN,zh;q=0.9"})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # http(s): checked by the caller
            return Fetched(response.read(), _headers(response.headers), response.status,
                           response.geturl())
    except urllib.error.HTTPError as err:
        body = err.read() if err.fp is not None else b""
        return Fetched(body, _headers(err.headers), err.code, url)
    except (urllib.error.URLError, OSError, ValueError) as err:
        raise _no_answer(err, url) from None


def _headers(headers: object) -> dict[str, str]:
    items = headers.items() if hasattr(headers, "items") else []
    return {str(k).lower(): str(v) for k, v in items}


def _no_answer(err: BaseException, url: str) -> FetchError:
    reason = getattr(err, "reason", None) or err
    host = urlsplit(url).hostname or url
    if isinstance(reason, socket.gaierror):
        return FetchError("dns", f"DNS lookup failed: no such host {host}")
    if isinstance(reason, ConnectionRefusedError):
        return FetchError("refused", "connection refused")
    if isinstance(reason, TimeoutError | socket.timeout):
        return FetchError("timeout", "no answer (timed out)")
    return FetchError("error", " ".join(str(reason).split()) or type(reason).__name__)


def probe_column(url: str, *, timeout: float = DEFAULT_TIMEOUT) -> Probe:
    """Fetch `url` once and judge it as a column page (see the module docstring)."""
    try:
        page = fetch(url, timeout=timeout)
    except FetchError as err:
        return Probe(url, problem=str(err))
    if looks_like_antibot(page.body, page.status):
        return Probe(url, page.status, "antibot",
                     note="answered with an anti-bot challenge: crawls may be blocked")
    if page.status != 200:
        return Probe(url, page.status, problem=f"HTTP {page.status}")
    listing = parse_list(page.body, page.url, headers=page.headers,
                         allowed_domains=(site_domain(url),))
    ex = extract(page.body, page.url, page.headers, page.status)
    if is_article_column(ex.page_class, len(listing.items)):
        return Probe(url, page.status, "article", note=ARTICLE_NOTE + " on each crawl")
    if not listing.items:
        return Probe(url, page.status, ex.page_class, problem=NOT_LIST_NOTE)
    # The classifier judges articles; a page with announcement links that is none is a list.
    return Probe(url, page.status, "list", len(listing.items), listing.pagination)
