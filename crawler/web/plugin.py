"""The Datasette plugin: our routes and the template filters the pages use.

Registered by ``crawler.web.app`` (not through an entry point, so a plain ``datasette`` run in
the same environment is left alone); its routes exist only on a Datasette configured for it.
"""

from __future__ import annotations

from collections.abc import Generator
from typing import Any

from datasette import hookimpl
from jinja2 import Environment

from crawler.web import text, views
from crawler.web.config import PLUGIN_NAME


@hookimpl
def register_routes(datasette: Any) -> list[tuple[str, views.View]]:
    if datasette.plugin_config(PLUGIN_NAME) is None:
        return []
    return views.ROUTES


@hookimpl(wrapper=True)
def handle_exception(datasette: Any, request: Any, exception: BaseException) -> Generator[None, Any, Any]:
    """Our 404/500 pages instead of Datasette's default handler's (which prints every error
    with rich, when installed, and fails outside an ``except`` block: a 500 for a 404)."""
    responses = yield
    if datasette.plugin_config(PLUGIN_NAME) is None:
        return responses
    return [views.exception_page(datasette, request, exception)]


@hookimpl
def prepare_jinja2_environment(env: Environment, datasette: Any) -> None:
    env.filters.update(
        local_time=text.local_time,
        utc_time=text.utc_time,
        published=text.published,
        kind_label=lambda kind: text.KIND_LABELS.get(kind, kind),
        field_labels=text.field_labels,
        external_url=text.external_url,
    )
