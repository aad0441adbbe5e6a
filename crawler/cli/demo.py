"""`gov-archive demo`: the bundled, offline walk-through ."""

from __future__ import annotations

import tempfile
from pathlib import Path

import click
from click.core import ParameterSource

from crawler.cli.options import DB_ENVVAR, archive_choice, command_db_option
from crawler.demo.scenario import Scenario


@click.command()
@command_db_option(f"Archive file to create, also accepted before the command (default: "
                   f"${DB_ENVVAR} if set, else demo.db in a new temporary folder)",
                   expose_value=False)
@click.option("--keep", is_flag=True,
              help="Keep serving the demo site after the run, until Ctrl-C")
@click.option("--port", type=click.IntRange(0, 65535), default=0, show_default=True,
              help="Port for the demo site on 127.0.0.1 (0: any free port)")
@click.pass_context
def demo(ctx: click.Context, keep: bool, port: int) -> None:
    """Crawl a bundled demo government site, change it, re-crawl, and show what changed

    Runs with no network: a fictional city government site (two columns with TRS-style
    pagination, a GBK-encoded section, attachments) is served on 127.0.0.1. The demo crawls
    it, publishes one notice, edits one and withdraws one, crawls again with --full, then
    shows what `new`, `changes` and `diff` report. The archive is kept for you to explore.

    It creates a new archive: at --db PATH (or $GOV_ARCHIVE_DB) if given, else demo.db in a
    new temporary folder. An existing file is never touched.
    """
    Scenario(_new_archive_path(ctx).resolve(), port=port, keep_serving=keep).run()


def _new_archive_path(ctx: click.Context) -> Path:
    """Where the demo's archive goes: a path that does not exist yet, in an existing folder."""
    path, source = archive_choice(ctx)
    if source is ParameterSource.DEFAULT:
        return Path(tempfile.mkdtemp(prefix="gov-archive-demo-")) / "demo.db"
    db_path = Path(path)
    if db_path.exists() and source is ParameterSource.ENVIRONMENT:
        raise click.ClickException(
            f"${DB_ENVVAR} names an existing archive, {db_path}, and the demo only writes a new "
            f"one: run `gov-archive --db NEW.db demo`, or `env -u {DB_ENVVAR} gov-archive demo` "
            "for a temporary folder")
    if db_path.exists():
        raise click.ClickException(
            f"{db_path} already exists; the demo needs a new archive (remove it or pick "
            "another --db)")
    if not db_path.parent.is_dir():
        raise click.ClickException(f"folder {db_path.parent} does not exist")
    return db_path
