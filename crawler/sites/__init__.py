"""Site definitions: what to crawl on a site and how (TOML files, validated on load).

The bundled catalogue is ``catalogue/*.toml``; the format is documented in README.md here.
"""

from __future__ import annotations

from .definitions import (
    ALERT_KINDS,
    BUNDLED_DIR,
    NAME_RE,
    PAGINATION_KINDS,
    SITES_ENV,
    ArticleRules,
    Column,
    Incremental,
    ListRules,
    Politeness,
    SiteDef,
    SiteDefError,
    UnknownSite,
    choose_sites,
    columns_site,
    generic_site,
    generic_sites,
    load_site_file,
    load_sites,
    parse_site,
    pick_sites,
    site_dirs,
    site_of,
    url_problem,
)

__all__ = [
    "ALERT_KINDS",
    "BUNDLED_DIR",
    "NAME_RE",
    "PAGINATION_KINDS",
    "SITES_ENV",
    "ArticleRules",
    "Column",
    "Incremental",
    "ListRules",
    "Politeness",
    "SiteDef",
    "SiteDefError",
    "UnknownSite",
    "choose_sites",
    "columns_site",
    "generic_site",
    "generic_sites",
    "load_site_file",
    "load_sites",
    "parse_site",
    "pick_sites",
    "site_dirs",
    "site_of",
    "url_problem",
]
