"""The README tells the truth: set-up commands, every command and option, CI's test command."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from crawler.cli import cli

ROOT = Path(__file__).parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")
#: Options of every list command, documented once under the CLI reference's tables.
OUTPUT_OPTIONS = ("--nl", "--csv", "--no-bom")


def _setup_commands() -> list[str]:
    section = README.split("## Set-up", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"```bash\n(.+?)\n```", section)


def test_readme_has_exactly_two_setup_commands() -> None:
    commands = _setup_commands()
    assert len(commands) == 2
    assert commands[0].endswith("gov-archive demo")
    assert "pytest" in commands[1]


def test_ci_runs_the_readme_test_command() -> None:
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    test_command = _setup_commands()[1].rsplit("&&", 1)[1].strip()
    assert test_command in ci.splitlines()


@pytest.mark.parametrize("name", sorted(cli.commands))
def test_every_command_is_in_the_cli_reference(name: str) -> None:
    assert re.search(rf"^\| `{re.escape(name)}[ `]", README, re.MULTILINE), name


@pytest.mark.parametrize("name", sorted(cli.commands))
def test_every_long_option_is_documented(name: str) -> None:
    row = re.search(rf"^\| `{re.escape(name)}[ `].*$", README, re.MULTILINE)
    assert row, name
    undocumented_ok = {"--help", "--json", "--verbose", "--db", *OUTPUT_OPTIONS}
    for param in cli.commands[name].params:
        if param.param_type_name != "option" or undocumented_ok & set(param.opts):
            continue
        spelled = [opt for opt in param.opts if f"`{opt}" in row.group(0)]
        assert spelled, f"{name} {param.opts} is not in its README row"


def test_output_options_are_documented_once() -> None:
    formats = re.search(r"^Output formats: .*?\n\n", README, re.MULTILINE | re.DOTALL)
    assert formats
    for option in OUTPUT_OPTIONS:
        assert f"`{option}`" in formats.group(0), option
