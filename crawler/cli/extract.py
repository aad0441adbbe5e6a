"""`gov-archive extract FILE_OR_URL [--url URL] [--json]`: show what extraction finds on one page."""

from __future__ import annotations

import json
from http import HTTPStatus
from pathlib import Path

import click

from crawler.cli.options import FiniteRange
from crawler.extract import Extraction, extract
from crawler.service.probe import FetchError, fetch
from crawler.sites import url_problem

HTTP_ERROR = 400  # this status and above: the page is not there (unless a challenge page)


def _fetch(url: str, timeout: float) -> tuple[bytes, dict[str, str], int, str]:
    """The page at `url` within `timeout` seconds in all, as `add` fetches a column (http(s)
    only, capped at DOWNLOAD_MAXSIZE, the crawls' User-Agent). Error pages are kept:
    challenges come with 412/521."""
    try:
        answer = fetch(url, timeout=timeout)
    except FetchError as err:
        raise click.ClickException(f"cannot fetch {url}: {err}") from None
    return answer.body, answer.headers, answer.status, answer.url


def _read(source: str, url: str | None, timeout: float) -> tuple[bytes, dict[str, str], int, str]:
    if source.startswith(("http://", "https://")):
        if problem := url_problem(source):  # a malformed URL is bad input, as `crawl --url`'s
            raise click.BadParameter(problem, param_hint="FILE_OR_URL")
        return _fetch(source, timeout)
    path = Path(source)
    if path.is_dir():
        raise click.ClickException(f"{source} is a folder: give a saved page (a file) or a URL")
    if not path.is_file():
        raise click.ClickException(f"no such file: {source}")
    try:
        return path.read_bytes(), {}, 200, url or path.resolve().as_uri()
    except OSError as err:
        raise click.ClickException(f"cannot read {source}: {err.strerror or err}") from None


def _reason(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "error"


def render_text(ex: Extraction) -> str:
    """Human-readable report."""
    lines = [
        f"Class:       {ex.page_class}",
        f"Title:       {ex.title or '-'}",
        f"Published:   {ex.published or '-'}" + (f"  (from {ex.date_source})" if ex.date_source else ""),
        f"Encoding:    {ex.encoding}" + (f"  (declared {ex.declared_encoding})" if ex.declared_encoding else ""),
        f"URL:         {ex.url}",
    ]
    if ex.metadata:
        lines.append("Metadata:")
        width = max(len(k) for k in ex.metadata)
        lines += [f"  {k.ljust(width)}  {v}" for k, v in sorted(ex.metadata.items())]
    if ex.attachments:
        lines.append("Attachments:")
        lines += [f"  {a['text']}  <{a['url']}>" for a in ex.attachments]
    lines.append("")
    lines.append(ex.body if ex.body else "(no body text)")
    return "\n".join(lines)


@click.command("extract")
@click.argument("file_or_url")
@click.option("--url", "page_url", metavar="URL", help="The page's URL when FILE_OR_URL is a local file.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object instead of text.")
@click.option("--timeout", type=FiniteRange(0.1, 3600), default=20.0, show_default=True,
              help="Seconds the whole fetch of a URL may take.")
def extract_command(file_or_url: str, page_url: str | None, as_json: bool, timeout: float) -> None:
    """Extract title, date, body, metadata and attachments from one page (file or URL).

    A URL answering an HTTP error (404, 500 ...) is an error (exit 1) naming the status,
    unless the page is an anti-bot challenge (412, 521 ...), which is reported as such.
    """
    raw, headers, status, final_url = _read(file_or_url, page_url, timeout)
    ex = extract(raw, page_url or final_url, headers, status)
    if status >= HTTP_ERROR and ex.page_class != "antibot":
        raise click.ClickException(f"HTTP {status} {_reason(status)}: {final_url}")
    if as_json:
        click.echo(json.dumps(ex.to_dict(), ensure_ascii=False, indent=2))
    else:
        click.echo(render_text(ex))
