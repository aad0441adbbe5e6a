"""What is watched: the sites `crawl --due`, `crawl --all` and `watch` crawl, as definitions.

Watched are:

- the definitions in the user's own folders (``--sites DIR``, ``$GOV_ARCHIVE_SITES``): the
  user put them there;
- bundled definitions added by name (`gov-archive add nmpa`): the bundled ones are a
  catalogue, crawled only when added (or named on a command line);
- columns added by URL (`gov-archive add URL`), grouped into sites (the host by default).

The archive keeps the watch list (archive/watchlist.py); here it becomes `SiteDef`s the
runner crawls and schedules the scheduler reads, and `add` / `remove` / `sites` do their work.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from archive import Archive, ArchiveEmpty
from archive.timeutil import format_interval, parse_interval, utcnow
from archive.urls import canonical_url
from crawler.service.health import health_rows
from crawler.service.probe import Probe, probe_column
from crawler.service.schedule import SiteSchedule, schedule_for
from crawler.sites import (
    BUNDLED_DIR,
    Column,
    SiteDef,
    columns_site,
    generic_sites,
    load_sites,
    pick_sites,
)

log = logging.getLogger(__name__)


#: What a site (and each of its columns) no longer watched shows instead of its health.
NOT_WATCHED = {"health": "not watched", "next_due": None, "due": False, "backoff_until": None}


class WatchListError(Exception):
    """A change to the watch list that cannot be made; the message says why and what to do."""


# --- what is watched -------------------------------------------------------------------------


def definitions(sites_dir: str | os.PathLike[str] | None = None) -> tuple[dict[str, SiteDef],
                                                                        dict[str, SiteDef]]:
    """``(own, catalogue)``: the user's definitions (watched) and the bundled ones (a catalogue).

    An own definition with a bundled definition's name replaces it.
    """
    catalogue = load_sites(None, environ={})
    own = {name: site for name, site in load_sites(sites_dir).items()
           if Path(site.source).parent != BUNDLED_DIR}
    return own, catalogue


@contextmanager
def _existing(db_path: str | os.PathLike[str]) -> Iterator[Archive | None]:
    """The archive at `db_path`, or None when there is none yet (never created, or another
    process is creating it: nothing to read, nothing to take off the watch list). A file that
    is not an archive raises `archive.NotAnArchive` (a wrong ``--db`` is an error, not an
    empty watch list)."""
    path = Path(db_path)
    if not path.exists() or path.stat().st_size == 0:
        yield None
        return
    try:
        archive = Archive(db_path)
    except ArchiveEmpty:
        yield None
        return
    with archive:
        yield archive


def watched_sites(db_path: str | os.PathLike[str],
                  sites_dir: str | os.PathLike[str] | None = None) -> list[SiteDef]:
    """Every watched site as a definition, by name: own definitions, then the watch list."""
    with _existing(db_path) as archive:
        return watched_in(archive, sites_dir)


def watched_in(archive: Archive | None,
               sites_dir: str | os.PathLike[str] | None = None) -> list[SiteDef]:
    """`watched_sites` of an open archive (None: there is none yet)."""
    own, catalogue = definitions(sites_dir)
    watched = dict(own)
    for entry in archive.watched_sites() if archive is not None else []:
        if entry["site"] not in watched:  # an own definition of that name wins
            site = _entry_site(entry, catalogue)
            if site is not None:
                watched[site.name] = site
    return sorted(watched.values(), key=lambda site: site.name)


def _entry_site(entry: dict[str, Any], catalogue: dict[str, SiteDef]) -> SiteDef | None:
    """A watch-list entry (`Archive.watched_sites`) as a definition; None if there is nothing
    to crawl (no column left, or a bundled definition no longer bundled)."""
    every = parse_interval(entry["every"]) if entry.get("every") else None
    if entry.get("definition"):
        site = catalogue.get(entry["definition"])
        if site is None:
            log.warning("watched site %s: no bundled definition %r any more",
                        entry["site"], entry["definition"])
            return None
        return replace(site, every=every) if every else site
    columns = [Column(c["url"], c.get("name") or "") for c in entry["columns"]]
    return columns_site(entry["site"], columns, every=every) if columns else None


def choose_sites(db_path: str | os.PathLike[str], names: Sequence[str] = (),
                 urls: Sequence[str] = (), *, all_sites: bool = False,
                 sites_dir: str | os.PathLike[str] | None = None) -> list[SiteDef]:
    """The sites a crawl names: SITE names (watched, own or bundled), every watched site
    (`all_sites`), and ``--url`` columns (one-off, one site per host).

    Raises ``crawler.sites.UnknownSite`` for a name nothing defines or watches.
    """
    chosen: dict[str, SiteDef] = {}
    if names or all_sites:
        watched = {site.name: site for site in watched_sites(db_path, sites_dir)}
        known = {**load_sites(sites_dir), **watched}
        picked = list(watched.values()) if all_sites else []
        chosen = {site.name: site for site in picked + pick_sites(known, names)}
    for site in generic_sites(urls).values():
        chosen.setdefault(site.name, site)
    return list(chosen.values())


def watched_schedules(db_path: str | os.PathLike[str],
                      sites_dir: str | os.PathLike[str] | None = None,
                      names: Sequence[str] = ()) -> list[SiteSchedule]:
    """The schedules of the watched sites (or of the sites `names`, watched or defined)."""
    sites = choose_sites(db_path, names, sites_dir=sites_dir) if names \
        else watched_sites(db_path, sites_dir)
    return [schedule_for(site) for site in sites]


# --- add and remove --------------------------------------------------------------------------


@dataclass
class Change:
    """What `add_column`, `add_site` or `remove` did."""

    site: str
    url: str | None = None  # the column, for a column
    changed: bool = True  # False: it already was so
    site_too: bool = False  # remove: the site left the watch list with its last column
    probe: Probe | None = None
    columns: tuple[Column, ...] = ()  # add_site: the definition's columns


def add_column(db_path: str | os.PathLike[str], url: str, *, site: str | None = None,
               title: str | None = None, every: str | None = None, check: bool = True,
               timeout: float = 20.0, sites_dir: str | os.PathLike[str] | None = None) -> Change:
    """Watch the column page `url` in `site` (default: its host), titled `title`.

    With `check`, fetch it first (`probe_column`) and refuse a page that cannot be watched
    as a column (no answer, HTTP error, no announcement links). Raises WatchListError.
    """
    name = site or (urlsplit(url).hostname or "").lower()
    own, catalogue = definitions(sites_dir)
    if name in own or name in catalogue:
        where = (own.get(name) or catalogue[name]).source
        raise WatchListError(f"{name} is a site definition ({where}): add the column to a copy "
                             "of it in your --sites folder, or choose another --name")
    with _existing(db_path) as archive:
        others = archive.find_columns(url) if archive is not None else []
    elsewhere = sorted({c["site"] for c in others} - {name})
    if elsewhere and not any(c["site"] == name for c in others):
        raise WatchListError(f"{url} was crawled as part of site {elsewhere[0]}: add it there "
                             f"(--name {elsewhere[0]}) to keep its history")
    probe = probe_column(url, timeout=timeout) if check else None
    if probe is not None and probe.problem:
        raise WatchListError(f"{url}: {probe.problem}; not added (--no-check adds it anyway)")
    with Archive(db_path, create=True) as archive:
        added = archive.watch_column(name, url, name=title, every=every)
    return Change(name, canonical_url(url), added, probe=probe)


def add_site(db_path: str | os.PathLike[str], name: str, *, every: str | None = None,
             sites_dir: str | os.PathLike[str] | None = None) -> Change:
    """Watch the bundled definition `name` (an own definition is watched already)."""
    own, catalogue = definitions(sites_dir)
    if name in own:
        return Change(name, changed=False, columns=own[name].columns)
    if name not in catalogue:
        pick_sites(catalogue, [name])  # UnknownSite naming the bundled ones
    with Archive(db_path, create=True) as archive:
        added = archive.watch_site(name, definition=name, every=every)
    return Change(name, changed=added or every is not None, columns=catalogue[name].columns)


def remove(db_path: str | os.PathLike[str], target: str,
           sites_dir: str | os.PathLike[str] | None = None) -> Change:
    """Stop watching a column (`target` is its URL) or a site; what was archived stays."""
    own, _ = definitions(sites_dir)
    if "://" in target:
        return _remove_column(db_path, target, sites_dir)
    if target in own:
        raise WatchListError(f"{target} is defined in {own[target].source}: move that file out "
                             "of your --sites folder to stop watching it")
    with _existing(db_path) as archive:
        removed = archive.unwatch_site(target) if archive is not None else False
    if not removed:
        raise WatchListError(f"{target} is not watched (gov-archive sites lists what is)")
    return Change(target)


def _remove_column(db_path: str | os.PathLike[str], url: str,
                   sites_dir: str | os.PathLike[str] | None) -> Change:
    key = canonical_url(url)
    for site in watched_sites(db_path, sites_dir):
        if not site.generic and key in {canonical_url(c.url) for c in site.columns}:
            raise WatchListError(f"{url} is a column of the site definition {site.name}: "
                                 f"remove {site.name}, or edit a copy of {site.source} in your "
                                 "--sites folder")
    with _existing(db_path) as archive:
        watched = [c for c in (archive.find_columns(url) if archive else []) if c["watched"]]
        if not watched or archive is None:
            raise WatchListError(f"{url} is not a watched column (gov-archive sites lists them)")
        site_too = [archive.unwatch_column(c["id"]) for c in watched]
    return Change(watched[0]["site"], key, site_too=any(site_too))


# --- the `sites` listing ---------------------------------------------------------------------


def site_listing(db_path: str | os.PathLike[str], sites_dir: str | os.PathLike[str] | None = None,
                 *, now: datetime | None = None) -> list[dict[str, Any]]:
    """One row per watched site, then one per site crawled before that is not watched.

    A row is a `health.health_rows` row (``site``, ``health``, ``next_due`` ...; its columns
    with their own health) plus the listing's fields: ``name, title, every, source, generic,
    watched, last_crawl_row`` (the newest crawl, running or not). Never creates the archive.
    """
    with _existing(db_path) as archive:
        return listing(archive, sites_dir, now=now)


def listing(archive: Archive | None, sites_dir: str | os.PathLike[str] | None = None,
            *, now: datetime | None = None) -> list[dict[str, Any]]:
    """`site_listing` of an open archive (None: there is none yet); `serve` reads it read-only.

    A site not watched (removed, or crawled once) has health "not watched", as its columns,
    and nothing due: the web's site page and Health box say what `sites --health` says."""
    now = now or utcnow()
    watched = watched_in(archive, sites_dir)
    defined = {**load_sites(sites_dir), **{site.name: site for site in watched}}
    if archive is None:
        return [_listing(site, _unknown_health(site), None, True) for site in watched]
    names = {site.name for site in watched}
    others = [s["name"] for s in archive.sites()  # crawled before, watched no more
              if s["name"] not in names and archive.crawls(site=s["name"], limit=1)]
    schedules = [schedule_for(site) for site in watched] + [
        SiteSchedule(name, columns=tuple(c["url"] for c in archive.columns(name)))
        for name in others]
    health = health_rows(archive, schedules, now=now)
    newest = {s.name: next(iter(archive.crawls(site=s.name, limit=1)), None) for s in schedules}
    watched_urls = {c["url"] for c in archive.columns() if c["watched"]}
    page_names = {s.name: archive.column_page_names(s.name) for s in schedules}
    rows = []
    for schedule, row in zip(schedules, health, strict=True):
        is_watched = schedule.name in names
        for column in row["columns"]:
            column["watched"] = is_watched and (column["url"] in watched_urls
                                                or not defined[schedule.name].generic)
        if not is_watched:  # removed, or crawled once: its state is history, not health
            for part in (row, *row["columns"]):
                part.update(NOT_WATCHED)
        rows.append(_listing(defined.get(schedule.name), row, newest[schedule.name], is_watched,
                             name=schedule.name, page_names=page_names[schedule.name]))
    return rows


def _listing(site: SiteDef | None, row: dict[str, Any], newest: dict[str, Any] | None,
             watched: bool, *, name: str | None = None,
             page_names: dict[str, str] | None = None) -> dict[str, Any]:
    generic = site is None or site.generic
    row.update({
        "name": name or (site.name if site else row["site"]),
        "title": (site.title if site else "") or ("(generic)" if generic else ""),
        "every": format_interval(site.every) if site and site.every else None,
        "source": (site.source or None) if site else None,
        "generic": generic,
        "watched": watched,
        "last_crawl_row": {k: newest.get(k) for k in ("started_at", "finished_at", "outcome")}
        if newest else None,
    })
    names = {canonical_url(c.url): c.name for c in site.columns} if site else {}
    for column in row["columns"]:  # its title, else its definition's name, else its pages' 栏目
        column["name"] = (column.get("name") or names.get(column["url"])
                          or (page_names or {}).get(column["url"]) or None)
    return row


def _unknown_health(site: SiteDef) -> dict[str, Any]:
    """A health row for a site of an archive that does not exist yet: never crawled."""
    return {
        "site": site.name, "last_crawl": None, "last_outcome": None, "announcements": None,
        "failures": 0, "backoff_until": None, "next_due": None, "due": True,
        "health": "never crawled", "last_health_event": None,
        "columns": [{"url": canonical_url(c.url), "name": c.name or None, "watched": True,
                     "health": "never crawled", "last_crawl": None, "last_outcome": None,
                     "detail": None, "items": None, "documents": 0, "dead_links": 0, "failures": 0,
                     "backoff_until": None, "next_due": None, "due": True}
                    for c in site.columns],
    }


def unwatched_bundled_sites(db_path: str | os.PathLike[str]) -> list[str]:
    """Bundled sites this archive has crawled that are not watched: crawled before the watch
    list existed (an upgraded archive's `crawl --due` crawled every definition) or removed
    since; `add NAME` watches one again."""
    catalogue = load_sites(None, environ={})
    with _existing(db_path) as archive:
        if archive is None:
            return []
        watched = {entry["site"] for entry in archive.watched_sites()}
        return sorted(site["name"] for site in archive.sites()
                      if site["name"] in catalogue and site["name"] not in watched
                      and archive.crawls(site=site["name"], limit=1))


def catalogue_listing(db_path: str | os.PathLike[str]) -> list[dict[str, Any]]:
    """The bundled definitions: ``name, title, every, columns, source, watched``."""
    _, catalogue = definitions()
    with _existing(db_path) as archive:
        added = {e["site"] for e in archive.watched_sites()} if archive is not None else set()
    return [{"name": site.name, "title": site.title,
             "every": format_interval(site.every) if site.every else None,
             "columns": [{"name": c.name or None, "url": c.url} for c in site.columns],
             "source": site.source, "watched": site.name in added}
            for site in sorted(catalogue.values(), key=lambda s: s.name)]
