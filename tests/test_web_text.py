"""The pure parts of the web pages: highlighting, snippets, the body diff, form parsing."""

from __future__ import annotations

import pytest

from crawler.web import text, textdiff
from crawler.web.pages import SearchForm, attachment_changes, metadata_changes


def test_highlight_marks_every_term_and_escapes_the_rest() -> None:
    html = text.highlight("<b>税</b>收与关税", ["税"])
    assert str(html) == "&lt;b&gt;<mark>税</mark>&lt;/b&gt;收与关<mark>税</mark>"


def test_highlight_prefers_the_longest_term_and_ignores_case() -> None:
    assert str(text.highlight("GDP 法治政府", ["法治", "法治政府", "gdp"])) == \
        "<mark>GDP</mark> <mark>法治政府</mark>"


def test_highlight_treats_terms_as_text_not_patterns() -> None:
    assert str(text.highlight("a.b axb", ["a.b"])) == "<mark>a.b</mark> axb"


def test_snippet_is_cut_around_the_first_match() -> None:
    body = "前" * 100 + "营商环境" + "后" * 100
    html = str(text.snippet(body, ["营商环境"], width=5))
    assert html == "…前前前前前<mark>营商环境</mark>后后后后后…"


def test_snippet_without_a_match_is_the_start() -> None:
    assert str(text.snippet("一二三四五六", ["税"], width=2)) == "一二三四…"


def test_query_terms_split_like_the_archive() -> None:
    assert text.query_terms("  法治  GDP 法治 ") == ["法治", "gdp"]


def test_metadata_rows_put_the_disclosure_fields_first() -> None:
    rows = text.metadata_rows({"zz": "1", "doc_no": "国发〔2026〕1号", "index_no": "000/2026-1"})
    assert [(r["label"], r["value"]) for r in rows] == [
        ("索引号", "000/2026-1"), ("发文字号", "国发〔2026〕1号"), ("zz", "1")]


@pytest.mark.parametrize(("url", "href"), [
    ("http://www.gov.cn/a.pdf", "http://www.gov.cn/a.pdf"),
    ("HTTPS://www.gov.cn/", "HTTPS://www.gov.cn/"),
    ("javascript:alert(1)", "#"),
    (" JavaScript:alert(1)", "#"),
    ("data:text/html,x", "#"),
    (None, "#"),
])
def test_external_url_only_links_http(url: str | None, href: str) -> None:
    assert text.external_url(url) == href


def test_times_are_shown_in_beijing_time() -> None:
    assert text.local_time("2026-11-02T16:30:00+00:00") == "2026-11-03 00:30"
    assert text.utc_time("2026-11-02T16:30:00+00:00") == "2026-11-02 16:30 UTC"


# --- the body diff -------------------------------------------------------------------------------


def test_a_changed_paragraph_is_diffed_by_character() -> None:
    rows = textdiff.body_rows("甲\n请于11月5日前报送。\n乙", "甲\n请于11月12日前报送。\n乙")
    change = next(r for r in rows if r.kind == "change")
    assert str(change.old) == "请于11月<del>5</del>日前报送。"
    assert str(change.new) == "请于11月<ins>12</ins>日前报送。"


def test_added_removed_and_unrelated_paragraphs() -> None:
    rows = textdiff.body_rows("一\n旧的段落完全不同\n三", "一\n三\n新增一段")
    kinds = [r.kind for r in rows]
    assert "del" in kinds and "ins" in kinds and "change" not in kinds
    assert str(next(r for r in rows if r.kind == "ins").new) == "<ins>新增一段</ins>"


def test_long_unchanged_runs_are_folded() -> None:
    old = "\n".join(f"第{i}段" for i in range(20))
    new = old.replace("第10段", "第10段（修改）")
    rows = textdiff.body_rows(old, new, context=2)
    assert [r.kind for r in rows] == ["skip", "same", "same", "change", "same", "same", "skip"]
    assert rows[0].skipped == 8 and rows[-1].skipped == 7


def test_the_diff_escapes_archived_markup() -> None:
    rows = textdiff.body_rows("<i>a</i>", "<i>b</i>")
    assert "<i>" not in "".join(str(r.old) + str(r.new) for r in rows)


def test_identical_bodies_have_no_rows() -> None:
    assert textdiff.body_rows("一\n二", "一\n二") == []


def test_metadata_and_attachment_changes() -> None:
    rows = metadata_changes({"doc_no": "1号", "topic": "财政"}, {"doc_no": "2号", "issuer": "市政府"})
    assert [(r["label"], r["kind"]) for r in rows] == [
        ("主题分类", "removed"), ("发布机构", "added"), ("发文字号", "changed")]
    a, b = {"url": "http://x/a.pdf", "text": "附件1"}, {"url": "http://x/b.pdf", "text": "附件2"}
    assert [r["kind"] for r in attachment_changes([a], [b])] == ["removed", "added"]
    assert attachment_changes([a, b], [b, a])[0]["kind"] == "reordered"


# --- the search form ---------------------------------------------------------------------------


def test_search_form_reads_and_writes_its_arguments() -> None:
    form = SearchForm.from_args({"q": " 法治  政府 ", "from": "2026-01-31", "status": "gone",
                                 "page": "3"})
    assert form.q == "法治 政府" and form.published_from == "2026-01-31" and form.page == 3
    assert form.args(page=1) == {"q": "法治 政府", "from": "2026-01-31", "status": "gone"}


@pytest.mark.parametrize("args", [{"from": "31/01/2026"}, {"to": "2026-02-30"}, {"status": "dead"},
                                  {"page": "0"}, {"page": "two"}, {"page": "²"},
                                  {"from": "2024-01-01", "to": "2023-12-31"}])
def test_search_form_names_nonsense_and_keeps_what_was_typed(args: dict[str, str]) -> None:
    form = SearchForm.from_args({"q": "x", **args})
    assert form.error and form.q == "x"
    assert (form.published_from, form.published_to, form.status) == \
        (args.get("from", ""), args.get("to", ""), args.get("status", ""))
