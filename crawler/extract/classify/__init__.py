"""Page classification: article | antibot | soft404 | empty | js_shell (never rendered) | list |
binary (a file or garbage, never parsed as a page).

- `sniff`    `sniff(raw, headers)`: the file kind of a response that is not a page (pdf, docx ...)
- `antibot`  challenge markers and statuses; `looks_like_antibot` for any response's bytes
- `page`     `page_class`: ordered rules over an extracted page
"""

from __future__ import annotations

from .antibot import challenge, looks_like_antibot
from .page import PAGER, page_class, shell_hint
from .sniff import sniff

__all__ = ["PAGER", "challenge", "looks_like_antibot", "page_class", "shell_hint", "sniff"]
