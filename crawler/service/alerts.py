"""Webhook delivery of archive events (new, changed, gone, restored, health).

Each sink is identified by ``webhook:<url>``; the archive remembers which events each
sink has received (``Archive.pending_deliveries`` / ``mark_delivered``). An event is
marked delivered only after the receiver answered 2xx, so an event is never lost when
the receiver is down: it stays pending and goes out on the next run. A per-sink file lock
keeps two processes (cron + watch) from sending the same pending events at once.

Before each POST a rolled-back write probe checks that the archive can record the delivery:
a busy or read-only archive sends nothing (instead of sending the same events on every run).
The write lock is not held across the POST: that would stall a concurrent crawl's saves for
up to retries × timeout. Archive errors become a one-line ``Delivery.error``, never a raise.

Payload (one POST per batch, ``Content-Type: application/json``)::

    {"source": "gov-archive", "sink": "webhook:https://…", "events": [<event>, …]}

Each event carries the archive's stable event ``id``, so receivers can de-duplicate the
rare batch re-sent after an ambiguous failure (the receiver got it, the answer was lost).
"""

from __future__ import annotations

import hashlib
import json
import logging
import sqlite3
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from archive.errors import ArchiveError
from crawler.service import locks
from crawler.service.schedule import SiteSchedule

log = logging.getLogger(__name__)

USER_AGENT = "gov-archive-webhook/1"
DEFAULT_RETRIES = 3
DEFAULT_BATCH = 50


def sink_name(url: str) -> str:
    """The archive's delivery-state key for a webhook URL."""
    return f"webhook:{url}"


def redact(url: str) -> str:
    """``scheme://host/…``: webhook URLs often carry secret tokens in the path or query."""
    parts = urlsplit(url)
    tail = "/…" if parts.path not in ("", "/") or parts.query else ""
    return f"{parts.scheme}://{parts.netloc.rpartition('@')[2]}{tail}"


@dataclass(frozen=True)
class Sink:
    """A webhook and the events it wants: all sites (`site` None) or one site."""

    url: str
    site: str | None = None
    kinds: tuple[str, ...] | None = None

    @property
    def name(self) -> str:
        return sink_name(self.url)


def sinks_for(
    webhooks: Iterable[str] = (), sites: Iterable[SiteSchedule] = ()
) -> list[Sink]:
    """Global sinks from ``--webhook`` plus per-site sinks from the site definitions."""
    sinks = [Sink(url) for url in dict.fromkeys(webhooks)]
    sinks += [Sink(s.webhook, s.name, s.alert_kinds) for s in sites if s.webhook]
    return sinks


@dataclass
class Delivery:
    """The outcome of delivering one sink's pending events."""

    sink: Sink
    delivered: int = 0
    pending: int = 0
    error: str | None = None
    event_ids: list[int] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.error is None


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """urllib would turn a redirected POST into a bodiless GET and report success."""

    def redirect_request(self, req, fp, code, msg, headers, newurl):  # type: ignore[no-untyped-def]
        return None  # the 3xx then raises HTTPError: the event stays pending, the log says why


_OPENER = urllib.request.build_opener(_NoRedirect)


def post_json(url: str, payload: Any, *, timeout: float = 10.0) -> None:
    """POST `payload` as JSON; raise on anything but a 2xx answer (redirects included)."""
    data = json.dumps(payload, ensure_ascii=False).encode("utf-8")
    request = urllib.request.Request(
        url, data=data, method="POST",
        headers={"Content-Type": "application/json; charset=utf-8", "User-Agent": USER_AGENT},
    )
    with _OPENER.open(request, timeout=timeout) as response:
        if not 200 <= response.status < 300:
            raise urllib.error.HTTPError(url, response.status, "not 2xx", response.headers, None)


def _describe(error: Exception) -> str:
    if isinstance(error, urllib.error.HTTPError):
        return f"HTTP {error.code}"
    if isinstance(error, urllib.error.URLError):
        return f"unreachable ({error.reason})"
    return f"{type(error).__name__}: {error}"


def _post_with_retries(
    url: str,
    payload: Any,
    *,
    retries: int,
    backoff: float,
    timeout: float,
    sleep: Callable[[float], None],
    post: Callable[..., None],
) -> str | None:
    """Try up to `retries` times, waiting backoff, 2×backoff … between; the last error or None."""
    error: str | None = None
    for attempt in range(max(retries, 1)):
        if attempt:
            sleep(backoff * 2 ** (attempt - 1))
        try:
            post(url, payload, timeout=timeout)
            return None
        except (OSError, ValueError, urllib.error.HTTPError) as exc:
            error = _describe(exc)
            log.info("webhook %s: attempt %d failed: %s", redact(url), attempt + 1, error)
    return error


def deliver(
    archive: Any,
    db_path: str | Path,
    sink: Sink,
    *,
    now: datetime | None = None,
    retries: int = DEFAULT_RETRIES,
    backoff: float = 0.5,
    timeout: float = 10.0,
    batch_size: int = DEFAULT_BATCH,
    lock_timeout: float = 60.0,
    sleep: Callable[[float], None] = time.sleep,
    post: Callable[..., None] = post_json,
) -> Delivery:
    """Send the sink's pending events in batches; stop at the first batch that keeps failing."""
    result = Delivery(sink)
    lock = locks.FileLock(locks.lock_path(db_path, "deliver-" + _digest(sink.name)))
    try:
        acquired = lock.acquire(timeout=lock_timeout)
    except OSError as exc:  # read-only folder: we could not record deliveries either
        result.error = f"cannot take the delivery lock {lock.path}: {exc.strerror or exc}"
        _log_result(result)
        return result
    if not acquired:
        result.error = "another process is delivering to this sink"
        return result
    with lock:
        try:
            _send_pending(archive, sink, result, now=now, batch_size=batch_size,
                          retries=retries, backoff=backoff, timeout=timeout, sleep=sleep, post=post)
        except (ArchiveError, sqlite3.Error) as exc:
            result.error = f"archive error: {_one_line(exc)}"
    _log_result(result)
    return result


def _send_pending(
    archive: Any, sink: Sink, result: Delivery, *, now: datetime | None, batch_size: int,
    **post_options: Any,
) -> None:
    """POST pending events batch by batch, each only once the archive can record it."""
    pending = archive.pending_deliveries(
        sink.name, site=sink.site, kinds=list(sink.kinds) if sink.kinds else None
    )
    pending.sort(key=lambda event: event["id"])
    for start in range(0, len(pending), max(batch_size, 1)):
        batch = pending[start:start + batch_size]
        result.pending = len(pending) - start
        problem = archive.write_problem()
        if problem:
            result.error = f"{problem}; nothing sent"
            return
        payload = {"source": "gov-archive", "sink": redact(sink.url), "events": batch}
        result.error = _post_with_retries(sink.url, payload, **post_options)
        if result.error:
            return
        ids = [event["id"] for event in batch]
        try:
            archive.mark_delivered(sink.name, ids, now=now)
        except (ArchiveError, sqlite3.Error) as exc:
            result.error = (f"{len(ids)} event(s) sent but not recorded as delivered "
                            f"({_one_line(exc)}); they will be sent again")
            return
        result.delivered += len(ids)
        result.event_ids += ids
    result.pending = 0


def _one_line(error: Exception) -> str:
    return " ".join(str(error).split()) or type(error).__name__


def _digest(text: str) -> str:
    return hashlib.sha1(text.encode("utf-8")).hexdigest()[:16]


def _log_result(result: Delivery) -> None:
    where = redact(result.sink.url)
    if result.error:
        log.warning(
            "webhook %s: %s; %d event(s) delivered, %d kept for the next run",
            where, result.error, result.delivered, result.pending,
        )
    elif result.delivered:
        log.info("webhook %s: delivered %d event(s)", where, result.delivered)


def deliver_all(
    archive: Any,
    db_path: str | Path,
    sinks: Sequence[Sink],
    **options: Any,
) -> list[Delivery]:
    """Deliver to every sink; a failing sink never stops the others."""
    return [deliver(archive, db_path, sink, **options) for sink in sinks]
