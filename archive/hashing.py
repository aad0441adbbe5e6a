"""Normalization of tracked fields and the content hash that decides "changed or not".

Stored values keep their line structure (whitespace runs collapsed, lines stripped); the hash
and the field comparison ignore whitespace entirely, so whitespace-only edits are never changes.
Control characters and bidi overrides never reach storage (archive.text.strip_controls): both
the stored values and the hash drop them, so the hash of a clean record is what it always was.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable, Mapping
from typing import Any

from .text import strip_controls

TRACKED_FIELDS = ("title", "published", "body", "metadata", "attachments")

_SPACES = re.compile(r"\s+")


def collapse(text: str) -> str:
    """Collapse whitespace runs (including U+3000 and NBSP) to one space and strip; drop
    control characters."""
    return _SPACES.sub(" ", strip_controls(text)).strip()


def normalize_body(body: str | None) -> str:
    """Stripped, collapsed, non-empty lines, each terminated by a newline."""
    if not body:
        return ""
    lines = (collapse(line) for line in body.splitlines())
    kept = [line for line in lines if line]
    return "\n".join(kept) + "\n" if kept else ""


def _canonical(value: Any, text: Callable[[str], str]) -> Any:
    """`value` with `text` applied to every string; mappings get sorted str keys (without
    control characters), no empties."""
    if isinstance(value, str):
        return text(value)
    if isinstance(value, Mapping):
        items = ((strip_controls(str(k)), _canonical(v, text)) for k, v in value.items())
        return {k: v for k, v in sorted(items) if v not in (None, "", [], {})}
    if isinstance(value, (list, tuple)):
        return [_canonical(v, text) for v in value]
    return value


def _no_spaces(text: str) -> str:
    return _SPACES.sub("", strip_controls(text))


def normalize_record(record: Mapping[str, Any]) -> dict[str, Any]:
    """The five tracked fields of ``record``, normalized for storage."""
    published = record.get("published")
    published = collapse(str(published)) if published is not None else None
    attachments = record.get("attachments") or []
    return {
        "title": collapse(record.get("title") or ""),
        "published": published or None,
        "body": normalize_body(record.get("body")),
        "metadata": _canonical(record.get("metadata") or {}, collapse),
        "attachments": [_canonical(dict(a), collapse) for a in attachments],
    }


def field_key(value: Any) -> str:
    """Whitespace-insensitive canonical JSON of one normalized field value."""
    return to_json(_canonical(value, _no_spaces))


def content_hash(fields: Mapping[str, Any]) -> str:
    """sha256 (hex) over the whitespace-insensitive canonical JSON of the tracked fields."""
    key = "\x1f".join(field_key(fields.get(name)) for name in TRACKED_FIELDS)
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def record_hash(record: Mapping[str, Any]) -> str:
    """``content_hash(normalize_record(record))`` without building the normalized record.

    This is the hot path of re-crawls, where most records turn out unchanged.
    """
    published = record.get("published")
    published = _no_spaces(str(published)) if published is not None else None
    view = {
        "title": _no_spaces(record.get("title") or ""),
        "published": published or None,
        "body": _no_spaces(record.get("body") or ""),
        "metadata": _canonical(record.get("metadata") or {}, _no_spaces),
        "attachments": [_canonical(a, _no_spaces) for a in record.get("attachments") or []],
    }
    key = "\x1f".join(to_json(view[name]) for name in TRACKED_FIELDS)
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def changed_fields(old: Mapping[str, Any], new: Mapping[str, Any]) -> list[str]:
    """Tracked field names whose values differ other than by whitespace, in canonical order."""
    return [n for n in TRACKED_FIELDS if field_key(old.get(n)) != field_key(new.get(n))]


def to_json(value: Any) -> str:
    """Compact, key-sorted, UTF-8 JSON as stored in the database (and hashed)."""
    return json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
