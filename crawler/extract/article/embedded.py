"""Article records embedded as JSON in a page script (Guangdong gkmlpt `window._CONFIG.DETAIL`).

Such pages are JS shells: the visible HTML has the site chrome and an empty app root, and the
announcement (title, 发布时间, HTML content, attachments, 索引号 ...) sits in the JSON record.
"""

from __future__ import annotations

import html
import json
import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone

_DETAIL = re.compile(r"\bDETAIL\s*[:=]\s*(?=\{)")
_DECODER = json.JSONDecoder()
_DATE_KEYS = ("publish_time", "publishTime", "published_at", "publishedAt", "pubdate", "pubDate", "pub_date",
              "publish_date", "publishDate", "release_time", "releaseTime", "display_publish_time", "date",
              "created_at", "createdAt")
# record key -> 信息公开 label (rendered as a block so the usual reader maps it to metadata)
_FIELDS = (("identifier", "索引号"), ("index_no", "索引号"), ("publisher", "发布机构"), ("source", "发布机构"),
           ("document_number", "文号"), ("doc_no", "文号"), ("file_num", "文号"))
_URL_KEYS = ("url", "link", "href", "path", "file_url", "fileUrl", "download_url")
_NAME_KEYS = ("name", "title", "filename", "file_name", "fileName", "text")
BEIJING = timezone(timedelta(hours=8))


@dataclass
class Record:
    title: str
    content: str
    date: str
    fields: list[tuple[str, str]] = field(default_factory=list)
    attachments: list[tuple[str, str]] = field(default_factory=list)


def find_record(scripts: list[str]) -> Record | None:
    """The first `DETAIL` JSON object with a title and an HTML content, if any."""
    for code in scripts:
        if not code or "DETAIL" not in code:
            continue
        for m in _DETAIL.finditer(code):
            try:
                obj, _ = _DECODER.raw_decode(code, m.end())
            except ValueError:
                continue
            rec = _record(obj)
            if rec is not None:
                return rec
    return None


def _record(obj: object) -> Record | None:
    if not isinstance(obj, dict):
        return None
    title, content = obj.get("title"), obj.get("content")
    if not (isinstance(title, str) and title.strip() and isinstance(content, str) and content.strip()):
        return None
    date = next((d for d in (_date(obj.get(k)) for k in _DATE_KEYS) if d), "")
    fields, seen = [], set()
    for key, label in _FIELDS:
        value = obj.get(key)
        if isinstance(value, (str, int)) and str(value).strip() and label not in seen:
            seen.add(label)
            fields.append((label, str(value).strip()))
    return Record(title.strip(), content, date, fields, _attachments(obj))


def _date(value: object) -> str:
    if isinstance(value, (int, float)) and not isinstance(value, bool) and 9e8 < value < 1e13:
        ts = value / 1000 if value > 1e11 else value  # seconds or milliseconds
        return datetime.fromtimestamp(ts, BEIJING).strftime("%Y-%m-%d %H:%M:%S")
    return value.strip() if isinstance(value, str) else ""


def _attachments(obj: dict) -> list[tuple[str, str]]:
    out = []
    for key in ("attachments", "attachment", "files", "appendix"):
        items = obj.get(key)
        if not isinstance(items, list):
            continue
        for item in items:
            if not isinstance(item, dict):
                continue
            url = next((item[k] for k in _URL_KEYS if isinstance(item.get(k), str) and item[k].strip()), "")
            name = next((item[k] for k in _NAME_KEYS if isinstance(item.get(k), str) and item[k].strip()), "")
            if url:
                out.append((url.strip(), name.strip()))
    return out


def as_html(rec: Record) -> str:
    """A plain article page for the record, read by the normal extractor."""
    esc = html.escape
    rows = "".join(f"<tr><td>{esc(label)}：</td><td>{esc(value)}</td></tr>" for label, value in rec.fields)
    block = f'<table class="xxgk">{rows}</table>' if rows else ""
    date = f'<div class="info">发布时间：{esc(rec.date)}</div>' if rec.date else ""
    return (f'<html><head><meta charset="utf-8"></head><body>{block}<h1>{esc(rec.title)}</h1>{date}'
            f'<div id="zoom">{rec.content}</div></body></html>')
