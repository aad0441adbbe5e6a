"""Every date form listed in govsites.md §4, plus URL dates and the traps."""

from __future__ import annotations

import pytest

from crawler.extract.dates import date_from_url, find_dates, parse_date


@pytest.mark.parametrize(("text", "expected"), [
    # meta PubDate forms
    ("2023-02-28 10:30", "2023-02-28T10:30:00+08:00"),
    ("2023-02-28", "2023-02-28"),
    ("2023-02-28 10:30:15", "2023-02-28T10:30:15+08:00"),
    ("2020年08月02日", "2020-08-02"),
    # info lines
    ("发布时间：2023-02-28 10:30", "2023-02-28T10:30:00+08:00"),
    ("时间:2023-02-28", "2023-02-28"),
    ("日期：2023-02-28 来源：本站 浏览次数：123", "2023-02-28"),
    ("信息提供日期：2023年2月28日", "2023-02-28"),
    ("发布日期：2023年2月28日", "2023-02-28"),
    # list forms
    ("[2023-02-28]", "2023-02-28"),
    ("(2023-02-28)", "2023-02-28"),
    ("2023/02/28", "2023-02-28"),
    ("2023.02.28", "2023-02-28"),
    ("２０２３－０２－２８", "2023-02-28"),
    ("20230925", "2023-09-25"),
    ("2023-2-8", "2023-02-08"),
    ("2023 年 2 月 28 日", "2023-02-28"),
    ("2023年02月28日 10:30", "2023-02-28T10:30:00+08:00"),
    ("2023年2月28日 10时30分", "2023-02-28T10:30:00+08:00"),
    ("２０２３年２月２８日　１０：３０", "2023-02-28T10:30:00+08:00"),
    # 信息公开 table
    ("2017年05月15日", "2017-05-15"),
    # signature dates with Chinese numerals
    ("二〇二三年二月二十八日", "2023-02-28"),
    ("二○○九年元月三十日", "2009-01-30"),
    ("二O一四年五月十六日", "2014-05-16"),
    ("二零零九年十二月三一日", "2009-12-31"),
    ("二〇二三年十月一日", "2023-10-01"),
    ("二〇二三年十二月廿一日", "2023-12-21"),
    # Western forms (dateutil, never fuzzy on Chinese)
    ("Feb 28, 2023", "2023-02-28"),
    ("Tue, 28 Feb 2023 02:30:00 GMT", "2023-02-28T10:30:00+08:00"),
])
def test_parse_date_forms(text: str, expected: str) -> None:
    assert parse_date(text) == expected


@pytest.mark.parametrize("text", [
    "02-28",              # no year: never guess it
    "2023-02-30",         # invalid day
    "2023年13月1日",      # invalid month
    "2023年度工作总结",    # year only
    "",
    None,
    "第2023号",
])
def test_parse_date_rejects(text) -> None:
    assert parse_date(text) is None


def test_label_value_preferred_over_other_dates() -> None:
    assert parse_date("今天是2026年11月25日 发布时间：2023-02-28") == "2023-02-28"


def test_find_dates_positions_in_order() -> None:
    found = list(find_dates("自2023年4月1日起施行。二〇二三年二月二十八日"))
    assert [f.iso for f in found] == ["2023-04-01", "2023-02-28"]


@pytest.mark.parametrize(("url", "expected"), [
    ("http://www.linyi.gov.cn/info/202302/t20230228_123456.html", "2023-02-28"),
    ("http://ybj.jiangsu.gov.cn/art/2023/2/28/art_77651_1.html", "2023-02-28"),
    ("https://www.gov.cn/zhengce/content/2017-06/08/content_5200760.htm", "2017-06-08"),
    ("http://example.gov.cn/2023/02/28/abc.html", "2023-02-28"),
    ("http://example.gov.cn/news/202302/abc.html", None),  # month only: not a day
    ("http://example.gov.cn/show.asp?id=20230228", None),
    ("", None),
])
def test_date_from_url(url: str, expected: str | None) -> None:
    assert date_from_url(url) == expected


@pytest.mark.parametrize(("text", "expected"), [
    ("2023-02-28T10:30:00+08:00", "2023-02-28T10:30:00+08:00"),
    ("2023-02-28T02:30:00Z", "2023-02-28T10:30:00+08:00"),
    ("2023-02-27T20:30:00-06:00", "2023-02-28T10:30:00+08:00"),
    ("2023-02-28 10:30:00.0", "2023-02-28T10:30:00+08:00"),
    ("2023-02-28 09:00-12:00", "2023-02-28T09:00:00+08:00"),  # a time range, not a UTC offset
])
def test_iso_forms_and_offsets(text: str, expected: str) -> None:
    assert parse_date(text) == expected
