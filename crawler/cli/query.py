"""The query commands: search, show, history, diff, new, changes, export, stats, feed.

Thin over `archive.Archive`: every command opens the archive with `create=False` (a query
never creates a database), calls the library and renders the result.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from typing import Any

import click

from archive import feed as atom
from archive import render
from archive.search import RANK_WINDOW, query_terms
from crawler.cli import files
from crawler.cli.options import (
    check_output_path,
    exit_code_option,
    json_option,
    open_archive,
    output_options,
    parse_day_option,
    redis_option,
    since_option,
    site_option,
)
from crawler.cli.output import Row, Table, emit, emit_rows, exit_found, output_mode

CHANGE_KINDS = ("changed", "gone", "restored")
QUERY_COMMANDS = ("search", "show", "history", "diff", "new", "changes", "export", "stats", "feed")
EVENT_KINDS = ("new", *CHANGE_KINDS)
#: How `diff` colors each kind of line on a terminal, and the removed and added characters
#: of a changed line (elsewhere, and with $NO_COLOR, they are marked [-…-]{+…+} instead).
DIFF_STYLES: dict[str, dict[str, Any]] = {
    "heading": {"bold": True},
    "hunk": {"fg": "cyan"},
    "added": {"fg": "green"},
    "removed": {"fg": "red"},
    "changed": {"fg": "yellow"},
}
CHANGED_STYLES: dict[str, dict[str, Any]] = {
    "added": {"fg": "green", "bold": True, "underline": True},
    "removed": {"fg": "red", "strikethrough": True},
}


# --- commands -----------------------------------------------------------------------------------


def _query_words(ctx: click.Context, param: click.Parameter, value: tuple[str, ...]) -> str:
    """Click callback: the QUERY words as one query, which must have a term to look for."""
    query = " ".join(value)
    if not query_terms(query):
        raise click.BadParameter("it is empty: give at least one word to look for", ctx, param,
                                 param_hint="'QUERY'")
    return query


@click.command()
@click.argument("query", nargs=-1, required=True, callback=_query_words)
@site_option
@click.option(
    "--from", "published_from", metavar="YYYY-MM-DD", callback=parse_day_option,
    help="Published on or after this day",
)
@click.option(
    "--to", "published_to", metavar="YYYY-MM-DD", callback=parse_day_option,
    help="Published on or before this day",
)
@click.option("--status", type=click.Choice(["live", "gone"]), help="Only live or only gone pages")
@click.option(
    "--limit", type=click.IntRange(min=1), default=20, show_default=True, help="At most N hits"
)
@output_options
@click.pass_context
def search(
    ctx: click.Context,
    query: str,
    site: str | None,
    published_from: str | None,
    published_to: str | None,
    status: str | None,
    limit: int,
    json_: bool,
    nl: bool,
    csv_: bool,
    bom: bool,
) -> None:
    """Full-text search of titles, bodies, metadata and attachments (Chinese works)

    Also searched: 文号, 发文机关, 索引号, attachment names and the text of attachment files; a
    hit found there says where (`in 附件1：名单.xlsx`, JSON `matched_in` and `matched_name`).

    Every word must match; a quoted phrase ("…", “…”, 「…」, 『…』: quote it for the shell too)
    is one term, spaces included. Spaces next to Chinese characters are ignored: 46.2亿元 finds
    a PDF's "46.2 亿元".

    Prints the best --limit hits, with the match in context ([...]); when there are more,
    says how many on standard error.

    \b
    Examples:
        gov-archive search 法治
        gov-archive search 招标 公告 --site example-gov --from 2026-01-01
        gov-archive search '"法治政府建设"'
        gov-archive search 税 --status gone --json
    """
    mode = output_mode(json_, nl, csv_)
    if published_from and published_to and published_from > published_to:
        raise click.UsageError(f"--from {published_from} is after --to {published_to}")
    archive = open_archive(ctx)
    hits, total = archive.search_page(
        query,
        site=site,
        published_from=published_from,
        published_to=published_to,
        status=status,
        limit=limit,
    )
    emit_rows(hits, mode, _search_table, "No matches.", fields=archive.fields("hit"), bom=bom,
              flexible=SEARCH_FLEXIBLE)
    if len(hits) < total or total >= RANK_WINDOW:
        click.echo(_shown_of(len(hits), total), err=True)


#: The search table's TITLE and SNIPPET share what a terminal leaves them.
SEARCH_FLEXIBLE = (-2, -1)


def _search_table(rows: Sequence[Row]) -> Table:
    cells = (
        (r["id"], render.short_published(r.get("published")), r["site"], r["status"], r["title"],
         ": ".join(filter(None, (render.hit_place(r), r.get("snippet")))))
        for r in rows
    )
    return ("ID", "PUBLISHED", "SITE", "STATUS", "TITLE", "SNIPPET"), cells


def _shown_of(shown: int, total: int) -> str:
    """``20 of 28 matches (use --limit)``; a total past the ranking window is "at least"."""
    counted = f"{RANK_WINDOW}+" if total >= RANK_WINDOW else str(total)
    return f"{shown} of {counted} matches" + (" (use --limit)" if shown < total else "")


@click.command()
@click.argument("ref", metavar="URL|ID")
@click.option("--version", "version_", type=click.IntRange(min=1), help="Show version N")
@json_option
@click.pass_context
def show(ctx: click.Context, ref: str, version_: int | None, json_: bool) -> None:
    """Show one announcement: fields, metadata, attachments, body

    \b
    Examples:
        gov-archive show 42
        gov-archive show https://www.example.gov.cn/zwgk/2026/t20261101_123.html
        gov-archive show 42 --version 1 --json
    """
    archive = open_archive(ctx)
    record = archive.version(ref, version_) if version_ else archive.document(ref)
    if json_:
        click.echo(render.to_json(record))
        return
    emit(render.record_lines(record))


@click.command()
@click.argument("ref", metavar="URL|ID")
@output_options
@click.pass_context
def history(ctx: click.Context, ref: str, json_: bool, nl: bool, csv_: bool, bom: bool) -> None:
    """List every version of an announcement, oldest first

    \b
    Examples:
        gov-archive history 42
        gov-archive history 42 --json
    """
    mode = output_mode(json_, nl, csv_)
    archive = open_archive(ctx)
    versions = archive.history(ref)
    emit_rows(versions, mode, _history_table, "No versions.", fields=archive.fields("version"),
              bom=bom)


def _history_table(rows: Sequence[Row]) -> Table:
    cells = (
        (
            r["version"],
            render.short_time(r.get("fetched_at")),
            render.short_published(r.get("published")),
            _changed_cell(r),
            r["title"],
        )
        for r in rows
    )
    return ("VERSION", "FETCHED (UTC)", "PUBLISHED", "CHANGED", "TITLE"), cells


def _changed_cell(version: Row) -> str:
    if version["version"] == 1:
        return "(first)"
    changed = ",".join(version.get("changed_fields") or []) or "-"
    return f"re-extracted: {changed}" if version.get("reextracted") else changed


@click.command()
@click.argument("ref", metavar="URL|ID")
@click.option("--from", "from_version", type=click.IntRange(min=1), help="Older version")
@click.option("--to", "to_version", type=click.IntRange(min=1), help="Newer version")
@json_option
@click.pass_context
def diff(
    ctx: click.Context, ref: str, from_version: int | None, to_version: int | None, json_: bool
) -> None:
    """Compare two versions: changed fields, then a diff of the body

    By default compares the previous version with the current one. A line edited in place is
    one line, ~ then its text with the removed and added characters colored on a terminal,
    else marked [-removed-]{+added+} (also with $NO_COLOR set).

    \b
    Examples:
        gov-archive diff 42
        gov-archive diff 42 --from 1 --to 3
        gov-archive diff 42 --json
    """
    result = open_archive(ctx).diff(ref, from_version=from_version, to_version=to_version)
    if json_:
        click.echo(render.to_json(result))
        return
    if result["from"] is None:  # version 1, against nothing: there is no change to show
        click.echo(f"Only one version of {result['url']}: nothing to compare." if to_version is None
                   else f"Version 1 is the first version of {result['url']}: nothing to compare it with.")
        return
    if not _colored(ctx):
        emit(text for text, _ in render.diff_lines(result))
        return
    emit(_styled(spans, tone) for spans, tone in render.diff_spans(result))


def _colored(ctx: click.Context) -> bool:
    """True if standard output takes colors: a terminal (or --color in tests), no $NO_COLOR."""
    return not os.environ.get("NO_COLOR") and not click.utils.should_strip_ansi(sys.stdout, ctx.color)


def _styled(spans: Sequence[render.Span], tone: str | None) -> str:
    """A diff line in its tone's color; a changed line's characters in theirs."""
    if tone != "changed":
        text = "".join(text for text, _ in spans)
        return click.style(text, **DIFF_STYLES[tone]) if tone else text
    return "".join(click.style(text, **CHANGED_STYLES[kind]) if kind else text
                   for text, kind in spans)


@click.command()
@since_option("Only what was first seen since 30m, 12h, 2d, 1w, YYYY-MM-DD or an ISO time")
@site_option
@exit_code_option
@output_options
@click.pass_context
def new(
    ctx: click.Context,
    since: datetime | None,
    site: str | None,
    exit_code: bool,
    json_: bool,
    nl: bool,
    csv_: bool,
    bom: bool,
) -> None:
    """List new announcements, by when gov-archive first saw them

    Each row also shows the page's own published date. Pages dated more than 30 days before
    we first saw them, on a site with an earlier finished crawl, are flagged as back-dated.

    \b
    Examples:
        gov-archive new --since 2d
        gov-archive new --since 2026-11-01 --site example-gov --json
        gov-archive new --since 1h --exit-code || notify-send "new announcements"
    """
    mode = output_mode(json_, nl, csv_)
    archive = open_archive(ctx)
    rows = archive.new_documents(since=since, site=site)
    emit_rows(rows, mode, _new_table, "Nothing new.", fields=archive.fields("new"), bom=bom)
    exit_found(ctx, exit_code, rows)


def _new_table(rows: Sequence[Row]) -> Table:
    flagged = any(r["backdated"] for r in rows)
    headers = ["ID", "FIRST SEEN (UTC)", "PUBLISHED", "SITE"]
    headers += ["NOTE", "TITLE"] if flagged else ["TITLE"]
    cells = []
    for r in rows:
        row: list[object] = [
            r["document_id"],
            render.short_time(r.get("first_seen") or r["time"]),
            render.short_published(r.get("published")),
            r["site"],
        ]
        if flagged:
            row.append("back-dated" if r["backdated"] else "")
        cells.append([*row, r.get("title")])
    return headers, cells


@click.command()
@since_option("Only events since 30m, 12h, 2d, 1w, YYYY-MM-DD or an ISO time")
@click.option(
    "--kind",
    "kinds",
    type=click.Choice(CHANGE_KINDS),
    multiple=True,
    help="Only this kind (repeatable); default all three",
)
@site_option
@exit_code_option
@output_options
@click.pass_context
def changes(
    ctx: click.Context,
    since: datetime | None,
    kinds: tuple[str, ...],
    site: str | None,
    exit_code: bool,
    json_: bool,
    nl: bool,
    csv_: bool,
    bom: bool,
) -> None:
    """List edits, withdrawals and restorations, by when they were seen

    \b
    Examples:
        gov-archive changes --since 1d
        gov-archive changes --kind gone --site example-gov --json
        gov-archive changes --since 6h --exit-code
    """
    mode = output_mode(json_, nl, csv_)
    archive = open_archive(ctx)
    events = archive.events(since=since, kinds=list(kinds or CHANGE_KINDS), site=site)
    emit_rows(events, mode, _changes_table, "No changes.", fields=archive.fields("event"), bom=bom)
    exit_found(ctx, exit_code, events)


def _changes_table(rows: Sequence[Row]) -> Table:
    cells = (
        (
            render.short_time(r["time"]),
            r["kind"],
            r["document_id"],
            r.get("version"),
            render.short_published(r.get("published")),
            r["site"],
            r.get("title"),
        )
        for r in rows
    )
    return ("TIME (UTC)", "KIND", "ID", "VERSION", "PUBLISHED", "SITE", "TITLE"), cells


@click.command()
@click.option(
    "--format", "format_", type=click.Choice(["jsonl", "csv", "warc"]),
    help="jsonl (default; the same as --nl), csv (the same as --csv), or warc (the archived "
         "pages and files, needs -o FILE.warc.gz)",
)
@since_option("Only documents changed since 30m, 12h, 2d, 1w, YYYY-MM-DD or an ISO time")
@site_option
@click.option(
    "-o", "--output", type=click.Path(dir_okay=False, allow_dash=True), default="-",
    callback=check_output_path, help="Write to this file instead of standard output",
)
@click.option("--with-text", is_flag=True,
              help="Add each attachment's extracted text (files[].file_text) to JSON")
@output_options
@click.pass_context
def export(
    ctx: click.Context,
    format_: str | None,
    since: datetime | None,
    site: str | None,
    output: str,
    with_text: bool,
    json_: bool,
    nl: bool,
    csv_: bool,
    bom: bool,
) -> None:
    """Export current announcements as JSON lines or CSV, or captures as WARC

    --format jsonl and --format csv are other names of --nl and --csv (the options of every
    list command); --json writes one JSON array instead.

    \b
    Examples:
        gov-archive export > announcements.jsonl
        gov-archive export --format csv --site example-gov -o example.csv
        gov-archive export --since 1w --json --with-text
        gov-archive export --format warc --site example-gov -o example.warc.gz
    """
    if format_ == "warc":
        if json_ or nl or csv_ or with_text:
            raise click.UsageError("--format warc writes WARC: leave out --json, --nl, --csv "
                                   "and --with-text")
        files.export_warc(ctx, output, site=site, since=since)
        return
    mode = output_mode(json_, nl or format_ == "jsonl", csv_ or format_ == "csv", default="nl")
    archive = open_archive(ctx)
    documents = archive.export(since=since, site=site, with_text=with_text)
    if mode == "csv":
        chunks: Iterable[str] = render.csv_lines(documents, fields=archive.fields("document"),
                                                 bom=bom)
    else:
        chunks = (line + "\n" for line in render.json_lines(documents, nl=mode == "nl"))
    write_text(output, chunks)


def write_text(path: str, chunks: Iterable[str]) -> None:
    """Write to stdout (`-`) or atomically to a file, so readers never see half an export.

    A device or a pipe (``-o /dev/null``, ``-o /dev/stdout``) is written in place: replacing
    it with a regular file would break it for every program.
    """
    if path == "-":
        for chunk in chunks:
            click.echo(chunk, nl=False)
        return
    files.write_file(path, lambda fh: fh.writelines(chunk.encode("utf-8") for chunk in chunks))



@click.command()
@json_option
@redis_option("Also the cluster: archive host, workers, crawls in flight, queue, ingest lag",
              reach=False)
@click.pass_context
def stats(ctx: click.Context, json_: bool, redis_url: str | None) -> None:
    """Show archive counts: sites, documents, versions, events

    With --redis, also how the cluster is doing (README "Scaling out").

    \b
    Examples:
        gov-archive stats
        gov-archive stats --json
        gov-archive stats --redis redis://127.0.0.1:6379/0
    """
    data = open_archive(ctx).stats()
    if redis_url:
        # redis-py takes a few hundred milliseconds to import: only with --redis.
        from crawler.service.cluster.status import cluster_status  # noqa: PLC0415 — heavy, see above

        data["cluster"] = cluster_status(redis_url)
    if json_:
        click.echo(render.to_json(data))
        return
    emit(render.stats_lines(data))


@click.command()
@site_option
@click.option(
    "--kind",
    "kinds",
    type=click.Choice(EVENT_KINDS),
    multiple=True,
    help="Only this kind (repeatable); default all four",
)
@since_option("Only events since 30m, 12h, 2d, 1w, YYYY-MM-DD or an ISO time")
@click.option("--limit", type=click.IntRange(min=1), default=100, show_default=True,
              help="Newest N events")
@click.option("-o", "--out", type=click.Path(dir_okay=False, allow_dash=True), default="-",
              callback=check_output_path,
              help="Atom file to write (default: - for standard output)")
@click.option("--json", "json_", is_flag=True,
              help='Print {"out", "entries"} as JSON; with --out -, write the entries themselves '
                   "as a JSON array of events instead of Atom")
@click.pass_context
def feed(
    ctx: click.Context,
    site: str | None,
    kinds: tuple[str, ...],
    since: datetime | None,
    limit: int,
    out: str,
    json_: bool,
) -> None:
    """Write an Atom 1.0 feed of archive events, newest first (to standard output by default)

    Each entry links to the page and carries its published date, our first-seen time
    (ga:first_seen) and the event kind; its id is a permanent tag: URI. With --json and no
    --out (or --out -), standard output gets the same entries as JSON (event records with
    their body).

    \b
    Examples:
        gov-archive feed --kind new --out new.atom
        gov-archive feed --site example-gov --since 1w > example.atom
        gov-archive feed --kind new --since 1d --json | jq -r '.[].url'
    """
    chosen = list(kinds or EVENT_KINDS)
    events = open_archive(ctx).events(
        since=since, kinds=chosen, site=site, newest_first=True, limit=limit, with_body=True
    )
    if json_ and out == "-":
        emit(render.json_lines(events, nl=False))
        return
    xml = atom.events_feed(events, site=site, kinds=chosen, updated=datetime.now(UTC))
    write_text(out, [xml.decode("utf-8")])
    count = len(events)
    if json_:
        click.echo(render.to_json({"out": out, "entries": count}))
    else:
        where = "standard output" if out == "-" else out
        click.echo(f"Wrote {count} {'entry' if count == 1 else 'entries'} to {where}", err=True)
