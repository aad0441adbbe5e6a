"""Run the web interface: bind the socket first (clean errors, port 0), then uvicorn."""

from __future__ import annotations

import ipaddress
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
    """Serve until SIGINT/SIGTERM (uvicorn finishes the requests in flight)."""
    config = uvicorn.Config(datasette.app(), lifespan="on", log_level="info")
    uvicorn.Server(config).run(sockets=[sock])
