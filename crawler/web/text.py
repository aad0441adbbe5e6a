"""Text for the pages: highlighted snippets, body paragraphs, labels, times. Pure functions.

Everything that returns ``Markup`` escapes the archived text first; only our own ``<mark>``
tags are trusted.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from datetime import UTC
from typing import Any
from urllib.parse import urlsplit

from markupsafe import Markup, escape

from archive import render, search, timeutil

SNIPPET_WIDTH = 60  # characters of context on each side of the first match

#: What an event kind is called on the pages.
KIND_LABELS = {"new": "New", "changed": "Changed", "gone": "Withdrawn", "restored": "Restored",
               "health": "Health"}
#: The archive's field names as shown on the pages.
FIELD_LABELS = {"title": "Title", "published": "Published", "body": "Body",
                "metadata": "Metadata", "attachments": "Attachments"}

#: Metadata keys (stable English keys written by crawler/extract) with their Chinese labels,
#: the 政府信息公开 fields first, in the order a 信息公开 table usually lists them.
METADATA_LABELS = {
    "index_no": "索引号",
    "topic": "主题分类",
    "issuer": "发布机构",
    "written_date": "成文日期",
    "doc_no": "发文字号",
    "published_visible": "发布日期",
    "doc_title": "公文名称",
    "subject_terms": "主题词",
    "validity": "有效性",
    "content_source": "来源",
    "author": "作者",
    "site_name": "网站名称",
    "column_name": "栏目",
    "column_type": "栏目类型",
    "breadcrumb": "位置",
    "keywords": "关键词",
    "description": "摘要",
    "pub_date_meta": "PubDate",
    "first_published": "首次发布",
    "site_domain": "网站域名",
    "site_id_code": "网站标识码",
}


def query_terms(query: str) -> list[str]:
    """The terms of a search, as the archive searches them (archive.search.query_terms: words
    and quoted phrases, lower-cased, each once)."""
    return search.query_terms(query)


def _term_pattern(terms: Iterable[str]) -> re.Pattern[str] | None:
    return search.term_pattern(terms)  # spaces next to CJK allowed, as search ignores them


def highlight(text: str | None, terms: Iterable[str]) -> Markup:
    """``text`` escaped, every occurrence of a term wrapped in ``<mark>``."""
    text = text or ""
    pattern = _term_pattern(terms)
    if pattern is None:
        return escape(text)
    out, last = [], 0
    for found in pattern.finditer(text):
        out.append(escape(text[last:found.start()]))
        out.append(Markup("<mark>%s</mark>") % found.group(0))
        last = found.end()
    out.append(escape(text[last:]))
    return Markup("").join(out)


def snippet(body: str | None, terms: Iterable[str], width: int = SNIPPET_WIDTH) -> Markup:
    """An excerpt of ``body`` around the first match, highlighted; the start if none matches."""
    text = " ".join((body or "").split())
    terms = list(terms)
    pattern = _term_pattern(terms)
    first = pattern.search(text) if pattern else None
    if first is None:
        excerpt = text[: 2 * width]
        return highlight(excerpt + ("…" if len(text) > len(excerpt) else ""), terms)
    start, end = max(0, first.start() - width), min(len(text), first.end() + width)
    excerpt = ("…" if start else "") + text[start:end] + ("…" if end < len(text) else "")
    return highlight(excerpt, terms)


def paragraphs(body: str | None) -> list[str]:
    """The body's non-empty lines: each is a paragraph (bodies are stored one per line)."""
    return [line.strip() for line in (body or "").splitlines() if line.strip()]


def metadata_rows(metadata: Mapping[str, Any] | None) -> list[dict[str, str]]:
    """``{"label", "key", "value"}`` rows: known 信息公开 keys first in their usual order."""
    metadata = metadata or {}
    known = [k for k in METADATA_LABELS if k in metadata]
    others = sorted(k for k in metadata if k not in METADATA_LABELS)
    return [{"label": METADATA_LABELS.get(key, key), "key": key, "value": value_text(metadata[key])}
            for key in known + others]


def value_text(value: object) -> str:
    """A metadata value or a field value on one line (lists joined, None empty)."""
    if isinstance(value, Mapping):
        return "; ".join(f"{k}: {value_text(v)}" for k, v in value.items())
    return render.one_line(value)


def local_time(value: str | None) -> str:
    """A stored UTC time in Beijing time (the time the archived sites live in), to the minute."""
    moment = timeutil.parse_stored_time(value)
    if moment is None:
        return value or ""
    return moment.astimezone(timeutil.PAGE_TZ).strftime("%Y-%m-%d %H:%M")


def utc_time(value: str | None) -> str:
    """A stored time as ``2026-11-25 09:40 UTC`` (for tooltips)."""
    moment = timeutil.parse_stored_time(value)
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC") if moment else (value or "")


def published(value: str | None) -> str:
    """A page's own date as it gave it: the day, or the day and minute."""
    return render.short_published(value)


def field_labels(names: Iterable[str] | None) -> str:
    """``["body", "metadata"]`` -> ``Body, Metadata``."""
    return ", ".join(FIELD_LABELS.get(n, n) for n in names or [])


def external_url(url: str | None) -> str:
    """``url`` if it is an http(s) link, else "#" (an archived page may carry ``javascript:``)."""
    url = (url or "").strip()
    return url if urlsplit(url).scheme.lower() in ("http", "https") else "#"
