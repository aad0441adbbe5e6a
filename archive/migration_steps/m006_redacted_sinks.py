"""Migration 006_redacted_sinks, frozen: webhook sinks named without their secrets."""

from __future__ import annotations

import hashlib
import sqlite3
from urllib.parse import urlsplit


def redact_sinks(conn: sqlite3.Connection) -> None:
    """Rename each ``webhook:URL`` sink of ``deliveries`` to ``webhook:`` + its private key."""
    sinks = [row[0] for row in conn.execute(
        "SELECT DISTINCT sink FROM deliveries WHERE sink LIKE 'webhook:%'")]
    for sink in sinks:
        url = sink.removeprefix("webhook:")
        conn.execute("UPDATE deliveries SET sink = ? WHERE sink = ?",
                     ("webhook:" + private_url_key(url), sink))


def private_url_key(url: str) -> str:
    """``scheme://host[:port]/…#<digest>``: no credentials, path or query; the digest (64 bits
    of sha256 over the whole URL) tells apart two URLs with the same host."""
    digest = hashlib.sha256(url.encode("utf-8")).hexdigest()[:16]
    return f"{_redacted(url)}#{digest}"


def _redacted(url: str) -> str:
    try:
        parts = urlsplit(url)
        host = parts.netloc.rpartition("@")[2]
    except ValueError:
        return "(invalid URL)"
    tail = "/…" if parts.path not in ("", "/") or parts.query else ""
    return f"{parts.scheme}://{host}{tail}"
