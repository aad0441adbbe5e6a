"""What travels through Redis: ingest messages (worker -> archive host) and state snapshots.

An ingest entry is a flat map of fields (bytes). Every message has ``v`` (the format, 1),
``kind``, ``crawl`` (the crawl id the host gave), ``attempt`` (1, 2 ... when the crawl was
taken over after a worker died) and ``worker``. By kind:

- ``begin``: an attempt started.
- ``item``: ``type`` (``Announcement``, ``Unchanged``, ``Withdrawn``: crawler/items.py) and
  ``item``, the item as JSON; every ``bytes`` value in it (the raw capture, and files to come)
  travels in a field of its own, ``bytes:<path>`` (zlib), the JSON holding
  ``{"$bytes": "<path>"}`` in its place. A payload is added to an item type by giving it a
  ``bytes`` field, or a field of dataclasses with one (attachment files: ``files:
  list[AttachmentFile]``): nothing else changes here.
- ``end``: ``reason`` (Scrapy's finish reason) and ``stats`` (the attempt's crawl stats, JSON,
  ``column/<i>/...`` verdicts included); the last message of a crawl.
- ``abandon``: ``reason``; a worker gave the crawl up (too many attempts).

The host applies an item once per `ingest_key` (crawl id + canonical URL): a redelivered
message, or the same page shipped again by a later attempt, changes nothing.

A snapshot (``state:{crawl}``) is zlib JSON: the site's known documents (the fields the spider
reads, as columns), the previous crawl (``crawler/state.py``) and the validators of the
attachment files of its documents (for conditional re-checks).
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import typing
import zlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from archive.urls import canonical_url
from crawler.items import Announcement, Unchanged, Withdrawn
from crawler.state import KNOWN_FIELDS

FORMAT = "1"
KINDS = ("begin", "item", "end", "abandon")
ITEM_TYPES: dict[str, type[Any]] = {cls.__name__: cls for cls in (Announcement, Unchanged, Withdrawn)}
BYTES_FIELD = "bytes:"
Item = Announcement | Unchanged | Withdrawn
PREVIOUS_FIELDS = ("id", "started_at", "finished_at", "outcome")


class BadMessage(ValueError):
    """An ingest entry that is not a message of this format."""


@dataclass
class Message:
    """One ingest message (see the module docstring)."""

    kind: str
    crawl_id: int
    attempt: int = 1
    worker: str = ""
    item: Item | None = None
    reason: str = ""
    stats: dict[str, Any] = field(default_factory=dict)

    @property
    def key(self) -> str:
        """The item's idempotency key (items only)."""
        assert self.item is not None
        return ingest_key(self.crawl_id, self.item.url)


def ingest_key(crawl_id: int, url: str) -> str:
    """The idempotency key of an item: one archive effect per URL per crawl."""
    return hashlib.sha256(f"{crawl_id}\n{canonical_url(url)}".encode()).hexdigest()[:32]


def encode(message: Message) -> dict[str, bytes]:
    """The stream entry of `message`."""
    fields = {"v": FORMAT, "kind": message.kind, "crawl": str(message.crawl_id),
              "attempt": str(message.attempt), "worker": message.worker}
    out = {name: value.encode() for name, value in fields.items()}
    if message.item is not None:
        payloads: dict[str, bytes] = {}
        data = _lift_bytes(dataclasses.asdict(message.item), "", payloads)
        out["type"] = type(message.item).__name__.encode()
        out["item"] = json.dumps(data, ensure_ascii=False).encode()
        out.update({BYTES_FIELD + path: zlib.compress(raw, 6) for path, raw in payloads.items()})
    if message.reason:
        out["reason"] = message.reason.encode()
    if message.kind == "end":
        out["stats"] = json.dumps(message.stats, ensure_ascii=False, default=str).encode()
    return out


def flatten(fields: Mapping[str, bytes]) -> list[str | bytes]:
    """``name, value, name, value ...``: an entry as the arguments of XADD in a script."""
    return [part for name, value in fields.items() for part in (name, value)]


def decode(fields: Mapping[bytes, bytes]) -> Message:
    """The message of a stream entry (BadMessage if it is none of ours)."""
    text = {k.decode(): v for k, v in fields.items() if not k.startswith(BYTES_FIELD.encode())}
    try:
        if text.get("v") != FORMAT.encode():
            raise BadMessage(f"unknown format {text.get('v')!r}")
        kind = text["kind"].decode()
        if kind not in KINDS:
            raise BadMessage(f"unknown kind {kind!r}")
        message = Message(kind, int(text["crawl"]), int(text.get("attempt") or 1),
                          (text.get("worker") or b"").decode(),
                          reason=(text.get("reason") or b"").decode())
        if kind == "item":
            message.item = _item(text, fields)
        if kind == "end":
            message.stats = json.loads(text.get("stats") or b"{}")
    except (KeyError, ValueError, TypeError, UnicodeDecodeError, zlib.error) as exc:
        raise BadMessage(f"{type(exc).__name__}: {exc}") from None
    return message


def _item(text: Mapping[str, bytes], fields: Mapping[bytes, bytes]) -> Item:
    cls = ITEM_TYPES.get(text["type"].decode())
    if cls is None:
        raise BadMessage(f"unknown item type {text['type']!r}")
    payloads = {k.decode()[len(BYTES_FIELD):]: zlib.decompress(v) for k, v in fields.items()
                if k.startswith(BYTES_FIELD.encode())}
    return _build(cls, _drop_bytes(json.loads(text["item"]), payloads))


def _build(cls: type[Any], data: dict[str, Any]) -> Any:
    """The dataclass `cls` from `data`, its fields that are dataclasses (or lists of them, such
    as an item's attachment files) rebuilt too."""
    hints = typing.get_type_hints(cls)
    values = {}
    for f in dataclasses.fields(cls):
        value = data.get(f.name, dataclasses.MISSING)
        if value is dataclasses.MISSING:
            continue
        kind = hints.get(f.name)
        inner = typing.get_args(kind)[0] if typing.get_origin(kind) is list and typing.get_args(kind) else None
        if dataclasses.is_dataclass(kind) and isinstance(value, dict):
            value = _build(kind, value)  # type: ignore[arg-type]
        elif dataclasses.is_dataclass(inner) and isinstance(value, list):
            value = [_build(inner, v) if isinstance(v, dict) else v for v in value]  # type: ignore[arg-type]
        values[f.name] = value
    return cls(**values)


def _lift_bytes(value: Any, path: str, payloads: dict[str, bytes]) -> Any:
    """`value` with each bytes value replaced by a reference, the bytes moved to `payloads`."""
    if isinstance(value, bytes):
        payloads[path] = value
        return {"$bytes": path}
    if isinstance(value, dict):
        return {k: _lift_bytes(v, f"{path}.{k}" if path else k, payloads) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_lift_bytes(v, f"{path}.{i}", payloads) for i, v in enumerate(value)]
    return value


def _drop_bytes(value: Any, payloads: Mapping[str, bytes]) -> Any:
    """`_lift_bytes` undone."""
    if isinstance(value, dict):
        if set(value) == {"$bytes"}:
            return payloads[value["$bytes"]]
        return {k: _drop_bytes(v, payloads) for k, v in value.items()}
    if isinstance(value, list):
        return [_drop_bytes(v, payloads) for v in value]
    return value


# ---------------------------------------------------------------- state snapshots


@dataclass
class Snapshot:
    """A site's state when its crawl was offered (``state:{crawl}``)."""

    known: list[dict[str, Any]] = field(default_factory=list)  # `KNOWN_FIELDS` of each document
    previous_crawl: dict[str, Any] | None = None
    #: ``{url: {"sha256", "etag", "last_modified"}}`` of the attachment files of its documents
    attachments: dict[str, dict[str, Any]] = field(default_factory=dict)


def encode_snapshot(known: Sequence[Mapping[str, Any]], previous: Mapping[str, Any] | None,
                    attachments: Mapping[str, Mapping[str, Any]] | None = None) -> bytes:
    """The snapshot of a site's state: known documents, previous crawl, attachment validators."""
    data = {"v": FORMAT, "fields": list(KNOWN_FIELDS),
            "known": [[doc.get(name) for name in KNOWN_FIELDS] for doc in known],
            "previous_crawl": {k: previous.get(k) for k in PREVIOUS_FIELDS} if previous else None,
            "attachments": {url: dict(state) for url, state in (attachments or {}).items()}}
    return zlib.compress(json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode(), 6)


def decode_snapshot(blob: bytes) -> Snapshot:
    """The snapshot in `blob` (BadMessage if it is not one)."""
    try:
        data = json.loads(zlib.decompress(blob))
        names = data["fields"]
        return Snapshot([dict(zip(names, row, strict=True)) for row in data["known"]],
                        data["previous_crawl"], dict(data.get("attachments") or {}))
    except (KeyError, ValueError, TypeError, zlib.error) as exc:
        raise BadMessage(f"not a state snapshot: {type(exc).__name__}: {exc}") from None
