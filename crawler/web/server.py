"""Run the web interface: bind the socket first (clean errors, port 0), then uvicorn."""

from __future__ import annotations

import ipaddress
import signal
import socket

import uvicorn
from datasette.app import Datasette

from archive import Archive
from crawler.sites import SiteDefError, load_sites
from crawler.web.config import WebConfig


def load_config(db: str) -> tuple[WebConfig, str | None]:
    """Check the archive (upgrading its schema if needed) and read the site definitions.

    Returns the config and a warning when the definitions cannot be read (pages then name
    sites after the archive). Raises ``archive.ArchiveError`` for an unusable archive.
    """
    with Archive(db, create=False):
        pass  # opening it validates the file and applies pending migrations, once, here
    try:
        return WebConfig.create(db, load_sites().values()), None
    except SiteDefError as exc:
        return WebConfig.create(db), f"site definitions not loaded: {exc}"


def listen(host: str, port: int) -> socket.socket:
    """A listening TCP socket (port 0: any free port). Raises OSError."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    return socket.create_server((host, port), family=family)


def is_public(host: str) -> bool:
    """True unless ``host`` is a loopback address (or localhost): others can connect."""
    if host == "localhost":
        return False
    try:
        return not ipaddress.ip_address(host).is_loopback
    except ValueError:
        return True  # a host name that may resolve to anything


def url(sock: socket.socket) -> str:
    host, port = sock.getsockname()[:2]
    shown = f"[{host}]" if ":" in host else host
    return f"http://{shown}:{port}/"


def run(datasette: Datasette, sock: socket.socket) -> None:
    """Serve until SIGINT or SIGTERM; returns once uvicorn has finished the requests in flight.

    uvicorn raises the stop signal again after its graceful shutdown (to die "of" it): both
    become KeyboardInterrupt here, so a stopped server exits 0 (systemd, Ctrl-C alike).
    """
    config = uvicorn.Config(datasette.app(), lifespan="on", log_level="info")
    previous = signal.signal(signal.SIGTERM, _interrupt)
    try:
        uvicorn.Server(config).run(sockets=[sock])
    except KeyboardInterrupt:
        pass
    finally:
        signal.signal(signal.SIGTERM, previous)
        sock.close()


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt
