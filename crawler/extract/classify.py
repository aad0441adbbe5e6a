"""Is this page an announcement, or an anti-bot shell, soft 404, empty page, JS shell or list?"""

from __future__ import annotations

import re

from lxml import etree

from .dom import plain_text

_ANTIBOT_MARKERS = ("$_ts", "__jsl_clearance", "__jsluid", "wzwsquestion", "wzwsfactor", "WZWS_METHOD",
                    "请开启JavaScript", "请开启 JavaScript", "请启用JavaScript", "enable JavaScript",
                    "enable javascript", "JavaScript is disabled", "JavaScript is required", "_bot_sbu",
                    "安全验证", "访问异常", "访问过于频繁", "人机验证", "滑动验证")
_RS_ATTR = re.compile(r"<(?:meta|script)[^>]+\br\s*=\s*['\"]m['\"]", re.I)
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


def challenge(text: str, status: int) -> str | None:
    """'antibot' if the response looks like a challenge page (content is checked later)."""
    if status in (412, 521):
        return "antibot"
    head = text[:200_000]
    if any(m in head for m in _ANTIBOT_MARKERS) or (("r='m'" in head or 'r="m"' in head) and _RS_ATTR.search(head)):
        return "antibot-marker"
    return None


def shell_hint(root: etree._Element, text: str) -> bool:
    """A client-side app shell: SPA root element or template placeholders."""
    return bool(_SPA_ROOT(root)) or text.count("{{") >= 3


def _dated_items(root: etree._Element) -> int:
    """List rows: li/tr/dd with a link, or p/div with a direct link, carrying a date."""
    count = 0
    for el in root.xpath("//body//li[.//a] | //body//tr[.//a] | //body//dd[.//a] | //body//p[a] | //body//div[a]"):
        txt = plain_text(el)
        if len(txt) < 300 and _DATEISH.search(txt):
            count += 1
    return count


def _looks_listed(root, prose_punct: int, pager: bool) -> bool:
    """Rows of dated links (fewer needed on a short last page that runs a list pager)."""
    need = (1 if pager else 3) if prose_punct < 4 else 5
    return _dated_items(root) >= need


def _looks_missing(ex, root, stats, body_el) -> bool:
    """A "page not found / deleted" message on a page with little else to read."""
    title_tag = " ".join(root.xpath("(//title)[1]//text()"))
    if _SOFT404.search(ex.title or "") or _SOFT404.search(ex.body[:300]) or _SOFT404.search(title_tag):
        return True
    if _BARE_404.search(ex.title or "") or _BARE_404.search(title_tag):
        return True
    st = stats.get(body_el) if body_el is not None else None
    if st is not None and st.text - st.link < 1500:
        return _mentions_missing("".join(body_el.itertext()))
    return False


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


class _Lazy:
    """A boolean computed on first use."""

    def __init__(self, fn) -> None:
        self._fn, self._value = fn, None

    def __bool__(self) -> bool:
        if self._value is None:
            self._value = bool(self._fn())
        return self._value


def page_class(ex, root, stats, container, verdict: str | None, shell_hint, status: int, *,
               pager: bool = False) -> str:
    """One of PAGE_CLASSES; `pager` says the page runs a list pager script (TRS createPageHTML ...)."""
    body_len = len("".join(ex.body.split()))
    prose_punct = sum(ex.body.count(p) for p in "，。；")
    # table rows (tab-separated lines) are structure like sentences: a short table is not "no text"
    # (the list tests below keep to sentences: a table of dated links is still a list)
    structure = prose_punct + sum(1 for ln in ex.body.split("\n") if "\t" in ln)
    # a JS shell is a page whose content never rendered: a (next to) empty body or {{…}} placeholders
    shell = _Lazy(lambda: shell_hint() and (body_len < 50 or "{{" in ex.body or _empty_app_root(root)))
    if verdict == "antibot":
        return "antibot"
    body_el = root.find("body")
    visible = stats[body_el].text if body_el is not None and body_el in stats else 0
    if verdict == "antibot-marker" and (visible < 300 or body_len < 80 and structure < 3):
        return "js_shell" if shell else "antibot"
    if status in (404, 410):
        return "soft404"
    if body_len < 600 and _looks_missing(ex, root, stats, body_el):
        return "soft404"
    if visible == 0 or body_len == 0:
        if ex.title and ex.published and ex.attachments:
            return "article"  # a notice that is only its attachment
        return "js_shell" if shell else "empty"
    if ex.title_source == "visible" and ex.date_source == "visible" and "{{" not in ex.body:
        return "article"  # its own heading and labelled date above rendered text, however short
    has_article_meta = "articletitle" in {m.get("name", "").lower() for m in root.xpath("//meta[@name]")}
    longest = max((len(line) for line in ex.body.split("\n") if not _CHROME.search(line)), default=0)
    weak = structure < 2 and longest < 40
    if weak and not has_article_meta and not ex.published:
        if _looks_listed(root, prose_punct, pager):
            return "list"
        if shell:
            return "js_shell"
        return "antibot" if verdict == "antibot-marker" else "empty"
    own_date = ex.date_source in ("visible", "meta", "disclosure_block")
    if body_len < 200 and structure < 2 and not has_article_meta and not own_date:
        if _looks_listed(root, prose_punct, pager):
            return "list"
        if shell:
            return "js_shell"
        if not ex.attachments:
            return "empty"
    if not has_article_meta and prose_punct < 10 and not own_date:
        # no sentences and no date of its own, but rows of dated links: a column page
        if _looks_listed(root, prose_punct, pager):
            return "list"
    if not has_article_meta and prose_punct < 10 and container is not None:
        cst = stats.get(container)
        if cst is not None and cst.link > 0.4 * max(cst.text, 1) and _dated_items(root) >= 8:
            return "list"
    return "article"
