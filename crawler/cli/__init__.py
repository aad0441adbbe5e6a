"""The `gov-archive` command line: one group, every command registered here.

Commands only parse arguments, call the library (`archive`) or the service layer
(`crawler.service`), and render. Library errors (`archive.errors.ArchiveError`) become
`Error: ...` with exit code 1 in `ArchiveGroup.invoke`, the one place they are translated;
site definition errors in `options.site_errors` (an unknown SITE: exit 2). Options shared by
several commands (`--db`, `--sites`, `-s`, `--webhook`, output formats) live in options.py;
the group's own (`--db`) are accepted after every command's name too (`add_command`).
"""

from __future__ import annotations

import os
import sqlite3
import sys
from typing import Any

import click
from click.core import ParameterSource

from archive.errors import ArchiveError
from crawler.cli import crawl, demo, extract, files, query, serve, watch, watchlist, worker
from crawler.cli.options import CliState, add_group_options, group_db_option


class ArchiveGroup(click.Group):
    """A click group that turns archive errors into clean `Error: ...` messages (exit 1), and
    whose options (`--db`) every command also takes after its name."""

    def add_command(self, cmd: click.Command, name: str | None = None) -> None:
        add_group_options(cmd)
        super().add_command(cmd, name)

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except ArchiveError as exc:
            raise click.ClickException(str(exc)) from exc
        except sqlite3.Error as exc:
            raise click.ClickException(f"database error: {exc}") from exc
        except BrokenPipeError:
            _silence_stdout()
            ctx.exit(1)


def _silence_stdout() -> None:
    # The reader went away (`gov-archive export | head`): stop quietly, as POSIX tools do.
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):
        pass


@click.group(cls=ArchiveGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="gov-archive")
@group_db_option
@click.pass_context
def cli(ctx: click.Context, db_path: str) -> None:
    """Watch government websites and keep a versioned archive of their announcements."""
    ctx.obj = CliState(db_path=db_path, db_source=ctx.get_parameter_source("db_path")
                       or ParameterSource.DEFAULT)


for command in (
    query.search, query.show, query.history, query.diff, query.new, query.changes,
    query.export, query.stats, query.feed, files.attachment,
    crawl.crawl, watchlist.add_command, watchlist.remove_command, watchlist.sites,
    watch.watch_command, watch.notify_command, worker.worker_command,
    extract.extract_command, demo.demo, serve.serve,
):
    cli.add_command(command)

__all__ = ["cli"]
