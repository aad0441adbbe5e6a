"""Which of a page's link lists is the column's own: the main list, not the sidebars."""

from __future__ import annotations

import re
from collections.abc import Sequence
from urllib.parse import urlsplit

import lxml.html

from .model import ListItem

SIDE_RE = re.compile(
    r"(?:^|[-_\s])(?:side\w*|aside|hot\w*|rd\w*|rank\w*|tj|tuijian|recommend\w*|related|xg\w*)"
    r"(?:$|[-_\s\d])", re.I)
SIDE_HEAD_RE = re.compile(r"^[【\[]?(?:热点|热门|推荐|相关|最新|排行|点击排行|图片|专题|友情)")


def main_lists(items: list[ListItem], groups: Sequence[object], base_url: str) -> list[ListItem]:
    """The items of the page's main list(s): the largest list, and the others that look like it.

    `groups[i]` is the list element (ul, table ...) holding `items[i]`, or any other object that
    stands for one list (Hanweb records). When the main list links into the page's own column
    folder (/zwgk/tzgg/...), other lists must too (or be as long); otherwise a list is kept when
    it is at least half as long and does not sit in a sidebar (热点/推荐/相关 boxes, side columns).
    """
    lists = _by_list(_merge_single_groups(groups))
    if len(lists) <= 1:
        return items
    main = max(lists, key=lambda g: (len(lists[g]), not in_sidebar(g)))
    folder = urlsplit(base_url).path.rsplit("/", 1)[0] + "/"

    def in_column(idx: list[int]) -> bool:
        return folder != "/" and 2 * sum(urlsplit(items[i].url).path.startswith(folder) for i in idx) > len(idx)

    main_in_column = in_column(lists[main])
    keep: set[int] = set()
    for group, idx in lists.items():
        if _keeps(group is main, len(idx), len(lists[main]), in_sidebar(group), main_in_column,
                  main_in_column and in_column(idx)):
            keep.update(idx)
    return [item for i, item in enumerate(items) if i in keep]


def _keeps(is_main: bool, size: int, main_size: int, sidebar: bool, main_in_column: bool,
           in_column: bool) -> bool:
    if is_main or (size >= main_size and not sidebar):
        return True
    if main_in_column:
        return in_column
    return 2 * size >= main_size and not sidebar


def _by_list(groups: list[object]) -> dict[object, list[int]]:
    """Item indexes per list (keys compare by identity), lists in order of first appearance."""
    out: dict[object, list[int]] = {}
    for i, g in enumerate(groups):
        out.setdefault(g, []).append(i)
    return out


def _merge_single_groups(groups: Sequence[object]) -> list[object]:
    """One link per wrapper (<div class=item><h3><a>, one <ul> per row): climb to the shared block."""
    groups = list(groups)
    for _ in range(3):
        counts: dict[int, int] = {}
        for g in groups:
            counts[id(g)] = counts.get(id(g), 0) + 1
        climbed = False
        for i, g in enumerate(groups):
            parent = g.getparent() if isinstance(g, lxml.html.HtmlElement) else None
            if counts[id(g)] == 1 and parent is not None and parent.tag not in ("body", "html"):
                groups[i], climbed = parent, True
        if not climbed:
            break
    return groups


def _names(el: lxml.html.HtmlElement) -> str:
    return f"{el.get('class', '')} {el.get('id', '')}"


def in_sidebar(el: object) -> bool:
    """A box of another column's links: named so (hot/side/related ...) or headed 热点/推荐/相关/最新 ..."""
    if not isinstance(el, lxml.html.HtmlElement):
        return False
    if any(isinstance(anc.tag, str) and SIDE_RE.search(_names(anc)) for anc in el.iterancestors()):
        return True
    if isinstance(el.tag, str) and SIDE_RE.search(_names(el)):
        return True
    return any(box is not None and SIDE_HEAD_RE.match(_box_heading(box)) for box in (el, el.getparent()))


def _box_heading(box: lxml.html.HtmlElement) -> str:
    """The box's first text when it is a short caption, not a link (a list entry)."""
    for node in box.iter():
        if not isinstance(node.tag, str):
            continue
        text = (node.text or "").strip()
        if text:
            in_link = node.tag == "a" or any(a.tag == "a" for a in node.iterancestors())
            return "" if in_link or len(text) > 10 else text
    return ""
