"""`diff`: one line per changed metadata key and per added/removed attachment; --json unchanged."""

from __future__ import annotations

import json

from helpers_archive import record
from helpers_cli import run

from archive import Archive

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
