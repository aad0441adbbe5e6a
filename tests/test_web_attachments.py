"""Attachment files on the web pages: listed with their facts, downloaded, compared in diffs.

The ``files`` document of helpers_web: a sheet archived in version 1, other bytes of it in
version 2 (found by a re-check while the page answered 304), HTML bytes behind a ".pdf" link,
and a link that answered 404.
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path
from urllib.parse import quote

import pytest
from helpers_web import (
    FAKE_PDF,
    FAKE_PDF_NAME,
    MISSING_URL,
    SHEET_NAME,
    SHEET_TEXT_V2,
    SHEET_URL,
    SHEET_V1,
    SHEET_V2,
    XLSX,
    Client,
    build_archive,
    text_of,
)

from archive import Archive
from crawler.web import downloads, pages


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, int]]:
    """The helpers_web archive: its path and its document ids."""
    path = tmp_path_factory.mktemp("web-files") / "archive.db"
    return path, build_archive(path)


@pytest.fixture(scope="module")
def ids(served: tuple[Path, dict[str, int]]) -> dict[str, int]:
    return served[1]


@pytest.fixture(scope="module")
def client(served: tuple[Path, dict[str, int]]) -> Client:
    return Client(served[0])


def section(html: str, css_class: str) -> str:
    return html.split(f'<section class="{css_class}">')[1].split("</section>")[0]


# --- the document page ------------------------------------------------------------------------


def test_document_lists_archived_files_with_their_facts(client: Client, ids: dict[str, int]) -> None:
    html = section(client.get(f"/documents/{ids['files']}").text, "attachments")
    text = text_of(html)
    sha = hashlib.sha256(SHEET_V2).hexdigest()
    assert f'href="/documents/{ids["files"]}/attachments/1"' in html  # the archived bytes
    assert f'href="{SHEET_URL}"' in html  # and the original link
    assert f"{SHEET_NAME} XLSX, {len(SHEET_V2)} bytes, {len(SHEET_TEXT_V2)} characters" in text
    assert f'title="sha256 {sha}"' in html and sha[:16] in text
    assert "not archived" not in text.split(FAKE_PDF_NAME)[0]
    assert f"{FAKE_PDF_NAME} HTML, {len(FAKE_PDF)} bytes, no text" in text
    assert "附件3：旧表.doc not archived: HTTP 404" in text
    assert f'href="{MISSING_URL}"' in html
    assert f"/documents/{ids['files']}/attachments/3" not in html  # nothing to download


def test_an_older_version_lists_its_own_files(client: Client, ids: dict[str, int]) -> None:
    html = section(client.get(f"/documents/{ids['files']}?version=1").text, "attachments")
    assert f'href="/documents/{ids["files"]}/attachments/1?version=1"' in html
    assert hashlib.sha256(SHEET_V1).hexdigest()[:16] in html


def test_links_never_fetched_say_so(client: Client, ids: dict[str, int]) -> None:
    html = section(client.get(f"/documents/{ids['edited']}").text, "attachments")
    assert "附件：报送表" in html and "not fetched" in text_of(html)
    assert "/attachments/" not in html


# --- downloads --------------------------------------------------------------------------------


def test_download_the_archived_bytes(client: Client, ids: dict[str, int]) -> None:
    response = client.get(f"/documents/{ids['files']}/attachments/1")
    assert response.status_code == 200
    assert response.content == SHEET_V2
    assert response.headers["content-type"] == XLSX
    assert response.headers["x-content-type-options"] == "nosniff"
    disposition = response.headers["content-disposition"]
    assert disposition.startswith("attachment;")
    assert f"filename*=UTF-8''{quote(SHEET_NAME)}" in disposition  # RFC 5987
    assert re.search(r'filename="[\x20-\x7e]+\.xlsx"', disposition)  # an ASCII fallback
    assert response.headers["etag"] == f'"{hashlib.sha256(SHEET_V2).hexdigest()}"'


def test_download_an_older_version(client: Client, ids: dict[str, int]) -> None:
    response = client.get(f"/documents/{ids['files']}/attachments/1?version=1")
    assert response.status_code == 200 and response.content == SHEET_V1


def test_html_behind_a_pdf_link_never_renders_in_our_origin(client: Client, ids: dict[str, int]) -> None:
    response = client.get(f"/documents/{ids['files']}/attachments/2")
    assert response.status_code == 200 and response.content == FAKE_PDF
    assert response.headers["content-type"] == "application/octet-stream"
    assert response.headers["content-disposition"] == \
        f"attachment; filename=\"note.pdf\"; filename*=UTF-8''{quote(FAKE_PDF_NAME)}"
    assert "sandbox" in response.headers["content-security-policy"]
    assert response.headers["x-content-type-options"] == "nosniff"


@pytest.mark.parametrize(("path", "message"), [
    ("3", "has no archived bytes: HTTP 404"),
    ("4", "there is no attachment 4"),
    ("0", "there is no attachment 0"),
    ("abc", "there is no attachment abc"),
    ("1?version=9", "has no version 9"),
])
def test_missing_downloads_are_404_pages(client: Client, ids: dict[str, int], path: str,
                                         message: str) -> None:
    response = client.get(f"/documents/{ids['files']}/attachments/{path}")
    assert response.status_code == 404
    assert "<h1>Not found</h1>" in response.text and message in response.text


# --- the diff -----------------------------------------------------------------------------------


def test_diff_shows_the_changed_file(client: Client, ids: dict[str, int]) -> None:
    html = client.get(f"/documents/{ids['files']}/diff").text
    assert "Changed: <strong>Attachments</strong>" in html
    files = section(html, "file-changes")
    text = text_of(files)
    old, new = hashlib.sha256(SHEET_V1).hexdigest(), hashlib.sha256(SHEET_V2).hexdigest()
    assert SHEET_NAME in text
    assert f"file replaced: {len(SHEET_V1)} bytes → {len(SHEET_V2)} bytes" in text
    assert old[:12] in text and new[:12] in text
    assert f'title="sha256 {old}"' in files and f'title="sha256 {new}"' in files
    assert "11月<del>15</del>日" in files and "11月<ins>22</ins>日" in files  # as the body is marked
    assert f'href="/documents/{ids["files"]}/attachments/1?version=1"' in files  # both files
    assert f'href="/documents/{ids["files"]}/attachments/1?version=2"' in files


def test_a_long_file_diff_is_cut(client: Client, ids: dict[str, int], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(pages, "FILE_DIFF_ROWS", 1)
    files = text_of(section(client.get(f"/documents/{ids['files']}/diff").text, "file-changes"))
    assert "1 more row not shown: download both files to compare them" in files


def test_diff_side_by_side_shows_the_file_too(client: Client, ids: dict[str, int]) -> None:
    files = section(client.get(f"/documents/{ids['files']}/diff?view=side").text, "file-changes")
    row = re.search(r'<tr class="change"><td class="old">(.*?)</td><td class="new">(.*?)</td>', files)
    assert row and "<del>15</del>" in row.group(1) and "<ins>22</ins>" in row.group(2)


def test_diff_against_nothing_lists_the_files_added(client: Client, ids: dict[str, int]) -> None:
    files = text_of(section(client.get(f"/documents/{ids['files']}/diff?to=1").text, "file-changes"))
    assert f"{SHEET_NAME} file added" in files and f"{FAKE_PDF_NAME} file added" in files


def test_diff_without_file_changes_has_no_file_section(client: Client, ids: dict[str, int]) -> None:
    assert 'class="file-changes"' not in client.get(f"/documents/{ids['edited']}/diff").text


def test_a_hit_in_a_file_says_where(client: Client, ids: dict[str, int]) -> None:
    html = client.get("/search?q=" + quote("户籍迁移")).text  # only in the sheet's text
    hit = html.split('<ol class="hits"')[1].split("</ol>")[0]
    assert f'href="/documents/{ids["files"]}"' in hit and f"in {SHEET_NAME}" in text_of(hit)


# --- the archived copy of a version whose page answered 304 --------------------------------------


def test_a_version_without_its_own_capture_links_the_page_it_was_read_from(
        client: Client, ids: dict[str, int], served: tuple[Path, dict[str, int]]) -> None:
    with Archive(served[0], read_only=True) as archive:
        first, second = archive.history(ids["files"])
    assert second["capture_sha"] is None and first["capture_sha"]
    html = client.get(f"/documents/{ids['files']}").text
    facts = html.split('<dl class="facts">')[1].split("</dl>")[0]
    assert f'href="/captures/{first["capture_sha"]}"' in facts
    assert "the page was unchanged since version 1" in text_of(facts)
    assert client.get(f"/captures/{first['capture_sha']}").status_code == 200


def test_a_version_with_no_copy_at_all_says_so(client: Client, ids: dict[str, int]) -> None:
    facts = client.get(f"/documents/{ids['law']}").text.split('<dl class="facts">')[1].split("</dl>")[0]
    assert "/captures/" not in facts
    assert "Archived copy" in facts and "no copy of the page was kept" in text_of(facts)


@pytest.mark.parametrize(("entry", "names"), [
    ({"name": "附件1：名单.xlsx", "url": "http://x.gov.cn/f/a.xlsx", "position": 1},
     ("附件1：名单.xlsx", "a.xlsx")),
    ({"name": "附件2", "url": "http://x.gov.cn/f/%E5%90%8D%E5%8D%95.doc", "position": 2},
     ("附件2.doc", "attachment-2.doc")),
    ({"name": '../"evil"\r\n.pdf', "url": "http://x.gov.cn/f/download?id=7", "position": 3},
     ("__evil___.pdf", "attachment-3.pdf")),
    ({"name": "", "url": "http://x.gov.cn/", "position": 4}, ("attachment", "attachment-4")),
])
def test_download_file_names(entry: dict[str, object], names: tuple[str, str]) -> None:
    assert downloads.file_names(entry) == names


@pytest.mark.parametrize(("sniffed", "served"), [
    (XLSX, XLSX), ("application/pdf", "application/pdf"), ("text/plain", "text/plain"),
    ("text/html", "application/octet-stream"), ("image/svg+xml", "application/octet-stream"),
    ("TEXT/HTML; charset=utf-8", "application/octet-stream"), (None, "application/octet-stream"),
    ("pdf\r\nX-Evil: 1", "application/octet-stream"),
])
def test_download_content_types(sniffed: str | None, served: str) -> None:
    assert downloads.content_type(sniffed) == served
