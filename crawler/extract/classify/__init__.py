"""Page classification: article | antibot | soft404 | empty | js_shell (never rendered) | list.

- `antibot`  challenge markers and statuses; `looks_like_antibot` for any response's bytes
- `page`     `page_class`: ordered rules over an extracted page
"""

from __future__ import annotations

from .antibot import challenge, looks_like_antibot
from .page import PAGER, page_class, shell_hint

__all__ = ["PAGER", "challenge", "looks_like_antibot", "page_class", "shell_hint"]
