"""The `gov-archive` command group and its query commands (thin layer over `archive.Archive`)."""

from __future__ import annotations

import click


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="gov-archive")
def cli() -> None:
    """Watch government websites and keep a versioned archive of their announcements."""
