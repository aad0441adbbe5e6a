"""`diff`: one line per changed metadata key and per added/removed attachment; --json unchanged;
a body line edited in place is one line with its removed and added characters marked."""

from __future__ import annotations

import difflib
import json

from helpers_archive import record
from helpers_cli import run

from archive import Archive, render

OLD = record(1, metadata={"content_source": "测试市政府办公室", "author": "张三", "doc_no": "1号"},
             attachments=[{"url": "http://www.example.gov.cn/files/1.pdf", "text": "附件1"},
                          {"url": "http://www.example.gov.cn/files/2.pdf", "text": "附件2"}])
NEW = record(1, metadata={"content_source": "测试市司法局", "doc_no": "1号", "keywords": "法治"},
             attachments=[{"url": "http://www.example.gov.cn/files/1.pdf", "text": "附件1"},
                          {"url": "http://www.example.gov.cn/files/3.pdf", "text": "附件3"}])


def _archive(tmp_path):
    db = tmp_path / "a.db"
    with Archive(db, create=True) as a:
        a.save("gov", OLD, crawl_id=a.start_crawl("gov"))
        a.save("gov", NEW, crawl_id=a.start_crawl("gov"))
    return db


def test_metadata_and_attachments_one_line_per_change(tmp_path):
    db = _archive(tmp_path)
    result = run(db, "diff", OLD["url"])
    assert result.exit_code == 0, result.output
    lines = [line.strip() for line in result.stdout.splitlines()]
    assert "~ content_source: 测试市政府办公室 → 测试市司法局" in lines
    assert "- author: 张三 (removed)" in lines
    assert "+ keywords: 法治 (added)" in lines
    assert not any("doc_no" in line for line in lines)  # unchanged key
    assert "- 附件2  http://www.example.gov.cn/files/2.pdf (removed)" in lines
    assert "+ 附件3  http://www.example.gov.cn/files/3.pdf (added)" in lines
    assert not any("files/1.pdf" in line for line in lines)
    assert not any(line.startswith(("- {", "+ {", "- [", "+ [")) for line in lines)


def test_json_output_keeps_whole_values(tmp_path):
    db = _archive(tmp_path)
    data = json.loads(run(db, "diff", OLD["url"], "--json").stdout)
    assert data["fields"]["metadata"]["old"]["content_source"] == "测试市政府办公室"
    assert data["fields"]["metadata"]["new"] == NEW["metadata"]
    assert data["fields"]["attachments"]["new"] == NEW["attachments"]


# --- the body: a line edited in place is one line, its characters marked -------------------------

PARAGRAPH = "为进一步规范行政执法行为，根据《中华人民共和国行政处罚法》等法律法规，结合本市实际，制定本办法。"


def diff_of(old: str, new: str) -> list[str]:
    result = {"url": "u", "from": 1, "to": 2, "fields": {}, "changed_fields": ["body"],
              "body_diff": "".join(difflib.unified_diff(old.splitlines(keepends=True),
                                                        new.splitlines(keepends=True), "a", "b"))}
    return [text for text, _ in render.diff_lines(result)][6:]  # after the heading and ---/+++


def test_an_insertion_in_a_long_paragraph_is_marked_where_it_is():
    edited = PARAGRAPH.replace("本办法", "本办法（修订）")
    assert diff_of(f"第一条\n{PARAGRAPH}\n", f"第一条\n{edited}\n") == [
        "@@ -1,2 +1,2 @@", " 第一条", "~" + PARAGRAPH.replace("本办法", "本办法{+（修订）+}")]


def test_unlike_lines_stay_removed_and_added():
    assert diff_of("甲乙丙丁\n同一行\n", "完全不同的句子\n同一行\n") == [
        "@@ -1,2 +1,2 @@", "-甲乙丙丁", "+完全不同的句子", " 同一行"]


def test_runs_are_paired_in_order():
    old = f"{PARAGRAPH}\n删去的一段话\n"
    new = f"{PARAGRAPH.replace('本市', '本区')}\n"
    assert diff_of(old, new)[1:] == ["~" + PARAGRAPH.replace("本市", "本[-市-]{+区+}"), "-删去的一段话"]


def test_the_diff_spans_carry_the_changed_characters():
    result = {"url": "u", "from": 1, "to": 2, "fields": {}, "changed_fields": ["body"],
              "body_diff": "--- a\n+++ b\n@@ -1 +1 @@\n-请于11月底前\n+请于12月底前\n"}
    assert list(render.diff_spans(result))[-1] == (
        (("~", None), ("请于1", None), ("1", "removed"), ("2", "added"), ("月底前", None)), "changed")
