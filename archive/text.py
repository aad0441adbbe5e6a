"""Characters a page must not get into the archive, a terminal, a feed or a spreadsheet.

A hostile or broken page can carry control characters (a bell, an escape sequence that
rewrites the terminal), bidirectional overrides (a title that reads backwards), lone
surrogates or non-characters (a feed that does not parse). `strip_controls` removes them from
text fields when the archive saves a record (whitespace stays for normalization: bodies keep
their lines); `printable` removes them, and the whitespace controls that move the cursor or
are invalid in XML, from everything printed or written out (archives saved before may
hold them).
"""

from __future__ import annotations

import re

# C0 controls but the whitespace ones (tab, newline, vertical tab, form feed, carriage
# return), DEL and the C1 controls; the bidi embeddings, overrides and isolates (LRE RLE PDF
# LRO RLO, LRI RLI FSI PDI); lone surrogates; the non-characters U+FFFE and U+FFFF.
_UNWANTED = ("\x00-\x08\x0e-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\ud800-\udfff"
             "\ufffe\uffff")
_CONTROLS = re.compile(f"[{_UNWANTED}]")
# Output: also vertical tab and form feed (invalid in XML 1.0) and carriage return (on a
# terminal it lets a line overwrite what it printed). Tabs and newlines stay.
_OUTPUT = re.compile(f"[{_UNWANTED}\x0b\x0c\r]")


def strip_controls(text: str) -> str:
    """`text` without control characters, bidi overrides, surrogates and non-characters."""
    return _CONTROLS.sub("", text)


def printable(text: str) -> str:
    """`text` fit for a terminal, XML or CSV: `strip_controls`, and only tab and newline
    among the whitespace controls."""
    return _OUTPUT.sub("", text)


def escape_unprintable(json_text: str) -> str:
    """JSON text with the characters `printable` drops written as ``\\uXXXX`` escapes instead:
    the same JSON value, safe on a terminal (``json.dumps(ensure_ascii=False)`` leaves bidi
    overrides, C1 controls and lone surrogates raw)."""
    return _CONTROLS.sub(lambda m: f"\\u{ord(m.group(0)):04x}", json_text)
