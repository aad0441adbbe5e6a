"""List-page anti-bot detection: a marker alone is not a challenge; item dates via parse_date."""

from __future__ import annotations

from pathlib import Path

from crawler.extract.classify import looks_like_antibot
from crawler.extract.listing import find_date, parse_list

FIXTURES = Path(__file__).parent / "fixtures" / "extract"
RUISHU_HEAD = ('<meta content="abc" r="m"><script r="m">$_ts=window["$_ts"];'
               '$_ts.nsd=1;$_ts.cd="qEkrr";</script>')


def _list_page(n: int = 5) -> bytes:
    rows = "".join(f'<li><a href="/tzgg/2024/t2024010{i}_{i}.html">关于第{i}批示范项目的公示通知</a>'
                   f'<span>2024-01-0{i}</span></li>' for i in range(1, n + 1))
    return (f'<html><head><title>通知公告</title>{RUISHU_HEAD}</head><body>'
            f'<ul class="list">{rows}</ul></body></html>').encode()


def test_ruishu_marker_on_a_real_list_page_is_not_a_challenge():
    body = _list_page()
    assert not looks_like_antibot(body, 200)
    page = parse_list(body.decode(), "http://www.example.gov.cn/tzgg/index.html")
    assert len(page.items) == 5 and page.items[0].date == "2024-01-01"


def test_ruishu_shell_is_a_challenge():
    shell = (f'<html><head>{RUISHU_HEAD}<script src="/abc.js" r="m"></script></head>'
             '<body></body></html>').encode()
    assert looks_like_antibot(shell, 200)
    assert looks_like_antibot((FIXTURES / "other/C02.html").read_bytes(), 200)
    assert looks_like_antibot(b"<html></html>", 412)


def test_marker_words_in_a_real_page_text_are_not_a_challenge():
    body = ("<html><body><p>" + "本机关开展网络安全验证工作，" * 40 + "</p></body></html>").encode()
    assert not looks_like_antibot(body, 200)


def test_item_dates_use_parse_date():
    assert find_date("关于2023年1月1日起施行的通知 发布日期：2024-01-05") == "2024-01-05"
    assert find_date("2023年2月30日") is None
    assert find_date("2024-01-05 10:20") == "2024-01-05"
    assert find_date("第2023号") is None
