"""`gov-archive demo`: the bundled, offline walk-through ."""

from __future__ import annotations

import tempfile
from pathlib import Path

import click

from crawler.demo.scenario import Scenario


@click.command()
@click.option("--db", "db_path", type=click.Path(dir_okay=False, path_type=Path),
              help="Archive file to create (default: demo.db in a new temporary directory)")
@click.option("--keep", is_flag=True,
              help="Keep serving the demo site after the run, until Ctrl-C")
@click.option("--port", type=click.IntRange(0, 65535), default=0, show_default=True,
              help="Port for the demo site on 127.0.0.1 (0: any free port)")
def demo(db_path: Path | None, keep: bool, port: int) -> None:
    """Crawl a bundled demo government site, change it, re-crawl, and show what changed

    Runs with no network: a fictional city government site (two columns with TRS-style
    pagination, a GBK-encoded section, attachments) is served on 127.0.0.1. The demo crawls
    it, publishes one notice, edits one and withdraws one, crawls again with --full, then
    shows what `new`, `changes` and `diff` report. The archive is kept for you to explore.
    """
    if db_path is None:
        db_path = Path(tempfile.mkdtemp(prefix="gov-archive-demo-")) / "demo.db"
    elif db_path.exists():
        raise click.ClickException(
            f"{db_path} already exists; the demo needs a new archive (remove it or pick "
            "another --db)")
    elif not db_path.parent.is_dir():
        raise click.ClickException(f"folder {db_path.parent} does not exist")
    Scenario(db_path.resolve(), port=port, keep_serving=keep).run()
