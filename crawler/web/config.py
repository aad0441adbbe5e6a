"""What the pages know besides the archive: its path and the site definitions' names and columns.

It travels as Datasette plugin configuration (plain JSON), so one process can serve several
archives (the tests do) without module-level state.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

PLUGIN_NAME = "gov-archive"
DATABASE_NAME = "archive"  # Datasette's pages for the file live under /archive


@dataclass(frozen=True)
class SiteInfo:
    """A site definition, as much of it as the pages show."""

    name: str
    title: str = ""
    home: str = ""
    columns: tuple[tuple[str, str], ...] = ()  # (name, list page URL)

    @classmethod
    def from_definition(cls, definition: Any) -> SiteInfo:
        """From a ``crawler.sites.SiteDef``."""
        return cls(name=definition.name, title=definition.title, home=definition.home_url,
                   columns=tuple((c.name, c.url) for c in definition.columns))


@dataclass(frozen=True)
class WebConfig:
    """The archive file and the known site definitions."""

    db: str
    sites: Mapping[str, SiteInfo] = field(default_factory=dict)

    @classmethod
    def create(cls, db: str, definitions: Iterable[Any] = ()) -> WebConfig:
        return cls(db, {d.name: SiteInfo.from_definition(d) for d in definitions})

    def to_json(self) -> dict[str, Any]:
        return {"db": self.db, "sites": {name: {"title": s.title, "home": s.home,
                                                "columns": [list(c) for c in s.columns]}
                                         for name, s in self.sites.items()}}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> WebConfig:
        sites = {name: SiteInfo(name, s.get("title") or "", s.get("home") or "",
                                tuple((c[0], c[1]) for c in s.get("columns") or ()))
                 for name, s in (data.get("sites") or {}).items()}
        return cls(str(data["db"]), sites)

    def site(self, name: str) -> SiteInfo:
        """The site's definition, or a bare one for sites crawled with ``crawl --url``."""
        return self.sites.get(name) or SiteInfo(name)

    def site_title(self, name: str, archived_title: str | None = None) -> str:
        """What to call a site: its definition's title, else its pages' site name, else its name."""
        return self.site(name).title or archived_title or name
