"""One-off HTTP requests outside Scrapy: `extract URL`, webhooks, checking a column to watch.

Each request is guarded as the crawl is: http and https only (redirects included), a total
deadline for the whole exchange (a server that drips one byte at a time cannot hold it: each
socket is shut down when the deadline passes), a cap on the bytes read, and credentials in
the URL (``https://user:pass@host/``) sent as HTTP basic auth, never left in the host name.
"""

from __future__ import annotations

import base64
import contextlib
import http.client
import socket
import threading
import urllib.error
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote, urljoin, urlsplit, urlunsplit

from archive.urls import BadURL, check_url, is_web_url

CHUNK = 64 * 1024


@dataclass
class Answer:
    """What the server answered (any status)."""

    status: int
    url: str  # after redirects
    headers: dict[str, str] = field(default_factory=dict)  # lower-cased names
    body: bytes = b""


class FetchError(Exception):
    """No answer; the message is one line. `sent`: the request may have reached the server
    (the answer timed out or the connection dropped after sending), so it may have acted.
    `reason`: the underlying error (a socket.gaierror for DNS ...), `timed_out`: the deadline
    passed."""

    def __init__(self, message: str, *, sent: bool = False, reason: object = None,
                 timed_out: bool = False) -> None:
        super().__init__(message)
        self.sent = sent
        self.reason = reason
        self.timed_out = timed_out


def fetch(url: str, *, timeout: float, max_bytes: int, method: str = "GET",
          data: bytes | None = None, headers: Mapping[str, str] | None = None,
          follow_redirects: bool = True) -> Answer:
    """Request `url` and read at most `max_bytes` of the answer within `timeout` seconds.

    Raises BadURL for a URL that is not http(s), FetchError when no complete answer came.
    """
    target, auth = split_credentials(check_url(url))
    request = urllib.request.Request(target, data=data, method=method, headers=dict(headers or {}))
    if auth:
        request.add_unredirected_header("Authorization", auth)
    with _Deadline(timeout) as deadline:
        opener = _opener(deadline, follow_redirects)
        try:
            return _read(opener, request, deadline, max_bytes)
        except FetchError:
            raise
        except urllib.error.HTTPError as exc:  # answered (a 4xx/5xx, or a refused redirect)
            with contextlib.closing(exc):
                _refuse_local_redirect(exc, follow_redirects)
                return _answer(exc.code, target, exc.headers, exc.fp, deadline, max_bytes)
        except urllib.error.URLError as exc:  # nothing was sent: DNS, refused, TLS ...
            raise _failure(exc.reason, deadline, sent=False) from None
        except (OSError, http.client.HTTPException) as exc:  # sent; the answer never came whole
            raise _failure(exc, deadline, sent=True) from None


def _refuse_local_redirect(error: urllib.error.HTTPError, follow_redirects: bool) -> None:
    """urllib answers a redirect to file: with the 3xx itself; say why it was not followed."""
    location = (error.headers or {}).get("Location") or ""
    if not (follow_redirects and 300 <= error.code < 400 and location):
        return
    target = urljoin(error.geturl() or "", location)
    if not is_web_url(target):
        raise FetchError(f"refused to follow a redirect to a non-http(s) URL: {target[:200]}")


def split_credentials(url: str) -> tuple[str, str | None]:
    """`url` without ``user:pass@`` and the matching ``Authorization: Basic`` value."""
    parts = urlsplit(url)
    if parts.username is None and parts.password is None:
        return url, None
    netloc = parts.netloc.rpartition("@")[2]
    user_pass = f"{unquote(parts.username or '')}:{unquote(parts.password or '')}"
    token = base64.b64encode(user_pass.encode("utf-8")).decode("ascii")
    return urlunsplit(parts._replace(netloc=netloc)), f"Basic {token}"


def _read(opener: urllib.request.OpenerDirector, request: urllib.request.Request,
          deadline: _Deadline, max_bytes: int) -> Answer:
    with opener.open(request, timeout=deadline.seconds) as response:
        return _answer(response.status, response.geturl(), response.headers, response,
                       deadline, max_bytes)


def _answer(status: int, url: str, headers: Any, stream: Any, deadline: _Deadline,
            max_bytes: int) -> Answer:
    names = {k.lower(): v for k, v in (headers or {}).items()}
    return Answer(status, url, names, _body(stream, deadline, max_bytes) if stream else b"")


def _body(stream: Any, deadline: _Deadline, max_bytes: int) -> bytes:
    chunks, size = [], 0
    try:
        for chunk in iter(lambda: stream.read(CHUNK), b""):
            size += len(chunk)
            if size > max_bytes:
                raise FetchError(f"answer larger than {max_bytes} bytes; not read", sent=True)
            chunks.append(chunk)
    except (OSError, http.client.HTTPException) as exc:
        raise _failure(exc, deadline, sent=True) from None
    if deadline.expired:  # the shut-down socket ended the body early
        raise _failure(None, deadline, sent=True)
    return b"".join(chunks)


def _failure(error: object, deadline: _Deadline, *, sent: bool) -> FetchError:
    if deadline.expired or isinstance(error, TimeoutError | socket.timeout):
        return FetchError(f"no complete answer within {deadline.seconds:g}s", sent=sent,
                          reason=error, timed_out=True)
    message = " ".join(str(error).split()) or type(error).__name__
    return FetchError(message, sent=sent, reason=error)


# --- the deadline ------------------------------------------------------------------------------


class _Deadline:
    """Shuts down every socket of the exchange `seconds` after it started."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.expired = False
        self._sockets: list[socket.socket] = []
        self._lock = threading.Lock()
        self._timer = threading.Timer(seconds, self._expire)
        self._timer.daemon = True

    def __enter__(self) -> _Deadline:
        self._timer.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._timer.cancel()

    def track(self, sock: socket.socket) -> None:
        with self._lock:
            self._sockets.append(sock)
            if self.expired:
                _shut(sock)

    def _expire(self) -> None:
        with self._lock:
            self.expired = True
            for sock in self._sockets:
                _shut(sock)


def _shut(sock: socket.socket) -> None:
    with contextlib.suppress(OSError):
        sock.shutdown(socket.SHUT_RDWR)


def _tracked(base: type[http.client.HTTPConnection], deadline: _Deadline) -> Any:
    class Connection(base):  # type: ignore[valid-type, misc]
        def connect(self) -> None:
            super().connect()
            deadline.track(self.sock)

    return Connection


class _HTTPHandler(urllib.request.HTTPHandler):
    def __init__(self, deadline: _Deadline) -> None:
        super().__init__()
        self.deadline = deadline

    def http_open(self, req: urllib.request.Request) -> http.client.HTTPResponse:
        return self.do_open(_tracked(http.client.HTTPConnection, self.deadline), req)


class _HTTPSHandler(urllib.request.HTTPSHandler):
    def __init__(self, deadline: _Deadline) -> None:
        super().__init__()
        self.deadline = deadline

    def https_open(self, req: urllib.request.Request) -> http.client.HTTPResponse:
        return self.do_open(_tracked(http.client.HTTPSConnection, self.deadline), req,
                            context=self._context)  # type: ignore[attr-defined]


class _WebRedirects(urllib.request.HTTPRedirectHandler):
    """Follow redirects to http(s) URLs only (urllib also follows ftp://)."""

    def redirect_request(self, req, fp, code, msg, headers, newurl):  # type: ignore[no-untyped-def]
        if not is_web_url(newurl):
            raise FetchError(f"refused to follow a redirect to a non-http(s) URL: {newurl}")
        return super().redirect_request(req, fp, code, msg, headers, newurl)


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    """A redirected POST would become a bodiless GET: the 3xx is the answer."""

    def redirect_request(self, req, fp, code, msg, headers, newurl):  # type: ignore[no-untyped-def]
        return None


def _opener(deadline: _Deadline, follow_redirects: bool) -> urllib.request.OpenerDirector:
    """http and https handlers only: file:, ftp: and data: URLs are unknown to it."""
    opener = urllib.request.OpenerDirector()
    for handler in (urllib.request.ProxyHandler(), urllib.request.UnknownHandler(),
                    _HTTPHandler(deadline), _HTTPSHandler(deadline),
                    urllib.request.HTTPDefaultErrorHandler(),
                    _WebRedirects() if follow_redirects else _NoRedirects(),
                    urllib.request.HTTPErrorProcessor()):
        opener.add_handler(handler)
    return opener


__all__ = ["Answer", "BadURL", "FetchError", "fetch", "split_credentials"]
