"""What the spiders hand to the archive pipeline: one dataclass per archive action."""

from __future__ import annotations

from dataclasses import dataclass, field


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


@dataclass
class Unchanged:
    """A known article checked without a new capture (304, or identical bytes)."""

    site: str
    url: str
    reason: str  # "not_modified" | "same_bytes"


@dataclass
class Withdrawn:
    """A known article that now answers 404/410 or redirects to the site's home page."""

    site: str
    url: str
    status: int
    reason: str  # "http_404" | "http_410" | "redirect_home"
