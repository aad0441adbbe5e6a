"""Decoding: header/meta/BOM charsets, gb2312 read as GB18030, and lying declarations."""

from __future__ import annotations

import codecs
import re

from helpers_extract import CORPUS, bigram_f1, corpus_page, title_ok

from crawler.extract import extract
from crawler.extract.decoding import decode_html

PAGE = ("<html><head><meta http-equiv='Content-Type' content='text/html; charset={label}'>"
        "<title>通知</title></head><body><p>朱镕基 喆 堃 二〇二三年二月二十八日 · —</p></body></html>")


def test_gb2312_label_is_decoded_as_gb18030() -> None:
    raw = PAGE.format(label="gb2312").encode("gbk")  # 〇, 镕, 喆 are not in gb2312 proper
    text, used, declared = decode_html(raw)
    assert used == "gb18030" and declared == "gb2312"
    assert "二〇二三年" in text and "朱镕基 喆 堃" in text and "· —" in text


def test_http_header_charset_wins_over_meta() -> None:
    raw = PAGE.format(label="utf-8").encode("gbk")
    text, used, declared = decode_html(raw, {"Content-Type": "text/html; charset=GBK"})
    assert (used, declared) == ("gb18030", "gbk")
    assert "二〇二三年" in text


def test_declared_utf8_but_bytes_are_gbk() -> None:
    raw = PAGE.format(label="utf-8").encode("gbk")
    text, used, declared = decode_html(raw)
    assert (used, declared) == ("gb18030", "utf-8")
    assert "朱镕基" in text and "\ufffd" not in text


def test_declared_gbk_but_bytes_are_utf8() -> None:
    raw = PAGE.format(label="gbk").encode("utf-8")
    text, used, declared = decode_html(raw, {"content-type": "text/html; charset=gb2312"})
    assert (used, declared) == ("utf-8", "gb2312")
    assert "二〇二三年" in text


def test_latin1_default_header_is_ignored_for_chinese_bytes() -> None:
    raw = PAGE.format(label="gbk").encode("gbk")
    text, used, _ = decode_html(raw, {"Content-Type": "text/html; charset=ISO-8859-1"})
    assert used == "gb18030" and "朱镕基" in text


def test_bom_wins() -> None:
    raw = codecs.BOM_UTF8 + PAGE.format(label="gbk").encode("utf-8")
    text, used, declared = decode_html(raw)
    assert used == "utf-8" and declared == "gbk"
    assert text.startswith("<html>")
    raw16 = codecs.BOM_UTF16_LE + PAGE.format(label="utf-16").encode("utf-16-le")
    text, used, _ = decode_html(raw16)
    assert used == "utf-16-le" and "二〇二三年" in text


def test_no_declaration_sniffs_gbk() -> None:
    raw = "<html><body><p>关于做好二〇二三年春耕工作的通知</p></body></html>".encode("gbk")
    text, used, declared = decode_html(raw)
    assert used == "gb18030" and declared is None
    assert "二〇二三年" in text


def test_undecodable_bytes_are_replaced_not_raised() -> None:
    raw = "<p>正文</p>".encode() + b"\xff\xfe\xfd" + "<p>结束</p>".encode("gbk")
    text, used, _ = decode_html(raw)
    assert used == "gb18030" and "<p>结束</p>" in text  # the least-damaged reading, the GBK part intact
    gbk = "<p>正文内容</p>".encode("gbk") + b"\xff" + "<p>结束</p>".encode("gbk")  # one stray byte
    assert decode_html(gbk) == ("<p>正文内容</p>\ufffd<p>结束</p>", "gb18030", None)


def test_corpus_page_reencoded_as_gbk_with_gb2312_label() -> None:
    raw, truth = corpus_page("001")
    html = re.sub(r"charset=([\"']?)utf-8", r"charset=\1gb2312", raw.decode("utf-8"), flags=re.I)
    gbk = html.encode("gb18030")
    ex = extract(gbk, truth["url"])
    assert ex.encoding == "gb18030"
    assert ex.declared_encoding == "gb2312"
    assert title_ok(ex.title, truth)
    assert ex.published == truth["published"]
    assert bigram_f1(ex.body, truth["body"]) >= 0.95


def test_stored_gbk_fixture_of_a_corpus_page() -> None:
    """tests/fixtures/extract/corpus/016.gbk.html: corpus page 016 re-encoded as GBK, declared gb2312."""
    _, truth = corpus_page("016")
    ex = extract((CORPUS / "016.gbk.html").read_bytes(), truth["url"])
    assert (ex.encoding, ex.declared_encoding) == ("gb18030", "gb2312")
    assert title_ok(ex.title, truth)
    assert ex.published == truth["published"]
    assert bigram_f1(ex.body, truth["body"]) >= 0.95
