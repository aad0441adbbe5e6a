"""`gov-archive crawl` and `gov-archive sites`."""

from __future__ import annotations

import json
import os
import sqlite3
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import click

from archive import Archive, ArchiveError
from archive.timeutil import format_interval
from crawler.cli.options import (
    db_option,
    resolve_db_path,
    settings_option,
    site_errors,
    sites_dir_option,
    webhook_option,
)
from crawler.outcome import count
from crawler.service.health import format_health, site_health
from crawler.sites import SiteDef, SiteDefError, choose_sites, generic_sites, load_sites

if TYPE_CHECKING:
    from crawler.service.crawls import CrawlReport
    from crawler.service.runner import CrawlSummary, SiteResult


def check_urls(ctx: click.Context, param: click.Parameter,
               urls: tuple[str, ...]) -> tuple[str, ...]:
    """Click callback: every ``--url`` must be an http(s) URL (a usage error otherwise)."""
    try:
        generic_sites(urls)
    except SiteDefError as exc:
        raise click.UsageError(str(exc)) from None
    return urls


@click.command()
@click.argument("site_names", nargs=-1, metavar="[SITE]...")
@click.option("--url", "urls", multiple=True, metavar="URL", callback=check_urls,
              help="Crawl this column (list page) with no site definition; repeatable")
@click.option("--all", "all_sites", is_flag=True, help="Crawl every defined site")
@click.option("--full", is_flag=True,
              help="Walk every list page and revisit every known article now")
@db_option
@sites_dir_option
@settings_option
@click.option("--jobdir", type=click.Path(file_okay=False),
              help="Scrapy JOBDIR for resuming (default: <db>.state/jobs/<site>)")
@click.option("--due", is_flag=True,
              help="Only the sites whose interval (`every`) has passed; alone it means --all --due")
@webhook_option
@click.option("--json", "json_", is_flag=True, help="Print the summary as JSON on stdout")
@click.option("-v", "--verbose", is_flag=True, help="Show Scrapy's INFO log")
@click.pass_context
@site_errors
def crawl(ctx: click.Context, site_names: tuple[str, ...], urls: tuple[str, ...], all_sites: bool,
          full: bool, db_path: str, sites_dir: str | None, settings: dict[str, Any],
          jobdir: str | None, due: bool, webhooks: tuple[str, ...], webhook_timeout: float,
          json_: bool, verbose: bool) -> None:
    """Crawl sites into the archive: new, changed and withdrawn announcements

    SITE names a definition (`gov-archive sites` lists them); --url crawls any column page
    generically. Exits 1 when a crawl was unhealthy (everything failed, blocked by anti-bot
    protection, archive not writable).

    \b
    Examples:
      gov-archive crawl nmpa
      gov-archive crawl --url https://www.example.gov.cn/tzgg/index.html
      gov-archive crawl --all --full -s DOWNLOAD_DELAY=0.5
    """
    # Scrapy and Twisted take about a second to import: only the crawl command loads them.
    from crawler.service.crawls import CrawlError, run_and_report  # noqa: PLC0415 — heavy, see above

    chosen = _choose(site_names, urls, all_sites or (due and not (site_names or urls)),
                     sites_dir)
    try:
        report = run_and_report(db_path, chosen, settings=_with_jobdir(settings, jobdir, chosen),
                                full=full, due=due, webhooks=webhooks,
                                webhook_timeout=webhook_timeout, verbose=verbose,
                                progress=sys.stderr.isatty() and not json_,
                                notify=lambda line: click.echo(line, err=True))
    except CrawlError as exc:
        raise click.ClickException(str(exc)) from None
    _render(report, json_)
    ctx.exit(report.exit_code)


def _choose(names: Sequence[str], urls: Sequence[str], all_sites: bool,
            sites_dir: str | None) -> list[SiteDef]:
    """The sites to crawl: SITE names, --url columns or --all (at least one)."""
    if not (names or urls or all_sites):
        raise click.UsageError("name a SITE, give --url URL, or use --all")
    chosen = choose_sites(names, urls, all_sites=all_sites, sites_dir=sites_dir)
    if not chosen:
        raise click.ClickException("no site to crawl")
    return chosen


def _with_jobdir(settings: dict[str, Any], jobdir: str | None,
                 chosen: Sequence[SiteDef]) -> dict[str, Any]:
    """The settings with ``--jobdir`` (one site only)."""
    if not jobdir:
        return settings
    if len(chosen) > 1:
        raise click.UsageError("--jobdir needs exactly one site (the --url columns of one host)")
    return {**settings, "JOBDIR": jobdir}


def _render(report: CrawlReport, json_: bool) -> None:
    """The summary (stdout with --json, else stderr notes and stdout lines), then the notes."""
    if report.not_due:
        click.echo("No site is due.", err=True)
        if json_:
            click.echo(json.dumps({"db": report.db, "healthy": True, "exit_code": 0,
                                   "sites": []}))
    for name in report.busy:
        click.echo(f"{name}: skipped, another crawl of this site is running", err=True)
    if report.summary is None:
        return
    _render_summary(report.summary, json_)
    if report.bookkeeping_error:
        click.echo("after the crawl: could not update schedule state or alerts: "
                   f"{report.bookkeeping_error}", err=True)
    for line in report.bookkeeping.lines() if report.bookkeeping else ():
        click.echo(line, err=True)


def _render_summary(summary: CrawlSummary, json_: bool) -> None:
    if json_:
        click.echo(json.dumps(summary.to_dict(), ensure_ascii=False, indent=2, default=str))
    for site in summary.sites:
        click.echo(_site_line(site), err=json_)
        for problem in site.problems:
            click.echo(f"  {'problem' if not site.healthy else 'note'}: {problem}", err=json_)


def _site_line(site: SiteResult) -> str:
    """``city: finished - 12 pages, 3 new, 1 changed, 8 unchanged, 0 gone, 0 restored ...``"""
    s = site.stats
    line = (f"{site.site}: {site.outcome} - {count(s, 'downloader/response_count')} pages, "
            f"{count(s, 'archive/new')} new, {count(s, 'archive/changed')} changed, "
            f"{count(s, 'archive/unchanged') + count(s, 'archive/not_modified')} unchanged, "
            f"{count(s, 'archive/gone')} gone, {count(s, 'archive/restored')} restored")
    empty = count(s, "pages/empty") + count(s, "pages/js_shell")
    skipped = count(s, "pages/antibot") + count(s, "pages/soft404") + empty
    if skipped:
        line += (f", {skipped} not archived (anti-bot {count(s, 'pages/antibot')}, soft 404 "
                 f"{count(s, 'pages/soft404')}, empty {empty})")
    errors = count(s, "pages/failed") + count(s, "pages/error")
    if errors:
        line += f", {errors} errors"
    return line


@click.command()
@sites_dir_option
@click.option("--health", is_flag=True, help="Show each site's health, back-off and next due time")
@click.option("--json", "json_", is_flag=True, help="Output JSON")
@click.pass_context
@site_errors
def sites(ctx: click.Context, sites_dir: str | None, health: bool, json_: bool) -> None:
    """List the site definitions: name, columns, crawl interval, last crawl"""
    defined = sorted(load_sites(sites_dir).values(), key=lambda d: d.name)
    if health:
        _sites_health(resolve_db_path(ctx), defined, json_)
        return
    rows = _site_rows(resolve_db_path(ctx), defined)
    if json_:
        click.echo(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    for row in rows:
        crawl_info = row["last_crawl"]
        when = (f"{crawl_info['finished_at'] or crawl_info['started_at']} ({crawl_info['outcome']})"
                if crawl_info else "never crawled")
        click.echo(f"{row['name']}  {row['title']}  every {row['every'] or '-'}  last: {when}")
        for col in row["columns"]:
            click.echo(f"    {col['name'] or '-'}  {col['url']}")


GENERIC_TITLE = "(generic)"  # a site crawled with --url: no definition


def _site_rows(db_path: str, defined: list[SiteDef]) -> list[dict[str, Any]]:
    """One row per definition, then one per site of the archive crawled with --url."""
    last, undefined = _last_crawls(db_path, [site.name for site in defined])
    rows: list[dict[str, Any]] = [{
        "name": site.name, "title": site.title, "every": format_interval(site.every),
        "columns": [{"name": c.name, "url": c.url} for c in site.columns],
        "source": site.source, "generic": False, "last_crawl": last.get(site.name),
    } for site in defined]
    return rows + [{
        "name": site["name"], "title": GENERIC_TITLE, "every": None,
        "columns": [{"name": None, "url": site["base_url"]}] if site.get("base_url") else [],
        "source": None, "generic": True, "last_crawl": last.get(site["name"]),
    } for site in undefined]


def _sites_health(db_path: str, defined: list[SiteDef], json_: bool) -> None:
    """`sites --health`: defined sites plus the archive's generic ones; needs the archive."""
    if not os.path.exists(db_path):
        raise click.ClickException(f"no archive at {db_path}")
    try:
        rows = site_health(db_path, defined, archive_sites=True)
    except (ArchiveError, sqlite3.Error) as exc:
        raise click.ClickException(" ".join(str(exc).split())) from None
    click.echo(json.dumps(rows, ensure_ascii=False, indent=2, default=str) if json_
               else format_health(rows))


def _last_crawls(db_path: str, names: list[str]) -> tuple[dict[str, dict[str, Any]],
                                                          list[dict[str, Any]]]:
    """Each site's latest crawl, and the archive's sites without a definition."""
    if not os.path.exists(db_path):
        return {}, []
    try:
        with Archive(db_path) as a:
            undefined = [s for s in a.sites() if s["name"] not in set(names)]
            out = {}
            for name in names + [s["name"] for s in undefined]:
                rows = a.crawls(site=name, limit=1)
                if rows:
                    out[name] = {k: rows[0].get(k) for k in ("started_at", "finished_at", "outcome")}
            return out, undefined
    except ArchiveError:
        return {}, []
