"""`gov-archive crawl` and `gov-archive sites`."""

from __future__ import annotations

import contextlib
import json
import os
import sys
from collections.abc import Iterator, Sequence
from typing import Any

import click

from crawler.cli.options import resolve_db_path


def _parse_settings(pairs: Sequence[str]) -> dict[str, str]:
    settings: dict[str, str] = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep or not name.strip():
            raise click.UsageError(f"-s expects NAME=VALUE, got {pair!r}")
        settings[name.strip()] = value
    return settings


@click.command()
@click.argument("site_names", nargs=-1, metavar="[SITE]...")
@click.option("--url", "urls", multiple=True, metavar="URL",
              help="Crawl this column (list page) with no site definition; repeatable")
@click.option("--all", "all_sites", is_flag=True, help="Crawl every defined site")
@click.option("--full", is_flag=True,
              help="Walk every list page and revisit every known article now")
@click.option("--db", "db", type=click.Path(dir_okay=False), default=None,
              help="Archive database file (default: the group's --db)")
@click.option("--sites", "sites_dir", type=click.Path(file_okay=False),
              help="Folder of extra site definitions (*.toml); also $GOV_ARCHIVE_SITES")
@click.option("-s", "--set", "setting_pairs", multiple=True, metavar="NAME=VALUE",
              help="Override a Scrapy setting, e.g. -s DOWNLOAD_DELAY=0; repeatable")
@click.option("--jobdir", type=click.Path(file_okay=False),
              help="Scrapy JOBDIR for resuming (default: <db>.state/jobs/<site>)")
@click.option("--due", is_flag=True,
              help="Only the sites whose interval (`every`) has passed; alone it means --all --due")
@click.option("--webhook", "webhooks", multiple=True, metavar="URL",
              help="After the crawl, POST new events to this URL; repeatable")
@click.option("--json", "json_", is_flag=True, help="Print the summary as JSON on stdout")
@click.option("-v", "--verbose", is_flag=True, help="Show Scrapy's INFO log")
@click.pass_context
def crawl(ctx: click.Context, site_names: tuple[str, ...], urls: tuple[str, ...], all_sites: bool,
          full: bool, db: str | None, sites_dir: str | None, setting_pairs: tuple[str, ...],
          jobdir: str | None, due: bool, webhooks: tuple[str, ...], json_: bool,
          verbose: bool) -> None:
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
    from crawler.service import runner
    from crawler.sites import SiteDefError, generic_sites

    if due and not (site_names or urls):
        all_sites = True
    if not (site_names or urls or all_sites):
        raise click.UsageError("name a SITE, give --url URL, or use --all")
    try:
        settings: dict[str, Any] = runner.check_settings(_parse_settings(setting_pairs))
    except runner.BadSetting as exc:
        raise click.UsageError(str(exc)) from None
    try:
        generic_sites(urls)
    except SiteDefError as exc:  # a malformed --url is a usage error, like a bad -s
        raise click.UsageError(str(exc)) from None
    try:
        chosen = runner.select_sites(site_names, urls, all_sites=all_sites, sites_dir=sites_dir)
    except runner.UnknownSite as exc:  # a name the user typed: a usage error, like watch's
        raise click.BadParameter(str(exc), param_hint="SITE") from None
    except SiteDefError as exc:
        raise click.ClickException(str(exc)) from None
    if not chosen:
        raise click.ClickException("no site to crawl")
    if jobdir and len(chosen) > 1:
        raise click.UsageError("--jobdir needs exactly one site (the --url columns of one host)")
    if jobdir:
        try:
            os.makedirs(jobdir, exist_ok=True)
        except OSError as exc:
            raise click.ClickException(f"cannot use --jobdir {jobdir}: {exc}") from None
        settings["JOBDIR"] = jobdir
    path = resolve_db_path(ctx, db)
    if due:
        from crawler.service.schedule import select_due

        chosen = select_due(path, chosen)
        if not chosen:
            click.echo("No site is due.", err=True)
            if json_:
                click.echo(json.dumps({"db": path, "healthy": True, "exit_code": 0, "sites": []}))
            return
    _check_archive(path)
    with _site_locks(path, [site.name for site in chosen]) as busy:
        for name in busy:
            click.echo(f"{name}: skipped, another crawl of this site is running", err=True)
        chosen = [site for site in chosen if site.name not in busy]
        if not chosen:
            ctx.exit(0)
        summary = runner.crawl(path, site_defs=chosen, full=full, settings=settings,
                               verbose=verbose, progress=sys.stderr.isatty() and not json_)
    _report(summary, json_)
    _after_crawl(path, chosen, webhooks)
    ctx.exit(summary.exit_code)


@contextlib.contextmanager
def _site_locks(db_path: str, names: list[str]) -> Iterator[list[str]]:
    """Hold each site's crawl lock (crawler/locks.py); yield the names another process holds."""
    from crawler.service.locks import hold_sites

    with hold_sites(db_path, names) as (_held, busy):
        yield busy


def _after_crawl(db_path: str, chosen: list[Any], webhooks: Sequence[str]) -> None:
    """Back-off state, health rules and webhook delivery (crawler/schedule.py)."""
    import sqlite3

    from archive import ArchiveError
    from crawler.service.schedule import post_crawl

    try:
        report = post_crawl(db_path, chosen, webhooks=webhooks)
    except (ArchiveError, OSError, sqlite3.Error) as exc:
        message = " ".join(str(exc).split())
        click.echo(f"after the crawl: could not update schedule state or alerts: {message}",
                   err=True)
        return
    for line in report.lines():
        click.echo(line, err=True)


def _check_archive(path: str) -> None:
    """Fail before crawling when the archive cannot be opened for writing."""
    import sqlite3

    from archive import Archive, ArchiveError

    try:
        with Archive(path, create=True):
            pass
    except (ArchiveError, OSError, sqlite3.Error) as exc:
        raise click.ClickException(f"archive not writable: {path}: {exc}") from None


def _report(summary: Any, json_: bool) -> None:
    if json_:
        click.echo(json.dumps(summary.to_dict(), ensure_ascii=False, indent=2, default=str))
    for site in summary.sites:
        s = site.stats

        def n(key: str) -> int:
            return int(s.get(key, 0) or 0)

        line = (f"{site.site}: {site.outcome} - {n('downloader/response_count')} pages, "
                f"{n('archive/new')} new, {n('archive/changed')} changed, "
                f"{n('archive/unchanged') + n('archive/not_modified')} unchanged, "
                f"{n('archive/gone')} gone, {n('archive/restored')} restored")
        skipped = n("pages/antibot") + n("pages/soft404") + n("pages/empty") + n("pages/js_shell")
        if skipped:
            line += f", {skipped} not archived (anti-bot {n('pages/antibot')}, soft 404 " \
                    f"{n('pages/soft404')}, empty {n('pages/empty') + n('pages/js_shell')})"
        errors = n("pages/failed") + n("pages/error")
        if errors:
            line += f", {errors} errors"
        click.echo(line, err=json_)
        for problem in site.problems:
            click.echo(f"  {'problem' if not site.healthy else 'note'}: {problem}", err=json_)


@click.command()
@click.option("--sites", "sites_dir", type=click.Path(file_okay=False),
              help="Folder of extra site definitions (*.toml); also $GOV_ARCHIVE_SITES")
@click.option("--health", is_flag=True, help="Show each site's health, back-off and next due time")
@click.option("--json", "json_", is_flag=True, help="Output JSON")
@click.pass_context
def sites(ctx: click.Context, sites_dir: str | None, health: bool, json_: bool) -> None:
    """List the site definitions: name, columns, crawl interval, last crawl"""
    from crawler.sites import SiteDefError, format_interval, load_sites

    try:
        defined = load_sites(sites_dir)
    except SiteDefError as exc:
        raise click.ClickException(str(exc)) from None
    if health:
        _sites_health(resolve_db_path(ctx), list(defined.values()), json_)
        return
    last, undefined = _last_crawls(resolve_db_path(ctx), list(defined))
    rows: list[dict[str, Any]] = [{
        "name": site.name, "title": site.title, "every": format_interval(site.every),
        "columns": [{"name": c.name, "url": c.url} for c in site.columns],
        "source": site.source, "generic": False, "last_crawl": last.get(site.name),
    } for site in sorted(defined.values(), key=lambda d: d.name)]
    rows += [{
        "name": site["name"], "title": GENERIC_TITLE, "every": None,
        "columns": [{"name": None, "url": site["base_url"]}] if site.get("base_url") else [],
        "source": None, "generic": True, "last_crawl": last.get(site["name"]),
    } for site in undefined]
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


def _sites_health(db_path: str, defined: list[Any], json_: bool) -> None:
    """`sites --health`: defined sites plus the archive's generic ones; needs the archive."""
    import sqlite3

    from archive import ArchiveError
    from crawler.service.health import format_health, site_health

    if not os.path.exists(db_path):
        raise click.ClickException(f"no archive at {db_path}")
    try:
        rows = site_health(db_path, sorted(defined, key=lambda d: d.name), archive_sites=True)
    except (ArchiveError, sqlite3.Error) as exc:
        raise click.ClickException(" ".join(str(exc).split())) from None
    click.echo(json.dumps(rows, ensure_ascii=False, indent=2, default=str) if json_
               else format_health(rows))


def _last_crawls(db_path: str, names: list[str]) -> tuple[dict[str, dict[str, Any]],
                                                          list[dict[str, Any]]]:
    """Each site's latest crawl, and the archive's sites without a definition."""
    if not os.path.exists(db_path):
        return {}, []
    from archive import Archive, ArchiveError

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

