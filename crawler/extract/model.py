"""The result of extracting one page."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

PAGE_CLASSES = ("article", "antibot", "soft404", "empty", "list", "js_shell", "binary")

#: The version of what extraction makes of a page (title, date, body, metadata, attachment
#: links; the text of files too). Bump it in the commit that changes extraction output: each
#: archived version records the extractor that read it, and a re-crawled page whose reading
#: differs is first compared with today's reading of the stored capture, so an extractor
#: improvement never passes for an edit (crawler/pipelines.py, `ItemWriter`).
#: 1: releases up to 04f063f (never recorded: versions saved before archive migration
#: 008_extractor_version have none). 2: this release (pub_date_meta, the date scorer, titles).
EXTRACTOR_VERSION = 2


@dataclass
class Extraction:
    """A normalized announcement plus how it was obtained."""

    url: str
    page_class: str = "article"
    title: str = ""
    published: str | None = None
    body: str = ""
    metadata: dict[str, str] = field(default_factory=dict)
    attachments: list[dict[str, str]] = field(default_factory=list)
    encoding: str | None = None
    declared_encoding: str | None = None
    date_source: str | None = None
    title_source: str | None = None
    status: int = 200

    @property
    def is_archivable(self) -> bool:
        """Only real announcements are archived."""
        return self.page_class == "article"

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict with the public keys."""
        return asdict(self)
