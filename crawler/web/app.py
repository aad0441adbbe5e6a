"""Build the Datasette that serves an archive: shipped settings and metadata, our plugin.

Datasette's own pages (tables, JSON, CSV) stay available under ``/archive``; arbitrary SQL is
off unless asked for. The database is opened read-only (``mode=ro``, never ``immutable``, so a
crawl writing at the same time is seen as it commits).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from datasette.app import Datasette
from datasette.database import Database
from datasette.plugins import pm

from crawler.web import plugin
from crawler.web.config import DATABASE_NAME, PLUGIN_NAME, WebConfig
from crawler.web.views import STATIC, STATIC_ROUTE

HERE = Path(__file__).parent


def create_datasette(config: WebConfig, *, allow_sql: bool = False) -> Datasette:
    """A Datasette serving ``config.db`` with the archive's pages at ``/``."""
    register_plugin()
    settings = {**_shipped("settings.json"), "default_allow_sql": allow_sql}
    metadata = {**_shipped("metadata.json"), "plugins": {PLUGIN_NAME: config.to_json()}}
    datasette = Datasette(settings=settings, metadata=metadata,
                          template_dir=str(HERE / "templates"),
                          static_mounts=[(STATIC_ROUTE, str(STATIC))])
    datasette.remove_database("_memory")
    datasette.add_database(Database(datasette, config.db, is_mutable=True), name=DATABASE_NAME)
    return datasette


def register_plugin() -> None:
    """Register the plugin once per process (pluggy refuses a second registration)."""
    if pm.get_plugin(PLUGIN_NAME) is None:
        pm.register(plugin, name=PLUGIN_NAME)


def _shipped(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((HERE / name).read_text(encoding="utf-8"))
    return data
