"""`gov-archive worker`: a crawl worker of a cluster (README "Scaling out")."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from crawler.cli.options import redis_option, settings_option


@click.command("worker")
@redis_option("The cluster's Redis, e.g. redis://:PASSWORD@archive-host:6379/0", required=True)
@click.option("--name", default=None, metavar="NAME",
              help="This worker's name in `sites --health` (default: machine:pid)")
@click.option("--max-parallel", type=click.IntRange(1), default=2, show_default=True,
              help="Crawls running at the same time.")
@click.option("--stop-timeout", type=click.FloatRange(0), default=30.0, show_default=True,
              help="Seconds to wait for crawls after SIGTERM before killing them.")
@click.option("--log-dir", type=click.Path(file_okay=False), help="Write each site's crawl output to DIR/SITE.log.")
@settings_option
@click.option("-v", "--verbose", is_flag=True, help="Also log webhook and Redis retries.")
@click.pass_context
def worker_command(ctx: click.Context, redis_url: str, name: str | None, max_parallel: int,
                   stop_timeout: float, log_dir: str | None, settings: dict[str, Any], verbose: bool) -> None:
    """Crawl the sites an archive host offers, on this machine

    The archive host (`gov-archive watch --redis URL` on the machine with the archive) decides
    what is due and offers it; workers, on any number of machines, each take crawls, run them
    with the normal spiders and extraction and send what they find back through Redis. A
    worker needs no archive, no site definitions and no shared disk. -s settings apply to its
    crawls (e.g. -s CONCURRENT_REQUESTS=32). A worker that dies has its crawls finished by
    another. Stop with SIGTERM or Ctrl-C: running crawls are handed to other workers.

    \b
    Examples:
      gov-archive worker --redis redis://:secret@10.0.0.5:6379/0
      gov-archive worker --redis redis://10.0.0.5/0 --max-parallel 8 -s DOWNLOAD_DELAY=2
    """
    # Scrapy and Twisted take about a second to import: only crawling commands load them.
    from crawler.service.cluster.worker import Worker, WorkerConfig, default_name  # noqa: PLC0415 — heavy
    from crawler.service.watch import setup_logging  # noqa: PLC0415 — heavy, see above

    setup_logging(verbose)
    config = WorkerConfig(redis_url=redis_url, name=name or default_name(), settings=settings,
                          max_parallel=max_parallel, stop_timeout=stop_timeout,
                          log_dir=Path(log_dir) if log_dir else None)
    ctx.exit(Worker(config).run())
