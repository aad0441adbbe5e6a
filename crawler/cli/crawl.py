"""`gov-archive crawl`: crawl watched sites, named sites or one-off column pages."""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import click

from archive.timeutil import iso
from crawler.cli.options import (
    db_option,
    settings_option,
    site_errors,
    sites_dir_option,
    webhook_option,
)
from crawler.cli.watchlist import nothing_watched
from crawler.outcome import count, error_count
from crawler.service.watchlist import choose_sites
from crawler.sites import SiteDef, SiteDefError, generic_sites

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
@click.option("--all", "all_sites", is_flag=True, help="Crawl every watched site now, due or not")
@click.option("--full", is_flag=True,
              help="Walk every list page and revisit every known article now")
@db_option
@sites_dir_option
@settings_option
@click.option("--jobdir", type=click.Path(file_okay=False),
              help="Scrapy JOBDIR for resuming (default: <db>.state/jobs/<site>)")
@click.option("--due", is_flag=True,
              help="Only the watched columns whose interval has passed; alone it means --all --due")
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

    `crawl --due` (cron) crawls exactly what is watched (`gov-archive add`, `gov-archive
    sites`), each column when its interval has passed; --all every watched site now. SITE
    names a watched site or a definition (own or bundled: `gov-archive sites --catalogue`);
    --url crawls a column page once (`gov-archive add URL` watches it). Exits 1 when a crawl
    was unhealthy (everything failed, blocked by anti-bot protection, archive not writable)
    or a named site was skipped because another crawl of it is running.

    \b
    Examples:
      gov-archive crawl --due
      gov-archive crawl nmpa
      gov-archive crawl --url https://www.example.gov.cn/tzgg/index.html
      gov-archive crawl --all --full -s DOWNLOAD_DELAY=0.5
    """
    # Scrapy and Twisted take about a second to import: only the crawl command loads them.
    from crawler.service.crawls import CrawlError, run_and_report  # noqa: PLC0415 — heavy, see above

    everything = all_sites or (due and not (site_names or urls))
    chosen = _choose(db_path, site_names, urls, everything, sites_dir)
    if not chosen:
        click.echo(nothing_watched(db_path), err=True)
        return
    try:
        report = run_and_report(db_path, chosen, settings=_with_jobdir(settings, jobdir, chosen),
                                full=full, due=due, webhooks=webhooks,
                                webhook_timeout=webhook_timeout, verbose=verbose,
                                progress=sys.stderr.isatty() and not json_,
                                notify=lambda line: click.echo(line, err=True))
    except CrawlError as exc:
        raise click.ClickException(str(exc)) from None
    _render(report, json_)
    if urls and report.summary is not None:
        click.echo("A one-off crawl: `gov-archive add URL` watches a column, so that "
                   "`crawl --due` and `watch` crawl it again.", err=True)
    named = set(site_names) | set(generic_sites(urls))
    ctx.exit(report.exit_code or int(not due and bool(named & set(report.busy))))


def _choose(db_path: str, names: Sequence[str], urls: Sequence[str], all_sites: bool,
            sites_dir: str | None) -> list[SiteDef]:
    """The sites to crawl: SITE names, --url columns or every watched site (`all_sites`)."""
    if not (names or urls or all_sites):
        raise click.UsageError("name a SITE, give --url URL, or use --all or --due")
    return choose_sites(db_path, names, urls, all_sites=all_sites, sites_dir=sites_dir)


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
        click.echo(_not_due_line(report), err=True)
        if json_:
            next_due = ({"site": report.next_due[0], "at": iso(report.next_due[1])}
                        if report.next_due else None)
            click.echo(json.dumps({"db": report.db, "healthy": True, "exit_code": 0,
                                   "sites": [], "running": report.running,
                                   "next_due": next_due}))
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


def _not_due_line(report: CrawlReport) -> str:
    """``No site is due (nmpa: being crawled by another process); next: cmse at 2026-12-07T08:00:00+00:00.``"""
    line = "No site is due"
    if report.running:
        line += f" ({', '.join(report.running)}: being crawled by another process)"
    if report.next_due:
        site, when = report.next_due
        line += f"; next: {site} at {iso(when)}"
    return line + "."


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
    if count(s, "archive/reextracted"):
        line += f", {count(s, 'archive/reextracted')} re-extracted (read anew, not edited)"
    empty = count(s, "pages/empty") + count(s, "pages/js_shell")
    skipped = count(s, "pages/antibot") + count(s, "pages/soft404") + count(s, "pages/binary") + empty
    if skipped:
        line += (f", {skipped} not archived (anti-bot {count(s, 'pages/antibot')}, soft 404 "
                 f"{count(s, 'pages/soft404')}, files or garbage {count(s, 'pages/binary')}, "
                 f"empty {empty})")
    errors = error_count(s)
    if errors:
        line += f", {errors} errors"
    return line
