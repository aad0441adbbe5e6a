"""Pick the announcement's own title: visible heading reconciled with meta and <title>."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from lxml import etree

from .dom import compact, text_of

_SEPARATORS = re.compile(r"\s*(?:——|--|—|_{1,2}|\||｜|-{1}\s|\s-|::|·{0,1}\s>\s)\s*")
_HEADINGS = etree.XPath(
    "//body//*[self::h1 or self::h2 or self::h3 or self::h4 or contains(@class,'title') or contains(@class,'Title')"
    " or contains(@class,'TITLE') or contains(@id,'title') or contains(@id,'Title') or contains(@class,'biaoti')"
    " or contains(@class,'bt') or contains(@class,'tit') or contains(@id,'tit')][not(ancestor-or-self::a)]"
)
_BT = re.compile(r"(?:^|[\s_-])bt(?:$|[\s_-]|\d)|tit|biaoti", re.I)
_SITEISH = re.compile(r"(?:人民政府|政府网|门户网站|网站|官网|中国政府网|首页|公报|专栏|频道)$|^(?:首页|正文)$")
_EMPHASIS = etree.XPath("//body//b|//body//strong|//body//font[@size]")
_CJK = re.compile(r"[\u2e80-\u9fff\uff00-\uffef\u3000-\u303f]")


@dataclass
class TitleChoice:
    text: str
    source: str
    element: etree._Element | None = None


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


def title_segments(title_tag: str) -> list[str]:
    segs = [s.strip() for s in _SEPARATORS.split(title_tag) if s and s.strip()]
    return [s for s in segs if len(key(s)) >= 2]


def choose_title(root: etree._Element, meta_titles: dict[str, str], site_names: set[str],
                 container: etree._Element | None,
                 order: dict[etree._Element, int], stats: dict | None = None) -> TitleChoice | None:
    """Best title; `element` is the visible heading element when one was used."""
    title_tag = " ".join(root.xpath("//head/title//text()")).strip() or \
        " ".join(root.xpath("(//title)[1]//text()")).strip()
    refs: list[tuple[str, str]] = []
    for name in ("articletitle", "og:title", "twitter:title", "doc_title"):
        if meta_titles.get(name):
            refs.append((meta_titles[name], "meta"))
    segs = title_segments(title_tag)
    if title_tag:
        refs.append((title_tag, "title_tag"))
    site_keys = {key(n) for n in site_names}
    segs = [seg for seg in segs if key(seg) not in site_keys and not (len(segs) > 1 and _SITEISH.search(seg))] \
        or segs
    for seg in segs:
        refs.append((seg, "title_tag"))
    ref_keys = [(key(r), src) for r, src in refs if len(key(r)) >= 4]
    cpos = order.get(container, 10**9) if container is not None else 10**9

    best: tuple[float, TitleChoice] | None = None
    for el in _HEADINGS(root):
        if el.tag not in ("h1", "h2", "h3", "h4") and not _BT.search(f"{el.get('class', '')} {el.get('id', '')}"):
            continue
        st = stats.get(el) if stats else None
        if st is not None and not 4 <= st.text <= 400:
            continue
        text = join_lines(text_of(el))
        k = key(text)
        if not 4 <= len(k) <= 200 or k in site_keys:
            continue
        score = _match_score(k, ref_keys)
        pos = order.get(el, 0)
        if container is not None and cpos < 10**9:
            if _inside(el, container):
                score += 30 if pos - cpos <= 15 else -20
            elif pos > cpos:
                score -= 30  # headings after the text are usually related-list captions
            else:
                gap = cpos - pos
                score += 30 if gap <= 60 else 15 if gap <= 200 else 0
        if score > 0 and _in_listing(el):
            score -= 40
        if el.tag in ("h1", "h2") or "title" in (el.get("class") or "").lower():
            score += 5
        if score > 0 and (best is None or score > best[0]):
            best = (score, TitleChoice(text, "visible", el))
    if best is None or best[0] < 95:
        for el in _EMPHASIS(root):
            st = stats.get(el) if stats else None
            if st is not None and not 4 <= st.text <= 200:
                continue
            text = join_lines(text_of(el))
            if _match_score(key(text), ref_keys) >= 95:
                score = 95.0 - (30 if _in_listing(el) else 0)
                if best is None or score > best[0]:
                    best = (score, TitleChoice(text, "visible", el))
                break
    if best is not None and best[0] >= 70:
        return best[1]
    # heading lines at the top of the main text (e.g. bold centred lines inside #UCAP-CONTENT)
    if container is not None:
        lines = text_of(container).split("\n")[:5]
        acc = ""
        for i, ln in enumerate(lines):
            acc += key(ln)
            for rk, _ in ref_keys:
                if acc == rk:
                    return TitleChoice(join_lines("\n".join(lines[: i + 1])), "visible")
    for r, src in refs:
        if src == "meta":
            return TitleChoice(r, "meta")
    good = [s for s in segs if key(s) not in site_keys and not _SITEISH.search(s)]
    if best is not None and best[0] >= 30 and all(len(key(s)) <= 6 for s in good):
        good = []  # a column name like 通知公告 in <title> loses to the heading above the text
    if good:
        return TitleChoice(max(good, key=lambda s: len(key(s))), "title_tag")
    if best is not None and best[0] >= 10 and not _SITEISH.search(best[1].text):
        return best[1]  # <title> is only the site name: the heading by the text is all we have
    if segs:
        return TitleChoice(max(segs, key=lambda s: len(key(s))), "title_tag")
    if best is not None:
        return best[1]
    return None


_LISTING = etree.XPath(
    "ancestor::li or ancestor::ul or ancestor::*[contains(@class,'list') or contains(@class,'List') "
    "or contains(@class,'side') or contains(@class,'menu') or contains(@class,'nav') "
    "or contains(@class,'related') or contains(@class,'xgwz') or contains(@class,'footer')]"
)


def _in_listing(el: etree._Element) -> bool:
    return bool(_LISTING(el))


def _inside(el: etree._Element, container: etree._Element) -> bool:
    parent = el
    while parent is not None:
        if parent is container:
            return True
        parent = parent.getparent()
    return False


def _match_score(k: str, ref_keys: list[tuple[str, str]]) -> float:
    score = 0.0
    for rk, src in ref_keys:
        if k == rk:
            score = max(score, 100 if src == "meta" else 95)
        elif len(k) >= 6 and (k in rk or rk in k):
            ratio = min(len(k), len(rk)) / max(len(k), len(rk))
            if rk.startswith(k) or k.startswith(rk):
                score = max(score, 50 + 40 * ratio)
            else:
                score = max(score, 40 + 40 * ratio)
    return score
