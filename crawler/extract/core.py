"""extract(): raw bytes + URL + headers -> Extraction."""

from __future__ import annotations

import re
from typing import Mapping
from urllib.parse import urljoin

from lxml import etree

from . import attachments as att
from . import cleanup
from . import containers
from . import classify
from .dates import date_from_url, find_dates, nfkc, parse_date
from .decoding import decode_html
from .dom import compact, inline_text, parse, prune, squash
from .meta import breadcrumb, disclosure_block, gov_meta
from .model import Extraction
from .title import choose_title

_DIGITISH = re.compile(r"(?:19|20)\d\d|[〇○零][一二三四五六七八九〇○零]|[１２][０-９]")
_INLINE = frozenset("span i em b strong font label a small sup sub u time abbr cite".split())
_VISIBLE_LABEL = re.compile(
    r"(?:发布日期|发布时间|发文日期|公开日期|信息提供日期|发表时间|发表日期|上传时间|发稿时间|"
    r"(?<![\u4e00-\u9fff])(?:时间|日期)|发布)\s*[:：]?\s*$"
)
_NOT_PUBLISHED_LABEL = re.compile(r"(?:成文日期|生成日期|印发日期|更新时间|更新日期|施行|实施|截止|有效期|开始|结束|至)\s*[:：]?\s*$")
_PUBLISH_WORD = re.compile(r"发布|发文|公开|信息提供")
_TODAY = re.compile(r"今天|今日|当前时间|现在时间|北京时间")
_INFO_WORDS = re.compile(r"来源|作者|浏览|点击|阅读|字号|访问|次数|发布者|编辑|星期|周[一二三四五六日]")
_BRACKET_BEFORE = re.compile(r"[\[【(（]\s*$")


def extract(raw: bytes, url: str, headers: Mapping[str, str] | None = None, status: int = 200) -> Extraction:
    """Extract title, date, body, metadata and attachments from one page's raw bytes.

    Never raises on odd input: undecodable or empty pages come back classified (empty, antibot ...).
    """
    url = url or ""
    text, used, declared = decode_html(raw or b"", headers)
    ex = Extraction(url=url, encoding=used, declared_encoding=declared, status=status)
    root = parse(text)
    verdict = classify.challenge(text, status)
    scripts = [s.text or "" for s in root.iter("script")]
    script_links = att.script_links(scripts)  # before scripts go
    pager = any(classify.PAGER.search(code) for code in scripts if code)
    meta, meta_titles = gov_meta(root)  # before prune: the _jiucuo_ script carries the site code
    prune(root)

    elements = list(root.iter(etree.Element))
    order = {el: i for i, el in enumerate(elements)}
    stats = containers.measure(root)
    fields, holders = disclosure_block(root)
    if fields.get("doc_title"):
        meta_titles.setdefault("doc_title", fields["doc_title"])
    site_names = {v for v in (meta.get("site_name"), meta.get("column_name")) if v}
    container, choice, after_title = _locate(root, stats, order, elements, meta_titles, site_names)
    title_el = choice.element if choice else None
    ex.title = choice.text if choice else ""
    ex.title_source = choice.source if choice else None

    for k, v in fields.items():
        if k not in ("published_visible", "doc_title") and v:
            meta.setdefault(k, v)
    for k, v in _info_bar(root, title_el, container, order).items():
        meta.setdefault(k, v)
    trail = breadcrumb(elements, order.get(container, len(elements)) if container is not None else len(elements))
    if trail:
        meta["breadcrumb"] = trail

    visible, visible_shown, visible_line = _visible_date(elements, title_el, container, order)
    if container is not None:
        cleanup.strip_noise(container, stats)
        cleanup.drop_disclosure_block(container, holders, stats)
        ex.body = cleanup.clean_lines(cleanup.container_text(container), ex.title,
                                      date_lines={visible_line} if visible_line else None,
                                      after_title=after_title)
    _pick_date(ex, meta, fields, visible, visible_shown, url)

    base_href = root.xpath("string(//base/@href)").strip()
    base = urljoin(url, base_href) if base_href else url
    ex.attachments = att.collect(_attachment_scope(container), script_links, base, url)
    ex.metadata = {k: v for k, v in meta.items() if v}
    ex.page_class = classify.page_class(ex, root, stats, container, verdict,
                                        lambda: classify.shell_hint(root, text), status, pager=pager)
    return ex


def _locate(root, stats, order, elements, meta_titles, site_names):
    """(text container, title choice, whether the container starts before the heading).

    A known CMS container wins; otherwise the densest block, or the block that reads on from
    the heading when the densest block holds the heading or comes before it.
    """
    container = containers.known_container(root, stats)
    density = containers.density_container(root, stats) if container is None else None
    choice = choose_title(root, meta_titles, site_names, container if container is not None else density,
                          order, stats, elements)
    title_el = choice.element if choice is not None else None
    if container is not None:
        return container, choice, title_el is not None and _inside(title_el, container)
    container, after_title = density, False
    if title_el is not None and container is not None and \
            (_inside(title_el, container) or order[container] < order[title_el]):
        anchored = containers.anchored_container(title_el, stats)
        if anchored is not None:
            parent, after = anchored
            if container is parent or not (_inside(container, parent) and stats[container].prose >= 0.7 * after):
                container, after_title = parent, True
    return container, choice, after_title


def _holder(node: etree._Element) -> etree._Element | None:
    """The element whose one-line text contains this text node (climbing out of inline tags)."""
    el = node.getparent()
    if getattr(node, "is_tail", False):
        el = el.getparent() if el is not None else None
    for _ in range(2):
        if el is not None and el.tag in _INLINE and el.getparent() is not None:
            el = el.getparent()
    return el


def _inside(el: etree._Element, anc: etree._Element | None) -> bool:
    while el is not None:
        if el is anc:
            return True
        el = el.getparent()
    return False


def _zone_text_nodes(elements, ranges):
    for lo, hi in ranges:
        for el in elements[max(lo, 0):max(hi, 0)]:
            if el.text and _DIGITISH.search(el.text):
                yield el.xpath("text()")[0] if el.text else None
            for child in el:
                if child.tail and _DIGITISH.search(child.tail):
                    yield child.xpath("following-sibling::text()[1]")[0]


def _visible_date(elements, title_el, container, order) -> tuple[str | None, str | None, str | None]:
    """The labelled (or bracketed) date shown next to the title, never from lists or chrome."""
    cpos = order.get(container, None) if container is not None else None
    tpos = order.get(title_el, None) if title_el is not None else None
    if cpos is None and tpos is None:
        return None, None, None
    lo = tpos if tpos is not None else (cpos - 120)
    hi = cpos if cpos is not None and (tpos is None or cpos > tpos) else lo + 120
    end_of_container = (max(order.get(e, 0) for e in container.iter(etree.Element))
                        if container is not None else hi)
    title_in = title_el is not None and container is not None and _inside(title_el, container)
    if title_in:
        hi = _text_start(elements, title_el, tpos) - 1  # between the heading and the first sentence
    best: tuple[int, str, str, str] | None = None
    seen: set[int] = set()
    ranges = [(lo - 42 if tpos is not None else lo - 2, hi + 2), (end_of_container + 1, end_of_container + 41)]
    for node in _zone_text_nodes(elements, ranges):
        el = _holder(node)
        if el is None:
            continue
        own = node.getparent()
        if getattr(node, "is_tail", False) and own is not None:
            own = own.getparent()
        lines = []
        if id(el) not in seen:
            seen.add(id(el))
            lines.append(inline_text(el))
        if own is not None and own is not el and own.tag in _INLINE and id(own) not in seen:
            seen.add(id(own))
            lines.append(inline_text(own))  # <div class=title><h1>..</h1><span>2023-02-28</span></div>
        lines = [ln for ln in lines if len(ln) <= 200]
        if not lines:
            continue
        pos = order.get(el, -1)
        if not (tpos is not None and tpos - 40 <= pos or lo - 2 <= pos) or \
                pos > max(hi + 1, end_of_container + 40):
            continue
        inside = container is not None and _inside(el, container)
        edge = False
        if inside and not (title_in and pos <= hi):
            edge = cpos is not None and (pos - cpos <= 12 or end_of_container - pos <= 12)
            if not edge:
                continue
        after_body = container is not None and end_of_container < pos <= end_of_container + 40
        before_title = tpos is not None and tpos - 40 <= pos < lo - 2
        if not (lo - 2 <= pos <= hi + 1 or after_body or before_title):
            continue
        if el.xpath(".//a[string-length(normalize-space(.)) > 6]") and not el.xpath("ancestor-or-self::*[contains(@class,'info') or contains(@class,'date')]"):
            continue
        for line, (rank, iso, shown) in ((ln, d) for ln in lines for d in _line_dates(ln)):
            strict = lo - 2 <= pos <= hi + 1
            if (not strict or edge or tpos is None) and rank == 2 or edge and rank == 1:
                continue
            if (edge or after_body and not before_title and not strict) and \
                    not (rank == 0 and _PUBLISH_WORD.search(shown)):
                continue  # in or below the text only an explicit 发布日期 counts (会议时间, list dates)
            score = rank + (5 if edge else 0 if strict else 3 if before_title else 5)
            if best is None or score < best[0]:
                best = (score, iso, shown, line)
    if best is None:
        return None, None, None
    return best[1], best[2], best[3]


_SENTENCE = re.compile(r"[，。；]")


def _text_start(elements, title_el, tpos: int) -> int:
    """Position of the first element after the heading that holds a real sentence."""
    for i in range(tpos + 1, min(tpos + 60, len(elements))):
        el = elements[i]
        own = (el.text or "").strip() + " ".join((c.tail or "").strip() for c in el)
        if (len(own) >= 40 or len(own) >= 12 and _SENTENCE.search(own)) and not _inside(el, title_el):
            return i
    return tpos + 60


def _line_dates(line: str):
    """(rank, iso, shown text) for dates in a line: 0 labelled 发布..., 1 bracketed, 2 bare on a short line."""
    s = nfkc(line)
    if _TODAY.search(s):
        return  # 今天是2026年11月25日: the header clock
    for f in find_dates(s, normalized=True):
        before = s[max(0, f.start - 12):f.start]
        shown = s[f.start:f.end].strip()
        if _NOT_PUBLISHED_LABEL.search(before):
            continue
        label = _VISIBLE_LABEL.search(before)
        if label:
            yield 0, f.iso, (label.group(0) + shown).strip()
        elif _BRACKET_BEFORE.search(before) and s[f.end:f.end + 1] in ("]", "】", ")", "）"):
            yield 1, f.iso, shown
        elif len(s) <= 80:
            rest = s[:f.start] + s[f.end:]
            if len(compact(rest)) <= 12 or _INFO_WORDS.search(rest):
                yield 2, f.iso, shown


def _pick_date(ex: Extraction, meta: dict[str, str], fields: dict[str, str], visible: str | None,
               visible_raw: str | None, url: str) -> None:
    meta_date = parse_date(meta.get("pub_date_meta"))
    block = parse_date(fields.get("published_visible"))
    if visible_raw:
        meta["published_visible"] = squash(visible_raw)
    elif fields.get("published_visible"):
        meta["published_visible"] = fields["published_visible"]
    chosen = [(visible, "visible"), (block, "disclosure_block"), (meta_date, "meta"),
              (date_from_url(url), "url"), (_signature_date(ex.body), "signature")]
    for iso, source in chosen:
        if iso:
            ex.published, ex.date_source = iso, source
            return


_SIGNATURE_SKIP = re.compile(r"施行|实施|起|至|截止|前|以前|之前")


def _signature_date(body: str) -> str | None:
    for line in reversed(body.split("\n")[-6:]):
        s = nfkc(line).strip()
        for f in find_dates(s, normalized=True):
            rest = compact(s[:f.start] + s[f.end:])
            if len(rest) <= 4 and not _SIGNATURE_SKIP.search(rest):
                return f.iso[:10]
    return None


_INFO_LABELS = {"来源": "content_source", "信息来源": "content_source", "文章来源": "content_source",
                "作者": "author", "发布机构": "issuer"}
_INFO_RE = re.compile(
    r"(信息来源|文章来源|来源|作者)\s*[:：]\s*(.+?)"
    r"(?=\s+\S{2,6}\s*[:：]|\s*(?:字号|字体|作者|来源|浏览|阅读|点击|发布|时间|日期|编辑|责任编辑|访问|【)|\s{2,}|$)"
)


def _info_bar(root, title_el, container, order) -> dict[str, str]:
    """来源/作者 from the info line between the title and the text."""
    if title_el is None or container is None:
        return {}
    lo, hi = order.get(title_el, 0), order.get(container, 0)
    if hi <= lo:
        hi = lo + 15
    if hi - lo > 80:
        return {}
    out: dict[str, str] = {}
    for el in root.iter(etree.Element):
        pos = order.get(el, -1)
        if pos <= lo:
            continue
        if pos >= hi:
            break
        if el.text and ("来源" in el.text or "作者" in el.text):
            line = nfkc(inline_text(el))
            if el.tag in _INLINE and not _INFO_RE.search(line):
                line = nfkc(inline_text(el.getparent()))  # <span><i>来源：</i>山西日报</span>
            for m in _INFO_RE.finditer(line):
                value = m.group(2).strip()
                if value and len(value) <= 60:
                    out.setdefault(_INFO_LABELS[m.group(1)], value)
    return out


def _attachment_scope(container):
    """The text block plus what follows it (attachment lists sit right below), minus related lists."""
    if container is None:
        return []
    scope = [container]
    scope += [sib for sib in container.itersiblings() if not cleanup.is_noise_block(sib)]
    parent = container.getparent()
    if parent is not None and parent.tag not in ("body", "html"):
        for sib in list(parent.itersiblings())[:6]:
            if cleanup.is_noise_block(sib):
                continue
            links = sib.findall(".//a")
            if "附件" in "".join(sib.itertext()) or (links and all(att.is_attachment_href(a.get("href") or "")
                                                                  for a in links)):
                scope.append(sib)
    return scope
