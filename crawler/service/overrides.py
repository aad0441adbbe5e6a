"""``-s NAME=VALUE`` overrides: checked against the defaults' types, then the crawl's Settings.

The defaults are crawler/settings.py (gov-archive's own settings included) over Scrapy's.
"""

from __future__ import annotations

import difflib
import functools
import json
import logging
import math
from collections.abc import Callable, Mapping
from typing import Any

from scrapy.settings import BaseSettings, Settings
from scrapy.utils.misc import load_object

from archive.timeutil import parse_interval
from crawler.sites.definitions import MAX_DOWNLOAD_DELAY

# Scrapy reads these with getfloat although their default is an int: 0.5 is a valid value.
FLOAT_SETTINGS = frozenset({"DNS_TIMEOUT", "DOWNLOAD_DELAY", "DOWNLOAD_TIMEOUT"})
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
MAX_INT = 2**63 - 1
#: Bounds of numeric settings, (lowest, highest). Any other number must be finite and not
#: negative: an infinite delay or a concurrency of 0 hangs a crawl while it holds the
#: site's lock, a nan delay reads as none.
BOUNDS: dict[str, tuple[float, float]] = {
    "DOWNLOAD_DELAY": (0, MAX_DOWNLOAD_DELAY),
    "AUTOTHROTTLE_START_DELAY": (0, MAX_DOWNLOAD_DELAY),
    "AUTOTHROTTLE_MAX_DELAY": (0, MAX_DOWNLOAD_DELAY),
    "AUTOTHROTTLE_TARGET_CONCURRENCY": (0.01, 1000),
    "DOWNLOAD_DELAY_JITTER": (0, 1),
    "CONCURRENT_REQUESTS": (1, 10_000),
    "CONCURRENT_REQUESTS_PER_DOMAIN": (1, 10_000),
    "CONCURRENT_ITEMS": (1, 10_000),
    "DOWNLOAD_TIMEOUT": (0.1, 86_400),
    "DNS_TIMEOUT": (0.1, 86_400),
    "RETRY_TIMES": (0, 100),
    "RETRY_BACKOFF_BASE": (0, 86_400),
    "RETRY_BACKOFF_MAX": (0, 86_400),
    "REVISIT_MAX": (-1, MAX_INT),  # -1: the site's value
    "STOP_AFTER_KNOWN_PAGES": (-1, MAX_INT),
    "GONE_MAX_SHARE": (0, 1),
    "ATTACHMENT_TEXT_TIMEOUT": (0.001, 86_400),
    # Less and every file is "reader crashed": at 64 MB PDFium cannot read a one-line PDF.
    "ATTACHMENT_TEXT_MEMORY_MB": (128, 1_048_576),
    "ATTACHMENT_TEXT_MAX_CHARS": (1, MAX_INT),
    "CLUSTER_LEASE_SECONDS": (1, 86_400),
    "CLUSTER_MAX_ATTEMPTS": (1, MAX_INT),
    "CLUSTER_INGEST_MAX": (1, MAX_INT),
}
#: String settings with a grammar of their own: a check that raises ValueError.
PARSED: dict[str, Callable[[str], object]] = {
    "REVISIT_INTERVAL": lambda text: parse_interval(text, allow_zero=True) if text else None,
}
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

    bool: Settings.getbool spellings (1/0, true/false); int and float: finite numbers within
    `BOUNDS` (not negative unless listed there); LOG_LEVEL: a logging level name; a dict
    (ITEM_PIPELINES ...): a JSON object of importable components; a list of numbers
    (RETRY_HTTP_CODES): comma-separated numbers; `PARSED` settings: their grammar. Unknown
    settings and other types pass through unchecked.
    """
    if not isinstance(value, str):
        return value
    if name == "LOG_LEVEL":
        return _log_level(value)
    if name in PARSED:
        return _parsed(name, value)
    default = _defaults().get(name)
    if isinstance(default, bool):
        return _checked(name, value, _is_bool, "a boolean (1/0, true/false)")
    if isinstance(default, float) or (isinstance(default, int) and name in FLOAT_SETTINGS):
        return _number(name, _checked(name, value, float, "a number"), float)
    if isinstance(default, int):
        return _number(name, _checked(name, value, int, "a whole number"), int)
    if isinstance(default, dict | BaseSettings):
        return _components(name, value)
    if isinstance(default, list) and default and all(isinstance(v, int) for v in default):
        return _number_list(name, value)
    return value


def check_settings(overrides: Mapping[str, Any], *, allow_unknown: bool = False) -> dict[str, Any]:
    """`check_setting` for each override (raises BadSetting on the first bad one); each name
    must be a known setting (`check_name`) unless `allow_unknown`."""
    if not allow_unknown:
        for name in overrides:
            check_name(name)
    return {name: check_setting(name, value) for name, value in overrides.items()}


def check_name(name: str) -> None:
    """Raise BadSetting unless `name` is a setting of Scrapy or gov-archive (crawler/settings.py
    names every setting our components and site definitions read), with the closest names:
    a typo (DOWNLOAD_DELAI) would otherwise silently keep the default."""
    known = _defaults()
    if name in known:
        return
    close = difflib.get_close_matches(name.upper(), [str(n) for n in known], n=1, cutoff=0.75)
    hint = f"; did you mean {close[0]}?" if close else ""
    raise BadSetting(f"-s {name}: unknown setting{hint} (a setting of your own components "
                     "passes with --allow-unknown-settings)")


def _checked(name: str, value: str, parse: Any, kind: str) -> str:
    text = value.strip()
    try:
        parse(text)
    except ValueError:
        raise BadSetting(f"-s {name}: {value!r} is not {kind}") from None
    return text


def _number(name: str, text: str, parse: Callable[[str], float]) -> str:
    """`text` if it is a finite number within the setting's bounds."""
    number = parse(text)
    if not math.isfinite(number):
        raise BadSetting(f"-s {name}: {text!r} is not a finite number")
    low, high = BOUNDS.get(name, (0, MAX_INT))
    if not low <= number <= high:
        raise BadSetting(f"-s {name}: {text} is out of range ({_plain(low)} to {_plain(high)})")
    return text


def _plain(number: float) -> str:
    return str(int(number)) if float(number).is_integer() else f"{number:g}"


def _parsed(name: str, value: str) -> str:
    text = value.strip()
    try:
        PARSED[name](text)
    except ValueError as exc:
        raise BadSetting(f"-s {name}: {exc}") from None
    return text


def _components(name: str, value: str) -> str:
    """A JSON object ``{"path.to.Component": order or null}`` whose components import."""
    problem = f"-s {name}: {value!r} is not a JSON object such as {{\"module.Class\": 300}}"
    try:
        components = json.loads(value)
    except ValueError:
        raise BadSetting(problem) from None
    if not isinstance(components, dict):
        raise BadSetting(problem)
    for path, order in components.items():
        if order is not None and (isinstance(order, bool) or not isinstance(order, int | float)):
            raise BadSetting(f"-s {name}: the order of {path!r} must be a number or null")
        try:
            load_object(path)
        except (ImportError, NameError, ValueError) as exc:
            raise BadSetting(f"-s {name}: cannot load {path!r} ({exc})") from None
    return value


def _number_list(name: str, value: str) -> str:
    for item in value.split(","):
        _checked(name, item, int, "a comma-separated list of whole numbers")
    return value


def _is_bool(text: str) -> bool:
    return BaseSettings({"VALUE": text}).getbool("VALUE")


def _log_level(value: str) -> str:
    level = value.strip().upper()
    if level in logging.getLevelNamesMapping() or level.isdigit():
        return level
    raise BadSetting(f"-s LOG_LEVEL: {value!r} is not a log level ({', '.join(LOG_LEVELS)})")
