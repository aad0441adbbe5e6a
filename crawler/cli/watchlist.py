"""`gov-archive add`, `remove` and `sites`: the watch list (crawler/service/watchlist.py)."""

from __future__ import annotations

import json
import os
import sqlite3
from typing import Any

import click

from archive import ArchiveError
from archive.timeutil import IntervalError, format_interval, parse_interval
from crawler.cli.options import db_option, given, redis_option, site_errors, sites_dir_option
from crawler.service.health import format_health
from crawler.service.watchlist import (
    WatchListError,
    add_column,
    add_site,
    catalogue_listing,
    remove,
    site_listing,
    unwatched_bundled_sites,
)
from crawler.sites import NAME_RE, url_problem
from crawler.sites.definitions import DEFAULT_EVERY

NOTHING_WATCHED = ("Nothing is watched yet: `gov-archive add URL` watches a column page, "
                   "`gov-archive add SITE` a bundled site (`gov-archive sites --catalogue`).")


def nothing_watched(db_path: str) -> str:
    """What to say when nothing is watched: how to watch, and the bundled sites the archive
    crawled before that are not watched (an archive from before the watch list)."""
    names = unwatched_bundled_sites(db_path)
    if not names:
        return NOTHING_WATCHED
    adds = "; ".join(f"gov-archive add {name}" for name in names)
    return (f"{NOTHING_WATCHED} This archive crawled bundled sites that are not watched "
            f"({', '.join(names)}): `{adds}` watches them again.")


HEALTH_KEYS = ("site", "last_crawl", "last_outcome", "announcements", "failures", "backoff_until",
               "next_due", "due", "health", "last_health_event", "generic", "watched", "columns")
LISTING_KEYS = ("name", "title", "every", "columns", "source", "generic", "watched", "last_crawl",
                "health", "next_due", "due", "failures", "backoff_until")


def _every(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    """``--every``: an interval, kept in its normal form (``1h30m``)."""
    if value is None:
        return None
    try:
        return format_interval(parse_interval(value))
    except IntervalError as error:
        raise click.BadParameter(f"bad interval {value!r}: {error.problem}") from None


def _site_name(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    if value is not None and not NAME_RE.match(value):
        raise click.BadParameter(f"{value!r}: use lowercase letters, digits, '.', '_' or '-'")
    return value


@click.command("add")
@click.argument("target", metavar="URL|SITE")
@click.option("--name", "site_name", metavar="SITE", callback=_site_name,
              help="The site the column belongs to (default: its host)")
@click.option("--title", metavar="TITLE", help="The column's title, e.g. 通知公告")
@click.option("--every", metavar="INTERVAL", callback=_every,
              help="Crawl the site this often: 30m, 6h, 1d ... (default: the definition's, or 6h)")
@click.option("--no-check", is_flag=True, help="Add the column without fetching it first")
@db_option
@sites_dir_option
@click.pass_context
@site_errors
def add_command(ctx: click.Context, target: str, site_name: str | None, title: str | None,
                every: str | None, no_check: bool, db_path: str, sites_dir: str | None) -> None:
    """Watch a column page (URL) or a bundled site (SITE)

    A column page is fetched once first: its page class, announcement links and pagination
    are shown, and a page that cannot be watched (no answer, an HTTP error, an anti-bot
    challenge, no announcement links) is refused. Columns are grouped into sites, the host by default (--name chooses).
    `crawl --due` (cron) and `watch` crawl what is watched.

    \b
    Examples:
      gov-archive add https://www.example.gov.cn/col/col123/index.html
      gov-archive add https://www.example.gov.cn/zcwj/index.html --title 政策文件 --every 1d
      gov-archive add nmpa
    """
    try:
        if "://" not in target:
            if site_name or title or no_check:
                raise click.UsageError("--name, --title and --no-check go with a column URL")
            _show_site(add_site(db_path, target, every=every, sites_dir=sites_dir), every)
            return
        if problem := url_problem(target):
            raise click.BadParameter(problem, param_hint="URL")
        change = add_column(db_path, target, site=site_name, title=title, every=every,
                            check=not no_check, sites_dir=sites_dir)
    except WatchListError as error:
        raise click.ClickException(str(error)) from None
    if change.probe is not None:
        click.echo(f"{target}: {change.probe.summary}")
        if change.probe.note:
            click.echo(f"  note: {change.probe.note}", err=True)
    state = "Watching" if change.changed else "Already watched:"
    updated = ", ".join(f"{what} {value}" for what, value in (("title", title), ("every", every)) if value)
    click.echo(f"{state} {change.url} (site {change.site})"
               + ("" if change.changed or not updated else f"; now with {updated}")
               + ". `gov-archive crawl --due` (cron) or `gov-archive watch` crawls it.")


def _show_site(change: Any, every: str | None) -> None:
    if not change.changed:
        click.echo(f"Already watched: {change.site}")
    else:
        click.echo(f"Watching {change.site}" + (f", every {every}" if every else "") + ":")
    for column in change.columns:
        click.echo(f"    {column.name or '-'}  {column.url}")


@click.command("remove")
@click.argument("target", metavar="URL|SITE")
@db_option
@sites_dir_option
@click.pass_context
@site_errors
def remove_command(ctx: click.Context, target: str, db_path: str, sites_dir: str | None) -> None:
    """Stop watching a column (URL) or a site (SITE); what was archived stays

    \b
    Examples:
      gov-archive remove https://www.example.gov.cn/col/col123/index.html
      gov-archive remove nmpa
    """
    try:
        change = remove(db_path, target, sites_dir=sites_dir)
    except WatchListError as error:
        raise click.ClickException(str(error)) from None
    what = f"{change.url} (site {change.site})" if change.url else change.site
    click.echo(f"Stopped watching {what}; what was archived stays.")
    if change.site_too:
        click.echo(f"{change.site} has no watched column left: the site is no longer watched.")


@click.command()
@sites_dir_option
@click.option("--health", is_flag=True,
              help="A table of each site's health, last crawl and next due time")
@click.option("--catalogue", is_flag=True,
              help="The bundled site definitions instead (`gov-archive add SITE` watches one)")
@click.option("--json", "json_", is_flag=True, help="Output JSON")
@redis_option("With --health: the cluster too (archive host, workers, crawls in flight, queue, "
              "ingest lag)", reach=False)
@db_option
@click.pass_context
@site_errors
def sites(ctx: click.Context, sites_dir: str | None, health: bool, catalogue: bool, json_: bool,
          redis_url: str | None, db_path: str) -> None:
    """List the watched sites: columns, interval, last crawl, next due time, health

    Sites the archive holds but no longer watches (crawled once with `crawl --url` or
    `crawl SITE`) follow, marked "not watched".

    \b
    Examples:
      gov-archive sites
      gov-archive sites --health
      gov-archive sites --health --redis redis://127.0.0.1:6379/0
      gov-archive sites --catalogue
    """
    if redis_url and not health and given(ctx, "redis_url"):
        raise click.UsageError("--redis goes with --health: gov-archive sites --health --redis URL")
    if catalogue:
        _catalogue(db_path, json_)
        return
    if health and not os.path.exists(db_path):
        raise click.ClickException(f"no archive at {db_path}")
    try:
        rows = site_listing(db_path, sites_dir)
    except (ArchiveError, sqlite3.Error) as exc:
        raise click.ClickException(" ".join(str(exc).split())) from None
    if health:
        picked = [{key: row[key] for key in HEALTH_KEYS} for row in rows]
        _health(picked, json_, redis_url)
        return
    listing = [{**{key: row.get(key) for key in LISTING_KEYS}, "last_crawl": row["last_crawl_row"]}
               for row in rows]
    if json_:
        click.echo(json.dumps(listing, ensure_ascii=False, indent=2, default=str))
    elif not any(row["watched"] for row in listing):
        click.echo(nothing_watched(db_path), err=True)
    for line in [] if json_ else _listing_lines(listing):
        click.echo(line)


def _health(rows: list[dict[str, Any]], json_: bool, redis_url: str | None) -> None:
    """The health table (with --redis: each site's crawl in flight, and the cluster's lines)."""
    status = None
    if redis_url:
        # redis-py takes a few hundred milliseconds to import: only with --redis.
        from crawler.service.cluster.status import cluster_status, status_lines  # noqa: PLC0415 — heavy

        status = cluster_status(redis_url)
        flying = {crawl["site"]: crawl for crawl in status.get("crawls", [])}
        for row in rows:
            row["crawl_in_flight"] = flying.get(row["site"])
    if json_:
        click.echo(json.dumps(rows, ensure_ascii=False, indent=2, default=str))
        return
    click.echo(format_health(rows))
    for line in status_lines(status) if status is not None else ():
        click.echo(line)


def _listing_lines(rows: list[dict[str, Any]]) -> list[str]:
    lines: list[str] = []
    unwatched = False
    for row in rows:
        if not row["watched"] and not unwatched:
            unwatched = True
            lines.append("Not watched (crawled before; `gov-archive add URL` watches a column):")
        crawl = row["last_crawl"]
        when = (f"{crawl['finished_at'] or crawl['started_at']} ({crawl['outcome']})"
                if crawl else "never crawled")
        head = f"{row['name']}  {row['title']}  every {_every_shown(row['every'])}  last: {when}"
        if row["watched"]:
            head += f"  next: {'now' if row['due'] else row['next_due']}  health: {row['health']}"
        lines.append(head)
        lines += ["    " + "  ".join(part for part in (c["name"], c["url"], _column_note(c)) if part)
                  for c in row["columns"]]
    return lines


def _every_shown(every: str | None) -> str:
    """The interval a site is crawled at: its own, or the default's, said so."""
    return every or f"{DEFAULT_EVERY} (default)"


def _column_note(column: dict[str, Any]) -> str:
    note = column["health"]
    if column["last_crawl"]:
        note += f", documents: {column['documents']}"
    if column.get("dead_links"):
        note += f", {column['dead_links']} listed links answer 404/410"
    if column["failures"]:
        note += f", next try after {column['backoff_until']}"
    return note


def _catalogue(db_path: str, json_: bool) -> None:
    rows = catalogue_listing(db_path)
    if json_:
        click.echo(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    for row in rows:
        mark = "  (watched)" if row["watched"] else ""
        click.echo(f"{row['name']}  {row['title']}  every {_every_shown(row['every'])}{mark}")
        for column in row["columns"]:
            click.echo(f"    {column['name'] or '-'}  {column['url']}")
