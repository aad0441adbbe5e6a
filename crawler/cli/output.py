"""How the commands print: the output mode (--json, --nl, --csv), tables and records."""

from __future__ import annotations

import shutil
import sys
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

import click

from archive import render

Row = Mapping[str, Any]
Table = tuple[Sequence[str], Iterable[Sequence[object]]]  # headers, cells


def output_mode(json_: bool, nl: bool, csv_: bool, default: str = "table") -> str:
    chosen = [name for name, on in (("json", json_), ("nl", nl), ("csv", csv_)) if on]
    if len(chosen) > 1:
        raise click.UsageError("Use just one of --json, --nl or --csv")
    return chosen[0] if chosen else default


def emit(lines: Iterable[str]) -> None:
    for line in lines:
        click.echo(line)


def emit_rows(
    rows: Sequence[Row],
    mode: str,
    table: Callable[[Sequence[Row]], Table],
    empty: str,
    *,
    fields: Sequence[str] = (),
    bom: bool = True,
    flexible: Sequence[int] = (-1,),
) -> None:
    """Print records as a table (humans), a JSON array, newline-delimited JSON or CSV.

    ``fields`` heads a CSV with no rows; ``flexible`` names the table columns cut to fit a
    terminal (the last by default).
    """
    if mode in ("json", "nl"):
        emit(render.json_lines(rows, nl=mode == "nl"))
    elif mode == "csv":
        click.echo("".join(render.csv_lines(rows, fields=fields, bom=bom)), nl=False)
    elif not rows:
        click.echo(empty, err=True)
    else:
        headers, cells = table(rows)
        emit(render.format_table(headers, cells, width=_terminal_width(), flexible=flexible))


def _terminal_width() -> int | None:
    return shutil.get_terminal_size().columns if sys.stdout.isatty() else None


def exit_found(ctx: click.Context, enabled: bool, rows: Sequence[Row]) -> None:
    if enabled and rows:
        ctx.exit(1)
