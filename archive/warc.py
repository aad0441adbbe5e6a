"""WARC/1.1 export of the archived fetches (pages and attachment files), with warcio.

Each fetch becomes a ``response`` record: the target URI, the capture date, the original HTTP
status and headers, and the bytes exactly as archived (warcio adds the block and payload
digests). The stored bytes are the decoded body, so ``Content-Encoding`` and
``Transfer-Encoding`` are dropped and ``Content-Length`` is the body's. Each response is
followed by a ``metadata`` record (``WARC-Concurrent-To`` it) saying ``via:`` the announcement
that links a file, and the sha256 under which gov-archive keeps the bytes. A ``warcinfo``
record comes first. Readers: warcio, pywb/ReplayWeb.page, any CDXJ indexer.
"""

from __future__ import annotations

import http
from collections.abc import Mapping
from datetime import UTC, date, datetime
from io import BytesIO
from typing import Any, BinaryIO

from w3lib.url import safe_url_string
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from .db import Archive
from .timeutil import parse_iso

DROPPED_HEADERS = frozenset({"content-encoding", "transfer-encoding", "content-length"})
SOFTWARE = "gov-archive"


def write_warc(archive: Archive, out: BinaryIO, *, site: str | None = None,
               since: datetime | date | str | None = None, filename: str = "",
               gzip: bool = True) -> int:
    """Write the fetches of `site` (all sites) since `since` as WARC/1.1 to `out`, each record
    gzipped on its own (`gzip`, the usual ``.warc.gz``) or plain.

    Returns the number of response records.
    """
    writer = WARCWriter(out, gzip=gzip, warc_version="WARC/1.1")
    info = {"software": SOFTWARE, "format": "WARC File Format 1.1",
            "description": "gov-archive export" + (f" of site {site}" if site else "")}
    writer.write_record(writer.create_warcinfo_record(filename, info))
    count = 0
    for fetch in archive.fetches(site=site, since=since):
        response = _response(writer, fetch, archive.capture_bytes(fetch["sha256"]))
        writer.write_record(response)
        writer.write_record(_metadata(writer, fetch, response.rec_headers.get_header("WARC-Record-ID")))
        count += 1
    return count


def _response(writer: WARCWriter, fetch: Mapping[str, Any], body: bytes) -> Any:
    status = int(fetch["status"] or 200)
    headers = [(_title_case(k), str(v)) for k, v in (fetch["headers"] or {}).items()
               if k.lower() not in DROPPED_HEADERS]
    headers.append(("Content-Length", str(len(body))))
    http_headers = StatusAndHeaders(f"{status} {_reason(status)}", headers, protocol="HTTP/1.1")
    return writer.create_warc_record(_uri(fetch["url"]), "response", payload=BytesIO(body),
                                     length=len(body), http_headers=http_headers,
                                     warc_headers_dict={"WARC-Date": _warc_date(fetch["fetched_at"])})


def _metadata(writer: WARCWriter, fetch: Mapping[str, Any], concurrent_to: str) -> Any:
    fields = [f"sha256: {fetch['sha256']}", f"gov-archive-kind: {fetch['kind']}"]
    if fetch["kind"] == "attachment":
        fields.insert(0, f"via: {_uri(fetch['document_url'])}")
    block = ("\r\n".join(fields) + "\r\n").encode("utf-8")
    return writer.create_warc_record(
        _uri(fetch["url"]), "metadata", payload=BytesIO(block), length=len(block),
        warc_content_type="application/warc-fields",
        warc_headers_dict={"WARC-Date": _warc_date(fetch["fetched_at"]),
                           "WARC-Concurrent-To": concurrent_to})


def _uri(url: str) -> str:
    """A WARC-Target-URI is a URI: non-ASCII (名单.xlsx) percent-encoded as UTF-8."""
    return safe_url_string(url, encoding="utf-8")


def _reason(status: int) -> str:
    try:
        return http.HTTPStatus(status).phrase
    except ValueError:
        return "Unknown"


def _title_case(name: str) -> str:
    return "-".join(part.capitalize() for part in name.split("-"))


def _warc_date(value: str) -> str:
    moment = parse_iso(value)
    if moment is None:
        return value
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
