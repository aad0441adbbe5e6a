"""``scrapy crawl generic -a url=COLUMN_URL[,URL...]``: crawl columns with no site definition."""

from __future__ import annotations

from typing import Any

from crawler.sites import generic_sites
from crawler.spiders.base import GovSpider


class GenericSpider(GovSpider):
    """Finds announcement links and pagination by itself; the site is the URL's host."""

    name = "generic"

    def __init__(self, *args: Any, url: str = "", site_def: Any = None, **kwargs: Any) -> None:
        if site_def is None:
            urls = [u.strip() for u in url.split(",") if u.strip()]
            if not urls:
                raise ValueError("the generic spider needs -a url=COLUMN_URL")
            sites = generic_sites(urls)
            if len(sites) > 1:
                raise ValueError("the generic spider crawls one host at a time")
            site_def = next(iter(sites.values()))
        super().__init__(*args, site_def=site_def, **kwargs)
