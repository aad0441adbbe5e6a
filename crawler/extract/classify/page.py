"""Is this page an announcement, or an anti-bot shell, soft 404, empty page, JS shell or list?

`page_class` runs RULES in order over one `PageView`; the first rule with an answer decides,
and a page no rule claims is an article.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from lxml import etree

from crawler.extract.dom import plain_text
from crawler.extract.model import Extraction

_SOFT404 = re.compile(
    r"页面不存在|您访问的页面不存在|你访问的页面不存在|页面未找到|找不到(?:该|此|您要访问的)?页面|"
    r"页面已(?:被)?删除|信息已(?:被)?删除|文章已(?:被)?删除|内容已(?:被)?删除|已被删除|已删除|已下线|已撤销|"
    r"页面已失效|信息不存在|文章不存在|内容不存在|(?<!\d)404(?!\d)\s*(?:not\s*found|错误|error|页面)|"
    r"error\s*404|not\s+found|访问的页面.{0,10}(?:不存在|删除|移除)",
    re.I,
)
_SOFT404_HINTS = ("不存在", "删除", "404", "ot found", "OT FOUND", "下线", "撤销", "失效", "未找到", "找不到")
_BARE_404 = re.compile(r"(?<![\d\w])404(?![\d\w])")
_CHROME = re.compile(r"Copyright|版权|ICP|公网安备|地址|电话|邮编|传真|标识码|主办|承办|技术支持", re.I)
PAGER = re.compile(r"createPageHTML|countPage|m_nRecordCount|pageCount\s*=|totalPage")
_DATEISH = re.compile(r"(?:19|20)\d{2}\s*[-/.年]\s*\d{1,2}|(?<![\d-])[01]?\d-[0-3]?\d(?![\d-])")
_SPA_ROOT = etree.XPath("//body//*[@id='app' or @id='root' or @id='__nuxt' or @id='__next' or @ng-app or @ng-view]")
_LIST_ROWS = etree.XPath("//body//li[.//a] | //body//tr[.//a] | //body//dd[.//a] | //body//p[a] | //body//div[a]")
OWN_DATE_SOURCES = ("visible", "meta", "disclosure_block")


def shell_hint(root: etree._Element, text: str) -> bool:
    """A client-side app shell: SPA root element or template placeholders."""
    return bool(_SPA_ROOT(root)) or text.count("{{") >= 3


@dataclass
class PageView:
    """What the rules look at: the extraction, the parsed page and its measurements."""

    ex: Extraction
    root: etree._Element
    stats: dict[etree._Element, Any]  # containers.Stats per element
    container: etree._Element | None
    verdict: str | None  # antibot.challenge()
    shell_hint: Callable[[], bool]
    status: int
    pager: bool  # the page runs a list pager script (TRS createPageHTML ...)

    @cached_property
    def body_len(self) -> int:
        return len("".join(self.ex.body.split()))

    @cached_property
    def prose_punct(self) -> int:
        return sum(self.ex.body.count(p) for p in "，。；")

    @cached_property
    def structure(self) -> int:
        """Sentences plus table rows (a short table is not "no text"; the list tests keep to sentences)."""
        return self.prose_punct + sum(1 for ln in self.ex.body.split("\n") if "\t" in ln)

    @cached_property
    def visible(self) -> int:
        body = self.root.find("body")
        return self.stats[body].text if body is not None and body in self.stats else 0

    @cached_property
    def shell(self) -> bool:
        """Content that never rendered: a (next to) empty body or {{…}} placeholders in an app shell."""
        return self.shell_hint() and (self.body_len < 50 or "{{" in self.ex.body or _empty_app_root(self.root))

    @cached_property
    def has_article_meta(self) -> bool:
        return "articletitle" in {m.get("name", "").lower() for m in self.root.xpath("//meta[@name]")}

    @cached_property
    def own_date(self) -> bool:
        return self.ex.date_source in OWN_DATE_SOURCES

    @cached_property
    def dated_rows(self) -> int:
        """List rows: li/tr/dd with a link, or p/div with a direct link, carrying a date."""
        return sum(1 for el in _LIST_ROWS(self.root) if len(txt := plain_text(el)) < 300 and _DATEISH.search(txt))

    @property
    def listed(self) -> bool:
        """Rows of dated links (fewer needed on a short last page that runs a list pager)."""
        need = (1 if self.pager else 3) if self.prose_punct < 4 else 5
        return self.dated_rows >= need

    def missing(self) -> bool:
        """A "page not found / deleted" message on a page with little else to read."""
        title_tag = " ".join(self.root.xpath("(//title)[1]//text()"))
        if any(_SOFT404.search(s) for s in (self.ex.title or "", self.ex.body[:300], title_tag)):
            return True
        if _BARE_404.search(self.ex.title or "") or _BARE_404.search(title_tag):
            return True
        body = self.root.find("body")
        st = self.stats.get(body) if body is not None else None
        return st is not None and st.text - st.link < 1500 and _mentions_missing("".join(body.itertext()))


def _mentions_missing(text: str) -> bool:
    """_SOFT404 anywhere in a long text, checked only around cheap substring hits."""
    for hint in _SOFT404_HINTS:
        start = text.find(hint)
        while start != -1:
            if _SOFT404.search(text, max(0, start - 20), start + len(hint) + 20):
                return True
            start = text.find(hint, start + 1)
    return False


def _empty_app_root(root: etree._Element) -> bool:
    """The single-page-app mount point (#app, ng-view ...) holds next to no text."""
    return any(len("".join(el.itertext()).strip()) < 20 for el in _SPA_ROOT(root))


# ---------------------------------------------------------------- rules, in order


def _challenge(v: PageView) -> str | None:
    if v.verdict == "antibot":
        return "antibot"
    if v.verdict == "antibot-marker" and (v.visible < 300 or (v.body_len < 80 and v.structure < 3)):
        return "js_shell" if v.shell else "antibot"
    return None


def _not_found(v: PageView) -> str | None:
    if v.status in (404, 410) or (v.body_len < 600 and v.missing()):
        return "soft404"
    return None


def _nothing_shown(v: PageView) -> str | None:
    if v.visible and v.body_len:
        return None
    if v.ex.title and v.ex.published and v.ex.attachments:
        return "article"  # a notice that is only its attachment
    return "js_shell" if v.shell else "empty"


def _heading_and_date(v: PageView) -> str | None:
    """Its own heading and labelled date above rendered text, however short: an article."""
    ex = v.ex
    return "article" if ex.title_source == "visible" and ex.date_source == "visible" and "{{" not in ex.body else None


def _no_text(v: PageView) -> str | None:
    """No sentence, no long line, no article meta, no date: a list, an unrendered shell, or nothing."""
    longest = max((len(line) for line in v.ex.body.split("\n") if not _CHROME.search(line)), default=0)
    if v.structure >= 2 or longest >= 40 or v.has_article_meta or v.ex.published:
        return None
    if v.listed:
        return "list"
    if v.shell:
        return "js_shell"
    return "antibot" if v.verdict == "antibot-marker" else "empty"


def _little_text(v: PageView) -> str | None:
    if v.body_len >= 200 or v.structure >= 2 or v.has_article_meta or v.own_date:
        return None
    if v.listed:
        return "list"
    if v.shell:
        return "js_shell"
    return None if v.ex.attachments else "empty"


def _dated_link_rows(v: PageView) -> str | None:
    """No sentences and no date of its own, but rows of dated links: a column page."""
    if v.has_article_meta or v.prose_punct >= 10:
        return None
    if not v.own_date and v.listed:
        return "list"
    cst = v.stats.get(v.container) if v.container is not None else None
    if cst is not None and cst.link > 0.4 * max(cst.text, 1) and v.dated_rows >= 8:
        return "list"
    return None


RULES: tuple[Callable[[PageView], str | None], ...] = (
    _challenge, _not_found, _nothing_shown, _heading_and_date, _no_text, _little_text, _dated_link_rows,
)


def page_class(ex: Extraction, root: etree._Element, stats: dict, container: etree._Element | None,
               verdict: str | None, shell_hint: Callable[[], bool], status: int, *, pager: bool = False) -> str:
    """One of PAGE_CLASSES; `pager` says the page runs a list pager script (TRS createPageHTML ...)."""
    view = PageView(ex, root, stats, container, verdict, shell_hint, status, pager)
    return next((c for rule in RULES if (c := rule(view)) is not None), "article")
