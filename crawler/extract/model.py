"""The result of extracting one page."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

PAGE_CLASSES = ("article", "antibot", "soft404", "empty", "list", "js_shell", "binary")


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
