"""The linters are part of the suite: `ruff check .` and `lint-imports` pass on the whole tree.

Both read their configuration from pyproject.toml ([tool.ruff], [tool.importlinter]) and come
with the `test` extra; they run from this interpreter's bin directory so that the versions
pinned there are the ones used.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


@pytest.mark.parametrize("command", [["ruff", "check", "."], ["lint-imports"]], ids=["ruff", "lint-imports"])
def test_linter_passes(command: list[str]) -> None:
    tool = BIN / command[0]
    assert tool.exists(), f"{tool} is missing: install the test extra (pip install -e '.[test]')"
    result = subprocess.run([str(tool), *command[1:]], cwd=ROOT, capture_output=True, text=True,
                            timeout=300, check=False)
    assert result.returncode == 0, f"{' '.join(command)} failed:\n{result.stdout}{result.stderr}"
