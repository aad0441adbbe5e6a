"""`gov-archive serve`: options, errors, warnings, and a real server answering on a free port."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from urllib.parse import quote

import pytest
from click.testing import CliRunner
from helpers_web import build_archive

import crawler.web
from archive import Archive
from crawler.cli import cli


@pytest.fixture
def archive_path(tmp_path: Path) -> Path:
    path = tmp_path / "archive.db"
    build_archive(path)
    return path


@pytest.fixture
def served(monkeypatch: pytest.MonkeyPatch) -> list[tuple[object, socket.socket]]:
    """Replace the blocking server loop: record what would be served instead."""
    calls: list[tuple[object, socket.socket]] = []

    def fake_run(datasette: object, sock: socket.socket) -> None:
        calls.append((datasette, sock))
        sock.close()

    monkeypatch.setattr(crawler.web, "run", fake_run)
    return calls


def test_a_missing_archive_is_a_one_line_error(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["serve", "--db", str(tmp_path / "none.db")])
    assert result.exit_code == 1
    assert result.output == f"Error: no archive at {tmp_path / 'none.db'}\n"


def test_a_file_that_is_not_an_archive_is_a_one_line_error(tmp_path: Path) -> None:
    path = tmp_path / "notes.db"
    path.write_text("not sqlite")
    result = CliRunner().invoke(cli, ["serve", "--db", str(path)])
    assert result.exit_code == 1
    assert result.output.startswith("Error: ") and result.output.count("\n") == 1


def test_serves_the_group_db_on_localhost_by_default(archive_path: Path, served: list) -> None:
    result = CliRunner().invoke(cli, ["--db", str(archive_path), "serve", "--port", "0"])
    assert result.exit_code == 0, result.output
    datasette = served[0][0]
    assert "Warning" not in result.output
    assert re.search(rf"Serving {re.escape(str(archive_path))} read-only at http://127\.0\.0\.1:\d+/",
                     result.output)
    assert datasette.setting("default_allow_sql") is False


def test_allow_sql_turns_sql_on(archive_path: Path, served: list) -> None:
    CliRunner().invoke(cli, ["serve", "--db", str(archive_path), "--port", "0", "--allow-sql"])
    assert served[0][0].setting("default_allow_sql") is True


def test_listening_on_all_interfaces_warns(archive_path: Path, served: list,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    asked = []
    real_listen = crawler.web.listen

    def listen_locally(host: str, port: int) -> socket.socket:
        asked.append(host)  # the test itself never opens a port to the network
        return real_listen("127.0.0.1", 0)

    monkeypatch.setattr(crawler.web, "listen", listen_locally)
    result = CliRunner().invoke(cli, ["serve", "--db", str(archive_path), "--host", "0.0.0.0"])
    assert asked == ["0.0.0.0"]
    assert "Warning: listening on 0.0.0.0: anyone who can reach this machine can read the archive" \
        in result.output


def test_a_port_in_use_is_a_one_line_error(archive_path: Path, served: list) -> None:
    with socket.create_server(("127.0.0.1", 0)) as taken:
        port = taken.getsockname()[1]
        result = CliRunner().invoke(cli, ["serve", "--db", str(archive_path), "--port", str(port)])
    assert result.exit_code == 1
    assert result.output.startswith(f"Error: cannot listen on 127.0.0.1:{port}: ")
    assert not served


def test_the_archive_is_opened_for_writing_only_once_at_start(archive_path: Path, served: list,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    opened = []
    monkeypatch.setattr(crawler.web.server, "Archive",
                        lambda *a, **k: opened.append(k) or Archive(*a, **k))
    CliRunner().invoke(cli, ["serve", "--db", str(archive_path), "--port", "0"])
    assert opened == [{"create": False}]  # to apply pending migrations; pages open it read-only


def test_the_real_server_answers_and_stops_on_sigterm(archive_path: Path) -> None:
    env = {**os.environ, "PYTHONIOENCODING": "utf-8"}
    proc = subprocess.Popen([sys.executable, "-m", "crawler", "serve", "--db", str(archive_path),
                             "--port", "0"], stderr=subprocess.PIPE, text=True, env=env)
    try:
        line = proc.stderr.readline()
        url = re.search(r"at (http://127\.0\.0\.1:\d+/)", line).group(1)
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(url, timeout=5) as response:
                    assert response.status == 200
                    assert "Latest changes" in response.read().decode("utf-8")
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)
        assert raw_status(url, "/search?q=" + quote("法治")) == 200
        # uvicorn (h11) refuses raw UTF-8 in the request line, as HTTP/1.1 says (README)
        assert raw_status(url, "/search?q=法治") == 400
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=30) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        proc.stderr.close()


def raw_status(base: str, target: str) -> int:
    """The status of a GET of `target` sent as UTF-8 bytes, exactly as written."""
    host, port = base.removeprefix("http://").rstrip("/").split(":")
    with socket.create_connection((host, int(port)), timeout=10) as conn:
        conn.sendall(f"GET {target} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n".encode())
        status_line = conn.makefile("rb").readline()
    return int(status_line.split()[1])


def test_is_public() -> None:
    assert not crawler.web.is_public("127.0.0.1")
    assert not crawler.web.is_public("::1")
    assert not crawler.web.is_public("localhost")
    assert crawler.web.is_public("0.0.0.0")
    assert crawler.web.is_public("::")
    assert crawler.web.is_public("192.168.1.20")
