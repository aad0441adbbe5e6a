"""Content hashes of stored archives never change: values computed by the original code.

The hash decides "changed or not" on every re-crawl; a different hash for the same content
would report every document of an existing archive as changed.
"""

from __future__ import annotations

import pytest
from helpers_archive import at, record

from archive import Archive
from archive.hashing import content_hash, normalize_record, record_hash, to_json

MESSY = {
    "url": "http://x/a", "title": "  关于 印发\u3000通知 ", "published": " 2026-11-01 ",
    "body": "第一段\n\n  第二段  内容\n",
    "metadata": {"issuer": " 示例市 人民政府 ", "doc_no": "示政〔2026〕1号", "empty": "", "z": None,
                 "nested": {"b": " x ", "a": ["1", " 2 "]}},
    "attachments": [{"url": "http://x/f.pdf", "text": " 附件 1 "}, {"url": "http://x/g.doc", "text": ""}],
}
# Computed with archive/hashing.py as of commit afd7174, before its helpers were merged.
KNOWN = [
    (MESSY, "e35290652c7ab60d8078f00a77d3e342c1529de7f08213f0836753ad1725eed8"),
    ({"url": "http://x/b", "title": "Notice", "published": None, "body": "", "metadata": {},
      "attachments": []}, "af9ac70f2554b77233debdf44ef6ac72ab53ba0b4dd1fdbc1447df553a54fa09"),
    ({"url": "http://x/c", "title": "通知", "published": "2026-11-01T10:30:00+08:00", "body": "正文 text\n",
      "metadata": {"topic": "综合政务"}, "attachments": [{"url": "http://x/1.pdf", "text": "附件"}]},
     "740bf13f5c6c6e167b4906aac700275c0dafa1f7d76778246b35ea52774d7288"),
    (record(1), "cfb5121dce440bb75a167177d241a63bd5f340f9de152d5426ad0a341b47557f"),
    (record(2), "da36f9213ae35de7c3e69e1e399dd3906841034aaf6d44fc58873a79f2629815"),
    (record(3, metadata={}, attachments=[], published=None),
     "5500cddc450ecf50613416bbd80eda2e29733ca2d64764e4cb6a667230e78f50"),
]


@pytest.mark.parametrize(("rec", "digest"), KNOWN)
def test_hashes_match_the_values_of_the_original_code(rec, digest):
    assert record_hash(rec) == digest
    assert content_hash(normalize_record(rec)) == digest


def test_normalized_storage_form_is_unchanged():
    assert to_json(normalize_record(MESSY)) == (
        '{"attachments":[{"text":"附件 1","url":"http://x/f.pdf"},{"url":"http://x/g.doc"}],'
        '"body":"第一段\\n第二段 内容\\n","metadata":{"doc_no":"示政〔2026〕1号",'
        '"issuer":"示例市 人民政府","nested":{"a":["1","2"],"b":"x"}},"published":"2026-11-01",'
        '"title":"关于 印发 通知"}'
    )


def test_a_stored_archive_keeps_its_hashes(tmp_path):
    with Archive(tmp_path / "a.db", create=True) as archive:
        crawl = archive.start_crawl("example", now=at(0))
        for rec, digest in KNOWN:
            result = archive.save("example", rec, crawl_id=crawl, now=at(1))
            assert archive.document(result.document_id)["content_hash"] == digest
            version = archive.version(result.document_id, 1)
            assert version["content_hash"] == digest
            assert content_hash(version) == digest  # re-hashing what was stored agrees
            # the same content saved again, whitespace aside, is unchanged
            again = archive.save("example", {**rec, "title": f" {rec['title']} "}, crawl_id=crawl, now=at(2))
            assert again.outcome == "unchanged"
