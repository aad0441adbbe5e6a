"""One interval grammar and one stored-time parser (archive.timeutil), used everywhere."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from archive import timeutil
from archive.timeutil import IntervalError, format_interval, parse_interval, parse_iso
from crawler import sites as sitedefs
from crawler.service import schedule
from crawler.service.schedule import parse_iso as schedule_parse
from crawler.spiders import base

BEIJING = timezone(timedelta(hours=8))


@pytest.mark.parametrize(("text", "seconds"), [
    ("30m", 1800), ("90min", 5400), ("6h", 21600), ("1d", 86400), ("2w", 1209600),
    ("1h30m", 5400), ("1h 30m", 5400), ("1d6h", 108000), ("90s", 90), ("1.5h", 5400),
    ("3600", 3600), (" 6H ", 21600), (45, 45), (timedelta(minutes=5), 300),
])
def test_parse_interval(text, seconds):
    assert parse_interval(text) == timedelta(seconds=seconds)


@pytest.mark.parametrize("text", ["", "soon", "6x", "h", "-5m", "1.5.2h", "6h and more", "m30"])
def test_bad_intervals_are_named_in_the_error(text):
    with pytest.raises(IntervalError) as caught:
        parse_interval(text)
    assert repr(text) in str(caught.value) and "invalid interval" in str(caught.value)
    assert isinstance(caught.value, ValueError)


def test_zero_only_when_allowed():
    with pytest.raises(ValueError, match="longer than zero"):
        parse_interval("0m")
    assert parse_interval("0s", allow_zero=True) == timedelta(0)


def test_format_interval_round_trips_through_the_parser():
    for text in ("30m", "6h", "1d", "1d6h", "1h30m", "2w", "1w1d", "45s"):
        assert format_interval(parse_interval(text)) == text
    assert format_interval(timedelta(hours=30)) == "1d6h"
    assert format_interval(timedelta(0)) == "0s" and format_interval(None) == ""


def test_every_caller_shares_the_grammar_and_the_spelling():
    assert schedule.parse_interval is base.parse_interval is parse_interval  # no second copy
    assert not hasattr(sitedefs, "parse_interval") and not hasattr(sitedefs, "format_interval")
    assert parse_interval("0s", allow_zero=True) == timedelta(0)  # -s REVISIT_INTERVAL=0s
    now = datetime(2026, 11, 25, 12, tzinfo=UTC)
    assert timeutil.parse_since("1h30m", now=now) == now - timedelta(minutes=90)


@pytest.mark.parametrize(("value", "expected"), [
    ("2026-11-25T17:40:06+00:00", datetime(2026, 11, 25, 17, 40, 6, tzinfo=UTC)),
    ("2026-11-25T10:00:00+08:00", datetime(2026, 11, 25, 2, tzinfo=UTC)),
    ("2026-11-25T17:40:06Z", datetime(2026, 11, 25, 17, 40, 6, tzinfo=UTC)),
    ("2026-11-25T17:40", datetime(2026, 11, 25, 17, 40, tzinfo=UTC)),
    ("2026-11-25", datetime(2026, 11, 25, tzinfo=UTC)),
    (datetime(2026, 11, 25, 1), datetime(2026, 11, 25, 1, tzinfo=UTC)),  # noqa: DTZ001 — naive input on purpose
    (None, None), ("", None),
])
def test_parse_iso(value, expected):
    assert parse_iso(value) == expected


def test_parse_iso_date_zone_and_errors():
    assert parse_iso("2026-11-25", date_tz=BEIJING) == datetime(2026, 11, 25, tzinfo=BEIJING)
    assert parse_iso("2026-11-25T08:00", date_tz=BEIJING) == datetime(2026, 11, 25, 8, tzinfo=UTC)
    with pytest.raises(ValueError, match="'yesterday'"):
        parse_iso("yesterday")
    assert timeutil.iso(parse_iso("2026-11-25T10:00:00+08:00")) == "2026-11-25T02:00:00+00:00"


def test_stored_time_parsers_agree():
    assert schedule_parse is parse_iso
    assert timeutil.parse_stored_time("2026-11-25") == datetime(2026, 11, 25, tzinfo=BEIJING)
    assert timeutil.parse_stored_time("not a time") is None
    stored = "2026-11-25T17:40:06+00:00"
    assert timeutil.parse_stored_time(stored) == parse_iso(stored)
