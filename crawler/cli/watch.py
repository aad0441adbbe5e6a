"""`gov-archive watch` (the long-running scheduler) and `gov-archive notify`."""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from datetime import timedelta
from pathlib import Path
from typing import Any

import click

from archive.timeutil import IntervalError, format_interval, parse_interval
from crawler.cli.options import (
    FiniteRange,
    db_option,
    given,
    redis_option,
    settings_option,
    site_errors,
    sites_dir_option,
    webhook_option,
)
from crawler.service.bookkeeping import post_crawl
from crawler.service.watch import (
    DEFAULT_CRAWL_TIMEOUT,
    WatchConfig,
    Watcher,
    crawl_argv_for,
    open_archive_for,
    setup_logging,
)
from crawler.service.watchlist import choose_sites, watched_schedules, watched_sites
from crawler.sites import SiteDef, load_sites

log = logging.getLogger("gov-archive.watch")


def _interval(ctx: click.Context, param: click.Parameter, value: str | None) -> timedelta | None:
    if value is None:
        return None
    try:
        return parse_interval(value)
    except IntervalError as error:
        raise click.BadParameter(f"bad interval {value!r}: {error.problem}") from None


def _timeout(ctx: click.Context, param: click.Parameter, value: str) -> float:
    """``--crawl-timeout``: an interval, or 0 for no limit, in seconds."""
    try:
        return parse_interval(value, allow_zero=True).total_seconds()
    except IntervalError as error:
        raise click.BadParameter(f"bad interval {value!r}: {error.problem}") from None


@click.command("watch")
@click.argument("sites", nargs=-1)
@db_option
@sites_dir_option
@click.option("--max-parallel", type=click.IntRange(1), default=2, show_default=True,
              help="Crawls running at the same time (with --redis: crawls offered at once, default 64).")
@click.option("--interval", default="1m", show_default=True, callback=_interval,
              help="How often to look for due sites (30s, 5m ...).")
@click.option("--once", is_flag=True, help="Run the sites that are due now, then exit.")
@webhook_option
@click.option("--stop-timeout", type=FiniteRange(0, 86_400), default=30.0, show_default=True,
              help="Seconds to wait for crawls after SIGTERM before killing them.")
@click.option("--crawl-timeout", default=format_interval(DEFAULT_CRAWL_TIMEOUT), show_default=True,
              callback=_timeout, metavar="INTERVAL",
              help="Longest one crawl may run (30m, 6h ...; 0: no limit); then it is stopped "
                   "(SIGTERM, SIGKILL after --stop-timeout) and counts as a failure.")
@click.option("--max-backoff", default="1d", show_default=True, callback=_interval,
              help="Longest wait imposed on a failing site (never shorter than its interval).")
@click.option("--log-dir", type=click.Path(file_okay=False), help="Write each site's crawl output to DIR/SITE.log.")
@settings_option
@redis_option("Be the archive host of a cluster: offer the due crawls through this Redis to "
              "`gov-archive worker`s and archive what they send (README \"Scaling out\")")
@click.option("-v", "--verbose", is_flag=True, help="Also log webhook retries.")
@click.pass_context
@site_errors
def watch_command(
    ctx: click.Context, sites: tuple[str, ...], db_path: str, sites_dir: str | None,
    max_parallel: int, interval: timedelta, once: bool, webhooks: tuple[str, ...],
    webhook_timeout: float, stop_timeout: float, crawl_timeout: float, max_backoff: timedelta,
    log_dir: str | None, settings: dict[str, Any], redis_url: str | None, verbose: bool,
) -> None:
    """Keep crawling what is watched when it is due, each site in its own process.

    Watched: the columns and sites added with `gov-archive add`, and the definitions in your
    own --sites folder (`gov-archive sites` lists them; SITE arguments narrow it down). A
    column is due when its site's interval (`every`, default 6h) has passed since its last
    crawl. Failing columns, and blocked or overrunning (--crawl-timeout) sites, back off
    exponentially. Columns added while watch runs are picked up at the next pass. Stop with
    SIGTERM or Ctrl-C; running crawls are closed cleanly.

    With --redis URL, watch is the archive host of a cluster: crawl workers on other machines
    (`gov-archive worker --redis URL`) run the crawls it offers, and it writes what they send
    into the archive. -s settings and --crawl-timeout go to the workers' crawls with each
    offer; --log-dir and --stop-timeout are then the workers' own options.

    \b
    Examples:
      gov-archive watch --db gov.db
      gov-archive watch --db gov.db --max-parallel 4 --webhook https://hooks.example/gov
      gov-archive watch --db gov.db --once        # one pass, e.g. from cron
      gov-archive watch nmpa cmse -s DOWNLOAD_DELAY=3 --log-dir logs
      gov-archive watch --db gov.db --redis redis://:secret@127.0.0.1:6379/0
    """
    db = Path(db_path)
    if not db.parent.exists():
        raise click.ClickException(f"folder {db.parent} does not exist")
    chosen = watched_schedules(db, sites_dir, sites)  # unknown SITE names: a usage error
    setup_logging(verbose)
    if not chosen:
        log.info("nothing is watched yet: `gov-archive add URL` watches a column page; "
                 "columns added later are picked up at the next pass")
    if redis_url:
        _workers_options(ctx)
        ctx.exit(_host(db, redis_url, lambda: _definitions(db, sites_dir, sites), settings=settings,
                       max_in_flight=max_parallel if given(ctx, "max_parallel") else 64,
                       interval=interval, webhooks=webhooks, webhook_timeout=webhook_timeout,
                       max_backoff=max_backoff, crawl_timeout=crawl_timeout, once=once))
    config = WatchConfig(
        db_path=db,
        sites=lambda: watched_schedules(db, sites_dir, sites),
        crawl_argv=crawl_argv_for(db, sites_dir=sites_dir, extra=_setting_args(settings)),
        open_archive=open_archive_for(db),
        max_parallel=max_parallel,
        interval=interval.total_seconds(),
        stop_timeout=stop_timeout,
        crawl_timeout=crawl_timeout,
        max_backoff=max_backoff,
        webhooks=webhooks,
        log_dir=Path(log_dir) if log_dir else None,
        delivery_options={"timeout": webhook_timeout},
    )
    ctx.exit(Watcher(config).run(once=once))


def _workers_options(ctx: click.Context) -> None:
    """With --redis the crawls run on the workers: their options are `gov-archive worker`'s."""
    for name, flag in (("log_dir", "--log-dir"), ("stop_timeout", "--stop-timeout")):
        if given(ctx, name):
            raise click.UsageError(f"{flag} is a worker's option with --redis: the crawls run "
                                   f"on the workers (gov-archive worker {flag} ...)")


def _definitions(db: Path, sites_dir: str | None, names: tuple[str, ...]) -> list[SiteDef]:
    """The watched sites (or the sites `names`) as definitions, for the archive host."""
    return choose_sites(db, names, sites_dir=sites_dir) if names else watched_sites(db, sites_dir)


def _host(db: Path, redis_url: str, sites: Callable[[], list[SiteDef]], *, settings: dict[str, Any],
          max_in_flight: int, interval: timedelta, webhooks: tuple[str, ...],
          webhook_timeout: float, max_backoff: timedelta, crawl_timeout: float, once: bool) -> int:
    """Run the archive host of a cluster; its exit status."""
    # The host applies items with the crawl pipeline's code, which imports Scrapy (a second).
    from crawler.service.cluster.host import ClusterHost, HostConfig, HostError  # noqa: PLC0415 — heavy

    config = HostConfig(db_path=db, redis_url=redis_url, sites=sites, settings=dict(settings),
                        max_in_flight=max_in_flight, interval=interval.total_seconds(),
                        webhooks=webhooks, max_backoff=max_backoff, crawl_timeout=crawl_timeout,
                        delivery_options={"timeout": webhook_timeout})
    try:
        return ClusterHost(config).run(once=once)
    except HostError as error:
        raise click.ClickException(str(error)) from None


def _setting_args(settings: Mapping[str, Any]) -> list[str]:
    """``-s NAME=VALUE`` arguments handing the settings on to each child crawl."""
    return [arg for name, value in settings.items() for arg in ("-s", f"{name}={value}")]


@click.command("notify")
@click.argument("sites", nargs=-1)
@db_option
@sites_dir_option
@webhook_option
@click.pass_context
@site_errors
def notify_command(
    ctx: click.Context, sites: tuple[str, ...], db_path: str, sites_dir: str | None,
    webhooks: tuple[str, ...], webhook_timeout: float,
) -> None:
    """Book-keep finished crawls and deliver pending events, without crawling.

    For crawls that ran outside `crawl` and `watch` (Scrapyd, `scrapy crawl`): updates the
    back-off state, raises health events, and sends undelivered events to the webhooks
    (``--webhook`` and each site's ``[alerts] webhook``). Also retries deliveries that
    failed earlier. An event a receiver acknowledged is never sent to it again, however often
    this runs (delivery is at least once: see README "Alerts").

    \b
    Example (crontab, next to Scrapyd):
      */10 * * * * gov-archive --db /srv/gov/archive.db notify --webhook https://hooks.example/gov
    """
    path = Path(db_path)
    if not path.exists():
        raise click.ClickException(f"no archive at {path}")
    if sites:
        chosen = choose_sites(path, sites, sites_dir=sites_dir)
    else:  # every definition (Scrapyd runs bundled ones too) and every watched site
        chosen = list({site.name: site for site in [*load_sites(sites_dir).values(),
                                                    *watched_sites(path, sites_dir)]}.values())
    report = post_crawl(path, chosen, webhooks=webhooks, timeout=webhook_timeout,
                        log_result=False)  # its lines say what came of each delivery
    for line in report.lines():
        click.echo(line, err=True)
    ctx.exit(1 if report.failed else 0)
