"""Clean the main text: drop noise blocks inside the container, trim chrome lines at the edges."""

from __future__ import annotations

import re

from lxml import etree

from crawler.extract.dom import compact, drop, text_of, within

from .containers import Stats
from .meta import starts_with_label

# Noise inside a container: class/id tokens starting with these.
_NOISE_PREFIXES = (
    "share", "bdshare", "jiathis", "print", "close", "fontsize", "zihao", "toolbar", "tools",
    "related", "relate", "xgwz", "xglj", "xgxw", "xgxx", "xgyd", "xg", "prev", "next", "pager", "pagenav",
    "qrcode", "ewm", "erweima", "comment", "footer", "breadcrumb", "crumb", "location", "position", "dqwz",
    "sxp", "syp", "xyp", "shangxia", "pagesource", "jiucuo", "infobar", "articleinfo", "fjlist", "keyword",
    "side", "sidebar", "nav", "menu", "friendlink", "links",
)
_LINK_LIST_TAGS = ("ul", "ol", "dl", "table", "div", "nav", "aside")
_ATTACHMENT_HREF = re.compile(r"\.(?:pdf|docx?|xlsx?|wps|et|ofd|zip|rar|7z|txt|pptx?|csv)(?:$|[?#&])|downfile|download",
                              re.I)
_TOKEN_SPLIT = re.compile(r"[\s_-]+")


def is_noise_block(el: etree._Element) -> bool:
    """Related lists, sidebars, share bars ... judged by class/id, tag, or a 相关… heading."""
    return _noisy(f"{el.get('class') or ''} {el.get('id') or ''}") or el.tag in ("aside", "nav", "footer") \
        or _related_heading(el)


def _noisy(attrs: str) -> bool:
    return any(tok.startswith(_NOISE_PREFIXES) for tok in _TOKEN_SPLIT.split(attrs.lower()) if tok)


_NOISE_XPATH = etree.XPath(".//*[@class or @id]")


def strip_noise(container: etree._Element, stats: dict[etree._Element, Stats]) -> None:
    """Remove share/print/related/prev-next blocks and link lists inside the container.

    Blocks that are mostly links go whatever their size when their class/id or their heading says
    related/nav/share (a long 相关文章 list under a short text); other link lists, and mostly-text
    blocks with a noise name, only when small next to the text.
    """
    total = max(stats[container].text, 1)
    for el in list(container.iter(*_LINK_LIST_TAGS)):
        st = stats.get(el)
        if el is container or st is None or st.text < 20 or st.link <= 0.5 * st.text:
            continue
        named = _noise_attrs(el) or _related_heading(el)
        if not named and (st.link < 0.7 * st.text or st.text > 0.3 * total):
            continue
        links = el.findall(".//a")
        if len(links) >= 3 and not any(_ATTACHMENT_HREF.search(a.get("href") or "") for a in links):
            drop(el)
    for el in _NOISE_XPATH(container):
        if el.getparent() is None or not _noise_attrs(el):
            continue
        st = stats.get(el)
        if st is not None and (st.text <= 0.3 * total or st.link > 0.5 * st.text) and \
                not _holds_attachments(el):
            drop(el)


def _noise_attrs(el: etree._Element) -> bool:
    attrs = f"{el.get('class') or ''} {el.get('id') or ''}"
    if "TRS_Editor" in attrs or "content" in attrs.lower():
        return False
    return _noisy(attrs)


def _related_heading(el: etree._Element) -> bool:
    """The block opens with a 相关文章 / 相关链接 ... heading."""
    for chunk in el.itertext():
        chunk = chunk.strip()
        if chunk:
            return bool(_RELATED_HEAD.match(chunk))
    return False


def _holds_attachments(el: etree._Element) -> bool:
    return any(_ATTACHMENT_HREF.search(a.get("href") or "") for a in el.iter("a"))


def drop_disclosure_block(container: etree._Element, holders: list[etree._Element],
                          stats: dict[etree._Element, Stats]) -> None:
    """Remove the 信息公开 metadata blocks that sit inside the text container: each copy on its
    own (pages repeat the block for desktop and mobile), as long as it is a small part of the text."""
    blocks: list[etree._Element] = []
    for h in holders:
        if within(h, container) and not any(within(h, b) for b in blocks):
            block = _field_block(h, container)
            if block is not None:
                blocks = [b for b in blocks if not within(b, block)] + [block]
    total = stats.get(container)
    for block in blocks:
        st = stats.get(block)
        if st is not None and total is not None and st.text <= 0.5 * total.text:
            drop(block)


_WIDEN = frozenset(("td", "th", "tr", "tbody", "span", "strong", "b", "label", "font", "dt", "dd"))


def _field_block(holder: etree._Element, container: etree._Element) -> etree._Element | None:
    """The largest element around a field holder, below the container, that holds only fields:
    a cell widened to its table, then its parents while their lines are all fields."""
    block = holder
    while block.tag in _WIDEN and block.getparent() is not None and block.getparent() is not container:
        block = block.getparent()  # widen a cell to its table
    while (parent := block.getparent()) is not None and parent is not container and _only_fields(parent):
        block = parent
    return block if block is not container and within(block, container) else None


_PROSE = re.compile(r"[。；！？]")


def _only_fields(el: etree._Element) -> bool:
    """Every line a 信息公开 field (label first) or a short value, two fields at least."""
    lines = [ln for ln in text_of(el).split("\n") if ln.strip()]
    labelled = sum(1 for ln in lines if starts_with_label(ln))
    return labelled >= 2 and all(starts_with_label(ln) or (len(ln) <= 40 and not _PROSE.search(ln)) for ln in lines)


_LEADING = re.compile(
    r"^[\[【(（]?\s*(?:19|20)\d\d\s*[-/.年]\s*\d{1,2}\s*[-/.月]\s*\d{1,2}\s*日?\s*(?:\d{1,2}:\d\d(?::\d\d)?)?"
    r"\s*[\]】)）]?\s*[|｜]?\s*(?:信息来源|文章来源|来源|作者|浏览|阅读|点击)\s*[:：]|"  # 2023-02-28 来源：…
    r"^(当前位置|您的位置|您现在的位置|你的位置|所在位置|位置)\s*[:：]|"
    r"^(发布(?:时间|日期|者|单位|机构)?|来源|作者|浏览|阅读|点击|字号|文章来源|信息来源|【字体|【字号|字体)\s*[:：]|"
    r"^(?:时间|日期)\s*[:：]\s*\S{8,20}\s+(?:来源|作者|浏览|阅读|点击|字号)"  # 时间：2023-02-28 来源：本站
)
_DATEISH_INFO = re.compile(r"(?:19|20)\d\d\s*[-/.年]\s*\d{1,2}")
_TOOLBAR_WORDS = re.compile(
    r"^(?:[【\[（(]?\s*(?:打印(?:本页|此页|文章)?|关闭(?:窗口|本页)?|返回顶部|返回|收藏|分享(?:到)?|保存|"
    r"字号|字体|大|中|小|默认|放大|缩小|正常|加大|减小|纠错|我要纠错|扫一扫|在手机(?:上)?打开(?:当前页|本页)?|"
    r"微信|微博|QQ空间|视力保护色|下载|(?:pdf|word|wps|ofd)\s*(?:下载|版)|下载\s*(?:pdf|word|wps|ofd)|编辑|锁定|"
    r"双击鼠标自动滚屏|用手机扫描二维码|展开(?:阅读)?全文|收起(?:全文)?|阅读全文|查看全文|点击展开)"
    r"\s*[】\]）)]?\s*[:：|/]?\s*)+$",
    re.I,
)
_TRAILING = re.compile(
    r"^(上一篇|下一篇|上一条|下一条|上一页|下一页|相关(?:文章|新闻|链接|信息|阅读|稿件|文件|附件)?\s*[:：]?$|"
    r"分享到|责任编辑|【责任编辑|\(责任编辑|（责任编辑|编辑\s*[:：]|审核\s*[:：]|校对\s*[:：]|"
    r"扫一扫|网站标识码|版权所有|Copyright|主办单位|ICP备|京ICP|.{0,20}公网安备)",
    re.I,
)


_RELATED_HEAD = re.compile(
    r"^[【\[]?(?:相关|相关的|推荐|延伸|热点|最新)"
    r"(?:信息|文章|新闻|链接|阅读|稿件|文件|附件|内容|政策|解读)?[】\]]?\s*[:：]?$"
)


_COUNTER = re.compile(
    r"^[【\[(（]?\s*(?:浏览|阅读|点击|访问|查看)(?:次数|量|数|人次)?\s*[:：]?\s*\d*\s*次?\s*[】\])）]?$"
)


def is_toolbar(line: str) -> bool:
    """Toolbars (打印/关闭/字号 大 中 小) and view counters: never part of the text, and volatile."""
    return bool(_TOOLBAR_WORDS.match(line) or _COUNTER.match(line)) or ("字号" in line and len(line) < 40 and
                                                bool(re.search(r"大\s*中\s*小", line)))


def clean_lines(text: str, title: str, *, date_lines: set[str] | None = None,
                after_title: bool = False) -> str:
    """Trim title repeats, info bars and toolbars at the edges; toolbar-only lines anywhere.

    `after_title`: the container starts before the heading, so drop everything up to it.
    """
    lines = [ln for ln in text.split("\n") if not is_toolbar(ln)]
    key = compact(title)
    if after_title and key:
        lines = _after_heading(lines, key)
    # leading lines that together spell the title
    if key:
        acc, cut = "", 0
        for i, ln in enumerate(lines[:6]):
            acc += compact(ln)
            if not key.startswith(acc):
                break
            if acc == key:
                cut = i + 1
                break
        lines = lines[cut:]
    while lines and ((_LEADING.match(lines[0]) and len(lines[0]) < 120) or
                     (date_lines and lines[0] in date_lines) or compact(lines[0]) == key):
        lines.pop(0)
    # an info bar under a subtitle or 文号 line: 发改电〔2023〕56号 / 发布时间：2023/02/28 来源：…
    for i in range(1, min(3, len(lines))):
        if _LEADING.match(lines[i]) and len(lines[i]) < 120 and _DATEISH_INFO.search(lines[i]):
            del lines[i]
            break
    for i in range(max(1, len(lines) * 2 // 3), len(lines)):
        if _RELATED_HEAD.match(lines[i]):
            lines = lines[:i]
            break
    while lines and _TRAILING.match(lines[-1]) and len(lines[-1]) < 200:
        lines.pop()
    return "\n".join(lines)


def _after_heading(lines: list[str], key: str) -> list[str]:
    for start in range(min(len(lines), 60)):
        acc = ""
        for end in range(start, min(start + 4, len(lines))):
            acc += compact(lines[end])
            if acc == key:
                return lines[end + 1:]
            if not key.startswith(acc):
                break
    return lines


def container_text(container: etree._Element) -> str:
    """The container rendered as reader text."""
    return text_of(container)
