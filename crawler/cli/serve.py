"""`gov-archive serve`: browse the archive in a web browser (read-only)."""

from __future__ import annotations

from pathlib import Path

import click

from crawler.cli.options import resolve_db_path


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Address to listen on; 0.0.0.0 for every interface")
@click.option("--port", type=click.IntRange(0, 65535), default=8001, show_default=True,
              help="Port to listen on (0: any free port)")
@click.option("--allow-sql", is_flag=True,
              help="Let visitors run their own read-only SQL in the /archive pages")
@click.pass_context
def serve(ctx: click.Context, host: str, port: int, allow_sql: bool) -> None:
    """Browse the archive in a web browser: latest changes, search, documents, diffs

    Read-only: no page writes to the archive, and it can be served while a crawl writes.
    Datasette's own table pages (JSON, CSV) are under /archive. There is no login: keep the
    default 127.0.0.1, or put a reverse proxy with authentication in front.

    \b
    Examples:
        gov-archive serve --db archive.db
        gov-archive serve --db archive.db --port 8080
        gov-archive serve --host 0.0.0.0 --allow-sql
    """
    # crawler.web loads Datasette and uvicorn (about a second): only when serving.
    from crawler import web  # noqa: PLC0415 — heavy, see above

    path = resolve_db_path(ctx)
    if not Path(path).exists():
        raise click.ClickException(f"no archive at {path}")
    config, warning = web.load_config(path)
    if warning:
        click.secho(f"Warning: {warning}", fg="yellow", err=True)
    try:
        sock = web.listen(host, port)
    except OSError as exc:
        reason = exc.strerror or exc
        raise click.ClickException(f"cannot listen on {host}:{port}: {reason}") from None
    if web.is_public(host):
        click.secho(f"Warning: listening on {host}: anyone who can reach this machine can read "
                    "the archive (there is no login). Use --host 127.0.0.1 or a reverse proxy "
                    "with authentication.", fg="yellow", err=True)
    click.echo(f"Serving {path} read-only at {web.url(sock)} (Ctrl-C to stop)", err=True)
    web.run(web.create_datasette(config, allow_sql=allow_sql), sock)
    click.echo("Stopped.", err=True)
