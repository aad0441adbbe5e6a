"""Site definitions: one TOML file per government site, validated on load.

Bundled definitions live in ``crawler/sites/catalogue/*.toml``; users add their own folders with
``--sites DIR`` or the ``GOV_ARCHIVE_SITES`` environment variable (several folders separated
by ``os.pathsep``). A user definition with the same ``name`` replaces the bundled one.

The format is documented in ``crawler/sites/README.md``; every key is optional except
``name`` and at least one column. Import-light: no Scrapy here.
"""

from __future__ import annotations

import dataclasses
import math
import os
import re
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from cssselect import GenericTranslator, SelectorError

from archive import timeutil
from archive.urls import BadURL, check_url
from crawler.extract.listing import PAGINATION_KINDS, ListRules, host_allowed, site_domain

BUNDLED_DIR = Path(__file__).parent / "catalogue"
SITES_ENV = "GOV_ARCHIVE_SITES"
NAME_RE = re.compile(r"^[a-z0-9][a-z0-9._-]{0,63}$")
MAX_DOWNLOAD_DELAY = 3600  # seconds between two requests to a host; more is a typo
MAX_CONCURRENCY = 100  # requests at once per host


class UnknownSite(LookupError):
    """Site names with no definition; the message names them and the defined sites."""


class SiteDefError(ValueError):
    """A site definition is malformed; the message names the file, the key and the problem."""

    def __init__(self, source: str, key: str | None, problem: str) -> None:
        self.source, self.key, self.problem = source, key, problem
        where = f"{source}: key '{key}'" if key else source
        super().__init__(f"{where}: {problem}")


@dataclass(frozen=True)
class Column:
    """One start page (a column / list page) of a site."""

    url: str
    name: str = ""


@dataclass(frozen=True)
class ArticleRules:
    """Optional CSS selectors overriding what extraction finds on article pages."""

    title: str = ""
    published: str = ""
    body: str = ""


@dataclass(frozen=True)
class Politeness:
    """Per-site politeness overrides (None: the global setting applies)."""

    download_delay: float | None = None
    concurrency: int | None = None
    autothrottle: bool | None = None
    obey_robots: bool | None = None


#: A site's crawl interval when neither `add --every` nor its definition gives one.
DEFAULT_EVERY = "6h"
DEFAULT_INTERVAL = timeutil.parse_interval(DEFAULT_EVERY)
#: Known articles are re-checked (edits, withdrawals) when last checked at least the site's
#: interval ago, and at least this long ago: politeness for sites crawled every few minutes.
REVISIT_FLOOR = timedelta(days=1)


@dataclass(frozen=True)
class Incremental:
    """How re-crawls save work."""

    stop_after_known_pages: int = 1  # stop paging after N pages whose items are all known; 0 = never
    # Re-check a known article when last checked this long ago; None: the site's interval,
    # at least REVISIT_FLOOR (SiteDef.revisit).
    revisit: timedelta | None = None
    revisit_max: int = 200  # at most this many scheduled revisits per crawl; 0 = no limit


@dataclass(frozen=True)
class SiteDef:
    """A validated site definition."""

    name: str
    columns: tuple[Column, ...]
    title: str = ""
    allowed_domains: tuple[str, ...] = ()
    home: str = ""
    every: timedelta | None = None
    max_pages: int = 0  # cap on responses per crawl (0 = no cap)
    max_list_pages: int = 0  # cap on list pages walked per column (0 = no cap)
    listing: ListRules = field(default_factory=ListRules)  # the [list] table
    article: ArticleRules = field(default_factory=ArticleRules)
    politeness: Politeness = field(default_factory=Politeness)
    incremental: Incremental = field(default_factory=Incremental)
    alerts: Mapping[str, Any] = field(default_factory=dict)
    source: str = ""  # file the definition came from ("" for generic sites)
    generic: bool = False

    @property
    def start_urls(self) -> list[str]:
        return [c.url for c in self.columns]

    @property
    def revisit(self) -> timedelta:
        """How long after its last check a known article is re-checked: ``[incremental]
        revisit``, else the site's interval (`every`, default 6h) but at least a day."""
        return self.incremental.revisit or max(self.every or DEFAULT_INTERVAL, REVISIT_FLOOR)

    @property
    def home_url(self) -> str:
        if self.home:
            return self.home
        parts = urlsplit(self.columns[0].url)
        return f"{parts.scheme}://{parts.netloc}/"


# ---------------------------------------------------------------- validation helpers


class _Reader:
    """Typed access to one TOML table; every problem raises SiteDefError naming the key."""

    def __init__(self, data: Mapping[str, Any], source: str, prefix: str = "") -> None:
        self.data, self.source, self.prefix = data, source, prefix

    def key(self, name: str) -> str:
        return f"{self.prefix}{name}"

    def fail(self, name: str | None, problem: str) -> SiteDefError:
        return SiteDefError(self.source, self.key(name) if name else None, problem)

    def check_keys(self, allowed: Iterable[str]) -> None:
        allowed = set(allowed)
        for name in self.data:
            if name not in allowed:
                hint = ", ".join(sorted(allowed))
                raise self.fail(name, f"unknown key (allowed here: {hint})")

    def get(self, name: str, kind: type | tuple[type, ...], default: Any = None) -> Any:
        if name not in self.data:
            return default
        value = self.data[name]
        kinds = kind if isinstance(kind, tuple) else (kind,)
        # TOML booleans are ints in Python: never accept a bool where a number is wanted.
        if isinstance(value, bool) and bool not in kinds:
            raise self.fail(name, f"expected {_kind_name(kinds)}, got a boolean")
        if not isinstance(value, kinds):
            raise self.fail(name, f"expected {_kind_name(kinds)}, got {type(value).__name__}")
        return value

    def text(self, name: str, default: str = "") -> str:
        return str(self.get(name, str, default)).strip()

    def number(self, name: str, default: float | None = None, *, integer: bool = False,
               low: float = 0, high: float | None = None) -> Any:
        """A finite number in [low, high] (TOML also spells inf and nan)."""
        kinds: tuple[type, ...] = (int,) if integer else (int, float)
        value = self.get(name, kinds, default)
        if value is None:
            return value
        if not math.isfinite(value):
            raise self.fail(name, f"must be a finite number, not {value}")
        if value < low:
            raise self.fail(name, "must not be negative" if low == 0 else f"must be at least {low}")
        if high is not None and value > high:
            raise self.fail(name, f"must be at most {high}")
        return value

    def table(self, name: str) -> _Reader:
        value = self.get(name, dict, {})
        return _Reader(value, self.source, f"{self.key(name)}.")

    def interval(self, name: str, default: timedelta | None) -> timedelta | None:
        value = self.get(name, (str, int), None)
        if value is None:
            return default
        try:
            return timeutil.parse_interval(value)
        except ValueError as exc:
            raise self.fail(name, str(exc)) from None

    def regex(self, name: str) -> str:
        value = self.text(name)
        if value:
            try:
                re.compile(value)
            except re.error as exc:
                raise self.fail(name, f"invalid regular expression: {exc}") from None
        return value

    def css(self, name: str, default: str = "") -> str:
        value = self.text(name, default)
        if value:
            _check_css(value, self, name)
        return value


def _kind_name(kinds: tuple[type, ...]) -> str:
    names = {str: "a string", int: "an integer", float: "a number", bool: "true/false",
             dict: "a table", list: "a list"}
    return " or ".join(names.get(k, k.__name__) for k in kinds)


def _check_css(value: str, reader: _Reader, name: str) -> None:
    try:
        GenericTranslator().css_to_xpath(value)
    except SelectorError as exc:
        raise reader.fail(name, f"invalid CSS selector: {exc}") from None


def url_problem(url: str) -> str | None:
    """Why `url` cannot be a page to crawl, or None (archive.urls.check_url's one line)."""
    try:
        check_url(url)
    except BadURL as exc:
        return str(exc)
    return None


def _check_url(url: str, reader: _Reader, name: str) -> str:
    try:
        return check_url(url)
    except BadURL as exc:
        raise reader.fail(name, str(exc)) from None


def _columns(r: _Reader) -> tuple[Column, ...]:
    columns: list[Column] = []
    for i, url in enumerate(r.get("start_urls", list, [])):
        if not isinstance(url, str):
            raise r.fail(f"start_urls[{i}]", "expected a string URL")
        columns.append(Column(_check_url(url.strip(), r, f"start_urls[{i}]")))
    for i, raw in enumerate(r.get("columns", list, [])):
        if not isinstance(raw, dict):
            raise r.fail(f"columns[{i}]", "expected a table with 'url' (and 'name')")
        c = _Reader(raw, r.source, f"columns[{i}].")
        c.check_keys(("url", "name"))
        url = c.text("url")
        if not url:
            raise c.fail("url", "missing (every column needs a url)")
        columns.append(Column(_check_url(url, c, "url"), c.text("name")))
    if not columns:
        raise r.fail("columns", "missing: give at least one [[columns]] url or start_urls")
    return tuple(columns)


def _list_rules(r: _Reader) -> ListRules:
    r.check_keys(ListRules.__dataclass_fields__)
    pagination = r.text("pagination", "auto")
    if pagination not in PAGINATION_KINDS:
        raise r.fail("pagination", f"must be one of {', '.join(PAGINATION_KINDS)}")
    return ListRules(
        item_selector=r.css("item_selector"),
        link_selector=r.css("link_selector", "a"),
        article_pattern=r.regex("article_pattern"),
        exclude_pattern=r.regex("exclude_pattern"),
        pagination=pagination,
        next_selector=r.css("next_selector"),
    )


def _article_rules(r: _Reader) -> ArticleRules:
    r.check_keys(ArticleRules.__dataclass_fields__)
    return ArticleRules(title=r.css("title"), published=r.css("published"), body=r.css("body"))


def _politeness(r: _Reader) -> Politeness:
    r.check_keys(Politeness.__dataclass_fields__)
    return Politeness(
        download_delay=r.number("download_delay", high=MAX_DOWNLOAD_DELAY),
        concurrency=r.number("concurrency", integer=True, low=1, high=MAX_CONCURRENCY),
        autothrottle=r.get("autothrottle", bool),
        obey_robots=r.get("obey_robots", bool),
    )


def _incremental(r: _Reader) -> Incremental:
    r.check_keys(Incremental.__dataclass_fields__)
    base = Incremental()
    return Incremental(
        stop_after_known_pages=r.number("stop_after_known_pages", base.stop_after_known_pages,
                                        integer=True),
        revisit=r.interval("revisit", base.revisit) or base.revisit,
        revisit_max=r.number("revisit_max", base.revisit_max, integer=True),
    )


ALERT_KINDS = ("new", "changed", "gone", "restored", "health")


def _alerts(r: _Reader) -> dict[str, Any]:
    r.check_keys(("webhook", "kinds"))
    out: dict[str, Any] = {}
    webhook = r.text("webhook")
    if webhook:
        out["webhook"] = _check_url(webhook, r, "webhook")
    kinds = r.get("kinds", list, None)
    if kinds is not None:
        for i, kind in enumerate(kinds):
            if kind not in ALERT_KINDS:
                raise r.fail(f"kinds[{i}]", f"{kind!r} is not one of {', '.join(ALERT_KINDS)}")
        out["kinds"] = list(kinds)
    return out


TOP_KEYS = (
    "name", "title", "allowed_domains", "home", "start_urls", "columns", "every", "max_pages",
    "max_list_pages", "list", "article", "politeness", "incremental", "alerts",
)


def parse_site(data: Mapping[str, Any], source: str = "<site>") -> SiteDef:
    """Validate one parsed TOML document and build its SiteDef."""
    r = _Reader(data, source)
    r.check_keys(TOP_KEYS)
    name = r.text("name")
    if not name:
        raise r.fail("name", "missing (a short lowercase id such as 'nmpa')")
    if name == "generic":
        raise r.fail("name", "'generic' is reserved for `crawl --url` crawls")
    if not NAME_RE.match(name):
        raise r.fail("name", f"{name!r} must be lowercase letters, digits, '.', '_' or '-'")
    columns = _columns(r)
    domains = _domains(r, columns)
    home = r.text("home")
    if home:
        _check_url(home, r, "home")
    return SiteDef(
        name=name,
        columns=columns,
        title=r.text("title"),
        allowed_domains=domains,
        home=home,
        every=r.interval("every", None),
        max_pages=r.number("max_pages", 0, integer=True),
        max_list_pages=r.number("max_list_pages", 0, integer=True),
        listing=_list_rules(r.table("list")),
        article=_article_rules(r.table("article")),
        politeness=_politeness(r.table("politeness")),
        incremental=_incremental(r.table("incremental")),
        alerts=_alerts(r.table("alerts")),
        source=source,
    )


def _domains(r: _Reader, columns: tuple[Column, ...]) -> tuple[str, ...]:
    raw = r.get("allowed_domains", list, [])
    domains: list[str] = []
    for i, d in enumerate(raw):
        if not isinstance(d, str) or not d.strip() or "/" in d:
            raise r.fail(f"allowed_domains[{i}]", "expected a host name such as 'www.nmpa.gov.cn'")
        domains.append(d.strip().lower())
    if not domains:
        domains = sorted({urlsplit(c.url).hostname or "" for c in columns})
    for i, c in enumerate(columns):
        if not host_allowed(c.url, domains):
            host = urlsplit(c.url).hostname or ""
            raise r.fail("columns", f"column #{i + 1} host {host!r} is not in allowed_domains")
    return tuple(domains)


def load_site_file(path: str | os.PathLike[str]) -> SiteDef:
    """Read and validate one ``.toml`` site definition."""
    p = Path(path)
    try:
        data = tomllib.loads(p.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise SiteDefError(str(p), None, f"not valid TOML: {exc}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise SiteDefError(str(p), None, f"cannot read: {exc}") from None
    return parse_site(data, str(p))


def site_dirs(sites_dir: str | os.PathLike[str] | Iterable[str] | None = None,
              environ: Mapping[str, str] | None = None) -> list[Path]:
    """Bundled folder first, then GOV_ARCHIVE_SITES folders, then `sites_dir` (later wins)."""
    env = os.environ if environ is None else environ
    dirs = [BUNDLED_DIR]
    dirs += [Path(p) for p in env.get(SITES_ENV, "").split(os.pathsep) if p.strip()]
    if isinstance(sites_dir, (str, os.PathLike)):
        dirs.append(Path(sites_dir))
    elif sites_dir is not None:
        dirs += [Path(p) for p in sites_dir]
    return dirs


def load_sites(sites_dir: str | os.PathLike[str] | Iterable[str] | None = None,
               environ: Mapping[str, str] | None = None) -> dict[str, SiteDef]:
    """All site definitions by name (user folders override bundled ones)."""
    sites: dict[str, SiteDef] = {}
    for folder in site_dirs(sites_dir, environ):
        if folder != BUNDLED_DIR and not folder.is_dir():
            raise SiteDefError(str(folder), None, "sites folder does not exist")
        seen_here: dict[str, str] = {}
        for path in sorted(folder.glob("*.toml")):
            site = load_site_file(path)
            if site.name in seen_here:
                raise SiteDefError(str(path), "name",
                                   f"{site.name!r} is already defined in {seen_here[site.name]}")
            seen_here[site.name] = str(path)
            sites[site.name] = site
    return sites


def generic_site(url: str, *, name: str | None = None) -> SiteDef:
    """A definition for `gov-archive crawl --url`: the URL's host is the site name.

    The crawl may follow the gov site's other hosts (www.example.gov.cn lists articles on
    xxgk.example.gov.cn), so the allowed domain is the site's own domain, not just the host.
    """
    try:
        url = check_url(url)
    except BadURL as exc:
        raise SiteDefError("--url", None, str(exc)) from None
    host = (urlsplit(url).hostname or "").lower()
    site_name = name or host
    return SiteDef(name=site_name, columns=(Column(url),), allowed_domains=(site_domain(url),),
                   generic=True)


def generic_sites(urls: Iterable[str]) -> dict[str, SiteDef]:
    """Group `--url` columns by host: one generic site per host."""
    sites: dict[str, SiteDef] = {}
    for url in urls:
        site = generic_site(url)
        if site.name in sites:
            site = columns_site(site.name, sites[site.name].columns + site.columns)
        sites[site.name] = site
    return sites


def columns_site(name: str, columns: Iterable[Column], *,
                 every: timedelta | None = None) -> SiteDef:
    """A site that is only column pages (`add URL`, `crawl --url`): no definition, its
    announcement links and pagination found on each page; the crawl may follow the gov
    site's other hosts (its registrable domains)."""
    columns = tuple(columns)
    domains = tuple(sorted({site_domain(c.url) for c in columns}))
    return SiteDef(name=name, columns=columns, allowed_domains=domains, every=every, generic=True)


def pick_sites(defined: Mapping[str, SiteDef], names: Iterable[str]) -> list[SiteDef]:
    """The definitions of `names`, in order, once each (UnknownSite names those not defined)."""
    wanted = list(dict.fromkeys(names))
    unknown = [name for name in wanted if name not in defined]
    if unknown:
        label = "site" if len(unknown) == 1 else "sites"
        known = ", ".join(sorted(defined)) or "none"
        raise UnknownSite(f"unknown {label} {', '.join(map(repr, unknown))} (defined: {known})")
    return [defined[name] for name in wanted]


def choose_sites(names: Iterable[str] = (), urls: Iterable[str] = (), *, all_sites: bool = False,
                 sites_dir: str | os.PathLike[str] | None = None) -> list[SiteDef]:
    """Site names (or every defined site) and ``--url`` columns as definitions.

    Raises UnknownSite for a name with no definition, SiteDefError for a malformed
    definition or URL. The definitions are read only when names are given or `all_sites`.
    """
    names = list(names)
    chosen: dict[str, SiteDef] = {}
    if names or all_sites:
        defined = load_sites(sites_dir)
        picked = list(defined.values()) if all_sites else []
        chosen = {site.name: site for site in picked + pick_sites(defined, names)}
    for site in generic_sites(urls).values():
        chosen.setdefault(site.name, site)
    return list(chosen.values())


def site_to_data(site: SiteDef) -> dict[str, Any]:
    """`site` as JSON-ready data (intervals in seconds), read back by `site_from_data`: how an
    archive host ships a definition to crawl workers, which have no definition files."""
    data = dataclasses.asdict(site)
    data["every"] = site.every.total_seconds() if site.every else None
    revisit = site.incremental.revisit
    data["incremental"]["revisit"] = revisit.total_seconds() if revisit is not None else None
    data["alerts"] = dict(site.alerts)
    return data


def site_from_data(data: Mapping[str, Any]) -> SiteDef:
    """The definition `site_to_data` wrote (a KeyError or TypeError if it is not one)."""
    every = data.get("every")
    incremental = dict(data["incremental"])
    if incremental.get("revisit") is not None:
        incremental["revisit"] = timedelta(seconds=incremental["revisit"])
    return SiteDef(
        name=data["name"],
        columns=tuple(Column(**column) for column in data["columns"]),
        title=data["title"],
        allowed_domains=tuple(data["allowed_domains"]),
        home=data["home"],
        every=timedelta(seconds=every) if every is not None else None,
        max_pages=data["max_pages"],
        max_list_pages=data["max_list_pages"],
        listing=ListRules(**data["listing"]),
        article=ArticleRules(**data["article"]),
        politeness=Politeness(**data["politeness"]),
        incremental=Incremental(**incremental),
        alerts=dict(data["alerts"]),
        source=data["source"],
        generic=data["generic"],
    )


def site_of(spider: object) -> SiteDef | None:
    """The definition a gov-archive spider crawls; None for any other spider.

    Our components (pipeline, extensions) leave spiders that are not ours alone.
    """
    site = getattr(spider, "site", None)
    return site if isinstance(site, SiteDef) else None
