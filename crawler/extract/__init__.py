"""Pure extraction: raw page bytes + URL + headers -> a normalized announcement (no Scrapy)."""

from __future__ import annotations

from .core import extract
from .model import PAGE_CLASSES, Extraction

__all__ = ["extract", "Extraction", "PAGE_CLASSES"]
