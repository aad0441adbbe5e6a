"""What a list page tells the crawler, and the hints a site definition may give."""

from __future__ import annotations

from dataclasses import dataclass, field

PAGINATION_KINDS = ("auto", "next", "trs", "numbered", "hanweb", "none")


@dataclass(frozen=True)
class ListRules:
    """Optional hints for list pages; empty values mean 'detect automatically'."""

    item_selector: str = ""  # CSS selecting each list item (e.g. "div.list li")
    link_selector: str = "a"  # CSS of the article link inside an item
    article_pattern: str = ""  # regex an article URL must match (search)
    exclude_pattern: str = ""  # regex of URLs never treated as articles
    pagination: str = "auto"  # auto | next | trs | numbered | hanweb | none
    next_selector: str = ""  # CSS of the next-page link (with pagination = "next")

    @property
    def hand_picked(self) -> bool:
        """The site says which links are announcements: no main-list guessing."""
        return bool(self.article_pattern or self.item_selector)


@dataclass(frozen=True)
class ListItem:
    """An announcement link found on a list page."""

    url: str
    title: str = ""
    date: str | None = None  # YYYY-MM-DD when the list shows one
    pinned: bool = False  # marked 置顶 (kept at the top whatever its date)
    is_file: bool = False  # a document file (.pdf, .doc ...) published as the announcement


@dataclass
class ListPage:
    """What a list page tells the crawler."""

    items: list[ListItem] = field(default_factory=list)
    next_url: str | None = None
    pagination: str = "none"  # next | trs | numbered | hanweb | none
    total_pages: int | None = None
    next_form: dict[str, str] | None = None  # POST body for the next page (newer Hanweb form)


@dataclass(frozen=True)
class NextPage:
    """How to reach the next list page, as one pagination form found it."""

    kind: str  # next | trs | numbered | hanweb
    url: str | None
    total_pages: int | None = None
    form: dict[str, str] | None = None
