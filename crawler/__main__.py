"""`python -m crawler ...` = the `gov-archive` console script."""

from crawler.cli import cli

if __name__ == "__main__":
    cli(prog_name="gov-archive")
