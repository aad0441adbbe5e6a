"""End to end: `python -m crawler demo` crawls, changes and re-crawls the demo site."""

from __future__ import annotations

import os
import re
import subprocess
import sys

from archive import Archive
from crawler.cli import cli
from crawler.demo.scenario import plan_changes
from crawler.demo.site import demo_site


def test_the_crawl_and_demo_commands_are_wired():
    assert {"crawl", "demo"} <= set(cli.commands)


def test_demo_runs_offline_and_records_new_changed_gone(tmp_path):
    db = tmp_path / "demo.db"
    env = {**os.environ, "PYTHONIOENCODING": "utf-8"}
    proc = subprocess.run([sys.executable, "-m", "crawler", "demo", "--db", str(db)],
                          capture_output=True, text=True, encoding="utf-8", timeout=120, env=env)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    for heading in ("First crawl", "The site changes", "Re-crawl", "`new`", "`changes`", "`diff`"):
        assert heading in proc.stdout
    assert "Traceback" not in proc.stdout + proc.stderr

    plan = plan_changes(demo_site())
    with Archive(db, create=False) as archive:
        events = archive.events()
    by_kind: dict[str, set[str]] = {}
    for event in events:
        path = "/" + event["url"].split("/", 3)[3]
        by_kind.setdefault(event["kind"], set()).add(path)
    assert len(by_kind["new"]) == len(demo_site().articles()) + 1
    assert plan.new.path in by_kind["new"]
    assert by_kind["changed"] == {plan.edited.path}
    assert by_kind["gone"] == {plan.withdrawn.path}
    assert plan.new_sentence.split("，")[0] in proc.stdout  # the diff shows the edit
    assert f"attachment {plan.sheet.label}: file replaced" in proc.stdout  # and the edited sheet
    (cell,) = [line for line in proc.stdout.splitlines() if line.startswith("~2\t督导检查")]
    assert unmarked(cell, keep="+") == f"~2\t督导检查\t示例市市场监督管理局\t{plan.new_cell}"
    assert unmarked(cell, keep="-") == f"~2\t督导检查\t示例市市场监督管理局\t{plan.old_cell}"


def unmarked(line: str, keep: str) -> str:
    """A changed diff line as it was (keep "-") or is (keep "+"): `[-removed-]{+added+}` undone."""
    drop = r"\{\+.*?\+\}" if keep == "-" else r"\[-.*?-\]"
    kept = r"\[-(.*?)-\]" if keep == "-" else r"\{\+(.*?)\+\}"
    return re.sub(kept, r"\1", re.sub(drop, "", line))
