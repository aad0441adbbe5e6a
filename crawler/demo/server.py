"""Serve a `DemoSite` on 127.0.0.1 from a background thread (stdlib only).

Answers GET and HEAD with Last-Modified and ETag, and 304 to conditional requests, like the
static web servers in front of TRS sites do. `LocalServer` is the serving loop alone (any
request handler, clean start and stop); the test suite's fixture servers reuse it.
"""

from __future__ import annotations

import threading
from email.utils import format_datetime, parsedate_to_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Self
from urllib.parse import urlsplit

from crawler.demo.model import Resource
from crawler.demo.site import DemoSite


class LocalServer:
    """`with LocalServer(Handler) as server: server.url("/")`: serves until the block ends.

    The socket is bound on construction (an `OSError` there means the port is taken); `start`
    answers from a daemon thread, `stop` ends the loop, joins the thread and closes the socket.
    """

    poll_interval = 0.05  # seconds; how long `stop` may wait for the serving loop to notice

    def __init__(self, handler: type[BaseHTTPRequestHandler], *, host: str = "127.0.0.1",
                 port: int = 0, name: str = "local-http") -> None:
        self._httpd = ThreadingHTTPServer((host, port), handler)
        self._httpd.daemon_threads = True  # a kept-alive connection must not hold up stop()
        self._name = name
        self._thread: threading.Thread | None = None

    @property
    def port(self) -> int:
        return self._httpd.server_address[1]

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def url(self, path: str) -> str:
        return self.base_url + path

    def start(self) -> Self:
        self._thread = threading.Thread(target=self._httpd.serve_forever,
                                        args=(self.poll_interval,), name=self._name, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._thread is not None:
            self._httpd.shutdown()
            self._thread.join(timeout=5)
            self._thread = None
        self._httpd.server_close()

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


class DemoServer(LocalServer):
    """`with DemoServer(site) as server: server.url("/tzgg/")` — serving until the block ends."""

    def __init__(self, site: DemoSite, *, host: str = "127.0.0.1", port: int = 0) -> None:
        self.site = site
        self.requests: list[tuple[str, str, int]] = []  # (method, path, status), for tests
        handler = type("Handler", (_Handler,), {"demo": self})
        super().__init__(handler, host=host, port=port, name="demo-site")


class _Handler(BaseHTTPRequestHandler):
    demo: DemoServer
    server_version = "nginx"
    sys_version = ""
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # headers and body are separate writes: avoid 40 ms stalls

    def do_GET(self) -> None:
        self._answer(send_body=True)

    def do_HEAD(self) -> None:
        self._answer(send_body=False)

    def _answer(self, *, send_body: bool) -> None:
        path = urlsplit(self.path).path or "/"
        res = self.demo.site.resolve(path)
        status = 304 if res.status == 200 and self._not_modified(res) else res.status
        self.demo.requests.append((self.command, path, status))
        self.send_response(status)
        self.send_header("Content-Type", res.content_type)
        if res.status == 200:
            self.send_header("ETag", res.etag)
            if res.last_modified is not None:
                self.send_header("Last-Modified", format_datetime(res.last_modified, usegmt=True))
        body = b"" if status == 304 else res.body
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if send_body and body:
            self.wfile.write(body)

    def _not_modified(self, res: Resource) -> bool:
        etags = self.headers.get("If-None-Match")
        if etags is not None:  # takes precedence over If-Modified-Since (RFC 9110 13.2.2)
            return res.etag in [t.strip() for t in etags.split(",")] or etags.strip() == "*"
        since = self.headers.get("If-Modified-Since")
        if since is None or res.last_modified is None:
            return False
        try:
            return res.last_modified.replace(microsecond=0) <= parsedate_to_datetime(since)
        except (TypeError, ValueError):
            return False

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        pass  # quiet: the demo narrates instead
