"""The demo site's data model: columns of articles with attachments, and one HTTP answer.

Plain data with no behaviour beyond derived paths: `crawler.demo.site` builds and changes it,
`crawler.demo.render` turns it into HTML, `crawler.demo.server` sends `Resource`s.
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass, field
from datetime import datetime

Block = tuple[str, object]  # ("p", str) | ("h", str) | ("table", list[list[str]])


@dataclass
class Attachment:
    """A file linked from an article (served next to it, TRS-style `./P0....ext`): a real PDF,
    DOCX or XLSX holding `rows` (lines of text, or a sheet's rows)."""

    filename: str
    label: str
    via_script: bool = False  # written by an inline document.write, not a plain link
    rows: list[list[str]] = field(default_factory=list)

    @property
    def extension(self) -> str:
        return self.filename.rsplit(".", 1)[-1]


@dataclass
class Article:
    """One announcement page."""

    column: str
    docid: int
    kind: str  # 通知 / 公告 / 公示 / 政策
    title: str
    published: datetime  # Beijing time
    source: str
    blocks: list[Block]
    signature: str
    attachments: list[Attachment] = field(default_factory=list)
    xxgk: dict[str, str] | None = None  # 政府信息公开 metadata block, policy documents only
    related: list[tuple[str, str, str]] = field(default_factory=list)  # (path, title, date)
    modified: datetime | None = None  # Last-Modified (UTC)

    @property
    def directory(self) -> str:
        return f"/{self.column}/{self.published:%Y%m}/"

    @property
    def path(self) -> str:
        return f"{self.directory}t{self.published:%Y%m%d}_{self.docid}.html"

    def text(self) -> str:
        """All paragraph text (used by tests and the scenario to pick sentences)."""
        return "\n".join(str(v) for k, v in self.blocks if k in ("p", "h"))


@dataclass
class Column:
    """A list column with TRS static pagination: index.html, index_1.html, ..."""

    slug: str
    name: str
    column_type: str
    description: str
    encoding: str  # "utf-8" or "gbk"
    page_size: int
    articles: list[Article] = field(default_factory=list)  # newest first
    modified: datetime | None = None

    @property
    def page_count(self) -> int:
        return max(1, math.ceil(len(self.articles) / self.page_size))

    def page_path(self, page: int) -> str:
        return f"/{self.slug}/index.html" if page == 0 else f"/{self.slug}/index_{page}.html"

    def page_items(self, page: int) -> list[Article]:
        start = page * self.page_size
        return self.articles[start:start + self.page_size]


@dataclass(frozen=True)
class Resource:
    """One HTTP answer of the site."""

    status: int
    body: bytes
    content_type: str
    last_modified: datetime | None = None

    @property
    def etag(self) -> str:
        return '"' + hashlib.md5(self.body).hexdigest()[:16] + '"'


def cn_date(d: datetime) -> str:
    """`2026-11-20` -> `二〇二六年十一月二十日` (the form used in signatures)."""
    digits = "〇一二三四五六七八九"

    def small(n: int) -> str:
        tens, ones = divmod(n, 10)
        head = "" if tens == 0 else ("十" if tens == 1 else digits[tens] + "十")
        return head + (digits[ones] if ones else "") if n >= 10 else digits[n]

    year = "".join(digits[int(c)] for c in str(d.year))
    return f"{year}年{small(d.month)}月{small(d.day)}日"


def cn_day(d: datetime) -> str:
    """`2026-11-20` -> `2026年11月20日` (the form used in running text)."""
    return f"{d.year}年{d.month}月{d.day}日"
