"""Real gov pages from the shared corpus (copied into fixtures) against their hand-made truth."""

from __future__ import annotations

import re

import pytest
from helpers_extract import bigram_f1, corpus_ids, corpus_page, title_ok

from crawler.extract import extract


@pytest.mark.parametrize("page_id", corpus_ids())
def test_corpus_page(page_id: str) -> None:
    raw, truth = corpus_page(page_id)
    ex = extract(raw, truth.get("url") or "")
    assert ex.page_class == "article"
    assert title_ok(ex.title, truth), ex.title
    assert (ex.published or "")[:10] == (truth["published"] or ""), ex.published
    assert bigram_f1(ex.body, truth["body"]) >= 0.95


def test_visible_date_wins_over_url_and_keeps_time_only_when_shown() -> None:
    raw, truth = corpus_page("004")  # URL says t20210106, the page shows 2021-01-05
    ex = extract(raw, truth["url"])
    assert ex.published == "2021-01-05"
    assert ex.date_source == "visible"
    raw, truth = corpus_page("002")
    ex = extract(raw, truth["url"])
    assert ex.published == "2019-09-18T06:23:00+08:00"
    assert ex.metadata["pub_date_meta"] == "2019-09-18 06:23"


def test_page_without_any_date_has_none() -> None:
    raw, truth = corpus_page("005")
    ex = extract(raw, truth["url"])
    assert ex.published is None and ex.date_source is None


def test_meta_tags_become_stable_keys() -> None:
    raw, truth = corpus_page("001")
    ex = extract(raw, truth["url"])
    assert ex.metadata["site_name"] == "浙江省发展和改革委员会"
    assert ex.metadata["column_name"] == "投资运行"
    assert ex.metadata["pub_date_meta"] == "2016-11-22 09:53"
    assert ex.metadata["content_source"] == "省发改委"


@pytest.mark.parametrize("page_id", corpus_ids())
def test_corpus_page_without_the_gov_meta_tags(page_id: str) -> None:
    """Siblings on sites without ArticleTitle/PubDate must work from the visible page alone."""
    raw, truth = corpus_page(page_id)
    html = re.sub(r"<meta[^>]+name=\"?(ArticleTitle|PubDate|ContentSource)[^>]*>", "", raw.decode("utf-8"), flags=re.I)
    ex = extract(html.encode("utf-8"), truth.get("url") or "")
    assert ex.page_class == "article"
    assert title_ok(ex.title, truth), ex.title
    assert (ex.published or "")[:10] == (truth["published"] or "")
    assert bigram_f1(ex.body, truth["body"]) >= 0.95


_CONTAINER_NAMES = ("TRS_Editor", "UCAP-CONTENT", "pages_content", "zoom", "article-body", "article", "content")


@pytest.mark.parametrize("page_id", corpus_ids())
def test_corpus_page_with_unknown_container_names(page_id: str) -> None:
    """Without any known CMS container name the density/heading fallback must find the same text."""
    raw, truth = corpus_page(page_id)
    html = raw.decode("utf-8")
    for name in _CONTAINER_NAMES:
        html = re.sub(rf"((?:class|id)=\"[^\"]*)\b{re.escape(name)}\b", rf"\1x{len(name)}", html)
    ex = extract(html.encode("utf-8"), truth.get("url") or "")
    assert title_ok(ex.title, truth), ex.title
    assert (ex.published or "")[:10] == (truth["published"] or "")
    assert bigram_f1(ex.body, truth["body"]) >= 0.95
