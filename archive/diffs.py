"""Diffs between two versions of a document: changed fields, the body, the attachment files.

Pure: the versions are records as `archive.db.Archive.version` returns them (``files``: their
attachment files) and `text_of` reads an attachment file's text by sha256. `Archive.diff`
chooses the versions and adds which of them were only re-read by a newer extractor.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable
from typing import Any

from .attachments import changed_urls
from .hashing import TRACKED_FIELDS, changed_fields, field_key


def version_diff(url: str, old: dict[str, Any] | None, new: dict[str, Any],
                 text_of: Callable[[str], str]) -> dict[str, Any]:
    """Changed fields (whitespace-insensitive, as a version's changed_fields), a body diff and
    the attachment files that changed, each with a diff of its text."""
    before = old or {"body": ""}  # against nothing: an empty body is no change
    changed = changed_fields(before, new)
    files = file_changes(old["files"] if old else [], new["files"], text_of)
    if files and "attachments" not in changed:
        changed = [n for n in TRACKED_FIELDS if n in changed or n == "attachments"]
    fields = {name: {"old": before.get(name), "new": new[name]}
              for name in changed if name != "body" and field_key(before.get(name)) != field_key(new[name])}
    body_diff = "" if "body" not in changed else unified(
        before.get("body") or "", new["body"], f"version {old['version']}" if old else "(none)",
        f"version {new['version']}")
    return {
        "url": url,
        "from": old["version"] if old else None,
        "to": new["version"],
        "fields": fields,
        "changed_fields": changed,
        "body_diff": body_diff,
        "attachment_changes": files,
    }


def file_changes(old: list[dict[str, Any]], new: list[dict[str, Any]],
                 text_of: Callable[[str], str]) -> list[dict[str, Any]]:
    """The attachments whose file differs (by URL): names, hashes, sizes and a text diff."""
    before = {a["url"]: a for a in old if a.get("sha256")}
    after = {a["url"]: a for a in new if a.get("sha256")}
    out = []
    for url in changed_urls([(u, a["sha256"]) for u, a in before.items()],
                            [(u, a["sha256"]) for u, a in after.items()]):
        was, now = before.get(url, {}), after.get(url, {})
        old_text = text_of(was["sha256"]) if was else ""
        new_text = text_of(now["sha256"]) if now else ""
        out.append({
            "url": url, "name": (now or was)["name"],
            "old_sha256": was.get("sha256"), "new_sha256": now.get("sha256"),
            "old_size": was.get("size"), "new_size": now.get("size"),
            "text_diff": unified(old_text, new_text, f"{(was or now)['name']} (before)",
                                 f"{(now or was)['name']} (after)"),
        })
    return out


def unified(old: str, new: str, from_label: str, to_label: str) -> str:
    """A unified diff of two texts, every line ending in a newline (a last line without one too)."""
    lines = difflib.unified_diff(old.splitlines(keepends=True), new.splitlines(keepends=True),
                                 fromfile=from_label, tofile=to_label)
    return "".join(line if line.endswith("\n") else line + "\n" for line in lines)
