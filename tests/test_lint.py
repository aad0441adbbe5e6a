"""The linters are part of the suite: `ruff check .` and `lint-imports` pass on the whole tree,
and pyproject.toml declares exactly the third-party packages the code imports.

Both read their configuration from pyproject.toml ([tool.ruff], [tool.importlinter]) and come
with the `test` extra; they run from this interpreter's bin directory so that the versions
pinned there are the ones used.
"""

from __future__ import annotations

import ast
import re
import subprocess
import sys
import tomllib
from importlib import metadata
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


# Declared for what they bring to a package we import, not imported themselves (the reason is
# in pyproject.toml next to each).
USED_INDIRECTLY = {"pluggy"}


def _imported_distributions() -> set[str]:
    """The distributions of every third-party module that crawler/ and archive/ import."""
    modules = set()
    for path in [*ROOT.joinpath("crawler").rglob("*.py"), *ROOT.joinpath("archive").rglob("*.py")]:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                modules |= {alias.name.split(".")[0] for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                modules.add(node.module.split(".")[0])
    owners = metadata.packages_distributions()
    third_party = modules - set(sys.stdlib_module_names) - {"crawler", "archive"}
    return {_name(owner) for module in third_party for owner in owners.get(module, [module])}


def _name(requirement: str) -> str:
    return re.split(r"[<>=!~;\[ ]", requirement, maxsplit=1)[0].strip().lower().replace("_", "-")


def test_every_import_is_declared_and_every_dependency_used() -> None:
    declared = {_name(r) for r in tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]}
    imported = _imported_distributions()
    assert imported - declared == set(), "imported but not declared in pyproject.toml"
    assert declared - imported - USED_INDIRECTLY == set(), "declared but never imported"
