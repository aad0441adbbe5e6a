"""Every command documents itself: a help summary and an example block."""

from __future__ import annotations

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


def test_console_script_commands_have_help() -> None:
    from crawler.cli import cli as full

    for name, command in full.commands.items():
        assert command.help and command.help.strip(), f"{name} has no help"
