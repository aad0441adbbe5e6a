"""Every command documents itself (a help summary, an example block), and the set of commands
does not depend on what the suite imported first."""

from __future__ import annotations

import subprocess
import sys

import pytest
from click.testing import CliRunner

from crawler.cli import cli
from crawler.cli.query import QUERY_COMMANDS


@pytest.mark.parametrize("name", sorted(cli.commands))
def test_command_has_help(name: str) -> None:
    command = cli.commands[name]
    assert command.help and command.help.strip(), name
    assert command.get_short_help_str().strip(), name
    result = CliRunner().invoke(cli, [name, "--help"])
    assert result.exit_code == 0
    assert "Usage:" in result.output


def test_query_commands_are_registered() -> None:
    assert set(QUERY_COMMANDS) <= set(cli.commands)


@pytest.mark.parametrize("name", QUERY_COMMANDS)
def test_command_help_has_examples(name: str) -> None:
    assert "\b" in cli.commands[name].help, f"{name} --help has no example block"


@pytest.mark.parametrize("name", QUERY_COMMANDS)
def test_options_have_help(name: str) -> None:
    for param in cli.commands[name].params:
        if param.param_type_name == "option" and param.name != "help":
            assert param.help, f"{name} {param.opts} has no help"


def test_group_help_lists_commands() -> None:
    result = CliRunner().invoke(cli, ["--help"])
    for name in cli.commands:
        assert name in result.output


def test_the_console_script_has_the_same_commands_in_a_fresh_interpreter() -> None:
    """The parametrization above must not depend on what the suite imported before this file
    (it once collected 9 commands alone and 15 after test_readme)."""
    code = ("from importlib.metadata import entry_points\n"
            "(script,) = entry_points(group='console_scripts', name='gov-archive')\n"
            "print(*sorted(script.load().commands))")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split() == sorted(cli.commands)
