"""extract(): raw bytes + URL + headers -> Extraction."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from urllib.parse import urljoin

from lxml import etree

from crawler.extract import classify
from crawler.extract.dates import nfkc
from crawler.extract.decoding import decode_html
from crawler.extract.dom import inline_text, one_line, parse, prune, squash, strip_controls, within
from crawler.extract.model import Extraction

from . import attachments as att
from . import cleanup, containers
from . import embedded as records
from . import published as dating
from .meta import breadcrumb, disclosure_block, gov_meta, machine_dates
from .shown_dates import INLINE, shown_dates
from .title import cap_title, choose_title


@dataclass
class _Page:
    """One parsed page and what must be read from it before scripts and hidden blocks go."""

    text: str
    root: etree._Element
    verdict: str | None  # classify.challenge()
    scripts: list[str]
    script_links: list[tuple[str, str]]  # attachment links written by scripts
    embedded: list[tuple[str, str]]  # documents in embedded viewers
    pager: bool  # a list pager script runs on the page
    meta: dict[str, str]
    meta_titles: dict[str, str]
    machine_dates: list[tuple[str, str]]  # meta.machine_dates: PubDate, JSON-LD, hidden <date> ...
    elements: list = field(default_factory=list)
    order: dict = field(default_factory=dict)
    stats: dict = field(default_factory=dict)


def _read_page(text: str, status: int) -> _Page:
    """Parse; read scripts, viewers and meta tags; then prune and measure what is left."""
    root = parse(text)
    scripts = [s.text or "" for s in root.iter("script")]
    meta, meta_titles = gov_meta(root)  # before prune: the _jiucuo_ script carries the site code
    machine = machine_dates(root, text)  # before prune: hidden property blocks carry dates
    if machine and "pub_date_meta" not in meta:
        meta["pub_date_meta"] = machine[0][1]
    page = _Page(text, root, classify.challenge(text, status), scripts, att.script_links(scripts),
                 att.embedded_links(root), any(classify.PAGER.search(code) for code in scripts if code),
                 meta, meta_titles, machine)
    prune(root)
    page.elements = list(root.iter(etree.Element))
    page.order = {el: i for i, el in enumerate(page.elements)}
    page.stats = containers.measure(root)
    return page


def extract(raw: bytes, url: str, headers: Mapping[str, str] | None = None, status: int = 200) -> Extraction:
    """Extract title, date, body, metadata and attachments from one page's raw bytes.

    Never raises on odd input: files and garbage come back as `binary` (never parsed), undecodable
    or empty pages classified (empty, antibot ...). Control characters never reach the fields.
    """
    url, raw = url or "", raw or b""
    kind = classify.sniff(raw, headers)
    if kind is not None:
        return Extraction(url=url, page_class="binary", metadata={"file_kind": kind}, status=status)
    return _without_controls(_extract_page(raw, url, headers, status))


def _extract_page(raw: bytes, url: str, headers: Mapping[str, str] | None, status: int) -> Extraction:
    text, used, declared = decode_html(raw, headers)
    ex = Extraction(url=url, encoding=used, declared_encoding=declared, status=status)
    page = _read_page(text, status)
    root, elements, order, stats, meta = page.root, page.elements, page.order, page.stats, page.meta
    fields, holders = disclosure_block(root)
    if fields.get("doc_title"):
        page.meta_titles.setdefault("doc_title", fields["doc_title"])
    site_names = {v for v in (meta.get("site_name"), meta.get("column_name")) if v}
    container, choice, after_title = _locate(root, stats, order, elements, page.meta_titles, site_names)
    title_el = choice.element if choice else None
    ex.title = cap_title(choice.text) if choice else ""
    ex.title_source = choice.source if choice else None
    text_start = order.get(container, len(elements)) if container is not None else len(elements)
    _merge_metadata(meta, fields, _info_bar(root, title_el, container, order), breadcrumb(elements, text_start))

    visible = dating.visible_candidates(shown_dates(elements, title_el, container, order, _block_rows(holders)))
    if container is not None:
        cleanup.strip_noise(container, stats)
        cleanup.drop_disclosure_block(container, holders, stats)
        ex.body = cleanup.clean_lines(cleanup.container_text(container), ex.title,
                                      date_lines={c.line for c in visible} or None, after_title=after_title)
    if choice is not None and ex.title != choice.text and squash(choice.text) not in squash(ex.body):
        ex.body = f"{choice.text}\n{ex.body}".strip()  # a capped title is kept whole in the body
    block_at = min((order.get(h, -1) for h in holders), default=-1)
    dating.pick_date(ex, meta, fields, [
        *visible, *dating.block_candidates(fields, block_at), *dating.meta_candidates(page.machine_dates),
        *dating.url_candidates(url), *dating.signature_candidates(ex.body)])

    base_href = root.xpath("string(//base/@href)").strip()
    base = urljoin(url, base_href) if base_href else url
    ex.attachments = att.collect(_attachment_scope(container), page.script_links, base, url, page.embedded)
    ex.metadata = {k: v for k, v in meta.items() if v}
    ex.page_class = classify.page_class(ex, root, stats, container, page.verdict,
                                        lambda: classify.shell_hint(root, text), status, pager=page.pager)
    if page.verdict is None and any("DETAIL" in code for code in page.scripts):
        record = records.find_record(page.scripts)
        if record is not None and _record_is_better(ex, record):
            return _from_record(ex, record, base, headers, status)
    return ex


def _without_controls(ex: Extraction) -> Extraction:
    """Control characters (bell, escape, bidi overrides ...) out of every text field; the body
    keeps its newlines and tabs."""
    ex.title = one_line(ex.title)
    ex.body = strip_controls(ex.body)
    ex.metadata = {k: one_line(v) for k, v in ex.metadata.items()}
    ex.attachments = [{k: one_line(v) for k, v in a.items()} for a in ex.attachments]
    return ex


def _merge_metadata(meta: dict[str, str], fields: dict[str, str], info_bar: dict[str, str],
                    trail: str | None) -> None:
    """Add the 信息公开 fields and the 来源/作者 info bar (meta tags win), and the breadcrumb."""
    for k, v in fields.items():
        if k not in ("published_visible", "doc_title") and v:
            meta.setdefault(k, v)
    for k, v in info_bar.items():
        meta.setdefault(k, v)
    if trail:
        meta["breadcrumb"] = trail


def _record_is_better(ex: Extraction, record: records.Record) -> bool:
    """Use the embedded record when the HTML gave no article, or much less text than the record holds."""
    if ex.page_class != "article":
        return True
    record_text = "".join(parse(record.content).itertext())
    return len("".join(ex.body.split())) < 0.5 * len("".join(record_text.split()))


def _from_record(page: Extraction, record: records.Record, base: str, headers, status: int) -> Extraction:
    """The extraction of the embedded record, with the page's own site metadata and encoding."""
    ex = extract(records.as_html(record).encode("utf-8"), page.url, None, status)
    ex.encoding, ex.declared_encoding = page.encoding, page.declared_encoding
    ex.metadata = {**{k: v for k, v in page.metadata.items() if k != "published_visible"}, **ex.metadata}
    if ex.date_source == "visible":
        ex.date_source = "embedded"
        ex.metadata["published_visible"] = record.date
    known = {a["url"] for a in ex.attachments}
    for href, name in record.attachments:
        absolute = urljoin(base, href)
        if absolute not in known:
            known.add(absolute)
            ex.attachments.append({"url": absolute, "text": name})
    return ex


def _block_rows(holders) -> frozenset:
    """The 信息公开 label holders, widened to their cell and table row."""
    rows = set(holders)
    for h in holders:
        el = h
        while el.tag in INLINE and el.getparent() is not None:
            el = el.getparent()
            rows.add(el)
        if el.tag in ("td", "th", "dt", "dd") and el.getparent() is not None:
            rows.add(el.getparent())  # the table row, or the <dl> of dt/dd pairs
    return frozenset(rows)


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
    if title_el is not None and density is not None and within(density, title_el):
        density = title_el.getparent()  # a heading longer than the text: the text reads on after it
    if container is not None:
        if title_el is not None and not within(title_el, container) and containers.is_generic(container):
            section = _title_section(title_el, container, stats)
            if section is not None:
                return section, choice, True
        return container, choice, title_el is not None and within(title_el, container)
    container, after_title = density, False
    if title_el is not None and container is not None and \
            (within(title_el, container) or order[container] < order[title_el]):
        anchored = containers.anchored_container(title_el, stats)
        if anchored is not None:
            parent, after = anchored
            if container is parent or not (within(container, parent) and stats[container].prose >= 0.7 * after):
                container, after_title = parent, True
    elif title_el is not None and container is not None:
        section = _title_section(title_el, container, stats)
        if section is not None:
            container, after_title = section, True
    if title_el is not None and container is not None and within(title_el, container):
        after_title = True  # the body starts after the heading line
    return container, choice, after_title


def _title_section(title_el, container, stats):
    """The block reading on from the heading, when the chosen block lies outside it (a prose sidebar
    next to a short text): never take text from another branch of the page than the heading's."""
    need = 40.0
    while True:
        anchored = containers.anchored_container(title_el, stats, need=need)
        if anchored is None or within(container, anchored[0]):
            return None
        parent, after = anchored
        text = "".join(parent.itertext())
        if sum(text.count(p) for p in "，。；") >= 3:  # sentences, not just the 发布日期/来源 bar
            return parent if after >= 0.25 * stats[container].prose else None
        need = after + 1


_INFO_START = re.compile(r"^[\s\[【(（]*(?:(?:19|20)\d\d[-/.年]\S*\s*)?(?:信息来源|文章来源|来源|作者|发布)")
_INFO_LABELS = {"来源": "content_source", "信息来源": "content_source", "文章来源": "content_source",
                "作者": "author", "发布机构": "issuer"}
_INFO_RE = re.compile(
    r"(信息来源|文章来源|来源|作者)\s*[:：]\s*(.+?)"
    r"(?=\s+\S{2,6}\s*[:：]|\s*(?:字号|字体|作者|来源|浏览|阅读|点击|发布|时间|日期|编辑|责任编辑|访问|【)|\s{2,}|$"
    r"|\s*(?:于\s*)?(?:19|20)\d\d\s*[-/.年])"  # 新闻来源：新华社 于 2007年1月5日
)


def _info_bar(root, title_el, container, order) -> dict[str, str]:
    """来源/作者 from the info line between the title and the text."""
    if title_el is None:
        return {}
    lo, cpos = order.get(title_el, 0), order.get(container, 0) if container is not None else 0
    hi = max(cpos, lo + 15)  # the info line may also open the chosen block (a short page's only text)
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
            if el.tag in INLINE and not _INFO_RE.search(line):
                line = nfkc(inline_text(el.getparent()))  # <span><i>来源：</i>山西日报</span>
            if pos >= cpos > lo and not _INFO_START.match(line):
                continue  # inside the text only a line that opens with the label ("资金来源：…" is text)
            for m in _INFO_RE.finditer(line):
                value = _unbracket(m.group(2).strip())
                if value and len(value) <= 60:
                    out.setdefault(_INFO_LABELS[m.group(1)], value)
    return out


_PAIRS = {"】": "【", "]": "[", "）": "（", ")": "("}


def _unbracket(value: str) -> str:
    """【来源：县应急管理局】 -> 县应急管理局 (a closing bracket whose opener is outside the value)."""
    while value and value[-1] in _PAIRS and _PAIRS[value[-1]] not in value:
        value = value[:-1].rstrip()
    return value


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
