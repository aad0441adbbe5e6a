"""Chinese government date parsing: 年月日, full-width digits, Chinese numerals, URLs.

dateutil is used only for Western forms (month names, RFC 2822), never fuzzily on Chinese text.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from typing import NamedTuple

from dateutil import parser as du

BEIJING = "+08:00"
_BEIJING_TZ = timezone(timedelta(hours=8))

NUM_DT = re.compile(
    r"(?<![\d.])(?P<y>(?:19|20)\d{2})\s*(?P<s1>年|[-/.])\s*(?P<m>\d{1,2})\s*(?P<s2>月|[-/.])\s*(?P<d>\d{1,2})(?!\d)"
    r"\s*(?:日|号)?"
    r"(?:\s*(?:[（(]?星期[一二三四五六日天][)）]?|[（(]?周[一二三四五六日天][)）]?))?"
    r"(?:\s*(?:T|-(?=\d{1,2}[:：])|上午|下午|晚上)?\s*(?P<H>[01]?\d|2[0-3])\s*(?:[:：]|时|点)\s*(?P<M>[0-5]?\d)"
    r"(?:\s*(?:[:：]|分)\s*(?P<S>[0-5]?\d))?(?:\.\d+)?(?P<Z>Z|[+-](?:0\d|1[0-4]):?[0-5]\d)?)?"
)
CN_DT = re.compile(
    r"(?P<y>[〇○◯零OoＯ0一二三四五六七八九]{4})\s*年\s*(?P<m>元|正|[一二三四五六七八九十]{1,3})\s*月"
    r"\s*(?P<d>[一二三四五六七八九十廿卅]{1,4})\s*[日号]"
)
# 2021 03/09 07:45:12: year, then month/day (set in separate elements of a page header)
SPLIT_DT = re.compile(
    r"(?<![\d.:/-])(?P<y>(?:19|20)\d{2})\s+(?P<m>[01]?\d)/(?P<d>[0-3]?\d)(?![\d/])"
    r"(?:\s+(?P<H>[01]?\d|2[0-3])[:：](?P<M>[0-5]\d)(?:[:：](?P<S>[0-5]\d))?)?"
)
COMPACT = re.compile(r"(?<!\d)(?P<y>(?:19|20)\d{2})(?P<m>[01]\d)(?P<d>[0-3]\d)(?!\d)")
LABEL = re.compile(
    r"(发布日期|发布时间|发文日期|公开日期|信息提供日期|印发日期|成文日期|更新时间|更新日期|"
    r"生成日期|时间|日期)\s*[:：]?\s*"
)

_DIGITS = {c: i for i, c in enumerate("一二三四五六七八九", 1)}
_DIGITS.update(dict.fromkeys("〇○◯零OoＯ0", 0))  # 〇 U+3007, ○ U+25CB, Latin O in 二O一四


class Found(NamedTuple):
    iso: str
    start: int
    end: int
    has_time: bool


def nfkc(s: str) -> str:
    return unicodedata.normalize("NFKC", s)


def _iso(y: int, m: int, d: int, hh: int | None = None, mm: int | None = None, ss: int | None = None) -> str | None:
    try:
        dt = datetime(y, m, d, hh or 0, mm or 0, ss or 0, tzinfo=_BEIJING_TZ)
    except ValueError:
        return None
    if not 1949 <= y <= 2100:
        return None
    if hh is None:
        return dt.strftime("%Y-%m-%d")
    return dt.strftime("%Y-%m-%dT%H:%M:%S") + BEIJING


def _cn_small(s: str) -> int | None:
    """Chinese numeral 1..31: 十, 十二, 二十八, 廿八, 三一 (digit by digit)."""
    s = s.replace("廿", "二十").replace("卅", "三十")
    if "十" in s:
        tens, _, units = s.partition("十")
        if len(tens) > 1 or len(units) > 1:
            return None
        t = _DIGITS.get(tens) if tens else 1
        u = _DIGITS.get(units) if units else 0
        if t is None or u is None:
            return None
        return t * 10 + u
    if s in ("元", "正"):
        return 1
    value = 0
    for c in s:
        if c not in _DIGITS:
            return None
        value = value * 10 + _DIGITS[c]
    return value


def _num_match(m: re.Match[str]) -> str | None:
    if m.group("s1") == "年" and m.group("s2") != "月":
        return None
    if m.group("s1") != "年" and m.group("s1") != m.group("s2"):
        return None
    hh = m.group("H")
    iso = _iso(int(m.group("y")), int(m.group("m")), int(m.group("d")),
               int(hh) if hh is not None else None,
               int(m.group("M")) if hh is not None else None,
               int(m.group("S")) if m.group("S") is not None else None)
    zone = m.group("Z") if "T" in m.group(0) else None  # offsets only in ISO form, not "9:00-12:00"
    if iso and zone and zone not in ("+08:00", "+0800"):
        return _to_beijing(iso[:19], zone)
    return iso


def _to_beijing(local: str, zone: str) -> str:
    """'2023-02-28T02:30:00' at zone 'Z'/'+00:00' -> Beijing time ISO string."""
    if zone == "Z":
        offset = timedelta(0)
    else:
        sign = -1 if zone[0] == "-" else 1
        digits = zone[1:].replace(":", "")
        offset = sign * timedelta(hours=int(digits[:2]), minutes=int(digits[2:]))
    dt = datetime.fromisoformat(local).replace(tzinfo=timezone(offset))
    return dt.astimezone(_BEIJING_TZ).strftime("%Y-%m-%dT%H:%M:%S") + BEIJING


def _cn_match(m: re.Match[str]) -> str | None:
    year = 0
    for c in m.group("y"):
        year = year * 10 + _DIGITS[c]
    month, day = _cn_small(m.group("m")), _cn_small(m.group("d"))
    if month is None or day is None:
        return None
    return _iso(year, month, day)


def find_dates(text: str, *, normalized: bool = False) -> Iterator[Found]:
    """Every full date (year, month, day) in `text`, in order; positions refer to the NFKC text."""
    s = text if normalized else nfkc(text)
    hits: list[Found] = []
    for m in NUM_DT.finditer(s):
        iso = _num_match(m)
        if iso:
            hits.append(Found(iso, m.start(), m.end(), "T" in iso))
    for m in SPLIT_DT.finditer(s):
        hh = m.group("H")
        iso = _iso(int(m.group("y")), int(m.group("m")), int(m.group("d")), int(hh) if hh else None,
                   int(m.group("M")) if hh else None, int(m.group("S")) if m.group("S") else None)
        if iso:
            hits.append(Found(iso, m.start(), m.end(), "T" in iso))
    for m in CN_DT.finditer(s):
        iso = _cn_match(m)
        if iso:
            hits.append(Found(iso, m.start(), m.end(), False))
    hits.sort(key=lambda f: f.start)
    return iter(hits)


def parse_date(s: str | None) -> str | None:
    """Normalize one date string to "YYYY-MM-DD" or "YYYY-MM-DDTHH:MM:SS+08:00" (None if no full date).

    A labelled value (发布日期：...) is preferred over other dates in the string.
    """
    if not s:
        return None
    text = nfkc(s).strip()
    label = LABEL.search(text)
    if label:
        tail = text[label.end():]
        first = next(find_dates(tail, normalized=True), None)
        if first and first.start <= 2:
            return first.iso
    first = next(find_dates(text, normalized=True), None)
    if first:
        return first.iso
    bare = re.sub(r"[\s\[\]()（）【】]", "", text)
    m = COMPACT.fullmatch(bare)
    if m:
        return _iso(int(m.group("y")), int(m.group("m")), int(m.group("d")))
    return _western(text)


_WESTERN_HINT = re.compile(r"[A-Za-z]{3,}")


def _western(text: str) -> str | None:
    """Month-name and RFC 2822 dates ("Feb 28, 2023", "Tue, 28 Feb 2023 10:30:00 GMT")."""
    if not _WESTERN_HINT.search(text) or re.search(r"[\u3000-\u9fff]", text) or len(text) > 60:
        return None
    try:
        # naive on purpose: with an aware default, a date without a zone would look zoned below
        dt = du.parse(text, fuzzy=False, default=datetime(1900, 1, 1))  # noqa: DTZ001
    except (ValueError, OverflowError):
        return None
    if dt.year == 1900:
        return None
    if dt.tzinfo is not None:
        dt = dt.astimezone(_BEIJING_TZ)
        return dt.strftime("%Y-%m-%dT%H:%M:%S") + BEIJING
    if (dt.hour, dt.minute, dt.second) != (0, 0, 0):
        return dt.strftime("%Y-%m-%dT%H:%M:%S") + BEIJING
    return dt.strftime("%Y-%m-%d")


_URL_PATTERNS = (
    re.compile(r"/t((?:19|20)\d{2})([01]\d)([0-3]\d)_\d+"),                         # TRS t20230228_123
    re.compile(r"/art/((?:19|20)\d{2})/(\d{1,2})/(\d{1,2})/"),                      # Hanweb
    re.compile(r"/((?:19|20)\d{2})-(\d{1,2})/(\d{1,2})/"),                          # gov.cn content/2017-06/08/
    re.compile(r"/((?:19|20)\d{2})[/_-]?([01]\d)[/_-]?([0-3]\d)/"),                 # /2023/02/28/ or /20230228/
    re.compile(r"[/_-]((?:19|20)\d{2})([01]\d)([0-3]\d)[_-]\d+\.s?html?$"),
)


_URL_MONTHS = (
    re.compile(r"/((?:19|20)\d{2})([01]\d)/"),                   # TRS folders /202104/
    re.compile(r"/((?:19|20)\d{2})[-_/]([01]?\d)/"),               # /2021-04/, /2021/04/
)


def month_from_url(url: str | None) -> str | None:
    """The month of a date folder in an article URL ("YYYY-MM"), for pages whose URL holds no day."""
    if not url:
        return None
    path = url.split("?", 1)[0].split("#", 1)[0]
    for pat in _URL_MONTHS:
        m = pat.search(path)
        if m and 1 <= int(m.group(2)) <= 12 and 1949 <= int(m.group(1)) <= 2100:
            return f"{m.group(1)}-{int(m.group(2)):02d}"
    return None


def date_from_url(url: str | None) -> str | None:
    """A day-precise date embedded in an article URL (month-only paths like /202302/ give None)."""
    if not url:
        return None
    path = url.split("?", 1)[0].split("#", 1)[0]
    for pat in _URL_PATTERNS:
        m = pat.search(path)
        if m:
            iso = _iso(int(m.group(1)), int(m.group(2)), int(m.group(3)))
            if iso:
                return iso
    return None
