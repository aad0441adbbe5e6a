"""Attachment files and WARC: `gov-archive attachment`, and `export --format warc`'s writer."""

from __future__ import annotations

import os
import secrets
import stat
import sys
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any, BinaryIO

import click

from archive import render
from archive.warc import write_warc
from crawler.cli.options import check_output_path, json_option, open_archive


@click.command()
@click.argument("ref", metavar="URL|ID")
@click.argument("n", type=click.IntRange(min=1), required=False)
@click.option("--version", "version_", type=click.IntRange(min=1),
              help="From version N of the document (default: the current one)")
@click.option("-o", "--output", type=click.Path(dir_okay=False, allow_dash=True),
              callback=check_output_path, help="File to write (- for standard output, not a terminal)")
@json_option
@click.pass_context
def attachment(ctx: click.Context, ref: str, n: int | None, version_: int | None,
               output: str | None, json_: bool) -> None:
    """Write the archived bytes of an announcement's N-th attachment

    N counts from 1 as `show` lists the attachments; it may be left out when there is only
    one. The bytes are checked against their sha256 before anything is written.

    \b
    Examples:
        gov-archive attachment 42 -o notice.pdf
        gov-archive attachment 42 2 -o 名单.xlsx
        gov-archive attachment https://www.example.gov.cn/art/2026/1/5/art_1_2.html 1 --version 1 -o old.pdf
    """
    archive = open_archive(ctx)
    if n is None:
        n = _only_attachment(archive.attachments(ref, version_), ref)
    entry, data = archive.attachment_bytes(ref, n, version_)
    if output is None:
        raise click.UsageError("give -o FILE to write the attachment to (- for standard output)")
    write_file(output, lambda fh: fh.write(data))
    if json_:
        click.echo(render.to_json({**entry, "output": output}), err=output == "-")
    else:
        click.echo(f"Wrote {entry['name']} ({render.human_size(len(data))}, sha256 {entry['sha256']}) "
                   f"to {output}", err=True)


def _only_attachment(files: list[dict[str, Any]], ref: str) -> int:
    """N when it was left out: 1 if the document has exactly one attachment."""
    if not files:
        raise click.ClickException(f"document {ref} has no attachments")
    if len(files) > 1:
        listed = "; ".join(f"{f['position']}. {f['name']}" for f in files)
        raise click.UsageError(f"give N: the document has {len(files)} attachments ({listed})")
    return 1


def export_warc(ctx: click.Context, output: str, *, site: str | None,
                since: datetime | None) -> None:
    """`export --format warc`: WARC/1.1 of the archived pages and files, gzipped unless the
    file is named ``*.warc``."""
    if output == "-" and sys.stdout.isatty():
        raise click.UsageError("--format warc writes gzip bytes, not text: give -o FILE.warc.gz "
                               "(or pipe it)")
    archive = open_archive(ctx)
    name = "" if output == "-" else Path(output).name
    counted: list[int] = []
    gzip = not name.lower().endswith(".warc")
    write_file(output, lambda fh: counted.append(write_warc(archive, fh, site=site, since=since,
                                                            filename=name, gzip=gzip)))
    click.echo(f"Wrote {counted[0]:,} captures to {output}", err=True)


def write_file(path: str, write: Callable[[BinaryIO], object]) -> None:
    """Write bytes to stdout (`-`, never a terminal) or atomically to a file, so readers never
    see half of it. A device or a pipe (``-o /dev/null``, ``-o /dev/stdout``) is written in
    place: replacing it with a regular file would break it for every program."""
    if path == "-":
        if sys.stdout.isatty():
            raise click.UsageError("refusing to write binary data to a terminal: give -o FILE")
        write(sys.stdout.buffer)
        sys.stdout.buffer.flush()
        return
    target = Path(path)
    if target.exists() and not target.is_file():
        _write_in_place(target, write)
        return
    try:
        fd, tmp = _temporary_beside(target)
    except OSError as exc:
        raise click.ClickException(f"cannot write {path}: {exc.strerror}") from exc
    try:
        with os.fdopen(fd, "wb") as fh:
            write(fh)
        os.replace(tmp, target)
    except BaseException as exc:
        Path(tmp).unlink(missing_ok=True)
        if isinstance(exc, OSError):
            raise click.ClickException(f"cannot write {path}: {exc.strerror or exc}") from exc
        raise


def _temporary_beside(target: Path) -> tuple[int, str]:
    """A new file next to `target` (same folder, so it can replace it) with the permissions
    the file would get: those of `target` if it exists, else 0666 less the umask (mkstemp's
    0600 would make a shared export unreadable to the others)."""
    tmp = target.parent / f".{target.name}.{secrets.token_hex(8)}"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
    if target.exists():
        os.fchmod(fd, stat.S_IMODE(target.stat().st_mode))
    return fd, str(tmp)


def _write_in_place(target: Path, write: Callable[[BinaryIO], object]) -> None:
    try:
        with open(target, "wb") as fh:
            write(fh)
    except OSError as exc:
        raise click.ClickException(f"cannot write {target}: {exc.strerror or exc}") from exc
