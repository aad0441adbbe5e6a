"""Find the block that holds the main text: known CMS containers, text density, or the heading."""

from __future__ import annotations

import re
from dataclasses import dataclass

from lxml import etree

# Containers used by the big gov CMSs (TRS, Hanweb, UCAP/开普云, gkmlpt ...) and common templates.
KNOWN_IDS = ("UCAP-CONTENT", "zoom", "Zoom", "fontzoom", "zoomcon", "zoomCon", "BodyLabel", "contentText",
             "ContentRegion", "art_content", "article_content", "mainText", "zhengwen", "div_zhengwen",
             "con_con", "xxgk_content", "info_content", "newsContent", "news_content", "detailContent",
             "ivs_content", "js_content", "Content", "content")
KNOWN_CLASSES = ("TRS_Editor", "TRS_UEDITOR", "Custom_UnionStyle", "pages_content", "article-content",
                 "article_content", "articleContent", "zwgkdetail", "content_text", "detail-content",
                 "detail_content", "news_content", "newsContent", "main-text", "xl_content", "con_text",
                 "view", "article-body", "zw", "wz_zw", "art_con", "conTxt", "TRS_PreAppend",
                 "bt-content", "zoom", "rich_media_content",
                 "article")


# Names so common that they often wrap the whole page body, not just the text.
GENERIC = frozenset(("#content", "#Content", ".article", ".view", ".zw", ".content_text"))
_KNOWN_ID_SET = frozenset(KNOWN_IDS)
_KNOWN_CLASS_SET = frozenset(KNOWN_CLASSES)
_WITH_ATTRS = etree.XPath(".//*[@id or @class]")
_RANK = {**{f"#{i}": n for n, i in enumerate(KNOWN_IDS)},
         **{f".{c}": n for n, c in enumerate(KNOWN_CLASSES)}}


def _is_known(el: etree._Element) -> bool:
    if el.get("id") in _KNOWN_ID_SET:
        return True
    cls = el.get("class")
    return bool(cls) and not _KNOWN_CLASS_SET.isdisjoint(cls.split())


def _known_xpath(scope: etree._Element) -> list[etree._Element]:
    return [el for el in _WITH_ATTRS(scope) if _is_known(el)]


_PUNCT_RE = re.compile("[，。；：！？、]")


@dataclass
class Stats:
    text: int = 0
    link: int = 0
    punct: int = 0

    @property
    def prose(self) -> float:
        return (self.text - self.link) + 8 * self.punct


def _strlen(s: str | None) -> int:
    return len(s.strip()) if s else 0


def _punct(s: str | None) -> int:
    return len(_PUNCT_RE.findall(s)) if s and not s.isascii() else 0


def measure(root: etree._Element) -> dict[etree._Element, Stats]:
    """Bottom-up text/link/punctuation counts for every element (one pass)."""
    stats: dict[etree._Element, Stats] = {}
    for el in reversed(list(root.iter(etree.Element))):
        st = Stats(_strlen(el.text), 0, _punct(el.text))
        for child in el:
            cs = stats.get(child)
            if cs is not None:
                st.text += cs.text
                st.link += cs.link
                st.punct += cs.punct
            if child.tail:
                st.text += _strlen(child.tail)
                st.punct += _punct(child.tail)
        if el.tag == "a":
            st.link = st.text
            st.punct = 0
        elif el.tag == "table" and st.text > st.link:
            st.punct += _data_cells(el, stats)
        stats[el] = st
    return stats


def _data_cells(table: etree._Element, stats: dict[etree._Element, Stats]) -> int:
    """Text cells of a data table (>= 2 rows of >= 2 cells, no nested table), else 0.

    Each cell counts like a punctuation mark: a table of facts is as dense as prose, and
    without this a short table loses to a menu of sentences.
    """
    cells = rows = 0
    for tr in table.iter("tr"):
        n = 0
        for cell in tr:
            if cell.tag == "table":
                return 0
            if cell.tag in ("td", "th"):
                cs = stats.get(cell)
                if cs is not None and cs.text >= 2 and cs.link < cs.text:
                    n += 1
        if n >= 2:
            rows += 1
        cells += n
    if rows < 2 or table.find(".//table") is not None:
        return 0
    return cells


def known_container(root: etree._Element,
                    stats: dict[etree._Element, Stats]) -> etree._Element | None:
    """The best known CMS container holding real prose, if any."""
    valid = []
    body = root.find('body')
    for el in _known_xpath(body if body is not None else root):
        st = stats.get(el)
        if st is None or st.text - st.link < 15 or st.link > 0.5 * st.text:
            continue
        valid.append(el)
    if not valid:
        return None
    top = max(stats[el].prose for el in valid)
    eligible = [el for el in valid if stats[el].prose >= 0.25 * top]
    best = min(eligible, key=lambda el: (_rank(el), -stats[el].prose))
    if _is_generic(best):
        refined = density_container(root, stats, start=best, share=0.85)
        best = refined if refined is not None else best
    # Prefer a known container nested inside that holds nearly all of the prose (TRS_Editor in #zoom).
    total = stats[best].prose
    for el in _known_xpath(best):
        st = stats.get(el)
        if st and st.prose >= 0.97 * total and st.text - st.link >= 15:
            best = el
            total = st.prose
    return best


def is_generic(el: etree._Element) -> bool:
    """No specific CMS container name (#content, .article ... or none at all)."""
    return _is_generic(el)


def _is_generic(el: etree._Element) -> bool:
    names = {f"#{el.get('id')}"} | {f".{c}" for c in (el.get("class") or "").split()}
    specific = {n for n in names if n in _RANK and n not in GENERIC}
    return not specific


def _rank(el: etree._Element) -> int:
    """Lower is more specific; the generic names come after every specific one."""
    names = [f"#{el.get('id')}"] + [f".{c}" for c in (el.get("class") or "").split()]
    return min((_RANK[n] + (100 if n in GENERIC else 0) for n in names if n in _RANK), default=999)


def density_container(root: etree._Element, stats: dict[etree._Element, Stats],
                      start: etree._Element | None = None, share: float = 0.6) -> etree._Element | None:
    """Descend from <body> (or `start`) while one child holds most of the prose."""
    body = root.find("body")
    node = start if start is not None else body if body is not None else root
    while True:
        score = stats[node].prose
        children = [c for c in node if isinstance(c.tag, str) and c in stats]
        if not children or score <= 0:
            return node
        best = max(children, key=lambda c: stats[c].prose)
        if stats[best].prose < share * score:
            score -= sum(stats[c].prose for c in children
                         if c is not best and stats[c].prose > 0.1 * score and is_chrome(c))
        if stats[best].prose >= share * score and best.tag not in ("a", "p", "br", "strong", "b", "font"):
            node = best
        else:
            return node


_CHROME_MARKERS = ("ICP", "公网安备", "版权所有", "Copyright", "copyright", "主办单位", "承办单位", "网站标识码",
                   "技术支持", "联系我们", "网站地图", "主办：", "承办：", "备案号")


def is_chrome(el: etree._Element) -> bool:
    """A page footer/header block: it names two or more of ICP/版权所有/主办单位/网站标识码 ..."""
    text = "".join(el.itertext())
    return sum(1 for m in _CHROME_MARKERS if m in text) >= 2


def anchored_container(title_el: etree._Element, stats: dict[etree._Element, Stats],
                       need: float = 40) -> tuple[etree._Element, float] | None:
    """The lowest ancestor of the title whose content after the title holds real text (`need` prose).

    Returns (ancestor, prose after the title). Used when no known container exists.
    """
    branch, after = title_el, 0.0
    while True:
        parent = branch.getparent()
        if parent is None or parent.tag in ("html",):
            return None
        if branch.tail:
            after += _strlen(branch.tail) + 8 * _punct(branch.tail)
        for sib in branch.itersiblings():
            st = stats.get(sib)
            if st is not None:
                after += st.prose
            if sib.tail:
                after += _strlen(sib.tail) + 8 * _punct(sib.tail)
        if after >= need:
            return parent, after
        if parent.tag == "body":
            return None
        branch = parent


# Noise inside a container, matched on class/id.
