"""Console entry point: the archive's query commands plus crawl, extract and demo."""

from __future__ import annotations

from archive.cli import cli

__all__ = ["cli"]
