"""Fetch a column page once and say what it is, before it goes on the watch list (`add URL`).

`probe_column` answers with the page class (crawler/extract classify), the number of
announcement links and the pagination form (crawler/extract/listing `parse_list`), and a
`problem` when the page cannot be watched as a column: no answer (DNS, refused, timed out),
an HTTP error, an anti-bot challenge (every crawl would be blocked), or a page without
announcement links. An article page is accepted with a note (each crawl archives it as one
document). One plain HTTP GET (crawler/service/httpclient.py: a total deadline), no Scrapy;
`fetch` is also how `extract URL` gets its page.
"""

from __future__ import annotations

import socket
from dataclasses import dataclass
from urllib.parse import urlsplit

from archive.urls import BadURL
from crawler import settings
from crawler.extract import extract
from crawler.extract.classify import looks_like_antibot
from crawler.extract.listing import parse_list, site_domain
from crawler.http import user_agent
from crawler.outcome import ARTICLE_NOTE, NOT_LIST_NOTE, is_article_column
from crawler.service import httpclient

DEFAULT_TIMEOUT = 20.0
ANTIBOT_PROBLEM = ("answered with an anti-bot challenge instead of the list: crawls would be "
                   "blocked (open it in a browser: a list there needs a site that lets us in)")


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


def fetch(url: str, *, timeout: float = DEFAULT_TIMEOUT) -> Fetched:
    """GET `url` within `timeout` seconds in all (crawler/service/httpclient.py: http(s) only,
    at most DOWNLOAD_MAXSIZE bytes); an HTTP error status is an answer."""
    try:
        answer = httpclient.fetch(url, timeout=timeout, max_bytes=settings.DOWNLOAD_MAXSIZE,
                                  headers={"User-Agent": user_agent(),
                                           "Accept-Language": "zh-CN,zh;q=0.9"})
    except BadURL as err:
        raise FetchError("error", str(err)) from None
    except httpclient.FetchError as err:
        raise _no_answer(err, url) from None
    return Fetched(answer.body, answer.headers, answer.status, answer.url)


def _no_answer(err: httpclient.FetchError, url: str) -> FetchError:
    host = urlsplit(url).hostname or url
    if isinstance(err.reason, socket.gaierror):
        return FetchError("dns", f"DNS lookup failed: no such host {host}")
    if isinstance(err.reason, ConnectionRefusedError):
        return FetchError("refused", "connection refused")
    if err.timed_out:
        return FetchError("timeout", str(err))  # no complete answer within Ns
    return FetchError("error", str(err))


def probe_column(url: str, *, timeout: float = DEFAULT_TIMEOUT) -> Probe:
    """Fetch `url` once and judge it as a column page (see the module docstring)."""
    try:
        page = fetch(url, timeout=timeout)
    except FetchError as err:
        return Probe(url, problem=str(err))
    if looks_like_antibot(page.body, page.status):
        return Probe(url, page.status, "antibot", problem=ANTIBOT_PROBLEM)
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
