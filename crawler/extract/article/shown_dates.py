"""Dates the page shows next to its heading: candidates for the `visible` date source.

Where: between the heading and the first sentence (the strict zone), up to 40 elements above
the heading, on the first lines of the text and just after it. How: labelled (发布日期：/发表于),
bracketed ([2023-02-28]), on an article info line (2023-02-28 来源：… 作者：…), bare on a short
line, or alone in an element of its own. `shown_prior` says what each is worth where it stands
(None: it cannot be the publication date there); `published.weigh_dates` weighs them against
the other sources. Dates in sidebars, related lists, header clocks, footers and comments below
the text are never candidates.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from lxml import etree

from crawler.extract.dates import find_dates, nfkc, parse_date
from crawler.extract.dom import compact, inline_text, plain_text, within

_DIGITISH = re.compile(r"(?:19|20)\d\d|[〇○零][一二三四五六七八九〇○零]|[１２][０-９]")
INLINE = frozenset(("span", "i", "em", "b", "strong", "font", "label", "a", "small", "sup", "sub", "u", "time",
                    "abbr", "cite"))
_VISIBLE_LABEL = re.compile(
    r"(?:发布日期|发布时间|发文日期|公开日期|生成日期|信息提供日期|发表时间|发表日期|上传时间|发稿时间|"
    r"发表于|发布于|发帖时间|刊发时间|刊登日期|录入时间|添加时间|信息时间|公布日期|公布时间|上线时间|"
    r"(?<![\u4e00-\u9fff])(?:时间|日期)|发布)\s*[:：]?\s*$"
)
_NOT_PUBLISHED_LABEL = re.compile(
    r"(?:成文日期|印发日期|更新时间|更新日期|最近更新|最后更新|更新于|编辑于|修改时间|修改日期|修订|"
    r"(?:开标|投标|报名|会议|活动|考试|举办|开工|竣工)(?:时间|日期)|施行|实施|截止|有效期|开始|结束|至)\s*[:：]?\s*$"
)
_PUBLISH_WORD = re.compile(r"发布|发文|公开|信息提供")  # not 发表于: comments below the text say it too
TODAY_WORDS = re.compile(r"今天|今日|当前时间|现在时间|农历")
_CLOCK_LABEL = re.compile(r"北京时间\s*[:：]?\s*$")  # 北京时间：2026-11-25 09:15 (after a date it is the zone)
_INFO_WORDS = re.compile(r"来源|作者|浏览|点击|阅读|字号|访问|次数|发布者|编辑|星期|周[一二三四五六日]")
_LINKED_ROW = etree.XPath("boolean(.//a[string-length(normalize-space(.)) > 6])")
_INFO_BLOCK = etree.XPath("boolean(ancestor-or-self::*[contains(@class,'info') or contains(@class,'date')])")
_BRACKET_BEFORE = re.compile(r"[\[【(（]\s*$")


def _holder(node: etree._Element) -> etree._Element | None:
    """The element whose one-line text contains this text node (climbing out of inline tags)."""
    el = node.getparent()
    if getattr(node, "is_tail", False):
        el = el.getparent() if el is not None else None
    for _ in range(2):
        if el is not None and el.tag in INLINE and el.getparent() is not None:
            el = el.getparent()
    return el


def _zone_text_nodes(elements, ranges):
    for lo, hi in ranges:
        for el in elements[max(lo, 0):max(hi, 0)]:
            if el.text and _DIGITISH.search(el.text):
                yield el.xpath("text()")[0] if el.text else None
            for child in el:
                if child.tail and _DIGITISH.search(child.tail):
                    yield child.xpath("following-sibling::text()[1]")[0]


@dataclass(frozen=True)
class DateZone:
    """Where the page's own date may be shown: between the heading and the first sentence
    (`lo`..`hi`), up to 40 elements above the heading, and just after the text."""

    lo: int
    hi: int
    tpos: int | None  # the heading's position
    cpos: int | None  # the text container's position
    end_of_container: int
    title_in: bool  # the heading is inside the text container
    container: etree._Element | None
    title_el: etree._Element | None = None

    @classmethod
    def around(cls, elements, title_el, container, order) -> DateZone | None:
        cpos = order.get(container, None) if container is not None else None
        tpos = order.get(title_el, None) if title_el is not None else None
        if cpos is None and tpos is None:
            return None
        lo = tpos if tpos is not None else (cpos - 120)
        hi = cpos if cpos is not None and (tpos is None or cpos > tpos) else lo + 120
        end = max(order.get(e, 0) for e in container.iter(etree.Element)) if container is not None else hi
        title_in = title_el is not None and container is not None and within(title_el, container)
        if title_in:
            hi = _text_start(elements, title_el, tpos) - 1  # between the heading and the first sentence
        return cls(lo, hi, tpos, cpos, end, title_in, container, title_el)

    def ranges(self) -> list[tuple[int, int]]:
        start = self.lo - 42 if self.tpos is not None else self.lo - 2
        top = [(self.hi + 2, self.cpos + 13)] if self.cpos is not None and self.cpos + 13 > self.hi + 2 else []
        return [(start, self.hi + 2), *top, (self.end_of_container + 1, self.end_of_container + 41)]

    def placement(self, el: etree._Element, pos: int) -> DatePlacement | None:
        """Where `el` sits relative to the heading and the text; None outside the zone."""
        tpos, lo, hi, end = self.tpos, self.lo, self.hi, self.end_of_container
        if not ((tpos is not None and tpos - 40 <= pos) or lo - 2 <= pos) or pos > max(hi + 1, end + 40):
            return None
        edge = False
        if self.container is not None and within(el, self.container) and not (self.title_in and pos <= hi):
            edge = self.cpos is not None and (pos - self.cpos <= 12 or end - pos <= 12)
            if not edge:
                return None  # inside the text, away from its first and last lines
        heading_line = tpos is not None and pos < lo - 2 and self._in_heading_block(el)
        place = DatePlacement(strict=lo - 2 <= pos <= hi + 1 or heading_line, edge=edge,
                              after_body=self.container is not None and end < pos <= end + 40,
                              before_title=tpos is not None and tpos - 40 <= pos < lo - 2,
                              top=edge and self.cpos is not None and pos - self.cpos <= 12,
                              gap=pos - end)
        return place if place.strict or place.after_body or place.before_title or place.edge else None

    def _in_heading_block(self, el: etree._Element) -> bool:
        """`el` shares a small block with the heading (a header of heading, date and source only)."""
        for depth, anc in enumerate(el.iterancestors()):
            if depth == 3:
                return False
            if within(self.title_el, anc):
                return len(compact(plain_text(anc))) <= len(compact(plain_text(self.title_el))) + 80
        return False


@dataclass(frozen=True)
class DatePlacement:
    strict: bool  # between the heading and the first sentence
    edge: bool  # on the first or last lines of the text
    after_body: bool  # right after the text
    before_title: bool  # above the heading
    top: bool = False  # on the first lines of the text (with `edge`)
    gap: int = 0  # elements after the end of the text (with `after_body`)

    @property
    def zone(self) -> str:
        if self.edge:
            return "top_of_text" if self.top else "end_of_text"
        if self.strict:
            return "heading"
        return "above_heading" if self.before_title else "after_text"


@dataclass(frozen=True)
class ShownDate:
    """A date shown on the page, with how it is shown and where.

    `form`: labelled (发布日期：…, 发表于 …), bracketed ([2023-02-28]), info_line (2023-02-28
    来源：…), datetime (<time datetime> showing "3天前"), bare (on a short line), own_element (a bare
    date that is all its element holds).
    """

    iso: str
    shown: str  # the date as shown, with its label ("发布日期：2023-02-28")
    line: str  # the whole line holding it
    form: str
    position: int  # document order of the line's element
    placement: DatePlacement
    anchored: bool  # a heading was found (the zone is anchored on it, not only on the text)

    @property
    def rank(self) -> int:
        """0 labelled, 1 bracketed or on an info line, 2 bare."""
        return _RANK[self.form]


_RANK = {"labelled": 0, "bracketed": 1, "info_line": 1, "datetime": 1, "bare": 2, "own_element": 2}


def shown_dates(elements, title_el, container, order, block_rows: frozenset = frozenset()) -> list[ShownDate]:
    """Every date shown in the zone around the heading, in document order.

    `block_rows`: elements holding 信息公开 fields (and their parents); their 发布日期 is the
    block's, a candidate of its own source.
    """
    zone = DateZone.around(elements, title_el, container, order)
    return list(date_candidates(elements, zone, order, block_rows)) if zone is not None else []


def shown_prior(c: ShownDate) -> float | None:
    """What a shown date is worth as the publication date where it stands (100 best), None if it
    cannot be one: a labelled date between heading and text 100, bracketed or on an info line 96,
    bare 92; above the heading less, on the text's edges or after it only an explicit 发布日期 or
    an info line right below the text, above the heading a date alone in its element."""
    place = c.placement
    explicit = c.rank == 0 and _PUBLISH_WORD.search(c.shown)
    if c.form == "info_line" and place.edge and place.top and c.anchored:
        return 88.0  # the info line opening the text block (标题 / 导语 / 2023-02-28 来源：…)
    if c.form == "info_line" and place.after_body and not place.strict and place.gap <= 8 and c.anchored:
        return 62.0  # posted @ 2021-03-09 09:15 阅读(123): the info line right below the text
    if c.form == "own_element" and place.before_title and not place.strict:
        return 62.0  # <span id="paperdate">2021年03月09日</span> in the header above the heading
    if ((not place.strict or place.edge or not c.anchored) and c.rank == 2) or (place.edge and c.rank == 1):
        return None
    if (place.edge or (place.after_body and not place.before_title and not place.strict)) and not explicit:
        return None  # in or below the text only an explicit 发布日期 counts (会议时间, list dates)
    score = c.rank + (5 if place.edge else 0 if place.strict else 3 if place.before_title else 5)
    return 100.0 - 4 * score


def date_candidates(elements, zone: DateZone, order, block_rows: frozenset) -> Iterator[ShownDate]:
    """Every date on a line in the zone, outside the 信息公开 block and related-list rows."""
    seen: set[int] = set()
    for node in _zone_text_nodes(elements, zone.ranges()):
        el = _holder(node)
        if el is None or el in block_rows or el.getparent() in block_rows:
            continue
        lines = _new_lines(node, el, seen)
        if not lines:
            continue
        pos = order.get(el, -1)
        place = zone.placement(el, pos)
        if place is None or (_LINKED_ROW(el) and not _INFO_BLOCK(el)):
            continue  # outside the zone, or a related-list row: a long link next to its date
        own = _own_text(node)
        for line in lines:
            for form, iso, shown in _line_dates(line):
                if form == "bare" and "T" not in iso and own is not None and compact(own) == compact(line) \
                        and _only_date(line):
                    form = "own_element"  # a day alone in its element (a clock shows the time too)
                yield ShownDate(iso, shown, line, form, pos, place, zone.tpos is not None)
    yield from _time_elements(elements, zone, order)


def _time_elements(elements, zone: DateZone, order) -> Iterator[ShownDate]:
    """<time datetime="…"> showing no date of its own ("3天前", "昨天 09:15")."""
    for lo, hi in zone.ranges():
        for el in elements[max(lo, 0):max(hi, 0)]:
            stamp = el.get("datetime") if el.tag == "time" else None
            iso = parse_date(stamp) if stamp else None
            if iso is None or next(find_dates(plain_text(el)), None) is not None:
                continue
            holder = _holder_of(el)
            pos = order.get(holder, -1)
            place = zone.placement(holder, pos)
            if place is not None and not _LINKED_ROW(holder):
                yield ShownDate(iso, stamp, inline_text(holder), "datetime", pos, place, zone.tpos is not None)


def _holder_of(el: etree._Element) -> etree._Element:
    """The element holding `el`'s line (climbing out of inline tags)."""
    for _ in range(2):
        if el.tag in INLINE and el.getparent() is not None:
            el = el.getparent()
    return el


def _own_text(node) -> str | None:
    """The text of the element holding the node when the node is all it holds."""
    el = node.getparent()
    if getattr(node, "is_tail", False) or el is None or len(el):
        return None
    return el.text


_DATE_ONLY_REST = re.compile(r"^[\s\[\]【】()（）]*$")


def _only_date(line: str) -> bool:
    """Nothing on the line but one date (and brackets): no weekday, no clock words."""
    s = nfkc(line)
    if CLOCK_WORDS.search(s):
        return False  # 2026年11月25日 星期三: the header clock
    found = list(find_dates(s, normalized=True))
    return len(found) == 1 and bool(_DATE_ONLY_REST.match(s[:found[0].start] + s[found[0].end:]))


def _new_lines(node, el: etree._Element, seen: set[int]) -> list[str]:
    """The one-line texts of the node's holder (and of its inline parent), each element once."""
    own = node.getparent()
    if getattr(node, "is_tail", False) and own is not None:
        own = own.getparent()
    lines = []
    if id(el) not in seen:
        seen.add(id(el))
        lines.append(inline_text(el))
    if own is not None and own is not el and own.tag in INLINE and id(own) not in seen:
        seen.add(id(own))
        lines.append(inline_text(own))  # <div class=title><h1>..</h1><span>2023-02-28</span></div>
    return [ln for ln in lines if len(ln) <= 200]


_SENTENCE = re.compile(r"[，。；]")


def _text_start(elements, title_el, tpos: int) -> int:
    """Position of the first element after the heading that holds a real sentence."""
    for i in range(tpos + 1, min(tpos + 60, len(elements))):
        el = elements[i]
        own = (el.text or "").strip() + " ".join((c.tail or "").strip() for c in el)
        if (len(own) >= 40 or (len(own) >= 12 and _SENTENCE.search(own))) and not within(el, title_el):
            return i
    return tpos + 60


def _line_dates(line: str) -> Iterator[tuple[str, str, str]]:
    """(form, iso, shown text) for the dates of a line: labelled, bracketed, info_line or bare."""
    s = nfkc(line)
    if TODAY_WORDS.search(s):
        return  # 今天是2026年11月25日: the header clock
    for f in find_dates(s, normalized=True):
        before = s[max(0, f.start - 12):f.start]
        shown = s[f.start:f.end].strip()
        if _NOT_PUBLISHED_LABEL.search(before) or _CLOCK_LABEL.search(before):
            continue
        label = _VISIBLE_LABEL.search(before)
        rest = s[:f.start] + s[f.end:]
        if label:
            yield "labelled", f.iso, (label.group(0) + shown).strip()
        elif _BRACKET_BEFORE.search(before) and s[f.end:f.end + 1] in ("]", "】", ")", "）"):
            yield "bracketed", f.iso, shown
        elif len(s) <= 80:
            if _ARTICLE_INFO.search(rest) and not CLOCK_WORDS.search(rest):
                yield "info_line", f.iso, shown  # 2023-05-12 来源：… 作者：…: the article's own info line
            elif len(compact(rest)) <= 12 or _INFO_WORDS.search(rest):
                yield "bare", f.iso, shown
        elif len(compact(s[:f.start])) <= 4 and _ARTICLE_INFO.search(rest) and not CLOCK_WORDS.search(rest):
            yield "info_line", f.iso, shown  # a long info line that opens with the date


def labelled_date(line: str) -> str | None:
    """The date of a line that labels it as the publication date (发布日期：/ 发布时间：/ 时间：...)."""
    for form, iso, _ in _line_dates(line):
        if form == "labelled":
            return iso
    return None


_ARTICLE_INFO = re.compile(r"来源|作者|浏览|点击|阅读|访问|发布者|发布人|编辑")
CLOCK_WORDS = re.compile(r"星期|周[一二三四五六日]|农历")


def info_line_date(line: str) -> str | None:
    """The date of an article info line without a date label: "2023-05-12 09:00 来源：大气环境科 阅读：88"."""
    s = nfkc(line)
    if TODAY_WORDS.search(s):
        return None
    for f in find_dates(s, normalized=True):
        rest = s[:f.start] + s[f.end:]
        if _ARTICLE_INFO.search(rest) and len(compact(s[:f.start])) <= 4:
            return f.iso
    return None
