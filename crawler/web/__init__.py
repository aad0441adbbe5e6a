"""The web interface (`gov-archive serve`): Datasette with the archive's own pages.

A presentation layer, peer of ``crawler.cli``: it reads through ``archive.Archive`` (a fresh
read-only connection per request) and ``crawler.service`` (health), and nothing imports it
but the CLI. Routes: ``/``, ``/search``, ``/documents/{id}``, ``/documents/{id}/diff``,
``/documents/{id}/attachments/{n}``, ``/sites/{name}``, ``/feed.atom``, ``/captures/{sha256}``;
Datasette's own pages under ``/archive``.
"""

from __future__ import annotations

from crawler.web.app import DATABASE_NAME, create_datasette
from crawler.web.config import WebConfig
from crawler.web.server import is_public, listen, load_config, run, url

__all__ = ["DATABASE_NAME", "WebConfig", "create_datasette", "is_public", "listen",
           "load_config", "run", "url"]
