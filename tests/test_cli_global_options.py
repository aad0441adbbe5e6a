"""The group's options (`--db`) work before and after every command's name; `demo` honours
them and $GOV_ARCHIVE_DB, and never touches an existing archive."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from helpers_cli import URL_A, build_archive

from crawler.cli import cli
from crawler.cli import demo as demo_module


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("cli_global") / "archive.db"
    build_archive(path)
    return path


def invoke(*args: str, env: dict[str, str | None] | None = None) -> Any:
    return CliRunner().invoke(cli, list(args), env={"GOV_ARCHIVE_DB": None, **(env or {})})


@pytest.mark.parametrize("name", sorted(cli.commands))
def test_every_command_takes_db_after_its_name(name: str, tmp_path: Path) -> None:
    result = invoke(name, "--db", str(tmp_path / "x.db"), "--help")
    assert result.exit_code == 0, result.output
    assert "--db" in result.stdout


@pytest.mark.parametrize("args", [
    ("stats", "--json"),
    ("search", "法治", "--json"),
    ("show", URL_A, "--json"),
    ("history", URL_A, "--json"),
    ("diff", URL_A, "--json"),
    ("new", "--json"),
    ("changes", "--json"),
    ("export",),
    ("feed", "--out", "-"),
    ("sites", "--json"),
])
def test_db_after_the_command_is_the_archive_used(db: Path, args: tuple[str, ...]) -> None:
    after = invoke(*args, "--db", str(db))
    assert after.exit_code == 0, after.output
    before = invoke("--db", str(db), *args)
    assert after.stdout.replace(str(db), "") == before.stdout.replace(str(db), "") != ""


def test_db_after_the_command_wins_over_the_group_and_environment(db: Path, tmp_path: Path) -> None:
    result = invoke("--db", str(tmp_path / "none.db"), "stats", "--json", "--db", str(db),
                    env={"GOV_ARCHIVE_DB": str(tmp_path / "env.db")})
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["path"] == str(db)


def test_site_is_checked_against_the_db_given_after_it(db: Path) -> None:
    result = invoke("search", "法治", "--site", "example-gov", "--db", str(db), "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)


@pytest.mark.parametrize("args", [("--db", "", "stats"), ("stats", "--db", ""),
                                  ("--db", " ", "crawl", "--url", "http://127.0.0.1:9/"),
                                  ("notify", "--db", "")])
def test_an_empty_db_path_is_a_clean_usage_error(args: tuple[str, ...]) -> None:
    result = invoke(*args)
    assert result.exit_code == 2
    assert "Invalid value for '--db': the path is empty" in result.stderr
    assert "Traceback" not in result.output


# --- demo --------------------------------------------------------------------------------------


@pytest.fixture
def demo_paths(monkeypatch: pytest.MonkeyPatch) -> list[Path]:
    """The archive paths the demo would create (its scenario is not run)."""
    paths: list[Path] = []

    class Recorder:
        def __init__(self, db_path: Path, **_: object) -> None:
            paths.append(db_path)

        def run(self) -> None:
            pass

    monkeypatch.setattr(demo_module, "Scenario", Recorder)
    return paths


@pytest.mark.parametrize("where", ["before", "after"])
def test_demo_uses_the_db_option(where: str, tmp_path: Path, demo_paths: list[Path]) -> None:
    target = tmp_path / "mine.db"
    args = ("--db", str(target), "demo") if where == "before" else ("demo", "--db", str(target))
    result = invoke(*args)
    assert result.exit_code == 0, result.output
    assert demo_paths == [target.resolve()]


def test_demo_uses_a_new_path_from_the_environment(tmp_path: Path, demo_paths: list[Path]) -> None:
    target = tmp_path / "from-env.db"
    result = invoke("demo", env={"GOV_ARCHIVE_DB": str(target)})
    assert result.exit_code == 0, result.output
    assert demo_paths == [target.resolve()]


def test_demo_never_touches_the_archive_the_environment_names(
    db: Path, demo_paths: list[Path]
) -> None:
    before = db.read_bytes()
    result = invoke("demo", env={"GOV_ARCHIVE_DB": str(db)})
    assert result.exit_code == 1
    message = result.stderr
    assert "$GOV_ARCHIVE_DB names an existing archive" in message and str(db) in message
    assert "--db NEW.db" in message and "Traceback" not in result.output
    assert len(message.strip().splitlines()) == 1
    assert demo_paths == [] and db.read_bytes() == before


def test_demo_refuses_an_existing_file_given_with_db(db: Path, demo_paths: list[Path]) -> None:
    for args in (("--db", str(db), "demo"), ("demo", "--db", str(db))):
        result = invoke(*args)
        assert result.exit_code == 1 and "already exists" in result.stderr
    assert demo_paths == []


def test_demo_without_db_uses_a_temporary_folder(
    tmp_path: Path, demo_paths: list[Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "archive.db").write_bytes(b"")  # the group's default is not the demo's
    result = invoke("demo")
    assert result.exit_code == 0, result.output
    (path,) = demo_paths
    assert path.name == "demo.db" and path.parent.name.startswith("gov-archive-demo-")
