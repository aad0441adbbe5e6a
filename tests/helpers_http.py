"""Local HTTP servers for tests: a request handler or a route table on 127.0.0.1, port 0.

The serving loop is the product's `crawler.demo.server.LocalServer`, the one the demo site runs
on: the socket is bound on construction, requests are answered from a daemon thread, and `stop`
(or leaving the ``with`` block) ends the loop, joins the thread and closes the socket. Give it
any `BaseHTTPRequestHandler` subclass, or use `RouteServer` / `serve_routes` to answer from a
table ``{path with query string: (status, headers, body)}`` that a test may change while it runs.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler
from typing import Any

from crawler.demo.server import LocalServer

__all__ = ["NOT_FOUND", "LocalServer", "Route", "RouteServer", "serve_routes"]

Route = tuple[int, dict[str, str], bytes]  # status, headers, body

NOT_FOUND: Route = (404, {"Content-Type": "text/html; charset=utf-8"},
                    b"<html><body><h1>404 Not Found</h1></body></html>")


class RouteServer(LocalServer):
    """Answers GET and POST from `pages`; unknown paths get `NOT_FOUND`.

    Every request is appended to `log` as ``(method, path, lower-cased headers)``, a POST body
    under the ``_form`` header. A page with an ETag (Last-Modified) header answers 304 to a
    matching If-None-Match (If-Modified-Since). `delay` seconds pass before each answer except
    robots.txt's (slow pages, not a slow robots file). A route's own Content-Length header is sent
    as is (announcing more bytes than the body makes a truncated download). Call `start`, or use
    `serve_routes`.
    """

    handler: type[BaseHTTPRequestHandler]  # the request handler class (set below the class)

    def __init__(self, pages: dict[str, Route] | None = None) -> None:
        self.pages: dict[str, Route] = dict(pages or {})
        self.log: list[tuple[str, str, dict[str, str]]] = []
        self.delay = 0.0
        super().__init__(type("Handler", (self.handler,), {"routes": self}), name="route-server")


@contextmanager
def serve_routes(pages: dict[str, Route] | None = None) -> Iterator[RouteServer]:
    """A started `RouteServer` for the ``with`` block."""
    with RouteServer(pages) as server:
        yield server


class _RouteHandler(BaseHTTPRequestHandler):
    routes: RouteServer
    protocol_version = "HTTP/1.1"

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        self._answer("POST", self.rfile.read(length).decode("utf-8", "replace"))

    def do_GET(self) -> None:
        self._answer("GET", "")

    def _answer(self, method: str, form: str) -> None:
        headers = {k.lower(): v for k, v in self.headers.items()}
        if form:
            headers["_form"] = form
        self.routes.log.append((method, self.path, headers))
        if self.routes.delay and self.path != "/robots.txt":
            threading.Event().wait(self.routes.delay)
        status, page_headers, body = self.routes.pages.get(self.path, NOT_FOUND)
        if status == 200 and _not_modified(page_headers, headers):
            status, body = 304, b""
        try:
            self.send_response(status)
            for name, value in page_headers.items():
                self.send_header(name, value)
            if "Content-Length" not in page_headers:
                self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
            if "Content-Length" in page_headers:  # it may announce more than the body: cut it there
                self.close_connection = True
        except (BrokenPipeError, ConnectionResetError):  # the client was killed mid-answer
            self.close_connection = True

    def log_message(self, *args: Any) -> None:
        pass


RouteServer.handler = _RouteHandler


def _not_modified(page_headers: dict[str, str], request_headers: dict[str, str]) -> bool:
    etag, modified = page_headers.get("ETag"), page_headers.get("Last-Modified")
    return bool((etag and request_headers.get("if-none-match") == etag)
                or (modified and request_headers.get("if-modified-since") == modified))
