"""The routes: parse the request, read the archive in a worker thread, render a template.

Every request opens the archive read-only (``Archive(..., read_only=True)``) in a worker thread
and closes it before answering, so pages see each committed crawl item at once and never write.
"""

from __future__ import annotations

import asyncio
import functools
import hashlib
import logging
import urllib.parse
from collections.abc import Awaitable, Callable
from pathlib import Path, PurePosixPath
from typing import Any, TypeVar

from datasette import Response
from datasette.app import Datasette
from datasette.utils.asgi import Base400, Request
from datasette.views.base import DatasetteError
from markupsafe import Markup

from archive import Archive, ArchiveError, AttachmentNotFound, CaptureNotFound, DocumentNotFound
from crawler.web import downloads, pages
from crawler.web.config import DATABASE_NAME, PLUGIN_NAME, WebConfig
from crawler.web.feed import EVENT_KINDS, atom_document

T = TypeVar("T")
View = Callable[[Request, Datasette], Awaitable[Response]]

STATIC = Path(__file__).parent / "static"
STATIC_ROUTE = "-/gov-archive"
TEMPLATE_FOLDER = "gov_archive"
#: Our pages load nothing from elsewhere and run no script; archived text is always escaped.
PAGE_HEADERS = {
    "Content-Security-Policy": "default-src 'none'; style-src 'self'; img-src 'self'; "
                               "form-action 'self'; base-uri 'none'; frame-ancestors 'none'",
    "Referrer-Policy": "same-origin",
    "X-Content-Type-Options": "nosniff",
}
#: A raw capture is the government site's own HTML: shown sandboxed (no scripts, no cookies).
CAPTURE_HEADERS = {"Content-Security-Policy": "sandbox", "X-Content-Type-Options": "nosniff",
                   "Referrer-Policy": "no-referrer"}
#: An attachment file is whatever the site served: always a download, and inert if opened.
DOWNLOAD_HEADERS = {"Content-Security-Policy": "sandbox; default-src 'none'",
                    "X-Content-Type-Options": "nosniff", "Referrer-Policy": "no-referrer"}


#: Datasette's own pages (their 404 messages name the missing database or table).
DATASETTE_PATHS = (f"/{DATABASE_NAME}", "/-/")
ERROR_TITLES = {400: "Bad request", 403: "Forbidden", 404: "Not found", 500: "Something went wrong"}

log = logging.getLogger(__name__)


def web_config(datasette: Datasette) -> WebConfig:
    return WebConfig.from_json(datasette.plugin_config(PLUGIN_NAME) or {})


async def read(datasette: Datasette, build: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """Run ``build(archive, config, ...)`` on a fresh read-only archive in a worker thread."""
    config = web_config(datasette)

    def run() -> T:
        with Archive(config.db, read_only=True) as archive:
            return build(archive, config, *args, **kwargs)

    return await asyncio.to_thread(run)


@functools.cache
def css_url() -> str:
    """The stylesheet's URL, versioned by its content so browsers never keep a stale one."""
    digest = hashlib.sha256((STATIC / "gov-archive.css").read_bytes()).hexdigest()[:10]
    return f"/{STATIC_ROUTE}/gov-archive.css?{digest}"


async def render(datasette: Datasette, request: Request, template: str, context: dict[str, Any],
                 *, status: int = 200) -> Response:
    html = await datasette.render_template(
        f"{TEMPLATE_FOLDER}/{template}", {**context, "css_url": css_url()}, request=request)
    return Response.html(html, status=status, headers=dict(PAGE_HEADERS))


def page(view: View) -> View:
    """Turn what a reader can cause (a missing id, a bad parameter) into a page, not a traceback."""
    @functools.wraps(view)
    async def wrapped(request: Request, datasette: Datasette) -> Response:
        try:
            return await view(request, datasette)
        except (DocumentNotFound, CaptureNotFound, AttachmentNotFound, pages.SiteNotFound) as exc:
            return await error(datasette, request, 404, "Not found", str(exc))
        except pages.BadRequest as exc:
            return await error(datasette, request, 400, "Bad request", str(exc))
        except ArchiveError as exc:
            return await error(datasette, request, 503, "The archive cannot be read", str(exc))
    return wrapped


async def error(datasette: Datasette, request: Request, status: int, title: str,
                message: str) -> Response:
    context = {"title": title, "message": message, "status": status}
    return await render(datasette, request, "error.html", context, status=status)


async def exception_page(datasette: Datasette, request: Request, exception: BaseException) -> Response:
    """What an exception nothing else handled becomes: our 404/500 page (JSON for ``.json``).

    Datasette's own errors (a missing table, a bad query) keep their status and message; an
    address no route knows is a 404; anything else is a 500, its traceback in the server's log.
    """
    status, title, message = _described(exception, request.path)
    if status >= 500:
        log.error("%s %s failed", request.method, request.path, exc_info=exception)
    if request.path.endswith(".json"):
        return Response.json({"ok": False, "error": str(message), "status": status, "title": title},
                             status=status)
    return await error(datasette, request, status, title, message)


def _described(exception: BaseException, path: str) -> tuple[int, str, str]:
    """``(status, title, message)`` for an exception."""
    if isinstance(exception, Base400):
        status = exception.status
        message = str(exception.args[0]) if exception.args else ""
        if status == 404 and not path.startswith(DATASETTE_PATHS):
            message = f"There is no page at {path}."
        return status, ERROR_TITLES.get(status, "Error"), message
    if isinstance(exception, DatasetteError):
        message = Markup(exception.message) if exception.message_is_html else str(exception.message)
        return exception.status, exception.title or ERROR_TITLES.get(exception.status, "Error"), message
    return 500, ERROR_TITLES[500], "This page could not be made; the server's log says why."


# --- pages --------------------------------------------------------------------------------------


@page
async def home(request: Request, datasette: Datasette) -> Response:
    args = request.args
    context = await read(datasette, pages.home_page, site=args.get("site") or None,
                         kind=args.get("kind") or None,
                         before=pages.positive(args.get("before"), "before"))
    return await render(datasette, request, "home.html", context, status=_status(context))


@page
async def search(request: Request, datasette: Datasette) -> Response:
    form = pages.SearchForm.from_args({key: request.args.get(key) or "" for key in request.args})
    context = pages.search_page(form, await read(datasette, pages.search_results, form))
    return await render(datasette, request, "search.html", context, status=_status(context))


def _status(context: dict[str, Any]) -> int:
    """200, or the status of the problem a page shows (``pages.problem``)."""
    return int(context["error"]["status"]) if context.get("error") else 200


@page
async def document(request: Request, datasette: Datasette) -> Response:
    doc_id = _doc_id(request)
    version = pages.positive(request.args.get("version"), "version")
    context = await read(datasette, pages.document_page, doc_id, version)
    return await render(datasette, request, "document.html", context)


@page
async def diff(request: Request, datasette: Datasette) -> Response:
    args = request.args
    context = await read(datasette, pages.diff_page, _doc_id(request),
                         pages.positive(args.get("from"), "from"),
                         pages.positive(args.get("to"), "to"), view=args.get("view") or "inline")
    return await render(datasette, request, "diff.html", context)


@page
async def site(request: Request, datasette: Datasette) -> Response:
    name = urllib.parse.unquote(request.url_vars["name"])
    context = await read(datasette, pages.site_page, name)
    return await render(datasette, request, "site.html", context)


@page
async def feed(request: Request, datasette: Datasette) -> Response:
    kinds = request.args.getlist("kind")
    unknown = [k for k in kinds if k not in EVENT_KINDS]
    if unknown:
        raise pages.BadRequest(f"kind must be one of {', '.join(EVENT_KINDS)}, not {unknown[0]!r}")
    site_name = request.args.get("site") or None
    body = await read(datasette, _feed, site_name, kinds)
    return Response(body, content_type="application/atom+xml; charset=utf-8",
                    headers={"X-Content-Type-Options": "nosniff"})


def _feed(archive: Archive, config: WebConfig, site_name: str | None, kinds: list[str]) -> bytes:
    if site_name is not None and site_name not in {s["name"] for s in archive.sites()}:
        raise pages.SiteNotFound(pages.unknown_site(site_name))
    return atom_document(archive, site=site_name, kinds=kinds)


@page
async def capture(request: Request, datasette: Datasette) -> Response:
    meta, body = await read(datasette, _capture, request.url_vars["sha"])
    name = PurePosixPath(urllib.parse.urlsplit(meta.get("url") or "").path).name or "capture"
    headers = {**CAPTURE_HEADERS, "Content-Disposition": downloads.content_disposition("inline", name)}
    content_type = (meta.get("headers") or {}).get("content-type") or downloads.OCTET_STREAM
    return Response(body, content_type=content_type, headers=headers)


def _capture(archive: Archive, config: WebConfig, sha: str) -> tuple[dict[str, Any], bytes]:
    return archive.capture(sha), archive.capture_bytes(sha)


@page
async def attachment(request: Request, datasette: Datasette) -> Response:
    """The archived bytes of a version's N-th attachment, as a download."""
    doc_id = _doc_id(request)
    raw = request.url_vars["n"]
    if not (raw.isascii() and raw.isdigit()) or len(raw) > 15:
        raise AttachmentNotFound(f"document {doc_id}: there is no attachment {urllib.parse.unquote(raw)}")
    version = pages.positive(request.args.get("version"), "version")
    entry, body = await read(datasette, _attachment, doc_id, int(raw), version)
    disposition = downloads.content_disposition("attachment", *downloads.file_names(entry))
    headers = {**DOWNLOAD_HEADERS, "ETag": f'"{entry["sha256"]}"', "Content-Disposition": disposition}
    return Response(body, content_type=downloads.content_type(entry["content_type"]), headers=headers)


def _attachment(archive: Archive, config: WebConfig, doc_id: int, n: int,
                version: int | None) -> tuple[dict[str, Any], bytes]:
    return archive.attachment_bytes(doc_id, n, version)


def _doc_id(request: Request) -> int:
    raw = request.url_vars["doc_id"]
    if not (raw.isascii() and raw.isdigit()) or len(raw) > 15:
        raise DocumentNotFound(f"no document with id {urllib.parse.unquote(raw)}")
    return int(raw)


ROUTES: list[tuple[str, View]] = [
    (r"^/$", home),
    (r"^/search$", search),
    (r"^/documents/(?P<doc_id>[^/]+)$", document),
    (r"^/documents/(?P<doc_id>[^/]+)/diff$", diff),
    (r"^/sites/(?P<name>[^/]+)$", site),
    (r"^/feed\.atom$", feed),
    (r"^/documents/(?P<doc_id>[^/]+)/attachments/(?P<n>[^/]+)$", attachment),
    (r"^/captures/(?P<sha>[0-9a-f]{64})$", capture),
]
