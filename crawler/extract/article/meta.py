"""Standard gov <meta> tags and the 政府信息公开 metadata block, as stable English keys."""

from __future__ import annotations

import json
import re
import unicodedata
from urllib.parse import urlsplit

from lxml import etree

from crawler.extract.dom import compact, inline_text, squash

# <meta name> (lower-cased) -> metadata key
META_KEYS = {
    "sitename": "site_name",
    "sitedomain": "site_domain",
    "siteidcode": "site_id_code",
    "columnname": "column_name",
    "columntype": "column_type",
    "contentsource": "content_source",
    "keywords": "keywords",
    "author": "author",
    "description": "description",
    "pubdate": "pub_date_meta",
    "firstpublishedtime": "first_published",
}
# Other spellings of PubDate (and the Open Graph / Dublin Core publication time): used only when
# there is no PubDate. Not `firstpublishedtime`: on gov.cn (UCAP) pages it is the CMS's web-release
# stamp (a 2007 gazette page carries its 2007-08-20 upload time), kept as metadata only.
PUB_DATE_ALIASES = frozenset((
    "publishdate", "publish_date", "publishtime", "publish_time", "pubtime", "pub_time", "datepublished",
    "article:published_time", "og:article:published_time", "og:published_time", "article:published",
    "publication_date", "dc.date.issued", "dcterms.issued", "dc.date", "date", "releasedate", "release_date",
    "weibo: article:create_at", "parsely-pub-date", "sailthru.date",
))
# Meta names whose values are read but not stored under these names.
TITLE_META = ("articletitle", "og:title", "twitter:title")

# 信息公开 labels (whitespace removed, NFKC) -> key. Longest labels are matched first. The
# publication date: published_visible (发布时间 / 日期 as published_at: on their own they label
# info bars, so they need two other fields); 生成日期 is the record's date, a publication date
# candidate too; 成文日期 / 印发日期 are when the document was written.
DISCLOSURE_LABELS = {
    "索引号": "index_no", "信息索引": "index_no", "索取号": "index_no",
    "发布机构": "issuer", "发文机关": "issuer", "发文单位": "issuer", "发布单位": "issuer",
    "办文部门": "issuer", "颁布单位": "issuer",
    "成文日期": "written_date", "印发日期": "written_date", "生成日期": "generated_date",
    "发布日期": "published_visible", "公开日期": "published_visible", "发文日期": "published_visible",
    "信息提供日期": "published_visible", "发布时间": "published_at", "日期": "published_at",
    "发文字号": "doc_no", "文号": "doc_no", "文件编号": "doc_no", "发布文号": "doc_no",
    "主题分类": "topic", "主题词": "subject_terms", "信息分类": "topic", "所属类别": "topic",
    "有效性": "validity", "效力状态": "validity", "时效性": "validity",
    "公文名称": "doc_title", "标题": "doc_title", "名称": "doc_title",
}
_LABEL_ORDER = sorted(DISCLOSURE_LABELS, key=len, reverse=True)
_LABEL_RE = re.compile("(" + "|".join(
    r"\s*".join(map(re.escape, label)) for label in _LABEL_ORDER) + r")\s*[:：]?")
_LABEL_FIRST = frozenset(label[0] for label in _LABEL_ORDER)


def starts_with_label(line: str) -> bool:
    """The line opens with a 信息公开 label (索引号：…, 发布机构 …)."""
    return bool(_LABEL_RE.match(unicodedata.normalize("NFKC", line).strip()))
_HOLDER_TAGS = ("td", "th", "span", "strong", "b", "label", "em", "p", "li", "div", "dt", "font")


def gov_meta(root: etree._Element) -> tuple[dict[str, str], dict[str, str]]:
    """(metadata from standard meta tags, raw title-ish meta values keyed by lower-cased name)."""
    meta: dict[str, str] = {}
    titles: dict[str, str] = {}
    alias_date = ""
    for m in root.xpath("//meta[(@name or @property) and @content]"):
        name = (m.get("name") or m.get("property") or "").strip().lower()
        value = squash(m.get("content"))
        if not value or value.lower() in ("null", "none", "undefined") or "<?" in value or "<%" in value:
            continue
        if name in META_KEYS:
            meta.setdefault(META_KEYS[name], value)
        elif name in TITLE_META:
            titles.setdefault(name, value)
        elif name in PUB_DATE_ALIASES:
            alias_date = alias_date or value
        elif name in ("og:site_name",):
            meta.setdefault("site_name", value)
        elif name in ("og:description",):
            meta.setdefault("description", value)
    if alias_date:
        meta.setdefault("pub_date_meta", alias_date)
    if "site_id_code" not in meta:
        code = root.xpath('string(//script[@id="_jiucuo_"]/@sitecode)')
        if code:
            meta["site_id_code"] = code.strip()
        else:
            code = _footer_site_code(root)
            if code:
                meta["site_id_code"] = code
    if "site_domain" in meta and "://" in meta["site_domain"]:
        meta["site_domain"] = urlsplit(meta["site_domain"]).netloc or meta["site_domain"]
    return meta, titles


def machine_dates(root: etree._Element, text: str = "") -> list[tuple[str, str]]:
    """Machine-readable publication dates as (kind, value), strongest kind first: ``pubdate``
    (the PubDate meta), ``alias`` (its other spellings, og/Dublin Core), ``json_ld``
    (datePublished), ``itemprop`` (datePublished), ``property`` (a CMS's <publishtime> or <date>
    element, often hidden), ``comment`` (the same inside an HTML comment: `text` is the page's
    source), ``script`` (a publish_time variable). Read before hidden blocks are pruned."""
    found: list[tuple[str, str]] = []
    for m in root.xpath("//meta[(@name or @property) and @content]"):
        name = (m.get("name") or m.get("property") or "").strip().lower()
        value = squash(m.get("content"))
        if value and name == "pubdate":
            found.insert(0, ("pubdate", value))
        elif value and name in PUB_DATE_ALIASES:
            found.append(("alias", value))
    found += [("json_ld", v) for v in _json_ld_dates(root)][:1]
    found += [("itemprop", v) for v in _itemprop_dates(root)][:1]
    found += [("property", v) for v in _date_tags(root)][:1]
    comment = _COMMENT_DATE.search(text) if "<!--" in text else None
    if comment:
        found.append(("comment", squash(comment.group(2))))
    script = next((m for code in root.xpath("//script[not(@src)]/text()") if (m := _SCRIPT_DATE.search(code))), None)
    if script:
        found.append(("script", script.group(1)))
    return found


_DATE_TAG_NAMES = ("publishtime", "pubtime", "publishdate", "pubdate", "releasedate", "releasetime", "date")
_LIST_HOLDERS = frozenset(("li", "a", "dd", "tr", "option"))


def _date_tags(root: etree._Element) -> list[str]:
    """Values of a CMS's own date elements (<publishtime>, <date> ...), not those of list rows."""
    out = []
    for el in root.iter(*_DATE_TAG_NAMES):
        if any(a.tag in _LIST_HOLDERS for a in el.iterancestors()):
            continue
        value = squash("".join(el.itertext()) or el.get("datetime") or el.get("content") or "")
        if value:
            out.append(value)
    return out


_COMMENT_DATE = re.compile(
    r"<!--(?:(?!-->).){0,2000}?<(publishtime|pubtime|publishdate|pubdate|releasedate|date)>\s*([^<]{6,40}?)\s*</\1>",
    re.I | re.S)
_SCRIPT_DATE = re.compile(
    r"""\b(?:publish_?time|pub_?time|publish_?date|pub_?date|release_?time)["']?\s*[:=]\s*["']"""
    r"""((?:19|20)\d\d[^"']{4,30})["']""", re.I)
_ITEMPROP = etree.XPath("//*[@itemprop='datePublished']")


def _itemprop_dates(root: etree._Element) -> list[str]:
    return [squash(el.get("content") or el.get("datetime") or "".join(el.itertext())) for el in _ITEMPROP(root)]


def _json_ld_dates(root: etree._Element) -> list[str]:
    """datePublished of the JSON-LD blocks (the first of each block, any depth)."""
    out = []
    for code in root.xpath("//script[@type='application/ld+json']/text()"):
        try:
            data = json.loads(code)
        except ValueError:
            continue
        value = _find_key(data, "datePublished")
        if isinstance(value, str) and value.strip():
            out.append(value.strip())
    return out


def _find_key(data, key: str, depth: int = 0):
    """The first value of `key` in nested JSON (breadth before depth, bounded)."""
    if depth > 6:
        return None
    if isinstance(data, dict):
        if key in data:
            return data[key]
        data = list(data.values())
    if isinstance(data, list):
        for item in data:
            found = _find_key(item, key, depth + 1) if isinstance(item, (dict, list)) else None
            if found is not None:
                return found
    return None


_SITE_CODE = re.compile(r"(?:网站|政府网站)?标识码\s*[:：]?\s*((?:bm)?\d{2,10})", re.I)


_CODE_TEXT = etree.XPath("//body//text()[contains(., '标识码')]")


def _footer_site_code(root: etree._Element) -> str | None:
    """网站标识码 1304000009 in the page footer (the last mention on the page)."""
    for node in reversed(_CODE_TEXT(root)):
        parent = node.getparent()
        after = parent.getnext() if parent is not None and not node.is_tail else None
        m = _SITE_CODE.search(str(node) + " " + ("".join(after.itertext()) if after is not None else ""))
        if m:
            return m.group(1)
    return None


def disclosure_block(root: etree._Element) -> tuple[dict[str, str], list[etree._Element]]:
    """Fields of the 信息公开 block (table, label/value spans, or one inline line).

    Returns (fields, elements holding them). Needs at least two distinct labels, so a lone
    "发布日期" line elsewhere is not mistaken for the block.
    """
    read: list[tuple[etree._Element, list[tuple[str, str]]]] = []
    body = root.find("body")
    for el in (body.iter(*_HOLDER_TAGS) if body is not None else ()):
        text = el.text
        if not text:
            continue
        first = text.lstrip(" \t\r\n\u3000\xa0")[:1]
        if not first or first not in _LABEL_FIRST:
            continue
        own = squash(text)
        if not own or len(own) > 400 or not _LABEL_RE.match(own):
            continue
        key_values = _read_field(el)
        if key_values:
            read.append((el, key_values))
    strong = [el for el, kvs in read if any(k not in _WEAK_KEYS for k, _ in kvs)]
    found: dict[str, str] = {}
    holders: list[etree._Element] = []
    for el, key_values in read:
        if el not in strong and not _next_to(el, strong):
            continue  # a 发布时间 info bar elsewhere on the page is not part of the block
        for key, value in key_values:
            found.setdefault(key, value)
        holders.append(el)
    if len({k for k in found if k not in _WEAK_KEYS}) < 2:
        return {}, []  # 发布时间 / 日期 and one more label is an info bar, not the block
    if "published_at" in found:
        found.setdefault("published_visible", found.pop("published_at"))
    return found, holders


_WEAK_KEYS = frozenset(("doc_title", "published_at"))


def _next_to(el: etree._Element, others: list[etree._Element]) -> bool:
    """Another holder sits in the same row, list or table as `el` (three levels up at most)."""
    node = el
    for _ in range(3):
        node = node.getparent()
        if node is None or node.tag in ("body", "html"):
            return False
        if any(o is not el and any(a is node for a in o.iterancestors()) for o in others):
            return True
    return False


def _read_field(el: etree._Element) -> list[tuple[str, str]]:
    line = unicodedata.normalize("NFKC", inline_text(el))
    if len(line) > 300:
        return []
    pairs = _split_inline(line)
    if pairs and any(v for _, v in pairs):
        return [(k, v) for k, v in pairs if v]
    if not pairs:
        return []
    key = pairs[0][0]
    value = ""
    cell = el
    while cell.tag not in ("td", "th", "dt") and cell.getnext() is None and cell.getparent() is not None \
            and cell.getparent().tag in ("td", "th", "dt", "b", "strong", "span", "font", "label"):
        cell = cell.getparent()  # <td><b>索引号：</b></td><td>value</td>
    if cell is not el and not squash(cell.tail) and compact(inline_text(cell)) == compact(inline_text(el)):
        el = cell
    sibling = el.getnext()
    if sibling is not None and isinstance(sibling.tag, str):
        value = squash(inline_text(sibling))
    if not value and el.tail and el.tail.strip(" :：\t\r\n\u3000\xa0"):
        value = squash(el.tail).lstrip(":：").strip()
    if not value:
        parent = el.getparent()
        if parent is not None and parent.tag not in ("tr", "table", "tbody", "body"):
            sub = _split_inline(unicodedata.normalize("NFKC", inline_text(parent)))
            return [(k, v) for k, v in sub if v]
    if value and _LABEL_RE.match(value):
        return []
    return [(key, value)] if value else []


def _split_inline(line: str) -> list[tuple[str, str]]:
    """'索 引 号：X 发布机构：Y' -> [(index_no, X), (issuer, Y)]."""
    matches = list(_LABEL_RE.finditer(line))
    out = []
    for i, m in enumerate(matches):
        label = compact(m.group(1))
        end = matches[i + 1].start() if i + 1 < len(matches) else len(line)
        value = line[m.end():end].strip(" :：\t\u3000")
        out.append((DISCLOSURE_LABELS[label], value))
    if matches and matches[0].start() > 0 and line[:matches[0].start()].strip():
        return []
    return out


_CRUMB_LABEL = re.compile(
    r"^\s*(?:当前位置|您的位置|你的位置|您现在的位置|你现在的位置|所在位置|当前的位置)\s*(?:是|为)?\s*[:：]?\s*"
)
_CRUMB_SEP = re.compile(r"\s*(?:>>|>|»|→|/|＞＞|＞|\\)\s*")


def breadcrumb(elements: list[etree._Element], upto: int) -> str | None:
    """The 当前位置 trail above the text, normalized to "首页 > 新闻 > 公示公告"."""
    for el in elements[:upto]:
        if el.text and "位置" in el.text and _CRUMB_LABEL.match(el.text):
            line = inline_text(el)
            if el.tag == "li":  # <li>当前位置：<a>首页</a></li><li><a>新闻</a></li> ...
                parts = [_CRUMB_LABEL.sub("", line)] + [inline_text(sib) for sib in el.itersiblings("li")]
                trail = " > ".join(p for p in parts if p.strip())
            else:
                if compact(_CRUMB_LABEL.sub("", line)) == "" and el.getparent() is not None:
                    line = inline_text(el.getparent())  # <span>当前位置：</span><a>首页</a> ...
                trail = _CRUMB_LABEL.sub("", line)
            parts = [p for p in _CRUMB_SEP.split(trail) if p and p.strip()]
            if 1 <= len(parts) <= 10 and len(trail) <= 200:
                return " > ".join(squash(p) for p in parts)
    return None
