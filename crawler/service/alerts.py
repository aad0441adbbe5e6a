"""Webhook delivery of archive events (new, changed, gone, restored, health).

The guarantee is **at least once, repeats identifiable, never lost**:

- An event is marked delivered only after the receiver answered 2xx, so it is never lost
  while the receiver is down, slow or answering errors: it stays pending for the next run.
- A batch whose answer never came (timeout, connection dropped after sending) is not sent
  again in the same run: the receiver may have taken it. The next run sends it again, with
  the same event ids and the same batch id (``X-Gov-Archive-Batch`` and ``Idempotency-Key``
  headers, ``batch`` in the payload), so a receiver drops what it has already seen.
- Failures where the receiver certainly took nothing (refused, DNS, an HTTP error status)
  are retried a few times with back-off within the run.

Small batches (``DEFAULT_BATCH``), a generous timeout (``DEFAULT_TIMEOUT``, ``--webhook-timeout``)
and a time budget per sink and run keep one slow receiver from starving the backlog or
holding up a crawl. The archive remembers what each sink received (``Archive.pending_deliveries``
/ ``mark_delivered``) under a name without the URL's secrets (`sink_name`); a per-sink file
lock keeps two processes (cron + watch) from sending the same pending events at once.

Before each POST a rolled-back write probe checks that the archive can record the delivery:
a busy or read-only archive sends nothing (instead of sending the same events on every run).
The write lock is not held across the POST: that would stall a concurrent crawl's saves for
up to retries × timeout. Archive errors become a one-line ``Delivery.error``, never a raise.

Webhook URLs are checked up front (http/https, a host, a valid port: archive.urls.check_url);
credentials in them (``https://user:pass@host/``) are sent as HTTP basic auth; logs, payloads
and the archive show them redacted (``https://host/…``).

Payload (one POST per batch, ``Content-Type: application/json``)::

    {"source": "gov-archive", "sink": "https://host/…", "batch": "<32 hex>",
     "events": [<event with its archive "id">, …]}
"""

from __future__ import annotations

import hashlib
import json
import logging
import sqlite3
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from archive.errors import ArchiveError
from archive.urls import private_url_key, redact_url
from crawler.service import locks
from crawler.service.httpclient import FetchError, fetch
from crawler.service.schedule import SiteSchedule

log = logging.getLogger(__name__)

USER_AGENT = "gov-archive-webhook/2"
DEFAULT_RETRIES = 3  # attempts per batch when the receiver certainly took nothing
DEFAULT_BATCH = 20  # events per POST
DEFAULT_TIMEOUT = 60.0  # seconds for one POST's whole answer
DEFAULT_BUDGET = 300.0  # seconds one sink may take per run; the rest waits for the next run
ANSWER_CAP = 1024 * 1024  # bytes of a receiver's answer read (and ignored)


def sink_name(url: str) -> str:
    """The archive's delivery-state key for a webhook URL (no secrets: see private_url_key)."""
    return "webhook:" + private_url_key(url)


def batch_id(sink: str, event_ids: Sequence[int]) -> str:
    """The same batch of the same sink always gets the same id (receivers drop repeats)."""
    key = sink + ":" + ",".join(map(str, event_ids))
    return hashlib.sha256(key.encode("utf-8")).hexdigest()[:32]


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
    note: str | None = None  # not a failure: e.g. the run's time budget was used up

    @property
    def ok(self) -> bool:
        return self.error is None


class NotDelivered(Exception):
    """The POST failed; `maybe_taken`: the receiver may have acted on it (no answer came)."""

    def __init__(self, message: str, *, maybe_taken: bool = False) -> None:
        super().__init__(message)
        self.maybe_taken = maybe_taken


def post_json(url: str, payload: Any, *, timeout: float = DEFAULT_TIMEOUT,
              headers: dict[str, str] | None = None) -> None:
    """POST `payload` as JSON; NotDelivered on anything but a 2xx answer (redirects included)."""
    data = json.dumps(payload, ensure_ascii=False).encode("utf-8")
    sent_headers = {"Content-Type": "application/json; charset=utf-8", "User-Agent": USER_AGENT,
                    **(headers or {})}
    try:
        answer = fetch(url, method="POST", data=data, headers=sent_headers, timeout=timeout,
                       max_bytes=ANSWER_CAP, follow_redirects=False)
    except FetchError as exc:
        if exc.sent:
            raise NotDelivered(f"{exc}; the receiver may have taken the batch: it is sent "
                               "again next run, with the same batch id", maybe_taken=True) from None
        raise NotDelivered(f"unreachable ({exc})") from None
    except ValueError as exc:  # BadURL
        raise NotDelivered(str(exc)) from None
    if not 200 <= answer.status < 300:
        raise NotDelivered(f"HTTP {answer.status}")


def _post_with_retries(
    url: str,
    payload: Any,
    *,
    retries: int,
    backoff: float,
    timeout: float,
    sleep: Callable[[float], None],
    post: Callable[..., None],
    headers: dict[str, str],
) -> str | None:
    """Try up to `retries` times, waiting backoff, 2×backoff … between; the last error or None.

    A batch that may have been taken (no answer) is not tried again in this run.
    """
    error: str | None = None
    for attempt in range(max(retries, 1)):
        if attempt:
            sleep(backoff * 2 ** (attempt - 1))
        try:
            post(url, payload, timeout=timeout, headers=headers)
            return None
        except NotDelivered as exc:
            error = str(exc)
            log.info("webhook %s: attempt %d failed: %s", redact_url(url), attempt + 1, error)
            if exc.maybe_taken:
                break
    return error


def deliver(
    archive: Any,
    db_path: str | Path,
    sink: Sink,
    *,
    now: datetime | None = None,
    retries: int = DEFAULT_RETRIES,
    backoff: float = 0.5,
    timeout: float = DEFAULT_TIMEOUT,
    batch_size: int = DEFAULT_BATCH,
    budget: float = DEFAULT_BUDGET,
    lock_timeout: float = 60.0,
    sleep: Callable[[float], None] = time.sleep,
    post: Callable[..., None] = post_json,
    clock: Callable[[], float] = time.monotonic,
    should_stop: Callable[[], bool] = lambda: False,
    log_result: bool = True,
) -> Delivery:
    """Send the sink's pending events in batches; stop at the first batch that keeps failing,
    once `budget` seconds are spent, or when `should_stop` says so (a signal): the rest goes
    on the next run. `log_result`: log what came of it (a command that prints the result
    itself turns it off)."""
    result = Delivery(sink)
    lock = locks.FileLock(locks.lock_path(db_path, "deliver-" + _digest(sink.name)))
    try:
        acquired = lock.acquire(timeout=lock_timeout)
    except OSError as exc:  # read-only folder: we could not record deliveries either
        result.error = f"cannot take the delivery lock {lock.path}: {exc.strerror or exc}"
        if log_result:
            _log_result(result)
        return result
    if not acquired:
        result.error = "another process is delivering to this sink"
        return result
    with lock:
        try:
            _send_pending(archive, sink, result, now=now, batch_size=batch_size,
                          until=clock() + budget, clock=clock, should_stop=should_stop,
                          retries=retries,
                          backoff=backoff, timeout=timeout, sleep=sleep, post=post)
        except (ArchiveError, sqlite3.Error) as exc:
            result.error = f"archive error: {_one_line(exc)}"
    if log_result:
        _log_result(result)
    return result


def _send_pending(
    archive: Any, sink: Sink, result: Delivery, *, now: datetime | None, batch_size: int,
    until: float, clock: Callable[[], float], should_stop: Callable[[], bool],
    **post_options: Any,
) -> None:
    """POST pending events batch by batch, each only once the archive can record it."""
    pending = archive.pending_deliveries(
        sink.name, site=sink.site, kinds=list(sink.kinds) if sink.kinds else None
    )
    pending.sort(key=lambda event: event["id"])
    size = max(batch_size, 1)
    for start in range(0, len(pending), size):
        batch = pending[start:start + size]
        result.pending = len(pending) - start
        if should_stop():
            result.note = f"stopped; {result.pending} event(s) wait for the next run"
            return
        if start and clock() >= until:
            result.note = f"time budget used up; {result.pending} event(s) wait for the next run"
            return
        problem = archive.write_problem()
        if problem:
            result.error = f"{problem}; nothing sent"
            return
        ids = [event["id"] for event in batch]
        batch_key = batch_id(sink.name, ids)
        payload = {"source": "gov-archive", "sink": redact_url(sink.url), "batch": batch_key,
                   "events": batch}
        headers = {"X-Gov-Archive-Batch": batch_key, "Idempotency-Key": batch_key}
        result.error = _post_with_retries(sink.url, payload, headers=headers, **post_options)
        if result.error:
            return
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
    where = redact_url(result.sink.url)
    if result.error:
        log.warning(
            "webhook %s: %s; %d event(s) delivered, %d kept for the next run",
            where, result.error, result.delivered, result.pending,
        )
    elif result.delivered or result.note:
        log.info("webhook %s: delivered %d event(s)%s", where, result.delivered,
                 f"; {result.note}" if result.note else "")


def deliver_all(
    archive: Any,
    db_path: str | Path,
    sinks: Sequence[Sink],
    **options: Any,
) -> list[Delivery]:
    """Deliver to every sink; a failing sink never stops the others."""
    return [deliver(archive, db_path, sink, **options) for sink in sinks]
