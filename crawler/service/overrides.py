"""``-s NAME=VALUE`` overrides: checked against the defaults' types, then the crawl's Settings.

The defaults are crawler/settings.py (gov-archive's own settings included) over Scrapy's.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Mapping
from typing import Any

from scrapy.settings import BaseSettings, Settings

# Scrapy reads these with getfloat although their default is an int: 0.5 is a valid value.
FLOAT_SETTINGS = frozenset({"DNS_TIMEOUT", "DOWNLOAD_DELAY", "DOWNLOAD_TIMEOUT"})
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")


class BadSetting(ValueError):
    """A ``-s NAME=VALUE`` whose value does not fit the setting's type."""


def project_settings(overrides: Mapping[str, Any] | None = None, *,
                     verbose: bool = False) -> Settings:
    """crawler.settings + overrides (at 'cmdline' priority, above site definitions)."""
    settings = Settings()
    settings.setmodule("crawler.settings", priority="project")
    if not verbose:
        settings.set("LOG_LEVEL", "WARNING", priority="project")
    for name, value in (overrides or {}).items():
        settings.set(name, value, priority="cmdline")
    return settings


@functools.cache
def _defaults() -> Settings:
    return project_settings(verbose=True)


def check_setting(name: str, value: Any) -> Any:
    """Validate a ``-s`` value against the type of the setting's default; return it (normalized).

    bool: Settings.getbool spellings (1/0, true/false); int and float: numbers; LOG_LEVEL:
    a logging level name. Unknown settings and other types pass through unchecked.
    """
    if not isinstance(value, str):
        return value
    if name == "LOG_LEVEL":
        return _log_level(value)
    default = _defaults().get(name)
    if isinstance(default, bool):
        return _checked(name, value, _is_bool, "a boolean (1/0, true/false)")
    if isinstance(default, float) or (isinstance(default, int) and name in FLOAT_SETTINGS):
        return _checked(name, value, float, "a number")
    if isinstance(default, int):
        return _checked(name, value, int, "a whole number")
    return value


def check_settings(overrides: Mapping[str, Any]) -> dict[str, Any]:
    """`check_setting` for each override (raises BadSetting on the first bad one)."""
    return {name: check_setting(name, value) for name, value in overrides.items()}


def _checked(name: str, value: str, parse: Any, kind: str) -> str:
    text = value.strip()
    try:
        parse(text)
    except ValueError:
        raise BadSetting(f"-s {name}: {value!r} is not {kind}") from None
    return text


def _is_bool(text: str) -> bool:
    return BaseSettings({"VALUE": text}).getbool("VALUE")


def _log_level(value: str) -> str:
    level = value.strip().upper()
    if level in logging.getLevelNamesMapping() or level.isdigit():
        return level
    raise BadSetting(f"-s LOG_LEVEL: {value!r} is not a log level ({', '.join(LOG_LEVELS)})")
