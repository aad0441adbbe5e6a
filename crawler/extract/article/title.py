"""Pick the announcement's own title: visible heading reconciled with meta and <title>."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from lxml import etree

from crawler.extract.dates import find_dates, nfkc
from crawler.extract.dom import compact, head_lines, inline_text, plain_text, squash, text_of, within

from .cleanup import is_toolbar
from .containers import is_chrome
from .shown_dates import INLINE, info_line_date, labelled_date

# "标题 - 站名", "标题_栏目_站名", "标题|站名" ...; a hyphen between digits (2023-2025, 1-10月) is not one.
_SEPARATORS = re.compile(r"\s*(?:——|--|—|_{1,2}|\||｜|\s[-－]\s?|[-－]\s|(?<!\d)[-－](?!\d)|::|\s>\s)\s*")
_HEADING_TAGS = frozenset(("h1", "h2", "h3", "h4"))
MAX_TITLE_CHARS = 200  # what is stored as the title; a longer heading is kept whole in the body
_MAX_TITLE_KEY = 200  # longer lines are titles only as one-line headings


def _headings(root: etree._Element) -> list[etree._Element]:
    """h1-h4 and elements whose class/id says title (a Python pass beats attribute XPaths here)."""
    body = root.find("body")
    out = []
    for el in (body.iter(etree.Element) if body is not None else ()):
        if el.tag in _HEADING_TAGS:
            out.append(el)
            continue
        attrs = f"{el.get('class') or ''} {el.get('id') or ''}"
        if len(attrs) > 1 and _BT.search(attrs):
            out.append(el)
    return [el for el in out if el.tag != "a" and not _IN_LINK(el)]


_IN_LINK = etree.XPath("boolean(ancestor::a)")
_BT = re.compile(r"(?:^|[\s_-])bt(?:$|[\s_-]|\d)|tit|biaoti", re.I)
_SITEISH = re.compile(r"(?:人民政府|政府网|门户网站|网站|官网|中国政府网|首页|公报|专栏|频道)$|^(?:首页|正文)$")
_EMPHASIS = etree.XPath("//body//b|//body//strong|//body//font[@size]")
_CJK = re.compile(r"[\u2e80-\u9fff\uff00-\uffef\u3000-\u303f]")


@dataclass
class TitleChoice:
    """The title chosen, where it came from (visible | meta | title_tag), and its heading element."""

    text: str
    source: str
    element: etree._Element | None = None


@dataclass(frozen=True)
class TitleCandidate:
    """A visible line offered as the title by one generator.

    `kind` names the generator (heading, long_heading: a one-line heading over 200 characters,
    heading_pair, emphasis, matching_line, above_date_line, below_date_line, first_line,
    line_above); `prior` is what the generator's kind is worth before
    the page is looked at; `position` is the element's document order.
    """

    element: etree._Element
    text: str
    kind: str
    prior: float
    position: int


@dataclass(frozen=True)
class ScoredTitle:
    """A candidate with its score and the evidence it is made of (name, points)."""

    candidate: TitleCandidate
    score: float
    evidence: tuple[tuple[str, float], ...]


@dataclass
class TitlePage:
    """What every title step reads: the parsed page and the reference titles, computed once."""

    root: etree._Element
    container: etree._Element | None
    order: dict[etree._Element, int]
    stats: dict
    elements: list
    site_keys: set[str]
    meta_refs: list[str]  # ArticleTitle, og:title, twitter:title, 信息公开 标题
    segments: list[str]  # <title> split at its separators
    good_segments: list[str]  # those that are not the site's or an agency's name
    refs: list[tuple[str, str]]  # (reference title, "meta" | "title_tag")
    ref_keys: list[tuple[str, str]]
    cpos: int  # the container's position (10**9 without one)
    text_pos: int  # where the prose itself starts
    own_title_hidden: bool = False  # <title> opens with a page title (not a site name) shown nowhere

    @classmethod
    def read(cls, root: etree._Element, meta_titles: dict[str, str], site_names: set[str],
             container: etree._Element | None, order: dict[etree._Element, int], stats: dict,
             elements: list) -> TitlePage:
        title_tag = without_markup(" ".join(root.xpath("(//title)[1]//text()")).strip())
        site_keys = {key(n) for n in site_names}
        meta_refs = [without_markup(meta_titles[n]) for n in ("articletitle", "og:title", "twitter:title", "doc_title")
                     if meta_titles.get(n)]
        segs = title_segments(title_tag)
        good = [g for g in segs if key(g) not in site_keys and not _SITEISH.search(g) and not _org_name(g)]
        site_title = (_SITEISH.search(title_tag) or _org_name(title_tag)) and len(segs) <= 1
        whole = [] if site_title else [(title_tag, "title_tag")]  # <title>某某县人民政府 / 某某市政务服务管理局
        # the first part that is not the site's is the page's; later ones name blogs, columns, sections
        refs = [(r, "meta") for r in meta_refs] + whole + [(g, "title_tag" if i == 0 else "title_part")
                                                          for i, g in enumerate(good)]
        cpos = order.get(container, 10**9) if container is not None else 10**9
        hidden = bool(good) and good[0] == segs[0] and len(key(good[0])) > 6 and key(good[0]) not in _page_key(root)
        return cls(root, container, order, stats, elements, site_keys, meta_refs, segs, good, refs,
                   [(key(r), src) for r, src in refs if len(key(r)) >= 4], cpos,
                   _densest_leaf(container, stats, order), hidden)


def choose_title(root: etree._Element, meta_titles: dict[str, str], site_names: set[str],
                 container: etree._Element | None, order: dict[etree._Element, int],
                 stats: dict | None = None, elements: list | None = None) -> TitleChoice | None:
    """Best title; `element` is the visible heading element when one was used.

    Visible headings that match ArticleTitle/og:title/信息公开 标题/<title> win; then heading lines
    at the top of the text, the meta title, <title> segments shown on the page, and finally the
    heading or short line right above the text (see FALLBACKS).
    """
    page = TitlePage.read(root, meta_titles, site_names, container, order, stats or {}, elements or [])
    best: ScoredTitle | None = None
    for step in FALLBACKS:
        best, choice = step(page, best)
        if choice is not None:
            return choice
    return None


# ---------------------------------------------------------------- the scorer


def score_title(c: TitleCandidate, page: TitlePage) -> ScoredTitle | None:
    """How much the candidate looks like the page's own title; None if it cannot be one."""
    k = key(c.text)
    if len(k) < 4 or (len(k) > _MAX_TITLE_KEY and c.kind != "long_heading") or k in page.site_keys \
            or k[-1] in ":：" or _ENUMERATED.match(k) or _GREETING.match(k):
        return None  # "一、项目编号：" is a field label / section heading, not the title
    match = _match_score(k, page.ref_keys)
    evidence = [("reference", match), ("prior", c.prior),
                ("proximity", _proximity(c.element, page.container, page.cpos, page.order, page.text_pos))]
    if match < 95 and sum(1 for ch in c.element if ch.tag in _BLOCKISH and (ch.text or len(ch))) >= 2:
        evidence.append(("wrapper", -10))  # a wrapper around heading + subtitle
    elif c.element.tag not in _HEADING_TAGS and _inner_heading(c.element, k):
        evidence.append(("wraps_heading", -10))  # <div class=title><h1>词条</h1><a>编辑</a></div>
    if sum(v for _, v in evidence) > 0 and (_in_listing(c.element) or _captions_links(c.element, page.stats)):
        evidence.append(("in_listing", -40))
    if match < 40 and page.own_title_hidden and _above_navigation(c, page):
        evidence.append(("site_header", -40))  # a slogan in the page header; the <title> names the page
    score = sum(v for _, v in evidence)
    return ScoredTitle(c, score, tuple(evidence)) if score > 0 else None


def _above_navigation(c: TitleCandidate, page: TitlePage) -> bool:
    """A navigation bar (five links or more, little else) lies between the line and the text."""
    for el in page.elements[c.position + 1:min(page.cpos, c.position + 400)]:
        st = page.stats.get(el)
        if st is not None and st.text >= 10 and st.link >= 0.8 * st.text and not within(c.element, el) \
                and sum(1 for _ in el.iter("a")) >= 5:
            return True
    return False


# A site's greeting set as a heading: 谢谢您访问…, 欢迎光临…
_GREETING = re.compile(r"^(?:热烈)?(?:欢迎|谢谢|感谢)(?:您|你|大家)?(?:的)?(?:访问|光临|来到|浏览|使用|关注|莅临)")


def _inner_heading(el: etree._Element, k: str) -> bool:
    """An h1-h3 inside holds most of the candidate's text: that heading is the line, not its wrapper."""
    for h in el.iter("h1", "h2", "h3"):
        hk = key(plain_text(h))
        if h is not el and len(hk) >= 2 and len(hk) >= 0.5 * len(k) and hk != k:
            return True
    return False


def _better(best: ScoredTitle | None, candidates, page: TitlePage) -> ScoredTitle | None:
    """The best of `best` and the candidates (the earlier one on a tie)."""
    for c in candidates:
        scored = score_title(c, page)
        if scored is not None and (best is None or scored.score > best.score):
            best = scored
    return best


def _visible(best: ScoredTitle, page: TitlePage) -> TitleChoice:
    c = best.candidate
    return TitleChoice(_trim_to_ref(join_lines(c.text), page.refs), "visible", c.element)


def _below(best: ScoredTitle | None, threshold: float) -> bool:
    return best is None or best.score < threshold


def _longest(texts: list[str]) -> str:
    return max(texts, key=lambda g: len(key(g)))


# ---------------------------------------------------------------- fallbacks, in order

Step = Callable[[TitlePage, "ScoredTitle | None"], "tuple[ScoredTitle | None, TitleChoice | None]"]


def _matching_visible(page: TitlePage, best: ScoredTitle | None):
    """Headings, then (no exact match yet) bold lines and any short line spelling a reference title."""
    best = _better(best, heading_candidates(page), page)
    if _below(best, 95):
        best = _better(best, emphasis_candidates(page), page)
    if _below(best, 95) and page.ref_keys:
        best = _better(best, matching_line_candidates(page), page)
    return best, (_visible(best, page) if best is not None and best.score >= 70 else None)


def _top_of_text(page: TitlePage, best: ScoredTitle | None):
    top = _top_lines(page.container, page.ref_keys)
    return best, TitleChoice(top, "visible") if top else None


def _meta_title(page: TitlePage, best: ScoredTitle | None):
    return best, TitleChoice(page.meta_refs[0], "meta") if page.meta_refs else None


def _around_the_text(page: TitlePage, best: ScoredTitle | None):
    """No reference matched: the line at the date line, or the short line right above the text."""
    if _below(best, 70) and page.elements:
        best = _better(best, date_line_candidates(page), page)
    if _below(best, 30) and page.container is not None and page.elements:
        best = _better(best, line_above_candidates(page), page)
    return best, None


def _shown_title_segment(page: TitlePage, best: ScoredTitle | None):
    text = _page_key(page.root)
    first = page.segments[0] if page.segments else None  # later short parts are the site's or column's name
    shown = [g for g in page.good_segments
             if key(g) in text and (len(key(g)) > 6 or (g == first and _below(best, 30)))]
    return best, TitleChoice(_longest(shown), "title_tag") if shown else None


def _fair_visible(page: TitlePage, best: ScoredTitle | None):
    choice = _visible(best, page) if best is not None and best.score >= 10 else None
    return best, choice if choice is not None and not _SITEISH.search(choice.text) else None


def _any_title_segment(page: TitlePage, best: ScoredTitle | None):
    return best, TitleChoice(_longest(page.good_segments), "title_tag") if page.good_segments else None


def _any_visible(page: TitlePage, best: ScoredTitle | None):
    return best, _visible(best, page) if best is not None else None


def _site_title(page: TitlePage, best: ScoredTitle | None):
    return best, TitleChoice(_longest(page.segments), "title_tag") if page.segments else None


FALLBACKS: tuple[Step, ...] = (
    _matching_visible, _top_of_text, _meta_title, _around_the_text, _shown_title_segment, _fair_visible,
    _any_title_segment, _any_visible, _site_title,
)


# ---------------------------------------------------------------- candidate generators


def _candidate(page: TitlePage, el: etree._Element, text: str, kind: str, prior: float) -> TitleCandidate:
    return TitleCandidate(el, without_markup(text), kind, prior, page.order.get(el, 0))


# Markup a CMS escaped into the title text: &lt;font color='#FF0000'&gt;[网上竞价]&lt;/font&gt;…
_MARKUP_AS_TEXT = re.compile(r"</?[A-Za-z][A-Za-z0-9]{0,9}(?:\s[^<>]{0,200})?/?>")


def without_markup(text: str) -> str:
    """The text of a title that carries HTML tags as text."""
    if "<" not in text or not _MARKUP_AS_TEXT.search(text):
        return text
    return squash(_MARKUP_AS_TEXT.sub("", text))


def heading_candidates(page: TitlePage) -> Iterator[TitleCandidate]:
    """h1-h4 and title-classed elements; a heading set as two sibling lines also as one."""
    for el in _headings(page.root):
        st = page.stats.get(el)
        if st is not None and not 4 <= st.text <= 400 and not (st.text > 400 and _one_line(el)):
            continue
        prior = 5 if el.tag in ("h1", "h2") or "title" in (el.get("class") or "").lower() else 0
        text = text_of(el)
        yield _candidate(page, el, text, "heading" if len(key(text)) <= _MAX_TITLE_KEY else "long_heading", prior)
        nxt = el.getnext()
        if page.ref_keys and nxt is not None and nxt.tag == el.tag and nxt.get("class") == el.get("class"):
            yield _candidate(page, el, text + "\n" + text_of(nxt), "heading_pair", prior)


def emphasis_candidates(page: TitlePage) -> Iterator[TitleCandidate]:
    """The first bold/big line that spells a reference title."""
    for el in _EMPHASIS(page.root):
        st = page.stats.get(el)
        if st is not None and not 4 <= st.text <= 200:
            continue
        text = text_of(el)
        if _match_score(key(text), page.ref_keys) >= 95:
            yield _candidate(page, el, text, "emphasis", 0)
            return

_LINE_BREAKS = frozenset(("br", *_HEADING_TAGS, "p", "div", "li", "table", "tr", "td", "section", "ul", "ol", "dl"))


def _one_line(el: etree._Element) -> bool:
    """Nothing inside breaks the line: a heading however long, not a wrapper of blocks."""
    return not any(isinstance(d.tag, str) and d.tag in _LINE_BREAKS for d in el.iterdescendants())


def cap_title(title: str) -> str:
    """The title as stored: at most MAX_TITLE_CHARS, cut after the last punctuation or space near
    the limit when there is one, marked with "…"."""
    if len(title) <= MAX_TITLE_CHARS:
        return title
    head = title[:MAX_TITLE_CHARS - 1]
    cut = max(head.rfind(ch) for ch in " ，。；、,;）)》")
    return (head[:cut + 1] if cut >= MAX_TITLE_CHARS * 3 // 4 else head).rstrip() + "…"


def key(s: str | None) -> str:
    return compact(unicodedata.normalize("NFKC", s or ""))


def join_lines(text: str) -> str:
    """Join a heading broken over lines: no space between CJK characters, one space otherwise."""
    parts = [p for p in text.split("\n") if p]
    out = parts[0] if parts else ""
    for p in parts[1:]:
        sep = "" if (_CJK.match(out[-1:]) or _CJK.match(p[:1])) else " "
        out += sep + p
    return out


_OPEN, _CLOSE = "《（(【[“", "》）)】]”"


def title_segments(title_tag: str) -> list[str]:
    """'标题_栏目_站名' -> parts; separators inside 《》/（） belong to the title."""
    segs, start = [], 0
    for m in _SEPARATORS.finditer(title_tag):
        head = title_tag[:m.start()]
        depth = sum(head.count(c) for c in _OPEN) - sum(head.count(c) for c in _CLOSE)
        if depth > 0:
            continue
        segs.append(title_tag[start:m.start()])
        start = m.end()
    segs.append(title_tag[start:])
    return [seg.strip() for seg in segs if len(key(seg)) >= 2]


_ORG_SUFFIX = re.compile(r"(?:人民政府|政府|委员会|管理局|总局|局|厅|委|办公室|办|中心|院|署|部)$")


def _org_name(text: str) -> bool:
    """"某某市政务服务管理局": a bare agency name (a site name), not an announcement title."""
    k = key(text)
    return len(k) <= 24 and bool(_ORG_SUFFIX.search(k)) and not any(w in k for w in ("关于", "公告", "通知", "决定"))


_BLOCKISH = frozenset(("h1", "h2", "h3", "h4", "h5", "h6", "p", "div", "li", "table", "section"))


def _densest_leaf(container: etree._Element | None, stats: dict, order: dict) -> int:
    """Position of the innermost block along the path of most prose: where the text itself is."""
    node = container
    while node is not None:
        children = [c for c in node if c in stats and stats[c].prose > 0]
        if not children:
            break
        node = max(children, key=lambda c: stats[c].prose)
    return order.get(node, 10**9) if node is not None else 10**9


_TRAILER = re.compile(r"^(?:[\[【(（]?\s*(?:19|20)\d\d|发布|来源|时间|日期|作者|浏览|阅读|点击|字号)")


_TRAILING_INFO = re.compile(
    r"\s*[\[【(（]?\s*(?:(?:发布|更新)?(?:时间|日期)\s*[:：]\s*)?(?:19|20)\d\d\s*[-/.年]\s*\d{1,2}\s*[-/.月]\s*\d{1,2}"
    r"\s*日?(?:\s*\d{1,2}[:：]\d{2}(?:[:：]\d{2})?)?\s*[\]】)）]?(?:\s*(?:来源|作者)\s*[:：].{0,30})?$"
)


def _trim_to_ref(text: str, refs: list[tuple[str, str]]) -> str:
    """A heading wrapper that also holds the date/source line: keep only the title part."""
    k = key(text)
    for ref, _ in refs:
        rk = key(ref)
        if len(rk) >= 4 and k.startswith(rk) and len(k) > len(rk) and _TRAILER.match(k[len(rk):]):
            return ref
    trimmed = _TRAILING_INFO.sub("", text)
    return trimmed if len(key(trimmed)) >= 4 else text


def _proximity(el: etree._Element, container: etree._Element | None, cpos: int,
               order: dict[etree._Element, int], text_pos: int = 10**9) -> float:
    if container is None or cpos >= 10**9:
        return 0.0
    pos = order.get(el, 0)
    if within(el, container):
        if pos - cpos <= 15:
            return 30.0
        return 10.0 if pos < text_pos else -10.0  # a heading below the text is a caption
    if pos > cpos:
        return -30.0  # headings after the text are usually related-list captions
    gap = cpos - pos
    return 30.0 if gap <= 60 else 15.0 if gap <= 200 else 0.0


def _top_lines(container: etree._Element | None, ref_keys: list[tuple[str, str]]) -> str | None:
    """Heading lines at the top of the text that spell a reference title (bold centred lines in #UCAP-CONTENT)."""
    if container is None or not ref_keys:
        return None
    lines = head_lines(container, 5)
    acc = ""
    for i, ln in enumerate(lines):
        acc += key(ln)
        if any(acc == rk for rk, _ in ref_keys):
            return without_markup(join_lines("\n".join(lines[: i + 1])))
    return None


# "2023年4月环境空气质量状况" is a heading; a full day date is an info line
_NOT_A_HEADING = re.compile(
    r"[:：]|当前位置|您的位置|(?:19|20)\d\d\s*[-/.年]\s*\d{1,2}\s*[-/.月]\s*\d|打印|关闭|字号|分享|首页"
)
_NOT_A_TITLE = re.compile(r"[:：]|当前位置|您的位置|(?:19|20)\d\d\s*[-/.年]\s*\d|打印|关闭|字号|分享|首页")


_ENUMERATED = re.compile(
    r"[一二三四五六七八九十]+、|\([一二三四五六七八九十]+\)|\d+[.、]\D|第[一二三四五六七八九十百]+[章节条部分]"
)
_CENTERED = re.compile(r"text-align\s*:\s*center", re.I)


def line_above_candidates(page: TitlePage) -> Iterator[TitleCandidate]:
    """The emphasised first line of the text, and the nearest short line above it."""
    container, cpos, elements = page.container, page.cpos, page.elements
    for el in elements[cpos + 1:cpos + 8]:
        if not within(el, container):
            break
        emphasised = el.tag in ("strong", "b", "font", "h1", "h2", "h3", "center") or el.get("align") == "center" \
            or _CENTERED.search(el.get("style") or "")
        text = text_of(el)
        if emphasised and 6 <= len(key(text)) <= 120 and not _NOT_A_TITLE.search(text):
            yield _candidate(page, el, text, "first_line", 0)
            break
    for el in reversed(elements[max(0, cpos - 40):cpos]):
        own = (el.text or "").strip()
        if not 6 <= len(own) <= 100 or el.tag in ("a", "option", "title") or _NOT_A_TITLE.search(own):
            continue
        if key(own) in page.site_keys or _SITEISH.search(own) or el.xpath("ancestor::a"):
            continue
        yield _candidate(page, el, text_of(el), "line_above", -2)
        return


_DATE_LABEL_WORDS = ("发布", "日期", "时间")
_NOT_HEADING_HOLDERS = frozenset(("a", "li", "option", "dt", "dd"))


def date_line(elements: list, stats: dict | None = None) -> int | None:
    """Index of the first labelled publication-date line (发布日期：2023-02-28 ...) outside lists and
    tables; failing that, of the first article info line that opens with a date (2023-05-12 来源：...)."""
    fallback = None
    for i, el in enumerate(elements):
        own = el.text
        if not own or el.tag in _NOT_HEADING_HOLDERS:
            continue
        labelled = any(w in own for w in _DATE_LABEL_WORDS)
        if not labelled and (fallback is not None or not _DIGIT_START.match(own)):
            continue
        holder = el.getparent() if el.tag in INLINE and el.getparent() is not None else el
        line = inline_text(holder)  # <div><span>2023-05-12</span><span>来源：…</span></div>
        if len(line) > 80 or _in_link_row(el) or any(len(key(plain_text(a))) > 6 for a in holder.iter("a")):
            continue  # a list row: another page's title next to its date
        if labelled and labelled_date(line):
            return i
        if fallback is None and (
            info_line_date(line)
            or (_bare_date(line, el) and stats is not None and _leads_into_text(elements, i, el, stats))
        ):
            fallback = i
    return fallback


def _bare_date(line: str, el: etree._Element) -> bool:
    """A line that is only a date (2023-03-02), not next to a link (a list row)."""
    s = nfkc(line)
    if _WEEKDAY.search(s):
        return False  # 2026年11月25日 星期三: the header clock
    found = list(find_dates(s, normalized=True))
    if len(found) != 1 or key(s[:found[0].start] + s[found[0].end:]).strip("[]【】()（）"):
        return False
    parent = el.getparent()
    return parent is None or not any(len(key(plain_text(a))) > 6 for a in parent.iter("a"))


_WEEKDAY = re.compile(r"星期|礼拜|周[一二三四五六日天]")
_DOC_NO_LINE = re.compile(r"^[\u4e00-\u9fff]{1,14}[〔\[（(【]\d{4}[〕\]）)】]第?\d+号$")  # 某政发〔2023〕2号
_DIGIT_START = re.compile(r"\s*[\[【(（]?\s*(?:19|20)\d\d")


_IN_LINK_OR_ITEM = etree.XPath("boolean(ancestor::a or ancestor::li)")


def _in_list_or_grid(el: etree._Element) -> bool:
    """Inside a link, a list item, or a cell of a table row with several cells (a grid, not layout)."""
    if _IN_LINK_OR_ITEM(el):
        return True
    for anc in el.iterancestors("td", "th"):
        row = anc.getparent()
        return row is not None and sum(1 for c in row if c.tag in ("td", "th")) >= 2
    return False


def _in_link_row(el: etree._Element) -> bool:
    """In a link, a grid cell, or a list item that carries a named link (a list row with its date);
    an info bar written as <ul><li>时间：…</li><li>来源：…</li></ul> is not one."""
    if el.xpath("boolean(ancestor::a)"):
        return True
    for li in el.iterancestors("li"):
        if any(len(key(plain_text(a))) > 6 for a in li.iter("a")):
            return True
        break
    for anc in el.iterancestors("td", "th"):
        row = anc.getparent()
        return row is not None and sum(1 for c in row if c.tag in ("td", "th")) >= 2
    return False


def _in_grid_cell(el: etree._Element) -> bool:
    row = el.getparent()
    return el.tag in ("td", "th") and (row is None or sum(1 for c in row if c.tag in ("td", "th")) >= 2)


def _heading_like(el: etree._Element, site_keys: set[str]) -> str | None:
    """The element's text if it reads like a heading line: short, not a sentence, not chrome or a link."""
    if el.tag in _NOT_HEADING_HOLDERS or el.tag in ("title", "br", "img") or _in_grid_cell(el) or _in_list_or_grid(el):
        return None
    own = (el.text or "").strip()
    if not own:
        return None
    text = text_of(el)
    k = key(text)
    if not 6 <= len(k) <= 120 or ("\n" in text.strip() and len(text.split("\n")) > 4) or len(_CJK.findall(k)) < 4:
        return None  # too short or long, a paragraph, or a code (ZC130800202101632)
    if k.endswith(("。", ".", "；")) or "。" in k[:-1] or _NOT_A_HEADING.search(text):
        return None
    if k in site_keys or _SITEISH.search(text.strip()) or _DOC_NO_LINE.match(k):
        return None
    return text


def date_line_candidates(page: TitlePage) -> Iterator[TitleCandidate]:
    """No reference title: the heading is the short line right above the labelled date line, or
    (date line first) the short line right after it that leads into the text."""
    i = date_line(page.elements, page.stats)
    if i is None:
        return
    above = _line_above_date(page, i)
    if above is not None:
        yield _candidate(page, *above, "above_date_line", 40)
        return
    below = _line_below_date(page, i)
    if below is not None:
        yield _candidate(page, *below, "below_date_line", 35)


def _line_above_date(page: TitlePage, i: int) -> tuple[etree._Element, str] | None:
    """The most prominent of up to three heading lines stacked right above the date line (h1
    before h3, bigger type); when nothing tells them apart, the one right above the date (a
    column caption above the heading is commoner than a subtitle below it)."""
    line_el = page.elements[i]
    stacked: list[tuple[etree._Element, str]] = []  # title + subtitle (or kicker) lines, bottom up
    for el in reversed(page.elements[max(0, i - 15):i]):  # layout tables put empty rows in between
        if within(line_el, el) or any(within(c, el) for c, _ in stacked):
            continue  # a wrapper of heading + date line
        text = _heading_like(el, page.site_keys)
        if text:
            stacked.append((el, text))
            if len(stacked) == 3:
                break
        elif stacked and (el.text or "").strip():
            break
    return min(stacked, key=lambda c: _prominence(c[0])) if stacked else None


def _line_below_date(page: TitlePage, i: int) -> tuple[etree._Element, str] | None:
    """The heading-like line after the date line that leads into the text."""
    line_el = page.elements[i]
    for j in range(i + 1, min(i + 40, len(page.elements))):
        el = page.elements[j]
        if within(el, line_el):
            continue
        text = _heading_like(el, page.site_keys)
        if text and _leads_into_text(page.elements, j, el, page.stats):
            return el, text
    return None


_HEADING_RANK = {"h1": 0, "h2": 1, "h3": 2, "h4": 3, "h5": 4, "h6": 5}
_FONT_SIZE = re.compile(r"font-size\s*:\s*(\d+(?:\.\d+)?)\s*(px|pt|em|rem)?", re.I)


def _prominence(el: etree._Element) -> tuple[int, float, int]:
    """Sort key, smaller is more prominent: heading level (of the line or its wrapper), type size,
    then bold or centred."""
    rank, size, marked = 9, 0.0, 0
    for node in (el, el.getparent(), *el.iterchildren()):
        if node is None or not isinstance(node.tag, str):
            continue
        rank = min(rank, _HEADING_RANK.get(node.tag, 9))
        style = node.get("style") or ""
        if node.tag in ("b", "strong", "center") or node.get("align") == "center" or \
                _CENTERED.search(style) or "bold" in style:
            marked = 1
        m = _FONT_SIZE.search(node.get("style") or "")
        if m:
            value = float(m.group(1)) * {"pt": 1.33, "em": 16, "rem": 16}.get((m.group(2) or "px").lower(), 1)
            size = max(size, value)
        if node.tag == "font" and (node.get("size") or "").isdigit():
            size = max(size, 8 + 3 * int(node.get("size")))
    return rank, -size, -marked


def _leads_into_text(elements: list, j: int, el: etree._Element, stats: dict) -> bool:
    """The next element after `el` (outside it) holds real text: a paragraph or a data table."""
    for nxt in elements[j + 1:j + 12]:
        if within(nxt, el):
            continue
        st = stats.get(nxt)
        if st is None or st.text - st.link < 20:
            continue
        return st.prose >= 60 and not is_chrome(nxt)
    return False


def _page_key(root: etree._Element) -> str:
    body = root.find("body")
    return key("".join(body.itertext())) if body is not None else ""


_LISTING_CLASS = re.compile(r"list|side|menu|nav|related|xgwz|footer", re.I)
_LISTING_TAGS = frozenset(("li", "ul"))


def _captions_links(el: etree._Element, stats: dict) -> bool:
    """A heading over a list of links (栏目导航, 通知公告 + rows): a list caption, not the title."""
    nxt = el.getnext()
    if nxt is None:
        return False
    if nxt.tag == "a":
        links = [nxt, nxt.getnext()]
    else:
        st = stats.get(nxt)
        if st is None or st.link <= 0.5 * st.text:
            return False
        links = nxt.findall(".//a")
    # entries are named links, not a toolbar (大 中 小 打印)
    return sum(1 for a in links if a is not None and a.tag == "a" and len(key(plain_text(a))) >= 4
               and not is_toolbar(key(plain_text(a)))) >= 2


def _in_listing(el: etree._Element) -> bool:
    """Inside a list, menu, sidebar, related block or footer (where other pages' titles live)."""
    for anc in el.iterancestors():
        if anc.tag in _LISTING_TAGS:
            return True
        cls = anc.get("class")
        if cls and _LISTING_CLASS.search(cls):
            return True
    return False


_DOC_NO_TAIL = re.compile(r"^[（(〔\[【]?[^（()）]{0,20}?(?:\d{4}|〔\d{4}〕|\[\d{4}\])[^（()）]{0,12}号[）)\]】]?$")


def matching_line_candidates(page: TitlePage) -> Iterator[TitleCandidate]:
    """Every short unlinked element whose text spells a reference title (any class/id)."""
    body = page.root.find("body")
    if body is None:
        return
    lo = min(len(rk) for rk, _ in page.ref_keys) // 2
    hi = max(len(rk) for rk, _ in page.ref_keys) + 10
    firsts = {rk[0] for rk, _ in page.ref_keys}
    for el in body.iter(etree.Element):
        st = page.stats.get(el)
        if st is None or st.link or not lo <= st.text <= hi or el.tag in ("a", "title", "option", "li"):
            continue
        head = next((chunk for chunk in el.itertext() if chunk.strip()), "")
        if key(head[:4])[:1] not in firsts:
            continue
        prev = el.getprevious()
        if prev is not None and key(plain_text(prev)).endswith((":", "：")):
            continue  # the value of a "标题：" field, not a heading
        if _match_score(key(plain_text(el)), page.ref_keys) >= 85:  # cheap text first; render only matches
            yield _candidate(page, el, text_of(el), "matching_line", 0)


def _match_score(k: str, ref_keys: list[tuple[str, str]]) -> float:
    score = 0.0
    for rk, src in ref_keys:
        if k == rk:
            # a <title> part of a few characters is a column name (通知公告_某某市人民政府), not a title
            score = max(score, 100 if src == "meta" else 0 if len(rk) <= 6 else 95 if src == "title_tag" else 85)
        elif len(k) >= 6 and rk.startswith(k) and _DOC_NO_TAIL.match(rk[len(k):]):
            # the page shows the title without the 文号 that the CMS appended: "…公开表" + "(金罚决字〔2024〕36号)"
            score = max(score, 96 if src == "meta" else 94)
        elif len(k) >= 6 and (k in rk or rk in k):
            ratio = min(len(k), len(rk)) / max(len(k), len(rk))
            prefix = rk.startswith(k) or k.startswith(rk)
            score = max(score, (50 if prefix else 40) + 40 * ratio)
    return score
