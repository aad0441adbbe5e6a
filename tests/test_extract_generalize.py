"""Generalization: corpus pages perturbed the way unseen sites differ (no layout names, no meta tags,
a site-name-only <title>, extra blocks) must still come out right."""

from __future__ import annotations

import pytest
from helpers_extract import bigram_f1, corpus_ids, corpus_page, scramble_names, title_ok

from crawler.extract import extract


def _check(html: str, truth: dict, *, min_f1: float = 0.95):
    ex = extract(html.encode("utf-8"), truth.get("url") or "")
    assert ex.page_class == "article"
    assert title_ok(ex.title, truth), ex.title
    assert (ex.published or "")[:10] == (truth["published"] or ""), ex.published
    assert bigram_f1(ex.body, truth["body"]) >= min_f1, ex.body[:300]
    return ex


@pytest.mark.parametrize("page_id", corpus_ids())
def test_all_class_and_id_names_scrambled(page_id: str) -> None:
    """No known container, no title class: the heading is found by its text, tables count as text."""
    raw, truth = corpus_page(page_id)
    _check(scramble_names(raw.decode("utf-8")), truth)


def test_visible_title_without_the_appended_doc_number_beats_meta() -> None:
    """ArticleTitle = visible heading + "(金罚决字〔2024〕36号)"; the page shows only the heading."""
    raw, truth = corpus_page("008")
    ex = _check(scramble_names(raw.decode("utf-8")), truth)
    assert ex.title == "国家金融监督管理总局行政处罚信息公开表"
    assert ex.title_source == "visible"
