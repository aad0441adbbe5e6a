"""One spider class per site definition, so ``scrapy crawl <site>`` works.

The classes are built when Scrapy's spider loader imports this module, from the bundled
definitions plus the folders in ``GOV_ARCHIVE_SITES``. A malformed definition is logged and
skipped here (``gov-archive crawl`` reports it as an error instead).
"""

from __future__ import annotations

import logging

from crawler.sites import SiteDef, SiteDefError, load_sites
from crawler.spiders.base import GovSpider

logger = logging.getLogger(__name__)


def spider_class(site: SiteDef) -> type[GovSpider]:
    """A GovSpider subclass named after `site`."""
    cls_name = "".join(p.capitalize() for p in site.name.replace(".", "_").replace("-", "_").split("_"))
    return type(f"{cls_name}Spider", (GovSpider,), {"name": site.name, "site": site,
                                                    "__module__": __name__})


def _build() -> dict[str, type[GovSpider]]:
    try:
        sites = load_sites()
    except SiteDefError as exc:
        logger.error("Site definitions not loaded: %s", exc)
        return {}
    return {site.name: spider_class(site) for site in sites.values() if site.name != "generic"}


SPIDERS = _build()
globals().update({cls.__name__: cls for cls in SPIDERS.values()})
