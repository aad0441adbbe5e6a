"""Pure page understanding: raw page bytes + URL + headers -> an announcement or a list (no Scrapy).

Shared:
- `decoding`   bytes -> text for every page (HTTP/meta/BOM charsets, gb2312/gbk read as GB18030,
               lying labels)
- `dom`        lxml parsing (deep documents flattened), pruning (scripts, hidden blocks), reader-style
               text rendering, control characters
- `dates`      Chinese date parsing (年月日, 〇 numerals, full-width) and URL dates
- `urls`       the site's registrable domain (tldextract, bundled suffix list), on-site checks
- `model`      `Extraction`, PAGE_CLASSES, EXTRACTOR_VERSION (bumped when extraction output changes)
Then, by concern:
- `article/`   `extract()`: title, date, body, metadata, attachments of an announcement
- `listing/`   `parse_list()`: announcement links and pagination of a column page
- `classify/`  article | antibot | soft404 | empty | js_shell | list | binary; `looks_like_antibot`,
               `sniff` (the file kind of a response that is no page)
"""

from __future__ import annotations

from .article.core import extract
from .model import EXTRACTOR_VERSION, PAGE_CLASSES, Extraction

__all__ = ["EXTRACTOR_VERSION", "PAGE_CLASSES", "Extraction", "extract"]
