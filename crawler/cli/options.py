"""What the commands share: the group's state, common options and their callbacks.

Every option used by more than one command is defined here, once (output: crawler/cli/output.py).
"""

from __future__ import annotations

import difflib
import functools
import math
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, TypeVar

import click
from click.core import ParameterSource

from archive import Archive, timeutil
from archive.urls import BadURL, check_url
from crawler.service import alerts
from crawler.sites import SiteDefError, UnknownSite

F = TypeVar("F", bound=Callable[..., Any])

DEFAULT_DB = "archive.db"
DB_ENVVAR = "GOV_ARCHIVE_DB"


class FiniteRange(click.FloatRange):
    """A float range that also refuses nan and inf (click.FloatRange lets nan through)."""

    def convert(self, value: Any, param: click.Parameter | None,
                ctx: click.Context | None) -> Any:
        number = super().convert(value, param, ctx)
        if not math.isfinite(number):
            self.fail(f"{value!r} is not a finite number", param, ctx)
        return number


@dataclass
class CliState:
    """What the group passes down to its commands: the archive, and where its path came from
    (the command line, $GOV_ARCHIVE_DB or the default)."""

    db_path: str
    db_source: ParameterSource = ParameterSource.DEFAULT


def given(ctx: click.Context, name: str) -> bool:
    """True if the option (parameter `name`) was typed on the command line (not a default or
    an environment variable)."""
    return ctx.get_parameter_source(name) is ParameterSource.COMMANDLINE


def archive_choice(ctx: click.Context) -> tuple[str, ParameterSource]:
    """The archive path (``--db`` before or after the command, $GOV_ARCHIVE_DB, archive.db)
    and where it came from."""
    state = ctx.find_object(CliState)
    if state is not None:
        return state.db_path, state.db_source
    from_env = os.environ.get(DB_ENVVAR)
    if from_env:
        return from_env, ParameterSource.ENVIRONMENT
    return DEFAULT_DB, ParameterSource.DEFAULT


def resolve_db_path(ctx: click.Context, override: str | None = None) -> str:
    """A command's own ``--db``, else the group's (or $GOV_ARCHIVE_DB, or archive.db)."""
    return override or archive_choice(ctx)[0]


def parse_since_option(
    ctx: click.Context, param: click.Parameter, value: str | None
) -> datetime | None:
    """Click callback: `30m`, `12h`, `2d`, `1w`, `YYYY-MM-DD` or ISO -> aware UTC datetime."""
    if value is None:
        return None
    try:
        return timeutil.parse_since(value)
    except ValueError as exc:
        raise click.BadParameter(str(exc), ctx, param) from None


def check_db_path(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    """Click callback: a ``--db`` path must not be empty."""
    if value is not None and not value.strip():
        from_env = ctx.get_parameter_source(param.name or "") is ParameterSource.ENVIRONMENT
        raise click.BadParameter("the path is empty: name the archive file, e.g. --db archive.db",
                                 ctx, param_hint=f"${DB_ENVVAR}" if from_env else "'--db'")
    return value


def record_db_option(ctx: click.Context, param: click.Parameter, value: str | None) -> str:
    """Click callback: ``--db`` given after the command replaces the group's; returns the
    path the command works on."""
    if check_db_path(ctx, param, value) is not None:
        state = ctx.find_object(CliState)
        if state is None:
            ctx.obj = state = CliState(value)
        state.db_path, state.db_source = value, ParameterSource.COMMANDLINE
    return resolve_db_path(ctx)


def check_site_option(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    """Click callback: ``--site`` must name a site of the archive (a usage error otherwise)."""
    if value is None:
        return None
    names = [site["name"] for site in open_archive(ctx).sites()]
    if value in names:
        return value
    raise click.BadParameter(f"no site {value!r} in {resolve_db_path(ctx)}: {_site_hint(value, names)}",
                             ctx, param)


def _site_hint(name: str, names: Sequence[str], shown: int = 8) -> str:
    close = difflib.get_close_matches(name, names, n=3)
    if close:
        return "did you mean " + " or ".join(close) + "?"
    if not names:
        return "it has no sites yet"
    listed = ", ".join(names[:shown]) + (", ..." if len(names) > shown else "")
    return f"its sites are {listed} (gov-archive sites lists them)"


def parse_settings_option(
    ctx: click.Context, param: click.Parameter, pairs: Sequence[str]
) -> dict[str, Any]:
    """Click callback: ``-s NAME=VALUE`` pairs as a dict of checked values (usage errors)."""
    # Scrapy's settings take about a second to import: only commands given -s load them.
    from crawler.service.overrides import BadSetting, check_settings  # noqa: PLC0415 — heavy, see above

    settings: dict[str, str] = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep or not name.strip():
            raise click.UsageError(f"-s expects NAME=VALUE, got {pair!r}")
        settings[name.strip()] = value
    if not settings:
        return {}
    try:
        return check_settings(settings, allow_unknown=bool(ctx.meta.get(ALLOW_UNKNOWN_SETTINGS)))
    except BadSetting as exc:
        raise click.UsageError(str(exc)) from None


ALLOW_UNKNOWN_SETTINGS = "gov_archive.allow_unknown_settings"  # ctx.meta key


def _allow_unknown_settings(ctx: click.Context, param: click.Parameter, value: bool) -> bool:
    """Eager: `-s` is parsed knowing whether unknown names may pass."""
    ctx.meta[ALLOW_UNKNOWN_SETTINGS] = value
    return value


def check_redis_option(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    """Click callback: a usable Redis URL (a usage error otherwise) where Redis answers (exit 1
    otherwise)."""
    url = check_redis_url(ctx, param, value)
    if url is None:
        return None
    from crawler.cluster.client import RedisUnreachable, reach  # noqa: PLC0415 — heavy, see below

    try:
        reach(url)
    except RedisUnreachable as exc:
        raise click.ClickException(str(exc)) from None
    return url


def check_redis_url(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    """Click callback: a usable Redis URL (a usage error otherwise)."""
    if value is None:
        return None
    # redis-py takes a few hundred milliseconds to import: only commands given --redis load it.
    from crawler.cluster.client import BadRedisURL, check_url  # noqa: PLC0415 — heavy, see above

    try:
        return check_url(value)
    except BadRedisURL as exc:
        raise click.BadParameter(str(exc), ctx, param) from None


def parse_day_option(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    """Click callback: a `YYYY-MM-DD` date, kept as that string."""
    if value is None:
        return None
    try:
        return datetime.strptime(value, "%Y-%m-%d").date().isoformat()  # noqa: DTZ007 — a day, no zone
    except ValueError:
        raise click.BadParameter(f"{value!r} is not a date: use YYYY-MM-DD", ctx, param) from None




def check_output_path(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    """Click callback: an output file (``-o``) must have a name."""
    if value is not None and not value.strip():
        raise click.BadParameter("the file name is empty: give a file to write (- for standard "
                                 "output)", ctx, param)
    return value


def open_archive(ctx: click.Context) -> Archive:
    """The archive named by `--db` (never created), opened once per command and closed with
    its context."""
    archive = ctx.meta.get(_OPEN_ARCHIVE)
    if archive is None:
        path = resolve_db_path(ctx)
        if not Path(path).exists():
            raise click.ClickException(f"no archive at {path}")
        archive = ctx.meta[_OPEN_ARCHIVE] = Archive(path, create=False)
        ctx.call_on_close(archive.close)
    return archive


_OPEN_ARCHIVE = "gov_archive.archive"


# --- shared options ---------------------------------------------------------------------------


def json_option(fn: F) -> F:
    """`--json` for commands that print one object."""
    return click.option("--json", "json_", is_flag=True, help="Output JSON")(fn)


def output_options(fn: F) -> F:
    """`--json`, `--nl`, `--csv` and `--no-bom` (`bom`) for commands that print a list of records."""
    for decorator in reversed(
        (
            click.option("--json", "json_", is_flag=True, help="Output a JSON array"),
            click.option("--nl", is_flag=True, help="Output newline-delimited JSON"),
            click.option("--csv", "csv_", is_flag=True, help="Output CSV"),
            bom_option,
        )
    ):
        fn = decorator(fn)
    return fn


def bom_option(fn: F) -> F:
    """`--no-bom` (`bom`): CSV starts with a UTF-8 byte order mark unless it is given."""
    return click.option(
        "--no-bom", "bom", flag_value=False, default=True,
        help="CSV without the UTF-8 byte order mark (which Excel needs to read UTF-8)",
    )(fn)


def since_option(help_text: str) -> Callable[[F], F]:
    return click.option("--since", metavar="TIME", callback=parse_since_option, help=help_text)


def site_option(fn: F) -> F:
    """`--site NAME`: a site of the archive (checked)."""
    return click.option("--site", callback=check_site_option,
                        help="Only this site (its name in the archive)")(fn)


def group_db_option(fn: F) -> F:
    """The group's `--db` (`db_path`): default archive.db, else $GOV_ARCHIVE_DB."""
    return click.option(
        "--db", "db_path", type=click.Path(dir_okay=False), default=DEFAULT_DB, show_default=True,
        envvar=DB_ENVVAR, show_envvar=True, callback=check_db_path, help="Archive database file",
    )(fn)


def _command_db_option(*, expose_value: bool, help_text: str | None = None) -> dict[str, Any]:
    """The settings of `--db` after a command name (for ``click.option``/``click.Option``)."""
    return {
        "type": click.Path(dir_okay=False), "default": None, "expose_value": expose_value,
        "is_eager": True,  # other options' callbacks (--site) read the archive it names
        "callback": record_db_option,
        "help": help_text or f"Archive database file, also accepted before the command "
                             f"(default: ${DB_ENVVAR} or {DEFAULT_DB})",
    }


def command_db_option(help_text: str | None = None, *, expose_value: bool = True) -> Callable[[F], F]:
    """`--db` on a command, resolved against the group's: as `db_path` if `expose_value`, else
    read with `archive_choice` / `resolve_db_path`; `help_text` for a command that reads it its
    own way."""
    return click.option("--db", "db_path",
                        **_command_db_option(expose_value=expose_value, help_text=help_text))


def db_option(fn: F) -> F:
    """`--db` on a command that takes the archive path (`db_path`), resolved against the group's."""
    return command_db_option()(fn)


def add_group_options(command: click.Command) -> None:
    """Let `command` (and a group's subcommands) take the group's options after its name too:
    ``gov-archive search 法治 --db other.db``."""
    given = {opt for param in command.params for opt in getattr(param, "opts", ())}
    if "--db" not in given:
        command.params.append(click.Option(["--db", "db_path"],
                                           **_command_db_option(expose_value=False)))
    for sub in getattr(command, "commands", {}).values():
        add_group_options(sub)


def sites_dir_option(fn: F) -> F:
    """`--sites DIR` (`sites_dir`): a folder of extra site definitions, which must exist."""
    return click.option(
        "--sites", "sites_dir", type=click.Path(file_okay=False, exists=True),
        help="Folder of extra site definitions (*.toml); also $GOV_ARCHIVE_SITES",
    )(fn)


def settings_option(fn: F) -> F:
    """`-s NAME=VALUE` (`settings`: a dict of checked values) and `--allow-unknown-settings`."""
    fn = click.option(
        "-s", "--set", "settings", multiple=True, metavar="NAME=VALUE",
        callback=parse_settings_option,
        help="Override a Scrapy setting of the crawls, e.g. -s DOWNLOAD_DELAY=2; repeatable",
    )(fn)
    return click.option(
        "--allow-unknown-settings", is_flag=True, is_eager=True, expose_value=False,
        callback=_allow_unknown_settings,
        help="Let -s pass names neither Scrapy nor gov-archive knows (your own components' settings)",
    )(fn)


def check_webhooks(ctx: click.Context, param: click.Parameter,
                   urls: Sequence[str]) -> tuple[str, ...]:
    """Click callback: every ``--webhook`` is an http(s) URL (a usage error before any work)."""
    try:
        return tuple(check_url(url) for url in urls)
    except BadURL as exc:
        raise click.BadParameter(str(exc), ctx, param) from None


REDIS_ENVVAR = "GOV_ARCHIVE_REDIS"


def redis_option(help_text: str, *, required: bool = False, reach: bool = True) -> Callable[[F], F]:
    """`--redis URL` (`redis_url`): the cluster's Redis, also $GOV_ARCHIVE_REDIS; checked, and
    with `reach` Redis must answer."""
    return click.option("--redis", "redis_url", metavar="URL", envvar=REDIS_ENVVAR, show_envvar=True,
                        required=required, callback=check_redis_option if reach else check_redis_url,
                        help=help_text)


def webhook_option(fn: F) -> F:
    """`--webhook URL` (`webhooks`, repeatable) and `--webhook-timeout SECONDS`
    (`webhook_timeout`)."""
    fn = click.option(
        "--webhook-timeout", type=FiniteRange(1, 3600), default=alerts.DEFAULT_TIMEOUT,
        show_default=True, metavar="SECONDS",
        help="Longest wait for a webhook's answer; a batch not answered in time is sent again "
             "on the next run, never at once",
    )(fn)
    return click.option(
        "--webhook", "webhooks", multiple=True, metavar="URL", callback=check_webhooks,
        help="POST new events (of all sites) to this URL as JSON; repeatable",
    )(fn)


def site_errors(fn: F) -> F:
    """Site definition errors as CLI errors: an unknown SITE is a usage error (exit 2), a
    malformed definition a runtime error (exit 1)."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except UnknownSite as exc:
            raise click.BadParameter(str(exc), param_hint="SITE") from None
        except SiteDefError as exc:
            raise click.ClickException(str(exc)) from None

    return wrapper  # type: ignore[return-value]


def exit_code_option(fn: F) -> F:
    return click.option(
        "--exit-code", is_flag=True, help="Exit with 1 if anything was found (for cron)"
    )(fn)
