"""Pure helpers behind the CLI: --since parsing, CJK-aware tables, diffs as text, JSON/CSV."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime, timedelta

import pytest

from archive.render import (
    csv_lines,
    diff_lines,
    display_width,
    format_table,
    json_lines,
    short_published,
    truncate,
)
from archive.timeutil import parse_since

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("text", "delta"),
    [("30m", timedelta(minutes=30)), ("12h", timedelta(hours=12)), ("2d", timedelta(days=2)),
     ("1w", timedelta(weeks=1)), (" 3D ", timedelta(days=3)), ("90min", timedelta(minutes=90))],
)
def test_parse_since_relative(text: str, delta: timedelta) -> None:
    assert parse_since(text, now=NOW) == NOW - delta


@pytest.mark.parametrize(
    ("text", "delta"),
    [("1h30m", timedelta(minutes=90)), ("90s", timedelta(seconds=90)), ("1.5h", timedelta(minutes=90)),
     ("1d 12h", timedelta(hours=36)), ("0m", timedelta(0))],
)
def test_parse_since_takes_the_interval_grammar(text: str, delta: timedelta) -> None:
    assert parse_since(text, now=NOW) == NOW - delta  # the same grammar as `every = "1h30m"`


def test_parse_since_bare_numbers_stay_dates_or_errors() -> None:
    assert parse_since("20261101") == datetime(2026, 11, 1, tzinfo=UTC)
    with pytest.raises(ValueError, match="'3600' is not a time"):
        parse_since("3600")


def test_parse_since_date_is_utc_midnight() -> None:
    assert parse_since("2026-11-01") == datetime(2026, 11, 1, tzinfo=UTC)


def test_parse_since_datetime_with_offset_becomes_utc() -> None:
    assert parse_since("2026-11-01T10:00:00+08:00") == datetime(2026, 11, 1, 2, tzinfo=UTC)


def test_parse_since_naive_datetime_is_utc() -> None:
    assert parse_since("2026-11-01T10:30") == datetime(2026, 11, 1, 10, 30, tzinfo=UTC)
    assert parse_since("2026-11-01T10:30:00Z") == datetime(2026, 11, 1, 10, 30, tzinfo=UTC)


@pytest.mark.parametrize("text", ["", "yesterday", "2x", "-2d", "2026-13-01", "12", "d2"])
def test_parse_since_rejects(text: str) -> None:
    with pytest.raises(ValueError, match="is not a time"):
        parse_since(text, now=NOW)


def test_display_width_counts_cjk_as_two() -> None:
    assert display_width("abc") == 3
    assert display_width("法治") == 4
    assert display_width("ＡＢ") == 4  # fullwidth


def test_truncate_respects_cell_width() -> None:
    cut = truncate("关于开展法治宣传的通知", 9)
    assert cut.endswith("…")
    assert display_width(cut) <= 9
    assert truncate("short", 9) == "short"


def test_format_table_aligns_cjk_columns() -> None:
    lines = list(format_table(["ID", "TITLE", "SITE"], [[1, "法治", "a"], [22, "ab", "b"]]))
    assert lines == ["ID  TITLE  SITE", "1   法治   a", "22  ab     b"]


def test_format_table_cuts_last_column_to_width() -> None:
    lines = list(format_table(["ID", "TITLE"], [[1, "法" * 50]], width=20))
    assert all(display_width(line) <= 20 for line in lines)


def test_format_table_shares_the_width_among_flexible_columns() -> None:
    rows = [[1, "短标题", "法" * 40], [2, "长" * 30, "x"]]
    lines = list(format_table(["ID", "TITLE", "SNIPPET"], rows, width=50, flexible=(1, 2)))
    assert all(display_width(line) <= 50 for line in lines)
    assert "短标题" in lines[1] and lines[1].endswith("…") and lines[2].split()[1].endswith("…")
    narrow = list(format_table(["ID", "T", "S"], [[1, "ab", "法" * 40]], width=30, flexible=(1, 2)))
    assert narrow[1].startswith("1   ab  法") and display_width(narrow[1]) in (29, 30)  # ab is kept


def test_format_table_flattens_newlines_and_none() -> None:
    assert list(format_table(["A", "B"], [[None, "x\ny"]])) == ["A  B", "   x y"]


def test_json_lines_streams_an_array_and_nl() -> None:
    rows = [{"a": 1}, {"b": "税"}]
    assert json.loads("\n".join(json_lines(rows, nl=False))) == rows
    assert json.loads("\n".join(json_lines([], nl=False))) == []
    assert [json.loads(x) for x in json_lines(rows, nl=True)] == rows
    assert "税" in "".join(json_lines(rows, nl=True))


def test_csv_lines_encodes_nested_values_as_json() -> None:
    rows = [{"url": "u", "metadata": {"k": "值"}, "published": None}]
    parsed = list(csv.DictReader(io.StringIO("".join(csv_lines(rows)))))
    assert parsed == [{"url": "u", "metadata": '{"k": "值"}', "published": ""}]


def test_csv_lines_bom_and_header_without_rows() -> None:
    assert "".join(csv_lines([], fields=["url", "title"])) == "url,title\n"
    assert "".join(csv_lines([], fields=["url"], bom=True)) == "\ufeffurl\n"
    assert "".join(csv_lines([{"a": 1}], fields=["ignored"], bom=True)) == "\ufeffa\n1\n"


def test_short_published_keeps_the_pages_own_clock() -> None:
    assert short_published("2026-11-24T16:30:00+08:00") == "2026-11-24 16:30"
    assert short_published("2026-11-24") == "2026-11-24"
    assert short_published(None) == ""


@pytest.mark.parametrize(
    "value", ["99999999d", "1000000w", "0001-01-01T00:00:00+05:00", "9999-12-31T23:59:59-05:00"]
)
def test_since_out_of_range_is_a_clear_error(value: str) -> None:
    with pytest.raises(ValueError, match="out of the range of dates"):
        parse_since(value, now=datetime(2026, 11, 25, tzinfo=UTC))


def test_diff_lines_give_each_line_a_tone() -> None:
    result = {
        "url": "u", "from": 1, "to": 2, "changed_fields": ["title", "attachments", "body"],
        "fields": {"title": {"old": "旧", "new": "新"},
                   "attachments": {"old": [{"url": "a", "text": "附件"}], "new": []}},
        "body_diff": "--- version 1\n+++ version 2\n@@ -1 +1 @@\n-旧\n+新\n",
    }
    assert list(diff_lines(result)) == [
        ("u", "heading"), ("version 1 -> 2", "heading"),
        ("changed: title, attachments, body", None),
        ("title:", None), ("  - 旧", "removed"), ("  + 新", "added"),
        ("attachments:", None), ("  - 附件  a (removed)", "removed"),
        ("", None),
        ("--- version 1", "heading"), ("+++ version 2", "heading"), ("@@ -1 +1 @@", "hunk"),
        ("-旧", "removed"), ("+新", "added"),
    ]
    same = {"url": "u", "from": None, "to": 1, "fields": {}, "body_diff": ""}
    assert list(diff_lines(same))[-1] == ("No differences.", None)
