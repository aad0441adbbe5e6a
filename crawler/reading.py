"""An article page read into an announcement: extraction, then the site's own CSS rules.

The one reading of an article, for a fresh response (the spider) and for a stored capture
(`reread`: the archive pipeline reading the current version's capture again with today's
extractor, crawler/pipelines.py), so that the two agree whenever the bytes do.
"""

from __future__ import annotations

import dataclasses

from scrapy.http import Headers, Response, TextResponse
from scrapy.responsetypes import responsetypes

from archive import Capture
from crawler.extract import Extraction, extract
from crawler.extract.dates import parse_date
from crawler.extract.listing import clean_text
from crawler.sites import ArticleRules


def apply_rules(ex: Extraction, response: Response, rules: ArticleRules) -> Extraction:
    """`ex` with the title, date and body the site's CSS `rules` select, where they find any."""
    if not (rules.title or rules.published or rules.body) or not isinstance(response, TextResponse):
        return ex
    found: dict[str, str] = {}
    if rules.title and (title := _text(response, rules.title)):
        found["title"] = title
    # parse_date: the labelled (发布日期：…) or else the first full date in the text, checked
    # against the calendar, with its time (+08:00) and in Chinese numerals too
    if rules.published and (date := parse_date(_text(response, rules.published))):
        found["published"] = date
    if rules.body and (nodes := response.css(rules.body)):
        lines = (clean_text(t) for t in nodes.xpath(".//text()").getall())
        found["body"] = "\n".join(line for line in lines if line)
    return dataclasses.replace(ex, **found) if found else ex


def _text(response: TextResponse, css: str) -> str:
    parts = (clean_text(p) for p in response.css(css).xpath("string(.)").getall())
    return " ".join(p for p in parts if p)


def reread(capture: Capture, rules: ArticleRules) -> Extraction | None:
    """Today's reading of a stored capture, as the spider reads a response with these bytes;
    None when today's extractor finds no announcement in it (a file, a shell ...)."""
    ex = extract(capture.body, capture.url, capture.headers, capture.status)
    if not ex.is_archivable:
        return None
    headers = Headers(capture.headers)
    cls = responsetypes.from_args(headers=headers, url=capture.url, body=capture.body)
    response = cls(url=capture.url, status=capture.status, headers=headers, body=capture.body)
    return apply_rules(ex, response, rules)
