"""The idempotency log of shipped items (archive/ingest.py): a redelivered item changes nothing."""

from __future__ import annotations

from pathlib import Path

import pytest

from archive import Archive

URL = "http://www.example.gov.cn/tzgg/202401/t20240101_1.html"


def record(body: str = "正文") -> dict[str, object]:
    return {"url": URL, "title": "通知", "published": "2024-01-01", "body": body,
            "metadata": {}, "attachments": []}


def apply(archive: Archive, crawl: int, body: str = "正文") -> bool:
    """Save the item once per key, as the archive host does; True if this delivery wrote it."""
    with archive.exactly_once("k1", crawl_id=crawl, url=URL) as entry:
        if entry.seen:
            return False
        result = archive.save("city", record(body), crawl_id=crawl)
        entry.record([f"archive/{result.outcome}"])
    return True


def test_a_redelivered_item_writes_no_second_version_or_event(tmp_path: Path) -> None:
    with Archive(tmp_path / "a.db", create=True) as archive:
        crawl = archive.start_crawl("city")
        assert apply(archive, crawl)
        # the same message again, even with other content (a zombie's second fetch)
        assert not apply(archive, crawl)
        assert not apply(archive, crawl, body="改过的正文")
        assert archive.stats()["versions"] == 1
        assert [e["kind"] for e in archive.events()] == ["new"]
        assert archive.ingested_stats(crawl) == {"archive/new": 1}
        assert archive.ingested_count(crawl) == 1


def test_a_failure_inside_rolls_back_the_save_and_the_key(tmp_path: Path) -> None:
    with Archive(tmp_path / "a.db", create=True) as archive:
        crawl = archive.start_crawl("city")
        def die_mid_item() -> None:
            with archive.exactly_once("k1", crawl_id=crawl, url=URL) as entry:
                archive.save("city", record(), crawl_id=crawl)
                entry.record(["archive/new"])
                raise RuntimeError("the host died mid-item")

        with pytest.raises(RuntimeError):
            die_mid_item()
        assert archive.stats()["documents"] == 0 and archive.ingested_count(crawl) == 0
        assert apply(archive, crawl)  # delivered again: applied now
        assert archive.stats()["documents"] == 1


def test_held_withdrawals_are_kept_until_settled_and_rows_go_with_the_crawl(tmp_path: Path) -> None:
    with Archive(tmp_path / "a.db", create=True) as archive:
        crawl = archive.start_crawl("city")
        held = {"site": "city", "url": URL, "status": 404, "reason": "http_404"}
        with archive.exactly_once("k2", crawl_id=crawl, url=URL) as entry:
            entry.record(["archive/rechecked"], held=held)
        assert archive.held_items(crawl) == [{"key": "k2", "url": URL, "held": held}]
        with archive.exactly_once("k2", crawl_id=crawl, url=URL) as entry:
            assert entry.seen and entry.held == held
            entry.record([*entry.stats, "archive/gone_held"])
        assert archive.held_items(crawl) == []
        assert archive.ingested_stats(crawl) == {"archive/gone_held": 1, "archive/rechecked": 1}
        assert archive.prune_ingested() == 0  # the crawl is not finished
        archive.finish_crawl(crawl, "finished", {})
        assert archive.prune_ingested() == 1 and archive.ingested_count(crawl) == 0
