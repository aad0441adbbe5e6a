"""`python -m archive`: the query commands without the crawler (`gov-archive` adds crawl etc.)."""

from __future__ import annotations

from archive.cli import cli

if __name__ == "__main__":
    cli(prog_name="gov-archive")
