"""Anti-bot challenges (瑞数 412, 加速乐 521, WZWS ...): markers in the page, and whether a page
carrying them still shows real content."""

from __future__ import annotations

import re

from crawler.extract.decoding import decode_html
from crawler.extract.dom import clean_text, parse_html
from crawler.extract.listing.links import link_title

ANTIBOT_STATUSES = (412, 521)
_ANTIBOT_MARKERS = ("$_ts", "__jsl_clearance", "__jsluid", "wzwsquestion", "wzwsfactor", "WZWS_METHOD",
                    "请开启JavaScript", "请开启 JavaScript", "请启用JavaScript", "enable JavaScript",
                    "enable javascript", "JavaScript is disabled", "JavaScript is required", "_bot_sbu",
                    "安全验证", "访问异常", "访问过于频繁", "人机验证", "滑动验证")
_RS_ATTR = re.compile(r"<(?:meta|script)[^>]+\br\s*=\s*['\"]m['\"]", re.I)
SNIFF_BYTES = 200_000
SHELL_MAX_LINKS = 3  # a shell has at most a couple of links; a list page has many
SHELL_MAX_TEXT = 300  # visible characters


def challenge(text: str, status: int) -> str | None:
    """'antibot' if the response looks like a challenge page (content is checked later)."""
    if status in ANTIBOT_STATUSES:
        return "antibot"
    head = text[:SNIFF_BYTES]
    if any(m in head for m in _ANTIBOT_MARKERS) or (("r='m'" in head or 'r="m"' in head) and _RS_ATTR.search(head)):
        return "antibot-marker"
    return None


def looks_like_antibot(body: bytes, status: int = 200) -> bool:
    """A WAF challenge rather than a real page.

    A challenge marker alone is not enough: Ruishu sites put ``$_ts`` on real pages too. A page
    with announcement-like links or readable text is real; a challenge shell has scripts and
    next to nothing visible.
    """
    if status in ANTIBOT_STATUSES:
        return True
    text = decode_html(body[:SNIFF_BYTES], {})[0]
    if challenge(text, status) is None:
        return False
    return not _has_visible_content(text)


def _has_visible_content(text: str) -> bool:
    """Real links (titles of 4+ characters) or readable text outside scripts and styles."""
    root = parse_html(text)
    if root is None:
        return False
    for el in root.xpath("//script | //style | //noscript | //template"):
        el.drop_tree()
    links = [a for a in root.iter("a")
             if len(link_title(a)) >= 4
             and not (a.get("href") or "").strip().lower().startswith(("javascript:", "#"))]
    if len(links) >= SHELL_MAX_LINKS:
        return True
    return len(clean_text(root.text_content())) >= SHELL_MAX_TEXT
