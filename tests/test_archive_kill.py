from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from helpers_archive import check_consistency

from archive import Archive

TESTS = Path(__file__).parent


@pytest.mark.skipif(sys.platform == "win32", reason="needs SIGKILL")
@pytest.mark.parametrize("saves_before_kill", [5, 60, 150])
def test_killed_writer_leaves_a_consistent_archive(tmp_path, saves_before_kill):
    path = tmp_path / "a.db"
    code = (f"import sys; sys.path.insert(0, {str(TESTS)!r}); from helpers_archive import writer_loop; "
            f"writer_loop({str(path)!r})")
    env = {**os.environ, "PYTHONPATH": str(TESTS.parent)}
    child = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, env=env)
    try:
        deadline = time.monotonic() + 20
        done = 0
        while done < saves_before_kill and time.monotonic() < deadline:
            line = child.stdout.readline()
            assert line, "writer exited early"
            done = int(line)
        time.sleep(random.uniform(0, 0.01))  # land anywhere inside a later save
        child.send_signal(signal.SIGKILL)
    finally:
        child.kill()
        child.wait()
        child.stdout.close()
    assert check_consistency(path) == []
    with Archive(path) as a:
        assert a.stats()["versions"] >= done
        assert a.save("example", {"url": "http://after.gov.cn/1", "title": "重启后", "body": "x"},
                      crawl_id=None).outcome == "new"
