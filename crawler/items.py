"""What the spiders hand to the archive pipeline: one dataclass per archive action."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from archive import AttachmentFile


@dataclass
class Announcement:
    """An archivable article page: the record ``Archive.save`` takes, plus its raw capture."""

    site: str
    url: str  # as requested (the archive canonicalizes it)
    title: str
    published: str | None
    body: str
    metadata: dict[str, str] = field(default_factory=dict)
    attachments: list[dict[str, str]] = field(default_factory=list)
    raw: bytes = b""
    status: int = 200
    final_url: str = ""
    headers: dict[str, str] = field(default_factory=dict)  # lower-cased names
    declared_encoding: str | None = None
    used_encoding: str | None = None
    column: int | None = None  # index of the site's column whose list led here (None: a revisit)
    # The files behind `attachments` (crawler/attachments fetches them before the archive saves).
    files: list[AttachmentFile] = field(default_factory=list)
    # A list item that linked straight to a file: `raw` is the file, its text becomes `body`.
    from_file: bool = False
    # The extractor version that read it (crawler.extract.EXTRACTOR_VERSION; None: unknown, e.g.
    # shipped by an older crawl worker).
    extractor: int | None = None


@dataclass
class Unchanged:
    """A known article checked without a new capture (304, or identical bytes)."""

    site: str
    url: str
    reason: str  # "not_modified" | "same_bytes"
    # The current version's attachment links, re-checked: a file may change behind its link.
    attachments: list[dict[str, Any]] = field(default_factory=list)
    files: list[AttachmentFile] = field(default_factory=list)


@dataclass
class Withdrawn:
    """A known article that now answers 404/410 or redirects to the site's home page."""

    site: str
    url: str
    status: int
    reason: str  # "http_404" | "http_410" | "redirect_home"
