"""The demo scenario's failure paths: each step failure is a clear error, never a traceback."""

from __future__ import annotations

import socket
import subprocess

from click.testing import CliRunner

from crawler.cli.demo import demo
from crawler.demo.scenario import Scenario


def test_a_failing_crawl_stops_the_demo_with_its_stderr(tmp_path, monkeypatch):
    run = Scenario._run

    def failing_run(self, args, *, capture):
        if args[0] != "crawl":  # the columns are watched (`add`) for real
            return run(self, args, capture=capture)
        return subprocess.CompletedProcess(args, 1, stdout="", stderr="boom: archive not writable\n")

    monkeypatch.setattr(Scenario, "_run", failing_run)
    result = CliRunner().invoke(demo, ["--db", str(tmp_path / "demo.db")])
    assert result.exit_code == 1
    assert "Error: the crawl exited with status 1" in result.output
    assert "boom: archive not writable" in result.output
    assert "Traceback" not in result.output


def test_a_busy_port_is_a_clear_error(tmp_path):
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        port = sock.getsockname()[1]
        result = CliRunner().invoke(demo, ["--db", str(tmp_path / "demo.db"), "--port", str(port)])
    assert result.exit_code == 1
    assert f"cannot serve the demo site on 127.0.0.1 port {port}" in result.output
