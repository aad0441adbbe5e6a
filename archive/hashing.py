"""Normalization of tracked fields and the content hash that decides "changed or not".

Stored values keep their line structure (whitespace runs collapsed, lines stripped); the hash
and the field comparison ignore whitespace entirely, so whitespace-only edits are never changes.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping
from typing import Any

TRACKED_FIELDS = ("title", "published", "body", "metadata", "attachments")

_SPACES = re.compile(r"\s+")


def collapse(text: str) -> str:
    """Collapse whitespace runs (including U+3000 and NBSP) to one space and strip."""
    return _SPACES.sub(" ", text).strip()


def normalize_body(body: str | None) -> str:
    """Stripped, collapsed, non-empty lines, each terminated by a newline."""
    if not body:
        return ""
    lines = (collapse(line) for line in body.splitlines())
    kept = [line for line in lines if line]
    return "\n".join(kept) + "\n" if kept else ""


def _normalize_value(value: Any) -> Any:
    if isinstance(value, str):
        return collapse(value)
    if isinstance(value, Mapping):
        return _normalize_mapping(value)
    if isinstance(value, (list, tuple)):
        return [_normalize_value(v) for v in value]
    return value


def _normalize_mapping(value: Mapping[str, Any]) -> dict[str, Any]:
    items = ((str(k), _normalize_value(v)) for k, v in value.items())
    return {k: v for k, v in sorted(items) if v not in (None, "", [], {})}


def normalize_record(record: Mapping[str, Any]) -> dict[str, Any]:
    """The five tracked fields of ``record``, normalized for storage."""
    published = record.get("published")
    published = collapse(str(published)) if published is not None else None
    attachments = record.get("attachments") or []
    return {
        "title": collapse(record.get("title") or ""),
        "published": published or None,
        "body": normalize_body(record.get("body")),
        "metadata": _normalize_mapping(record.get("metadata") or {}),
        "attachments": [_normalize_value(dict(a)) for a in attachments],
    }


def _strip_all(value: Any) -> Any:
    if isinstance(value, str):
        return _SPACES.sub("", value)
    if isinstance(value, dict):
        return {k: _strip_all(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_strip_all(v) for v in value]
    return value


def field_key(value: Any) -> str:
    """Whitespace-insensitive canonical JSON of one normalized field value."""
    return json.dumps(_strip_all(value), ensure_ascii=False, sort_keys=True, separators=(",", ":"))


def content_hash(fields: Mapping[str, Any]) -> str:
    """sha256 (hex) over the whitespace-insensitive canonical JSON of the tracked fields."""
    key = "\x1f".join(field_key(fields.get(name)) for name in TRACKED_FIELDS)
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def record_hash(record: Mapping[str, Any]) -> str:
    """``content_hash(normalize_record(record))`` without building the normalized record.

    This is the hot path of re-crawls, where most records turn out unchanged.
    """
    published = record.get("published")
    published = _SPACES.sub("", str(published)) if published is not None else None
    view = {
        "title": _SPACES.sub("", record.get("title") or ""),
        "published": published or None,
        "body": _SPACES.sub("", record.get("body") or ""),
        "metadata": _strip_mapping(record.get("metadata") or {}),
        "attachments": [_strip_mapping(a) for a in record.get("attachments") or []],
    }
    key = "\x1f".join(_dumps(view[name]) for name in TRACKED_FIELDS)
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def _strip_value(value: Any) -> Any:
    if isinstance(value, str):
        return _SPACES.sub("", value)
    if isinstance(value, Mapping):
        return _strip_mapping(value)
    if isinstance(value, (list, tuple)):
        return [_strip_value(v) for v in value]
    return value


def _strip_mapping(value: Mapping[str, Any]) -> dict[str, Any]:
    items = ((str(k), _strip_value(v)) for k, v in value.items())
    return {k: v for k, v in items if v not in (None, "", [], {})}


def _dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


def changed_fields(old: Mapping[str, Any], new: Mapping[str, Any]) -> list[str]:
    """Tracked field names whose values differ other than by whitespace, in canonical order."""
    return [n for n in TRACKED_FIELDS if field_key(old.get(n)) != field_key(new.get(n))]


def to_json(value: Any) -> str:
    """Compact, key-sorted, UTF-8 JSON as stored in the database."""
    return json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
