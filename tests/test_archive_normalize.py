from __future__ import annotations

import pytest

from archive.hashing import changed_fields, content_hash, normalize_record, record_hash
from archive.urls import canonical_url


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("HTTP://WWW.Gov.CN/a.html", "http://www.gov.cn/a.html"),
        ("http://www.gov.cn:80/a.html#section-2", "http://www.gov.cn/a.html"),
        ("https://www.gov.cn", "https://www.gov.cn/"),
        ("http://www.gov.cn/a.html?id=3&utm_source=wx&utm_medium=share", "http://www.gov.cn/a.html?id=3"),
        ("http://www.gov.cn/a.html?spm=1.2.3&from=timeline&isappinstalled=0", "http://www.gov.cn/a.html"),
        ("http://www.gov.cn/content.jsp?id=42&type=notice", "http://www.gov.cn/content.jsp?id=42&type=notice"),
        ("http://www.gov.cn:8080/a?id=1", "http://www.gov.cn:8080/a?id=1"),
        ("http://www.gov.cn/a?q=%e6%b3%95", "http://www.gov.cn/a?q=%E6%B3%95"),
    ],
)
def test_canonical_url(url, expected):
    assert canonical_url(url) == expected


def test_path_case_is_kept():
    assert canonical_url("http://x.gov.cn/Art/A.HTML") == "http://x.gov.cn/Art/A.HTML"


def test_normalized_body_keeps_lines():
    fields = normalize_record({"body": "  第一段\u3000内容 \n\n\n第二段  ", "title": " 标题 "})
    assert fields["body"] == "第一段 内容\n第二段\n"
    assert fields["title"] == "标题"


def test_hash_ignores_whitespace_everywhere():
    a = normalize_record({"title": "关于 通知", "body": "一\n二", "metadata": {"issuer": "市 政府"}})
    b = normalize_record({"title": "关于通知", "body": "一 二", "metadata": {"issuer": "市政府 "}})
    assert content_hash(a) == content_hash(b)
    assert changed_fields(a, b) == []


def test_hash_ignores_metadata_key_order_and_empty_values():
    a = normalize_record({"metadata": {"a": "1", "b": "2", "c": ""}})
    b = normalize_record({"metadata": {"b": "2", "a": "1"}})
    assert content_hash(a) == content_hash(b)


def test_hash_sees_real_changes():
    a = normalize_record({"title": "通知", "published": "2026-11-01"})
    b = normalize_record({"title": "通知", "published": "2026-11-02"})
    assert content_hash(a) != content_hash(b)
    assert changed_fields(a, b) == ["published"]


def test_empty_published_is_null():
    assert normalize_record({"published": "  "})["published"] is None


@pytest.mark.parametrize(
    "rec",
    [
        {"title": " 标题\u3000一 ", "published": " 2026-11-01 ", "body": " 甲\n\n 乙  丙\n",
         "metadata": {"b": " x y ", "a": "", "c": None, "d": ["1 ", " "]},
         "attachments": [{"url": "http://x/1.pdf", "text": " 附件 1 "}, {"url": "", "text": "t"}]},
        {"title": None, "published": "   ", "body": None, "metadata": None, "attachments": None},
        {"title": "t", "published": None, "body": "", "metadata": {"k": {"n": " v ", "e": ""}}},
        {},
    ],
)
def test_record_hash_equals_hash_of_normalized_record(rec):
    assert record_hash(rec) == content_hash(normalize_record(rec))
