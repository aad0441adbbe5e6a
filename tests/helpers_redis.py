"""A real redis-server for the cluster tests: Debian's, on a loopback port, with AOF on.

Never skipped: when redis-server is missing the ``redis_binary`` fixture installs it (as root,
the way CI runs) or fails saying how to install it. Each test gets its own server
(``redis_server``) in its own folder; `RedisServer.restart` and `kill` stop it as a restart
or a crash would, and start it again on the same port and folder (the AOF brings it back).

Import the fixtures in a test module: ``from helpers_redis import redis_binary, redis_server``.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis

PACKAGE = "redis-server"


@pytest.fixture(scope="session")
def redis_binary() -> str:
    """The path of redis-server, installed with apt-get if missing and we are root."""
    found = shutil.which("redis-server")
    as_root = hasattr(os, "geteuid") and os.geteuid() == 0
    if found is None and as_root and shutil.which("apt-get"):
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        subprocess.run(["apt-get", "update", "-qq"], check=False, env=env)
        subprocess.run(["apt-get", "install", "-y", "-qq", PACKAGE], check=False, env=env)
        found = shutil.which("redis-server")
    if found is None:
        pytest.fail(f"the cluster tests need redis-server: apt-get install {PACKAGE} (as root)",
                    pytrace=False)
    return found


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class RedisServer:
    """One redis-server process with AOF persistence (``appendfsync everysec``) in `folder`."""

    def __init__(self, binary: str, folder: Path) -> None:
        self.binary = binary
        self.folder = folder
        self.port = free_port()
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def client(self) -> redis.Redis:
        return redis.Redis.from_url(self.url)

    def start(self) -> None:
        for _try in range(5):  # the port may be taken between free_port() and the bind
            self.process = subprocess.Popen(
                [self.binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
                 "--appendonly", "yes", "--appendfsync", "everysec", "--dir", str(self.folder),
                 "--logfile", str(self.folder / "redis.log")],
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            if self._answers():
                return
            self.process.wait(timeout=5)
            self.port = free_port()
        raise RuntimeError(f"redis-server did not start; see {self.folder / 'redis.log'}")

    def _answers(self, timeout: float = 10.0) -> bool:
        client = self.client()
        deadline = time.monotonic() + timeout
        try:
            while time.monotonic() < deadline:
                if self.process is not None and self.process.poll() is not None:
                    return False
                try:
                    if client.ping():
                        return True
                except (redis.ConnectionError, redis.BusyLoadingError):
                    time.sleep(0.01)
            return False
        finally:
            client.close()

    def stop(self, sig: int = signal.SIGTERM) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(sig)
            self.process.wait(timeout=10)

    def restart(self) -> None:
        """Stop (SIGTERM: Redis writes its AOF and exits) and start again, same port and data."""
        self.stop()
        self.start()

    def kill(self) -> None:
        """SIGKILL (a crash), then start again: what the AOF kept comes back."""
        self.stop(signal.SIGKILL)
        self.start()


@pytest.fixture
def redis_server(redis_binary: str, tmp_path: Path) -> Iterator[RedisServer]:
    """A started redis-server of this test's own, stopped afterwards."""
    folder = tmp_path / "redis"
    folder.mkdir()
    server = RedisServer(redis_binary, folder)
    server.start()
    try:
        yield server
    finally:
        server.stop(signal.SIGKILL)
