"""Reads for the web interface (crawler/web, `gov-archive serve`): the part of `Archive` that
serves its pages.

`WebReads` is mixed into `archive.db.Archive`. Newest-first, paged and per-site reads, each
shaped for one page of the site: recent events with their changed fields, a document's events,
a summary per site, a site's newest documents and columns, an attachment file's text. They
only read.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Iterator, Sequence
from typing import TYPE_CHECKING, Any

from . import attachments as files_mod
from .events import EVENT_COLUMNS, event_filters

#: The ids of a site's newest documents, from the documents_site index alone (no row is read).
NEWEST_OF_SITE = ("SELECT id FROM documents WHERE site_id = (SELECT id FROM sites WHERE "
                  "name = ?) ORDER BY id DESC LIMIT ?")


class WebReads:
    """Reads of `archive.db.Archive` for the web interface."""

    if TYPE_CHECKING:  # provided by Archive
        conn: sqlite3.Connection

        def _rows(self, sql: str, params: Sequence[Any] = ()) -> Iterator[dict[str, Any]]: ...
        def _events(self, columns: str, conditions: list[str], params: list[Any], *,
                    newest_first: bool = False, limit: int | None = None) -> Iterator[dict[str, Any]]: ...
        def _document_id(self, ref: int | str) -> int: ...

    def recent_events(self, *, kinds: Iterable[str] | None = None, site: str | None = None,
                      before_id: int | None = None, limit: int = 50) -> list[dict[str, Any]]:
        """Events newest first (descending id), each with its version's ``changed_fields``.

        Page with ``before_id`` = the smallest id of the previous page. Several kinds are read
        one kind at a time (each walks the kind's index newest first) and merged.
        """
        chosen = [kinds] if isinstance(kinds, str) else kinds
        found: list[dict[str, Any]] = []
        for kind in [None] if chosen is None else list(chosen):
            conditions, params = event_filters(kinds=None if kind is None else [kind], site=site)
            if before_id is not None:
                conditions.append("e.id < ?")
                params.append(int(before_id))
            found += self._events(EVENT_COLUMNS + ", v.changed_fields", conditions, params,
                                  newest_first=True, limit=limit)
        found.sort(key=lambda event: event["id"], reverse=True)
        return found[:limit]

    def document_events(self, ref: int | str) -> list[dict[str, Any]]:
        """Every event of one document (new, changed, gone, restored), oldest first."""
        doc_id = self._document_id(ref)
        return list(self._events(EVENT_COLUMNS, ["e.document_id = ?"], [doc_id]))

    def site_summaries(self) -> list[dict[str, Any]]:
        """Per site, by name: documents, gone, last crawl start and the newest page's site name.

        ``site_title`` is the ``site_name`` metadata of the site's newest document (or None).
        """
        return list(self._rows("""
            SELECT s.name, s.base_url, s.created_at,
              (SELECT count(*) FROM documents d WHERE d.site_id = s.id) AS documents,
              (SELECT count(*) FROM documents d WHERE d.site_id = s.id AND d.status = 'gone')
                AS gone,
              (SELECT max(c.started_at) FROM crawls c WHERE c.site_id = s.id) AS last_crawl_at,
              (SELECT json_extract(v.metadata, '$.site_name') FROM versions v
                 WHERE v.id = (SELECT current_version_id FROM documents WHERE id =
                   (SELECT max(d.id) FROM documents d WHERE d.site_id = s.id))) AS site_title
            FROM sites s ORDER BY s.name"""))

    def site_documents(self, site: str, *, limit: int = 30) -> list[dict[str, Any]]:
        """A site's documents, the most recently discovered first (no bodies)."""
        return list(self._rows(f"""
            SELECT d.id, d.url, d.title, d.published, d.status, d.version, d.first_seen,
                   d.gone_at FROM documents d WHERE d.id IN ({NEWEST_OF_SITE})
            ORDER BY d.id DESC""", (site, int(limit))))

    def site_columns(self, site: str, *, sample: int = 500) -> list[dict[str, Any]]:
        """Column names (``column_name`` metadata) of a site's newest ``sample`` documents."""
        return list(self._rows(f"""
            SELECT json_extract(v.metadata, '$.column_name') AS name, count(*) AS documents
            FROM documents d JOIN versions v ON v.id = d.current_version_id
            WHERE d.id IN ({NEWEST_OF_SITE}) AND name IS NOT NULL
            GROUP BY name ORDER BY documents DESC, name""", (site, int(sample))))

    def attachment_text(self, sha: str) -> str | None:
        """The text read from the attachment file with this sha256 (None: never read)."""
        return files_mod.text_of(self.conn, sha)
