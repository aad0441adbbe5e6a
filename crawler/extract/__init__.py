"""Pure extraction: raw page bytes + URL + headers -> a normalized announcement (no Scrapy).

Modules, in the order `extract()` uses them:

- `decoding`   bytes -> text (HTTP/meta/BOM charsets, gb2312/gbk read as GB18030, lying labels)
- `dom`        one lxml parse, pruning (scripts, hidden blocks), reader-style text rendering
- `meta`       网页设计规范 meta tags, the 信息公开 block, the 当前位置 breadcrumb
- `containers` where the text is: known CMS containers, text density (data-table cells count like
               punctuation, footers do not compete), or the block reading on from the heading
- `title`      the page's own heading reconciled with ArticleTitle/og:title/<title>; with no usable
               reference, the heading line right above (or leading on from) the page's date line
- `published`  the visible date next to the heading, the 信息公开 block, PubDate, URL, signature
- `dates`      Chinese date parsing (年月日, 〇 numerals, full-width) and URL dates
- `cleanup`    noise blocks and edge lines (toolbars, info bars, related lists) out of the text
- `attachments` pdf/doc/xls/ofd/zip links, including document.write ones and embedded viewers
- `classify`   article | antibot | soft404 | empty | js_shell (never rendered) | list
- `core`       `extract()` itself; `command` is the `gov-archive extract` click command
"""

from __future__ import annotations

from .article.core import extract
from .model import PAGE_CLASSES, Extraction

__all__ = ["extract", "Extraction", "PAGE_CLASSES"]
