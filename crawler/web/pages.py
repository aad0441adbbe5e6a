"""What each page shows, read from an open Archive: plain dicts for the templates.

No HTTP and no templates here: ``views`` parses the request, opens the archive, calls the
page's function here (``home_page``, ``search_results``, ``document_page`` ...) and renders.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, replace
from datetime import date
from typing import Any
from urllib.parse import urlencode

from archive import Archive, render
from archive.hashing import changed_fields
from archive.search import RANK_WINDOW
from crawler.service.watchlist import listing
from crawler.sites.definitions import DEFAULT_EVERY
from crawler.web import text, textdiff
from crawler.web.config import WebConfig
from crawler.web.feed import EVENT_KINDS

EVENTS_PER_PAGE = 50
HITS_PER_PAGE = 20
SITE_DOCUMENTS = 30
SITE_CRAWLS = 15
FILE_DIFF_ROWS = 300  # rows of an attachment's text diff shown; its files can be downloaded
CRAWL_COUNTS = ("new", "changed", "gone", "restored", "unchanged", "not_modified")


class BadRequest(ValueError):
    """A query parameter that makes no sense; the message is shown on a 400 page."""


class SiteNotFound(LookupError):
    """Neither the archive nor a site definition knows this site."""


# --- the latest changes: / ------------------------------------------------------------------


def home_page(archive: Archive, config: WebConfig, *, site: str | None = None,
              kind: str | None = None, before: int | None = None) -> dict[str, Any]:
    """Newest events (filtered, paged by ``before``), per-site counts, open health problems.

    An unknown kind or site is named in ``error`` (``{"status", "message"}``), shown above
    the filters instead of events.
    """
    sites = site_rows(archive, config)
    titles = {s["name"]: s["title"] for s in sites}
    page = {"site": site, "kind": kind, "kinds": EVENT_KINDS, "sites": sites,
            "site_title": titles.get(site or "", site), "events": [], "next_url": None,
            "problems": health_problems(listing(archive), config),
            "error": _home_error(site, kind, titles)}
    if page["error"]:
        return page
    events = archive.recent_events(kinds=[kind] if kind else EVENT_KINDS, site=site,
                                   before_id=before, limit=EVENTS_PER_PAGE + 1)
    if len(events) > EVENTS_PER_PAGE:
        query = _present(site=site, kind=kind, before=events[EVENTS_PER_PAGE - 1]["id"])
        page["next_url"] = "/?" + urlencode(query)
    page["events"] = [event_row(e, titles) for e in events[:EVENTS_PER_PAGE]]
    return page


def _home_error(site: str | None, kind: str | None,
                titles: Mapping[str, str]) -> dict[str, Any] | None:
    if kind is not None and kind not in EVENT_KINDS:
        return problem(400, f"kind must be one of {', '.join(EVENT_KINDS)}, not {kind!r}")
    if site is not None and site not in titles:
        return problem(404, unknown_site(site))
    return None


def problem(status: int, message: str) -> dict[str, Any]:
    """What is wrong with a request, shown on the page it asked for (with that HTTP status)."""
    return {"status": status, "message": message}


def unknown_site(name: str) -> str:
    return f"no site named {name!r} in this archive"


def site_rows(archive: Archive, config: WebConfig) -> list[dict[str, Any]]:
    """Every archived site with its display title and counts. Sites of one CMS often share a
    name (示例市人民政府): a title two sites share is followed by each one's name."""
    rows = [{**s, "title": config.site_title(s["name"], s["site_title"]),
             "live": s["documents"] - s["gone"]}
            for s in archive.site_summaries()]
    shared = Counter(row["title"] for row in rows)
    return [{**row, "title": f"{row['title']} ({row['name']})"} if shared[row["title"]] > 1
            and row["title"] != row["name"] else row for row in rows]


def event_row(event: Mapping[str, Any], titles: Mapping[str, str]) -> dict[str, Any]:
    """An event as a list item: its label, the site's title, the diff it links to."""
    version = event.get("version") or 0
    return {**event,
            "label": text.KIND_LABELS.get(event["kind"], event["kind"]),
            "site_title": titles.get(event["site"], event["site"]),
            "changed": text.field_labels(event.get("changed_fields"))
            if event["kind"] == "changed" else "",
            "diff_from": version - 1 if event["kind"] == "changed" and version > 1 else None}


def health_problems(rows: Iterable[Mapping[str, Any]], config: WebConfig) -> list[dict[str, Any]]:
    """Watched sites whose latest crawl failed or raised a health event (`sites` rows: the
    rules of ``sites --health``). A site no longer watched keeps its pages, not its alarms."""
    return [{**row, "title": config.site_title(row["site"])} for row in rows
            if row["watched"] and row["health"] not in ("ok", "never crawled")]


# --- search: /search ------------------------------------------------------------------------


@dataclass(frozen=True)
class SearchForm:
    """The search form's fields; ``error`` says what makes no sense in them (shown on the
    form, HTTP 400), the values kept as typed."""

    q: str = ""
    site: str = ""
    published_from: str = ""
    published_to: str = ""
    status: str = ""
    page: int = 1
    error: str = ""

    @classmethod
    def from_args(cls, args: Mapping[str, str]) -> SearchForm:
        """Read ``q, site, from, to, status, page`` (never raises: see ``error``)."""
        typed = cls(q=" ".join(args.get("q", "").split()), site=args.get("site", "").strip(),
                    published_from=args.get("from", "").strip(),
                    published_to=args.get("to", "").strip(), status=args.get("status", "").strip())
        try:
            return typed._checked(args.get("page"))
        except BadRequest as exc:
            return replace(typed, error=str(exc))

    def _checked(self, page: str | None) -> SearchForm:
        if self.status not in ("", "live", "gone"):
            raise BadRequest("status must be live or gone")
        start, end = _day(self.published_from, "from"), _day(self.published_to, "to")
        if start and end and start > end:
            raise BadRequest(f"from {start} is after to {end}")
        return replace(self, published_from=start, published_to=end,
                       page=positive(page, "page") or 1)

    def filters(self) -> dict[str, Any]:
        return {"site": self.site or None, "published_from": self.published_from or None,
                "published_to": self.published_to or None, "status": self.status or None}

    def args(self, **changes: Any) -> dict[str, Any]:
        """The form as URL query arguments (empty fields left out), e.g. for the next page."""
        values = {**asdict(self), **changes}
        values.pop("error")
        names = {"published_from": "from", "published_to": "to"}
        return {names.get(k, k): v for k, v in values.items() if v and not (k == "page" and v == 1)}


@dataclass(frozen=True)
class SearchResults:
    """One page of hits (best first), how many matched (up to the ranking window), the sites,
    and what is wrong with the form (``{"status", "message"}``) if anything."""

    hits: list[dict[str, Any]]
    total: int
    sites: list[dict[str, Any]]
    error: dict[str, Any] | None = None


def search_results(archive: Archive, config: WebConfig, form: SearchForm) -> SearchResults:
    """Search with the form's words and filters; nothing is searched when the form is wrong."""
    sites = site_rows(archive, config)
    if form.error:
        return SearchResults([], 0, sites, problem(400, form.error))
    if form.site and form.site not in {s["name"] for s in sites}:
        return SearchResults([], 0, sites, problem(404, unknown_site(form.site)))
    if not form.q:
        return SearchResults([], 0, sites)
    hits, total = archive.search_page(form.q, offset=(form.page - 1) * HITS_PER_PAGE,
                                      limit=HITS_PER_PAGE, **form.filters())
    return SearchResults(hits, total, sites)


def search_page(form: SearchForm, found: SearchResults) -> dict[str, Any]:
    """The search page: titles and snippets highlighted, the total and the page links."""
    terms = text.query_terms(form.q)
    titles = {s["name"]: s["title"] for s in found.sites}
    last = math.ceil(found.total / HITS_PER_PAGE)
    return {
        "hits": [hit_row(hit, terms, titles) for hit in found.hits], "sites": found.sites,
        "error": found.error,
        "form": form, "total": found.total, "pages": last, "cap": RANK_WINDOW,
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
        "place": render.hit_place(hit),
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
    is_current = shown["version"] == doc["version"]
    return {
        "doc": doc,
        "shown": shown,
        "is_current": is_current,
        "site_title": config.site_title(doc["site"], metadata.get("site_name")),
        "column": metadata.get("column_name"),
        "paragraphs": text.paragraphs(shown.get("body")),
        "metadata": text.metadata_rows(metadata),
        "attachments": [file_row(doc_id, entry, None if is_current else shown["version"])
                        for entry in shown["files"]],
        "page_copy": page_copy(versions, shown),
        "versions": [version_row(v) for v in reversed(versions)],
        "timeline": [event_row(e, {}) for e in events],
        "restored_at": next((e["time"] for e in reversed(events) if e["kind"] == "restored"), None),
    }


def file_row(doc_id: int, entry: Mapping[str, Any], version: int | None) -> dict[str, Any]:
    """An attachment link and its archived file: what it is (as `show` says it) and where to
    download it (None when no bytes were archived)."""
    row: dict[str, Any] = {"name": entry["name"], "url": entry["url"], "sha256": entry["sha256"],
                           "error": entry["error"], "download": None}
    if entry["sha256"]:
        row["download"] = attachment_url(doc_id, entry["position"], version)
        row["facts"] = ", ".join(render.file_facts(entry))
    return row


def attachment_url(doc_id: int, position: int, version: int | None = None) -> str:
    """Where the archived bytes of attachment `position` (of `version`, else the current) are."""
    url = f"/documents/{doc_id}/attachments/{position}"
    return url + (f"?version={version}" if version else "")


def page_copy(versions: Sequence[Mapping[str, Any]], shown: Mapping[str, Any]) -> dict[str, Any] | None:
    """The raw page the shown version was read from: its own capture, else that of the newest
    earlier version with the same page fields (a version made by new attachment bytes while
    the page answered 304 has no capture of its own). None when no copy was kept."""
    for version in sorted((v for v in versions if v["version"] <= shown["version"]),
                          key=lambda v: v["version"], reverse=True):
        if changed_fields(version, shown):
            return None
        if version.get("capture_sha"):
            return {"sha": version["capture_sha"], "fetched_at": version["fetched_at"],
                    "version": version["version"]}
    return None


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
    """Changed fields, the body diff and the changed attachment files between two versions
    (``Archive.diff``'s defaults: the previous and the current one)."""
    if view not in ("inline", "side"):
        raise BadRequest("view must be inline or side")
    doc = archive.document(doc_id)
    result = archive.diff(doc_id, from_version, to_version)
    new = archive.version(doc_id, result["to"])
    old = archive.version(doc_id, result["from"]) if result["from"] is not None else None
    rows = textdiff.body_rows(old["body"] if old else "", new["body"])
    return {
        "doc": doc, "old": old, "new": new, "view": view,
        "site_title": config.site_title(doc["site"], (new.get("metadata") or {}).get("site_name")),
        "versions": list(range(1, doc["version"] + 1)),
        "changed": text.field_labels(result["changed_fields"]),
        "fields": field_changes(result["fields"]),
        "body_rows": rows,
        "body_changed": "body" in result["changed_fields"],
        "files": [file_change(archive, doc_id, change, old, new)
                  for change in result["attachment_changes"]],
        "reextracted": result["reextracted"],
    }


def file_change(archive: Archive, doc_id: int, change: Mapping[str, Any],
                old: Mapping[str, Any] | None, new: Mapping[str, Any]) -> dict[str, Any]:
    """An attachment whose file changed: both files (size, sha256, download) and the diff of
    their text, marked as the body's is (at most ``FILE_DIFF_ROWS`` rows)."""
    sides = {"old": _file_side(doc_id, change["url"], change["old_sha256"], change["old_size"], old),
             "new": _file_side(doc_id, change["url"], change["new_sha256"], change["new_size"], new)}
    old_text, new_text = ((archive.attachment_text(side["sha256"]) or "") if side else ""
                          for side in sides.values())
    rows = textdiff.body_rows(old_text, new_text)
    what = "file replaced" if all(sides.values()) else "file added" if sides["new"] else "file removed"
    return {"name": change["name"], "url": change["url"], "what": what, **sides,
            "rows": rows[:FILE_DIFF_ROWS], "more_rows": max(0, len(rows) - FILE_DIFF_ROWS),
            "text_changed": textdiff.changed(rows)}


def _file_side(doc_id: int, url: str, sha: str | None, size: int | None,
               version: Mapping[str, Any] | None) -> dict[str, Any] | None:
    """One side of a file change: its sha256, size and download address (None: no file)."""
    if not sha or version is None:
        return None
    position = next((f["position"] for f in version["files"] if f["url"] == url), None)
    return {"sha256": sha, "size": render.human_size(size or 0),
            "download": attachment_url(doc_id, position, version["version"]) if position else None}


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
    """A site's columns, health and schedule (as `gov-archive sites` says), crawls and newest
    documents."""
    summary = next((s for s in site_rows(archive, config) if s["name"] == name), None)
    row = next((r for r in listing(archive) if r["name"] == name), None)
    info = config.site(name)
    if summary is None and row is None and name not in config.sites:
        raise SiteNotFound(unknown_site(name))
    columns = (row or {}).get("columns") or [{"name": n, "url": u} for n, u in info.columns]
    return {
        "name": name,
        "title": config.site_title(name, (summary or {}).get("site_title")),  # the page adds its name
        "summary": summary,
        "home": info.home or (summary or {}).get("base_url"),
        "columns": columns,
        "seen_columns": archive.site_columns(name) if summary and not columns else [],
        "defined": name in config.sites,
        "health": row,
        "watched": bool(row and row["watched"]),
        "every": (row or {}).get("every") or DEFAULT_EVERY,
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
