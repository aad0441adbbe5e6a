"""The one spider behind every site: walk list pages, fetch new articles, revisit known ones.

A crawl of a site (see crawler/sites/):

1. ``start()`` yields each column's first list page, then the known articles that are due a
   revisit (conditional requests with the stored ETag / Last-Modified).
2. ``parse_list`` finds the announcement links and the next list page
   (crawler/extract/listing.py). The first list page of each column decides the column's
   outcome (crawler/spiders/columns.py): an article page given as a column is archived as one
   document, a page without announcement links or an error names the column and the cause.
   Unknown articles are fetched (not a link that answered 404/410 on earlier crawls and
   was never archived, until its back-off has passed: ``DEAD_LINK_RETRY``); paging stops
   after ``stop_after_known_pages`` pages whose items are all known, unless the crawl is
   ``--full`` or the previous crawl was cut short (killed, or interrupted with no JOBDIR
   queue to resume). Whatever the mode, paging also stops when list pages keep
   repeating items this run has already seen, and after ``GOV_ARCHIVE_MAX_LIST_PAGES`` pages
   of a column (default 1000) when the site sets no cap. A crawl after a killed one
   recovers too (``crawl/recovery``, see crawler/extensions/jobdir.py).
3. ``parse_article`` classifies the answer: an article is extracted and handed to the
   archive pipeline (the attachment pipeline fetches its files first); a document file (a list
   item linking straight to a .pdf/.doc ..., sniffed from the bytes, never decoded as HTML)
   becomes a document titled and dated from the list, the file its attachment; 304 or
   identical bytes -> unchanged (its files are re-checked all the same); 404/410 or a
   redirect to the home page of a *known* article -> withdrawn (a candidate: the pipeline holds withdrawals until
   the crawl closes and writes them only if plausible, see crawler/pipelines.py); anti-bot
   shells, soft 404s, empty pages and files or garbage served at an article URL (``binary``)
   are only counted (``pages/<class>`` stats), never archived. Whether an
   article answer is an anti-bot shell is the extractor's call (``page_class``): Ruishu
   sites put ``$_ts`` scripts on real pages too.

Requests bypass Scrapy's duplicate filter (``dont_filter``): the spider de-duplicates per run
itself, so a resumed JOBDIR never drops a page that was scheduled but not fetched.
"""

from __future__ import annotations

import hashlib
import logging
import re
from collections.abc import AsyncIterator, Iterator, Sequence
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import scrapy
from scrapy.exceptions import CloseSpider, IgnoreRequest

from archive.attachments import file_name
from archive.timeutil import parse_interval, parse_iso
from archive.urls import canonical_url as canonical
from archive.urls import is_web_url
from crawler.extensions.jobdir import RECOVERY_STAT, RESUMED_STAT
from crawler.extensions.stopping import CrawlStopping
from crawler.extract import EXTRACTOR_VERSION, Extraction, extract
from crawler.extract.classify import looks_like_antibot, sniff
from crawler.extract.listing import ListItem, host_allowed, parse_list
from crawler.extract.listing.links import DOCUMENT_FILE_RE
from crawler.http import response_headers, user_agent
from crawler.items import Announcement, Unchanged, Withdrawn
from crawler.middlewares import REFUSED_SCHEME_STAT, AlreadyRequested
from crawler.outcome import (
    ARTICLE_NOTE,
    DEAD_LINKS_KEY,
    DEAD_SKIPPED_KEY,
    LISTED_LINK,
    NOT_LIST_NOTE,
    column_stat,
    is_article_column,
    record_failure,
)
from crawler.reading import apply_rules
from crawler.sites import SiteDef
from crawler.spiders.columns import ColumnTracker, failure_cause
from crawler.state import CrawlState

if TYPE_CHECKING:
    from typing import Self

    from scrapy.crawler import Crawler
    from scrapy.http import Response

logger = logging.getLogger(__name__)

# Files (classify.sniff) that are an announcement when an article URL serves them: a list item
# linking straight to a document. Images and garbage stay `binary` pages, never archived.
DOCUMENT_KINDS = frozenset({"pdf", "doc", "docx", "xls", "xlsx", "ppt", "pptx", "wps", "ole2", "ofd",
                            "odf", "rtf", "zip", "rar", "7z"})
REVISIT_PRIORITY = -3  # after the first list page's new articles, before the second list page
HANDLED_STATUSES = [304, 400, 401, 403, 404, 410, 412, 429, 500, 502, 503, 504, 521, 522, 524]
HOME_PATH_RE = re.compile(r"^/?(?:(?:index|default|home|main)\.(?:s?html?|jsp|php|aspx?))?$", re.I)
ANTIBOT_CLOSE_AFTER = 5  # consecutive challenge answers before the crawl gives up on the site
ANTIBOT_STATUSES = (412, 521)  # Ruishu / Jiasule challenge answers, whatever their body
# List pages in a row that add no item unseen in this run (or no item at all: the empty
# pages some pagers serve past the end) before paging stops. Two, not one: a Hanweb column
# page embeds the records its first dataproxy.jsp answer repeats.
REPEAT_PAGES_STOP = 2
# A listed link that answered 404/410 (never archived) is tried again this long after the
# crawl that found it dead, doubling with each such crawl up to the cap: a link listed before
# its page is published is found within a day, a dead one costs a request a week.
DEAD_LINK_RETRY, DEAD_LINK_RETRY_MAX = timedelta(days=1), timedelta(days=7)


def list_priority(page: int) -> int:
    """List page N before the articles it found, those before list page N+1: newest first."""
    return -2 * page


def cut_short(previous: dict[str, Any] | None) -> bool:
    """The site's previous crawl was killed (never finished) or interrupted (Ctrl-C, SIGTERM).

    Only then does the next crawl walk every list page again ("recovery"): a first crawl has
    nothing to recover, and a crawl capped by max_pages ("partial"), blocked or failed ended
    on its own terms; the next one is an ordinary incremental crawl.
    """
    if not previous:
        return False
    return not previous.get("finished_at") or previous.get("outcome") == "interrupted"


def retry_after(link: dict[str, Any]) -> datetime:
    """When a dead listed link (`Archive.dead_links`) is tried again: `DEAD_LINK_RETRY` after
    the crawl that last found it dead, doubling with each such crawl, at most
    `DEAD_LINK_RETRY_MAX`."""
    tried = parse_iso(link.get("last_tried")) or datetime.min.replace(tzinfo=UTC)
    tries = max(int(link.get("tries") or 1), 1)
    wait = min(DEAD_LINK_RETRY * 2 ** min(tries - 1, 16), DEAD_LINK_RETRY_MAX)
    return tried + wait


def _live(doc: dict[str, Any] | None) -> bool:
    """A known document that is not withdrawn."""
    return doc is not None and doc.get("status") != "gone"


def _links(doc: dict[str, Any] | None) -> list[dict[str, Any]]:
    """The attachment links of a known document's current version (re-checked with it)."""
    return list((doc or {}).get("attachments") or [])


class GovSpider(scrapy.Spider):
    """Base class; concrete spiders set ``site`` (a SiteDef) on the class or instance."""

    name = ""  # abstract: not listed by `scrapy list`
    site: SiteDef
    handle_httpstatus_list = HANDLED_STATUSES

    def __init__(self, *args: Any, site_def: SiteDef | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if site_def is not None:
            self.site = site_def
        self.allowed_domains = list(self.site.allowed_domains)
        self._known: dict[str, dict[str, Any]] = {}
        self._dead: dict[str, datetime] = {}  # listed links that answered 404/410: retry after
        self._requested: set[str] = set()
        self._list_seen: set[str] = set()
        self._listed: dict[int | None, set[str]] = {}  # column -> canonical item URLs listed this run
        self._column_index = {column.url: i for i, column in enumerate(self.site.columns)}
        self._antibot_streak = 0
        self.full = False
        self.recover = False

    # ------------------------------------------------------------ set-up

    @classmethod
    def from_crawler(cls, crawler: Crawler, *args: Any, **kwargs: Any) -> Self:
        spider = super().from_crawler(crawler, *args, **kwargs)
        spider._apply_site_settings(crawler)
        return spider

    def _apply_site_settings(self, crawler: Crawler) -> None:
        """Per-site politeness and limits, below anything given with -s."""
        s, p = crawler.settings, self.site.politeness
        values: dict[str, Any] = {
            "DOWNLOAD_DELAY": p.download_delay,
            "CONCURRENT_REQUESTS_PER_DOMAIN": p.concurrency,
            "AUTOTHROTTLE_ENABLED": p.autothrottle,
            "ROBOTSTXT_OBEY": p.obey_robots,
            "CLOSESPIDER_PAGECOUNT": self.site.max_pages or None,
        }
        if (agent := user_agent(s)) != s.get("USER_AGENT"):
            values["USER_AGENT"] = agent
        for name, value in values.items():
            if value is not None:
                s.set(name, value, priority="spider")

    # ------------------------------------------------------------ archive state

    @property
    def crawl_state(self) -> CrawlState | None:
        """The pipeline telling what the archive knows (the archive's, or a worker's snapshot)."""
        try:
            return self.crawler.get_item_pipeline(CrawlState)
        except RuntimeError:  # no engine: callbacks driven by hand (tests)
            return None

    async def _load_state(self) -> None:
        settings = self.crawler.settings
        self.full = settings.getbool("CRAWL_FULL")
        self.recover = bool(self.crawler.stats.get_value(RECOVERY_STAT))  # its JOBDIR says killed
        state = self.crawl_state
        if state is None or not state.state_ready:
            return
        for doc in await state.known_documents():
            self._known[canonical(doc["url"])] = doc
        self._dead = {url: retry_after(link) for url, link in (await state.dead_links()).items()}
        self._requested.update(state.handled_urls)  # shipped by an earlier attempt of this crawl
        resumed = bool(self.crawler.stats.get_value(RESUMED_STAT))  # its JOBDIR queue goes on
        if cut_short(state.previous_crawl) and not resumed:
            self.recover = True  # the last crawl was killed or interrupted: walk everything
            self.crawler.stats.set_value(RECOVERY_STAT, True)

    def _revisit_interval(self) -> timedelta:
        value = self.crawler.settings.get("REVISIT_INTERVAL")
        return parse_interval(value, allow_zero=True) if value else self.site.revisit

    def _setting_or_site(self, name: str, site_value: int) -> int:
        """A -s override of a site's limit (negative: not overridden)."""
        value = self.crawler.settings.getint(name)
        return site_value if value < 0 else value

    def _due_revisits(self) -> list[dict[str, Any]]:
        docs = list(self._known.values())
        if self.full:
            return docs
        interval, now = self._revisit_interval(), datetime.now(UTC)
        oldest = datetime.min.replace(tzinfo=UTC)
        due = [d for d in docs if (parse_iso(d.get("last_checked")) or oldest) <= now - interval]
        # Live documents first: a gone one's last_checked stays at its withdrawal (mark_gone
        # writes nothing while it stays gone), so gone documents would otherwise fill
        # REVISIT_MAX on every crawl and starve the live ones.
        due.sort(key=lambda d: (d.get("status") == "gone",
                                parse_iso(d.get("last_checked")) or oldest))
        limit = self._setting_or_site("REVISIT_MAX", self.site.incremental.revisit_max)
        return due[:limit] if limit else due

    # ------------------------------------------------------------ requests

    @property
    def columns(self) -> ColumnTracker:
        """The per-column outcomes of this crawl (``column/<index>/...`` stats)."""
        return ColumnTracker(self.crawler.stats)

    async def start(self) -> AsyncIterator[scrapy.Request]:
        await self._load_state()
        for i, column in enumerate(self.site.columns):
            self.columns.start(i, column.url)
            yield self._list_request(column.url, column=i, page=1)
        for doc in self._due_revisits():
            request = self._article_request(doc["url"], doc=doc)
            if request is not None:
                yield request

    def _column_of(self, meta: dict[str, Any]) -> int | None:
        """The index in this crawl of the column a request came from, by the column's URL: a
        request resumed from an earlier crawl's JOBDIR may belong to a column this crawl does
        not walk (None, as for revisits)."""
        url = meta.get("column_url")
        return meta.get("column") if url is None else self._column_index.get(url)

    def _column_meta(self, column: int | None) -> dict[str, Any]:
        url = self.site.columns[column].url if column is not None else None
        return {"column": column, "column_url": url}

    def _list_request(self, url: str, *, column: int | None, page: int,
                      form: dict[str, str] | None = None) -> scrapy.Request:
        self._list_seen.add(url)
        meta = {**self._column_meta(column), "list_page": page, "known_streak": 0, "repeat_streak": 0,
                "hanweb_form": form}
        if form:  # newer Hanweb dataproxy.jsp: POST with the column ids in the body
            return scrapy.FormRequest(url, formdata=form, callback=self.parse_list,
                                      dont_filter=True, priority=list_priority(page), meta=meta,
                                      errback=self.on_error)
        return scrapy.Request(url, callback=self.parse_list, dont_filter=True,
                              priority=list_priority(page), meta=meta, errback=self.on_error)

    def _article_request(self, url: str, *, doc: dict[str, Any] | None = None,
                         item: ListItem | None = None, page: int = 0,
                         column: int | None = None) -> scrapy.Request | None:
        if not self._web(url):
            return None
        key = canonical(url)
        if key in self._requested:
            return None
        self._requested.add(key)
        headers: dict[str, str] = {}
        if doc is not None and doc.get("status") != "gone":  # a gone page must be re-saved to restore it
            if doc.get("etag"):
                headers["If-None-Match"] = doc["etag"]
            if doc.get("last_modified"):
                headers["If-Modified-Since"] = doc["last_modified"]
        if doc is not None:
            self.crawler.stats.inc_value("crawl/revisits")
        meta: dict[str, Any] = {"doc": doc, "list_date": item.date if item else None,
                                "list_title": item.title if item else None, **self._column_meta(column)}
        if (item is not None and item.is_file) or DOCUMENT_FILE_RE.search(urlsplit(url).path):
            meta["download_maxsize"] = self.crawler.settings.getint("ATTACHMENT_MAXSIZE")
        priority = list_priority(page) + 1 if page else REVISIT_PRIORITY
        return scrapy.Request(url, callback=self.parse_article, errback=self.on_error,
                              headers=headers, dont_filter=True, meta=meta, priority=priority)

    # ------------------------------------------------------------ list pages

    def parse_list(self, response: Response) -> Iterator[Any]:
        column, first = self._column_of(response.meta), response.meta.get("list_page", 1) == 1
        if not self._usable_list(response, column, first):
            return
        page = parse_list(response.body, response.url, headers=response_headers(response),
                          rules=self.site.listing,
                          allowed_domains=self.site.allowed_domains,
                          form=response.meta.get("hanweb_form"))
        if first:
            article = self._column_article(response, column, len(page.items))
            if article is not None:
                if not isinstance(article, str):
                    yield article
                return
        self._count_list(response.url, column, first, len(page.items))
        requests, fresh, unseen = self._item_requests(page.items, column, response.meta.get("list_page", 1))
        yield from requests
        next_request = self._next_list_request(response, page.next_url, bool(page.items) and fresh == 0,
                                               page.next_form, repeated=not unseen)
        if next_request is not None:
            yield next_request

    def _usable_list(self, response: Response, column: int | None, first: bool) -> bool:
        """False (the column's answer or the failure recorded) for a challenge or an HTTP error."""
        if self._blocked(response):
            if first:
                self.columns.answered(column, "blocked", "an anti-bot challenge instead of the list")
            return False
        if response.status != 200:
            self.crawler.stats.inc_value("pages/error")
            self.crawler.stats.inc_value(f"errors/http_{response.status}")
            if first:
                self.columns.answered(column, f"http_{response.status}", f"HTTP {response.status}")
            else:
                self._failed(f"list page {response.meta.get('list_page')}", f"HTTP {response.status}",
                             response.url)
            return False
        self._antibot_streak = 0
        return True

    def _count_list(self, url: str, column: int | None, first: bool, items: int) -> None:
        """A list page read: its stats, and on a column's first page the column's answer."""
        stats = self.crawler.stats
        stats.inc_value("pages/list")
        stats.inc_value("list/items", items)
        self.columns.listed(column, items)
        if first:
            self.columns.answered(column, "ok" if items else "not_list", "" if items else NOT_LIST_NOTE)
        if not items:
            stats.inc_value("list/no_items")
            logger.warning("No announcement links found on list page %s", url)

    def _item_requests(self, items: Sequence[ListItem], column: int | None,
                       page: int) -> tuple[list[scrapy.Request], int, int]:
        """The article requests of a list page's items, with how many items are new to the
        archive (``fresh``) and how many this run had not seen listed before (``unseen``)."""
        listed = self._listed.setdefault(column, set())
        requests: list[scrapy.Request] = []
        fresh = unseen = 0
        for item in items:
            key = canonical(item.url)
            if key not in listed:  # else on an earlier list page of this run
                listed.add(key)
                unseen += 1
            doc = self._known.get(key)
            if doc is not None and doc.get("status") != "gone":
                continue  # known: revisited on its own schedule
            if doc is None and self._still_dead(key):
                continue
            fresh += doc is None  # a gone page listed again is re-checked, but is not news
            request = self._article_request(item.url, doc=doc, item=item, page=page, column=column)
            if request is not None:
                requests.append(request)
        return requests, fresh, unseen

    def _still_dead(self, key: str) -> bool:
        """A listed link that answered 404/410 on earlier crawls, not yet due a retry."""
        until = self._dead.get(key)
        if until is None or until <= datetime.now(UTC) or self.full:
            return False
        self.crawler.stats.inc_value(DEAD_SKIPPED_KEY)
        return True

    def _next_list_request(self, response: Response, next_url: str | None, all_known: bool,
                           form: dict[str, str] | None = None, *,
                           repeated: bool = False) -> scrapy.Request | None:
        stats = self.crawler.stats
        meta = response.meta
        if not next_url or next_url in self._list_seen:
            return None
        if not self._web(next_url) or not host_allowed(next_url, self.site.allowed_domains):
            return None
        repeats = meta.get("repeat_streak", 0) + 1 if repeated else 0
        if repeats >= REPEAT_PAGES_STOP:
            stats.inc_value("list/stopped_repeat")
            logger.info("List pages keep repeating items already seen; paging stops at %s",
                        response.url)
            return None
        streak = meta.get("known_streak", 0) + 1 if all_known else 0
        stop_after = self._setting_or_site("STOP_AFTER_KNOWN_PAGES",
                                           self.site.incremental.stop_after_known_pages)
        if stop_after and streak >= stop_after and not (self.full or self.recover):
            stats.inc_value("list/stopped_known")
            return None
        page = meta.get("list_page", 1) + 1
        cap = self._list_page_cap()
        if cap and page > cap:
            stats.inc_value("list/stopped_cap")
            return None
        request = self._list_request(next_url, column=self._column_of(meta), page=page, form=form)
        request.meta["known_streak"] = streak
        request.meta["repeat_streak"] = repeats
        return request

    def _web(self, url: str) -> bool:
        """Only http(s) is ever requested (a page may name file://<its host>/... too)."""
        if is_web_url(url):
            return True
        self.crawler.stats.inc_value(REFUSED_SCHEME_STAT)
        logger.warning("Not following a non-http(s) URL: %s", url[:200])
        return False

    def _list_page_cap(self) -> int:
        """List pages per column: -s MAX_LIST_PAGES, else the site's, else the default cap."""
        settings = self.crawler.settings
        configured = settings.getint("MAX_LIST_PAGES") or self.site.max_list_pages
        return configured or settings.getint("GOV_ARCHIVE_MAX_LIST_PAGES")  # 0: no cap

    def _column_article(self, response: Response, column: int | None,
                        links: int) -> Announcement | Unchanged | str | None:
        """A column's first page that is an article (`links`: the announcement links found on
        it): its item (or its page class when it is not archived); None when it is a list."""
        if not is_article_column("article", links):
            return None  # a list's many links: no need to classify the page
        ex = extract(response.body, response.url, response_headers(response), response.status)
        if not is_article_column(ex.page_class, links):
            return None
        self.columns.answered(column, "article", ARTICLE_NOTE)
        logger.info("Column %s is an article page, not a list: archived as one document",
                       response.url)
        url = self._requested_url(response)
        self._requested.add(canonical(url))
        doc = self._known.get(canonical(url))
        if _live(doc) and self._same_bytes(doc, response.body):
            return Unchanged(self.site.name, url, "same_bytes")
        return self._extract(response, url, ex=ex)

    # ------------------------------------------------------------ articles

    async def parse_article(self, response: Response) -> AsyncIterator[Any]:
        item = self._article_item(response)
        if item is not None:
            yield item

    def _article_item(self, response: Response) -> Announcement | Unchanged | Withdrawn | None:
        """What an article answer means for the archive (None: it is only counted)."""
        doc = response.meta.get("doc")
        url = self._requested_url(response)
        if self._article_challenge(response):
            self._note_antibot(response.url)
            return None
        if response.status != 200:
            self._antibot_streak = 0  # a real answer (a 200 is judged by the extractor)
            return self._status_item(response, url, doc)
        return self._page_item(response, url, doc)

    def _status_item(self, response: Response, url: str,
                     doc: dict[str, Any] | None) -> Unchanged | Withdrawn | None:
        """A 304, 404/410 or error answer."""
        status, stats = response.status, self.crawler.stats
        if status == 304 and _live(doc):
            return Unchanged(self.site.name, url, "not_modified", attachments=_links(doc))
        if status in (404, 410):
            stats.inc_value("pages/notfound")
            if doc is None:  # a link a list page shows, never archived: remembered (DEAD_LINK_RETRY)
                self._dead_link(response.meta, url, status)
                return None
            return Withdrawn(self.site.name, url, status, f"http_{status}")
        stats.inc_value("pages/error")
        stats.inc_value(f"errors/http_{status}")
        self._failed("article", f"HTTP {status}", url)
        return None

    def _page_item(self, response: Response, url: str,
                   doc: dict[str, Any] | None) -> Announcement | Unchanged | Withdrawn | None:
        """A 200 answer: elsewhere, the home page, the same bytes, or a page to extract."""
        stats = self.crawler.stats
        if not host_allowed(response.url, self.site.allowed_domains):
            stats.inc_value("pages/offsite_redirect")  # neither content nor withdrawal
            return None
        if self._redirected_home(response):
            stats.inc_value("pages/redirect_home")
            return None if doc is None else Withdrawn(self.site.name, url, response.status,
                                                      "redirect_home")
        if _live(doc) and self._same_bytes(doc, response.body):
            return Unchanged(self.site.name, url, "same_bytes", attachments=_links(doc))
        kind = sniff(response.body, response_headers(response))
        if kind in DOCUMENT_KINDS:
            return self._file_item(response, url, doc, kind)
        item = self._extract(response, url)
        if isinstance(item, Announcement):
            return item
        if item == "soft404" and doc is not None and response.meta.get("redirect_urls"):
            # Redirected to a "page not found" page (302 -> /404.html answering 200): withdrawn.
            return Withdrawn(self.site.name, url, response.status, "redirect_notfound")
        return None

    def _file_item(self, response: Response, url: str, doc: dict[str, Any] | None,
                   kind: str) -> Announcement:
        """A document file where an article was expected: titled and dated by its list item
        (or its archived version), the file its attachment; the attachment pipeline reads its
        text into the body."""
        stats = self.crawler.stats
        stats.inc_value("pages/file")
        stats.inc_value(f"pages/file/{kind}")
        self._antibot_streak = 0
        title = (response.meta.get("list_title") or (doc or {}).get("title")
                 or file_name(response.url))
        published = response.meta.get("list_date") or (doc or {}).get("published")
        return Announcement(
            site=self.site.name, url=url, title=title, published=published, body="",
            attachments=[{"url": url, "text": title}], raw=response.body, status=response.status,
            final_url=response.url, headers=response_headers(response), from_file=True,
            extractor=EXTRACTOR_VERSION,
        )

    def _requested_url(self, response: Response) -> str:
        redirects = response.meta.get("redirect_urls") or []
        return redirects[0] if redirects else response.url

    def _redirected_home(self, response: Response) -> bool:
        if not response.meta.get("redirect_urls"):
            return False
        final = canonical(response.url)
        if final == canonical(self.site.home_url):
            return True
        parts = urlsplit(response.url)
        return (host_allowed(response.url, self.site.allowed_domains)
                and not parts.query and bool(HOME_PATH_RE.match(parts.path)))

    @staticmethod
    def _same_bytes(doc: dict[str, Any], body: bytes) -> bool:
        """True if `body` is the capture behind the current version (sha256 from known_documents)."""
        sha = doc.get("capture_sha")
        return bool(sha) and hashlib.sha256(body).hexdigest() == sha

    def _blocked(self, response: Response) -> bool:
        """A list page answered by an anti-bot challenge: count it (see `_note_antibot`)."""
        if not looks_like_antibot(response.body, response.status):
            return False
        self._note_antibot(response.url)
        return True

    @staticmethod
    def _article_challenge(response: Response) -> bool:
        """An article request answered by a challenge rather than by the site.

        412/521 are challenges by status. A 200 is left to `_extract` (the extractor's
        page_class), never to a marker test: Ruishu sites carry ``$_ts`` on real articles.
        Other statuses with a body (403, 404, 5xx ...) are classified by the extractor here,
        so a challenge is never taken for a withdrawal.
        """
        status = response.status
        if status in ANTIBOT_STATUSES:
            return True
        if status in (200, 304) or not response.body.strip():
            return False
        ex = extract(response.body, response.url, response_headers(response), status)
        return ex.page_class == "antibot"

    def _note_antibot(self, url: str) -> None:
        self.crawler.stats.inc_value("pages/antibot")
        self._antibot_streak += 1
        logger.info("Anti-bot challenge instead of content: %s", url)
        if self._antibot_streak >= ANTIBOT_CLOSE_AFTER:
            raise CloseSpider("antibot")

    def _extract(self, response: Response, url: str, *,
                 ex: Extraction | None = None) -> Announcement | str:
        """The announcement on an article page, else the page class (antibot, soft404 ...)."""
        stats = self.crawler.stats
        headers = response_headers(response)
        ex = ex or extract(response.body, response.url, headers, response.status)
        if ex.page_class == "antibot":
            self._note_antibot(response.url)
            return ex.page_class
        self._antibot_streak = 0
        stats.inc_value(f"pages/{ex.page_class}")
        if not ex.is_archivable:
            logger.info("Not archived (%s): %s", ex.page_class, response.url)
            return ex.page_class
        ex = apply_rules(ex, response, self.site.article)
        item = Announcement(
            site=self.site.name, url=url, title=ex.title, published=ex.published, body=ex.body,
            metadata=dict(ex.metadata), attachments=[dict(a) for a in ex.attachments],
            raw=response.body, status=response.status, final_url=response.url, headers=headers,
            declared_encoding=ex.declared_encoding, used_encoding=ex.encoding,
            column=self._column_of(response.meta), extractor=EXTRACTOR_VERSION,
        )
        for name in ("title", "published", "body"):
            if not getattr(item, name):
                stats.inc_value(f"extract/missing_{'date' if name == 'published' else name}")
        return item

    # ------------------------------------------------------------ errors

    def on_error(self, failure: Any) -> None:
        """Timeouts, DNS and connection errors: counted, never a withdrawal."""
        stats = self.crawler.stats
        if failure.check(CrawlStopping, AlreadyRequested):  # set aside, or fetched already
            return
        request = getattr(failure, "request", None)
        page = request.meta.get("list_page") if request is not None else None
        if page == 1:
            self.columns.failed(self._column_of(request.meta), failure, request.url)
        if failure.check(IgnoreRequest):  # robots.txt said no, or an offsite redirect
            stats.inc_value("pages/ignored")
            return
        stats.inc_value("pages/failed")
        stats.inc_value(f"errors/{failure.type.__name__}")
        url = request.url if request is not None else "?"
        logger.info("Request failed (%s): %s", failure.type.__name__, url)
        if page != 1:  # a failing column's first page is named by its column
            self._failed(f"list page {page}" if page else "article", failure_cause(failure, url)[1], url)

    def _failed(self, what: str, cause: str, url: str) -> None:
        """Name a failed request in the crawl's problems (crawler/outcome.py `failure_lines`)."""
        record_failure(self.crawler.stats, what, cause, url)

    def _dead_link(self, meta: dict[str, Any], url: str, status: int) -> None:
        """A link a list page shows answered 404/410: named, counted, and kept for its column
        (``column/<i>/dead``: the archive remembers it, and later crawls retry it less often)."""
        self.crawler.stats.inc_value(DEAD_LINKS_KEY)
        self._failed(LISTED_LINK, f"HTTP {status}", url)
        column = self._column_of(meta)
        if column is not None:
            key, dead = column_stat(column, "dead"), self.crawler.stats.get_value(column_stat(column, "dead"))
            self.crawler.stats.set_value(key, [*(dead or []), canonical(url)])
