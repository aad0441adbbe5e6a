"""List (column) pages: the announcement links and the way to the next page. Pure, no Scrapy.

- `model`       ListRules (site hints), ListItem, ListPage, NextPage
- `links`       announcement-link candidates and their score
- `mainlist`    the column's own list, not the sidebars of other columns
- `pagination`  下一页 links, TRS createPageHTML / countPage, numbered links, stated page counts
- `hanweb`      Hanweb dataproxy.jsp records and the GET/POST request for the next group
- `page`        `parse_list`, the entry point (raw bytes decoded like article pages)
"""

from __future__ import annotations

from crawler.extract.dom import clean_text
from crawler.extract.urls import host_allowed, site_domain

from .hanweb import hanweb_next
from .links import find_date
from .model import PAGINATION_KINDS, ListItem, ListPage, ListRules
from .page import parse_list

__all__ = ["PAGINATION_KINDS", "ListItem", "ListPage", "ListRules", "clean_text", "find_date", "hanweb_next",
           "host_allowed", "parse_list", "site_domain"]
