"""The body diff as rows for the page: paragraphs compared, changed ones compared by character.

Chinese has no spaces between words, so a changed paragraph is diffed character by character
(a word-level diff would mark the whole sentence). Unchanged runs longer than twice the context
are folded into one "skip" row. Every text is escaped; only our ``<del>``/``<ins>`` are markup.
"""

from __future__ import annotations

from dataclasses import dataclass
from difflib import SequenceMatcher

from markupsafe import Markup, escape

CONTEXT = 2  # unchanged paragraphs shown around a change
PAIR_RATIO = 0.3  # paragraphs less alike than this are shown as removed + added, not as edited


@dataclass(frozen=True)
class DiffRow:
    """One row: ``kind`` is "same", "change" (old and new), "del", "ins" or "skip"."""

    kind: str
    old: Markup | None = None
    new: Markup | None = None
    skipped: int = 0  # paragraphs folded into a "skip" row


def body_rows(old: str | None, new: str | None, *, context: int = CONTEXT) -> list[DiffRow]:
    """Rows describing how ``new`` differs from ``old`` (both one paragraph per line)."""
    a, b = _lines(old), _lines(new)
    rows: list[DiffRow] = []
    for tag, i1, i2, j1, j2 in SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if tag == "equal":
            rows += [DiffRow("same", escape(line), escape(line)) for line in a[i1:i2]]
        elif tag == "delete":
            rows += [DiffRow("del", old=Markup("<del>%s</del>") % line) for line in a[i1:i2]]
        elif tag == "insert":
            rows += [DiffRow("ins", new=Markup("<ins>%s</ins>") % line) for line in b[j1:j2]]
        else:
            rows += _replaced(a[i1:i2], b[j1:j2])
    return fold(rows, context)


def changed(rows: list[DiffRow]) -> bool:
    """True if any row is a change."""
    return any(row.kind not in ("same", "skip") for row in rows)


def _lines(text: str | None) -> list[str]:
    return [line.strip() for line in (text or "").splitlines() if line.strip()]


def _replaced(old: list[str], new: list[str]) -> list[DiffRow]:
    """Pair old and new paragraphs in order; alike pairs are diffed by character."""
    rows = []
    for index in range(max(len(old), len(new))):
        a = old[index] if index < len(old) else None
        b = new[index] if index < len(new) else None
        if a is not None and b is not None and _alike(a, b):
            rows.append(DiffRow("change", *inline_pair(a, b)))
            continue
        if a is not None:
            rows.append(DiffRow("del", old=Markup("<del>%s</del>") % a))
        if b is not None:
            rows.append(DiffRow("ins", new=Markup("<ins>%s</ins>") % b))
    return rows


def _alike(a: str, b: str) -> bool:
    return SequenceMatcher(None, a, b, autojunk=False).ratio() >= PAIR_RATIO


def inline_pair(old: str, new: str) -> tuple[Markup, Markup]:
    """``old`` with removed characters in ``<del>``, ``new`` with added ones in ``<ins>``."""
    left: list[Markup] = []
    right: list[Markup] = []
    for tag, i1, i2, j1, j2 in SequenceMatcher(None, old, new, autojunk=False).get_opcodes():
        if tag == "equal":
            left.append(escape(old[i1:i2]))
            right.append(escape(new[j1:j2]))
            continue
        if i2 > i1:
            left.append(Markup("<del>%s</del>") % old[i1:i2])
        if j2 > j1:
            right.append(Markup("<ins>%s</ins>") % new[j1:j2])
    return Markup("").join(left), Markup("").join(right)


def fold(rows: list[DiffRow], context: int = CONTEXT) -> list[DiffRow]:
    """Fold unchanged runs, keeping ``context`` rows next to each change."""
    keep = [False] * len(rows)
    for index, row in enumerate(rows):
        if row.kind != "same":
            for near in range(max(0, index - context), min(len(rows), index + context + 1)):
                keep[near] = True
    out: list[DiffRow] = []
    hidden = 0
    for row, kept in zip(rows, keep, strict=True):
        if kept:
            if hidden:
                out.append(DiffRow("skip", skipped=hidden))
                hidden = 0
            out.append(row)
        else:
            hidden += 1
    if hidden and out:
        out.append(DiffRow("skip", skipped=hidden))
    return out
