"""What each page shows, read from an open Archive: plain dicts for the templates.

No HTTP and no templates here: ``views`` parses the request, opens the archive, calls the
page's function here (``home_page``, ``search_results``, ``document_page`` ...) and renders.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass
from datetime import date
from typing import Any
from urllib.parse import urlencode

from archive import Archive
from archive.search import RANK_WINDOW
from crawler.service.health import health_rows
from crawler.web import text, textdiff
from crawler.web.config import WebConfig
from crawler.web.feed import EVENT_KINDS

EVENTS_PER_PAGE = 50
HITS_PER_PAGE = 20
SITE_DOCUMENTS = 30
SITE_CRAWLS = 15
CRAWL_COUNTS = ("new", "changed", "gone", "restored", "unchanged", "not_modified")


class BadRequest(ValueError):
    """A query parameter that makes no sense; the message is shown on a 400 page."""


class SiteNotFound(LookupError):
    """Neither the archive nor a site definition knows this site."""


# --- the latest changes: / ------------------------------------------------------------------


def home_page(archive: Archive, config: WebConfig, *, site: str | None = None,
              kind: str | None = None, before: int | None = None) -> dict[str, Any]:
    """Newest events (filtered, paged by ``before``), per-site counts, open health problems."""
    if kind is not None and kind not in EVENT_KINDS:
        raise BadRequest(f"kind must be one of {', '.join(EVENT_KINDS)}")
    sites = site_rows(archive, config)
    titles = {s["name"]: s["title"] for s in sites}
    events = archive.recent_events(kinds=[kind] if kind else EVENT_KINDS, site=site,
                                   before_id=before, limit=EVENTS_PER_PAGE + 1)
    more = len(events) > EVENTS_PER_PAGE
    events = events[:EVENTS_PER_PAGE]
    return {
        "events": [event_row(e, titles) for e in events],
        "next_url": "/?" + urlencode(_present(site=site, kind=kind, before=events[-1]["id"]))
        if more else None,
        "site": site, "kind": kind, "kinds": EVENT_KINDS,
        "site_title": titles.get(site or "", site),
        "sites": sites,
        "problems": health_problems(archive, config, [s["name"] for s in sites]),
    }


def site_rows(archive: Archive, config: WebConfig) -> list[dict[str, Any]]:
    """Every archived site with its display title and counts."""
    return [{**s, "title": config.site_title(s["name"], s["site_title"]),
             "live": s["documents"] - s["gone"]}
            for s in archive.site_summaries()]


def event_row(event: Mapping[str, Any], titles: Mapping[str, str]) -> dict[str, Any]:
    """An event as a list item: its label, the site's title, the diff it links to."""
    version = event.get("version") or 0
    return {**event,
            "label": text.KIND_LABELS.get(event["kind"], event["kind"]),
            "site_title": titles.get(event["site"], event["site"]),
            "changed": text.field_labels(event.get("changed_fields"))
            if event["kind"] == "changed" else "",
            "diff_from": version - 1 if event["kind"] == "changed" and version > 1 else None}


def health_problems(archive: Archive, config: WebConfig,
                    names: Iterable[str]) -> list[dict[str, Any]]:
    """Watched sites whose latest crawl failed or raised a health event (``sites --health``
    rules); a site no longer watched (``remove``) has history, not health."""
    watched = {entry["site"] for entry in archive.watched_sites()}
    names = [name for name in names if name in watched or config.site(name).own]
    rows = health_rows(archive, [config.site(name).schedule() for name in names])
    return [{**row, "title": config.site_title(row["site"])} for row in rows
            if row["health"] not in ("ok", "never crawled")]


# --- search: /search ------------------------------------------------------------------------


@dataclass(frozen=True)
class SearchForm:
    """The search form's fields, validated."""

    q: str = ""
    site: str = ""
    published_from: str = ""
    published_to: str = ""
    status: str = ""
    page: int = 1

    @classmethod
    def from_args(cls, args: Mapping[str, str]) -> SearchForm:
        """Read ``q, site, from, to, status, page``; BadRequest names what is wrong."""
        status = args.get("status", "").strip()
        if status not in ("", "live", "gone"):
            raise BadRequest("status must be live or gone")
        return cls(
            q=" ".join(args.get("q", "").split()),
            site=args.get("site", "").strip(),
            published_from=_day(args.get("from", ""), "from"),
            published_to=_day(args.get("to", ""), "to"),
            status=status,
            page=positive(args.get("page"), "page") or 1,
        )

    def filters(self) -> dict[str, Any]:
        return {"site": self.site or None, "published_from": self.published_from or None,
                "published_to": self.published_to or None, "status": self.status or None}

    def args(self, **changes: Any) -> dict[str, Any]:
        """The form as URL query arguments (empty fields left out), e.g. for the next page."""
        values = {**asdict(self), **changes}
        names = {"published_from": "from", "published_to": "to"}
        return {names.get(k, k): v for k, v in values.items() if v and not (k == "page" and v == 1)}


def search_results(archive: Archive, config: WebConfig,
                   form: SearchForm) -> tuple[list[dict[str, Any]], int, list[dict[str, Any]]]:
    """One page of hits (best first), how many matched (up to the ranking window), the sites."""
    sites = site_rows(archive, config)
    if not form.q:
        return [], 0, sites
    hits, total = archive.search_page(form.q, offset=(form.page - 1) * HITS_PER_PAGE,
                                      limit=HITS_PER_PAGE, **form.filters())
    return hits, total, sites


def search_page(form: SearchForm, hits: Sequence[Mapping[str, Any]], total: int,
                sites: list[dict[str, Any]]) -> dict[str, Any]:
    """The search page: titles and snippets highlighted, the total and the page links."""
    terms = text.query_terms(form.q)
    titles = {s["name"]: s["title"] for s in sites}
    last = math.ceil(total / HITS_PER_PAGE)
    return {
        "hits": [hit_row(hit, terms, titles) for hit in hits], "sites": sites,
        "form": form, "total": total, "pages": last, "cap": RANK_WINDOW,
        "per_page": HITS_PER_PAGE,
        "page_links": [(n, _search_url(form, n)) for n in _page_window(form.page, last)],
        "prev_url": _search_url(form, form.page - 1) if form.page > 1 else None,
        "next_url": _search_url(form, form.page + 1) if form.page < last else None,
    }


def _search_url(form: SearchForm, page: int) -> str:
    return "/search?" + urlencode(form.args(page=page))


def _page_window(page: int, last: int, around: int = 3) -> list[int]:
    """Page numbers to link: the first, the last, and a few around the current page."""
    near = range(max(1, page - around), min(last, page + around) + 1)
    return sorted({1, last, *near} - {0}) if last else []


def hit_row(hit: Mapping[str, Any], terms: Sequence[str],
            titles: Mapping[str, str]) -> dict[str, Any]:
    """A search hit: title and snippet highlighted, the site's title."""
    return {
        "id": hit["id"], "url": hit["url"], "site": hit["site"],
        "site_title": titles.get(hit["site"], hit["site"]),
        "published": hit.get("published"), "status": hit["status"], "gone_at": hit.get("gone_at"),
        "title_html": text.highlight(hit["title"], terms),
        "snippet_html": text.snippet(hit.get("body"), terms),
    }


# --- one document: /documents/{id} ----------------------------------------------------------


def document_page(archive: Archive, config: WebConfig, doc_id: int,
                  version: int | None = None) -> dict[str, Any]:
    """The current version (or ``version``) as a reader wants it, with its history."""
    doc = archive.document(doc_id)
    versions = archive.history(doc_id)
    shown = archive.version(doc_id, version) if version else versions[-1]
    metadata = shown.get("metadata") or {}
    events = archive.document_events(doc_id)
    return {
        "doc": doc,
        "shown": shown,
        "is_current": shown["version"] == doc["version"],
        "site_title": config.site_title(doc["site"], metadata.get("site_name")),
        "column": metadata.get("column_name"),
        "paragraphs": text.paragraphs(shown.get("body")),
        "metadata": text.metadata_rows(metadata),
        "attachments": shown.get("attachments") or [],
        "versions": [version_row(v) for v in reversed(versions)],
        "timeline": [event_row(e, {}) for e in events],
        "restored_at": next((e["time"] for e in reversed(events) if e["kind"] == "restored"), None),
    }


def version_row(version: Mapping[str, Any]) -> dict[str, Any]:
    number = version["version"]
    changed = "first seen" if number == 1 else text.field_labels(version.get("changed_fields")) or "—"
    if version.get("reextracted"):
        changed = f"Re-extracted, not an edit: {changed}"
    return {"version": number, "fetched_at": version["fetched_at"], "title": version["title"],
            "changed": changed, "capture_sha": version.get("capture_sha")}


# --- a diff: /documents/{id}/diff -----------------------------------------------------------


def diff_page(archive: Archive, config: WebConfig, doc_id: int, from_version: int | None,
              to_version: int | None, *, view: str = "inline") -> dict[str, Any]:
    """Changed fields and the body diff between two versions (default: previous -> current)."""
    if view not in ("inline", "side"):
        raise BadRequest("view must be inline or side")
    doc = archive.document(doc_id)
    to_n = to_version or doc["version"]
    from_n = from_version if from_version is not None else (to_n - 1 or None)
    result = archive.diff(doc_id, from_n, to_n)
    new = archive.version(doc_id, to_n)
    old = archive.version(doc_id, from_n) if from_n else None
    rows = textdiff.body_rows(old["body"] if old else "", new["body"])
    return {
        "doc": doc, "old": old, "new": new, "view": view,
        "site_title": config.site_title(doc["site"], (new.get("metadata") or {}).get("site_name")),
        "versions": list(range(1, doc["version"] + 1)),
        "changed": text.field_labels(result["changed_fields"]),
        "fields": field_changes(result["fields"]),
        "body_rows": rows,
        "body_changed": "body" in result["changed_fields"],
        "reextracted": result["reextracted"],
    }


def field_changes(fields: Mapping[str, Mapping[str, Any]]) -> list[dict[str, Any]]:
    """One entry per changed field other than the body, its parts ready to show."""
    out = []
    for name, change in fields.items():
        old, new = change.get("old"), change.get("new")
        entry: dict[str, Any] = {"name": name, "label": text.FIELD_LABELS.get(name, name)}
        if name == "metadata":
            entry["rows"] = metadata_changes(old or {}, new or {})
        elif name == "attachments":
            entry["rows"] = attachment_changes(old or [], new or [])
        else:
            entry["old"], entry["new"] = textdiff.inline_pair(text.value_text(old),
                                                              text.value_text(new))
        out.append(entry)
    return out


def metadata_changes(old: Mapping[str, Any], new: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Added, removed and changed metadata keys, with their Chinese labels."""
    rows = []
    for key in [k for k in text.METADATA_LABELS if k in old or k in new] + sorted(
            (set(old) | set(new)) - set(text.METADATA_LABELS)):
        if old.get(key) == new.get(key):
            continue
        kind = "added" if key not in old else "removed" if key not in new else "changed"
        before, after = textdiff.inline_pair(text.value_text(old.get(key)),
                                             text.value_text(new.get(key)))
        rows.append({"key": key, "label": text.METADATA_LABELS.get(key, key), "kind": kind,
                     "old": before, "new": after})
    return rows


def attachment_changes(old: Sequence[Mapping[str, Any]],
                       new: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Attachments that were added or removed (by URL and name)."""
    def key(item: Mapping[str, Any]) -> tuple[str, str]:
        return str(item.get("url") or ""), str(item.get("text") or "")

    old_keys, new_keys = {key(a) for a in old}, {key(a) for a in new}
    rows = [{"kind": "removed", **a} for a in old if key(a) not in new_keys]
    rows += [{"kind": "added", **a} for a in new if key(a) not in old_keys]
    if not rows:
        rows = [{"kind": "reordered", "text": "same attachments, new order", "url": ""}]
    return rows


# --- a site: /sites/{name} ------------------------------------------------------------------


def site_page(archive: Archive, config: WebConfig, name: str) -> dict[str, Any]:
    """A site's columns, health, crawls and newest documents."""
    summary = next((s for s in site_rows(archive, config) if s["name"] == name), None)
    info = config.site(name)
    if summary is None and name not in config.sites:
        raise SiteNotFound(f"no site named {name!r} in this archive")
    seen_columns = [] if info.columns or summary is None else archive.site_columns(name)
    return {
        "name": name,
        "title": summary["title"] if summary else config.site_title(name),
        "summary": summary,
        "home": info.home or (summary or {}).get("base_url"),
        "columns": [{"name": n, "url": u} for n, u in info.columns],
        "seen_columns": seen_columns,
        "defined": name in config.sites,
        "health": health_rows(archive, [info.schedule()])[0] if summary else None,
        "health_events": archive.recent_events(kinds=["health"], site=name, limit=10)
        if summary else [],
        "crawls": [crawl_row(c) for c in archive.crawls(site=name, limit=SITE_CRAWLS)]
        if summary else [],
        "documents": archive.site_documents(name, limit=SITE_DOCUMENTS) if summary else [],
    }


def crawl_row(crawl: Mapping[str, Any]) -> dict[str, Any]:
    """A crawl with the counts a reader cares about, from its stored stats."""
    stats = crawl.get("stats") or {}
    counts = {key: _int(stats.get(f"archive/{key}")) for key in CRAWL_COUNTS}
    return {**crawl, "counts": {k: v for k, v in counts.items() if v}}


# --- parameters -------------------------------------------------------------------------------


def _day(value: str, name: str) -> str:
    value = value.strip()
    if not value:
        return ""
    try:
        return date.fromisoformat(value).isoformat()
    except ValueError:
        raise BadRequest(f"{name} must be a date like 2026-01-31, not {value!r}") from None


def _present(**values: Any) -> dict[str, Any]:
    return {k: v for k, v in values.items() if v not in (None, "")}


def positive(value: str | None, name: str) -> int | None:
    """A query parameter that must be a whole number >= 1 (None if absent)."""
    value = (value or "").strip()
    if not value:
        return None
    if not (value.isascii() and value.isdigit()) or len(value) > 15 or int(value) < 1:
        raise BadRequest(f"{name} must be a whole number of at least 1, not {value!r}")
    return int(value)


def _int(value: object) -> int:
    """A stats counter as an int (0 when missing or not a number)."""
    try:
        return int(str(value or 0))
    except ValueError:
        return 0
