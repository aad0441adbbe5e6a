"""A hostile local web server for tests (127.0.0.1, port 0) and ways to measure a crawl.

`HostileServer` is a `helpers_http.RouteServer` (answers from a route table) whose routes may
also be *behaviours*: `Drip` sends its answer one byte at a time, `Hang` never answers. The
page builders make the cases issue 10 found: gzip bombs, oversized pages, links to local
files, control characters in titles, one article under several spellings of its URL.
`peak_rss_mb` runs a command in a subprocess and reports its peak memory (resource usage).
"""

from __future__ import annotations

import functools
import json
import subprocess
import sys
import threading
import zlib
from dataclasses import dataclass
from typing import Any

from helpers_crawl import ROBOTS, article_html, article_text, html_page, list_html
from helpers_http import Route, RouteServer


@dataclass(frozen=True)
class Drip:
    """A 200 whose headers come at once and whose body comes one byte every `pause` seconds."""

    body: bytes = b"<html><body>" + b"x" * 10_000
    pause: float = 0.2


@dataclass(frozen=True)
class Hang:
    """Read the request, then say nothing until the server stops."""


class _HostileHandler(RouteServer.handler):  # type: ignore[misc, valid-type]
    routes: HostileServer

    def _answer(self, method: str, form: str) -> None:
        behaviour = self.routes.behaviours.get(self.path)
        if behaviour is None:
            super()._answer(method, form)
            return
        self.routes.log.append((method, self.path, {k.lower(): v for k, v in self.headers.items()}))
        if isinstance(behaviour, Hang):
            self.routes.stopping.wait()
            self.close_connection = True
            return
        self._drip(behaviour)

    def _drip(self, drip: Drip) -> None:
        try:
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(drip.body)))
            self.end_headers()
            for i in range(len(drip.body)):
                if self.routes.stopping.wait(drip.pause):
                    break
                self.wfile.write(drip.body[i:i + 1])
                self.wfile.flush()
        except (BrokenPipeError, ConnectionResetError):
            pass
        self.close_connection = True


class HostileServer(RouteServer):
    """A `RouteServer` with a robots.txt whose `behaviours` (path -> Drip | Hang) misbehave."""

    handler = _HostileHandler

    def __init__(self, pages: dict[str, Route] | None = None,
                 behaviours: dict[str, Drip | Hang] | None = None) -> None:
        self.behaviours = dict(behaviours or {})
        self.stopping = threading.Event()
        super().__init__(pages)
        self.pages.setdefault("/robots.txt", (200, {"Content-Type": "text/plain"}, ROBOTS))

    def stop(self) -> None:
        self.stopping.set()
        super().stop()

    def hits(self, prefix: str) -> int:
        return sum(1 for _m, path, _h in self.log if path.startswith(prefix))


# ---------------------------------------------------------------- pages


@functools.cache
def gzip_bomb(inflated_mb: int = 256) -> bytes:
    """A gzip body of about 1/1000 of `inflated_mb` megabytes of zeros."""
    squeeze = zlib.compressobj(9, zlib.DEFLATED, 31)
    zeros = b"\0" * (1 << 20)
    return b"".join(squeeze.compress(zeros) for _ in range(inflated_mb)) + squeeze.flush()


def bomb_page(inflated_mb: int = 256) -> Route:
    return 200, {"Content-Type": "text/html; charset=utf-8", "Content-Encoding": "gzip"}, \
        gzip_bomb(inflated_mb)


def article(n: int, title: str | None = None) -> Route:
    """An ordinary article page (the crawl archives it)."""
    return html_page(article_html(title or f"关于第{n}项工作的通知", "2024-01-05", article_text(n)))


def column(paths: list[str], extra: str = "") -> Route:
    """A list page linking `paths` (absolute or relative, kept as given), plus `extra` HTML."""
    items = [(p, f"关于第{i}项工作的通知", "2024-01-05") for i, p in enumerate(paths, start=1)]
    page = list_html(items).replace("</body>", extra + "</body>")
    return html_page(page)


# ---------------------------------------------------------------- measuring


_MEASURE = (
    "import resource, subprocess, sys\n"
    "proc = subprocess.run(sys.argv[1:], capture_output=True, text=True)\n"
    "peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024\n"
    "print(__import__('json').dumps({'rc': proc.returncode, 'peak_mb': peak, "
    "'stdout': proc.stdout, 'stderr': proc.stderr}))\n"
)


def peak_rss_mb(argv: list[str], *, env: dict[str, str] | None = None, cwd: str | None = None,
                timeout: float = 120) -> tuple[float, subprocess.CompletedProcess[str]]:
    """Run `argv` in a subprocess of its own; its peak resident memory (MB) and its result.

    A wrapper process runs the command so the peak is this command's alone
    (``RUSAGE_CHILDREN`` of the wrapper), not the largest child pytest ever had.
    """
    done = subprocess.run([sys.executable, "-c", _MEASURE, *argv], capture_output=True, text=True,
                          env=env, cwd=cwd, timeout=timeout, check=True)
    report: dict[str, Any] = json.loads(done.stdout)
    result = subprocess.CompletedProcess(argv, report["rc"], report["stdout"], report["stderr"])
    return report["peak_mb"], result
