"""One attachment link: which links are fetched, the request, and what its answer means.

Pure functions over Scrapy requests and responses: `AttachmentPipeline` sends the requests.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import scrapy
from scrapy.exceptions import (
    CannotResolveHostError,
    DownloadCancelledError,
    DownloadConnectionRefusedError,
    DownloadTimeoutError,
    IgnoreRequest,
    ResponseDataLossError,
)
from scrapy.http import Response

from archive import AttachmentFile
from archive.timeutil import iso, utcnow
from archive.urls import is_web_url
from crawler.extract.urls import host_allowed
from crawler.http import response_headers

_FAILURES: tuple[tuple[type[BaseException], str], ...] = (
    (IgnoreRequest, "not fetched: {detail}"),
    (DownloadTimeoutError, "timed out"),
    (ResponseDataLossError, "truncated download (fewer bytes than announced)"),
    (CannotResolveHostError, "host not found (DNS)"),
    (DownloadConnectionRefusedError, "connection refused"),
)


def fetchable(url: str, site_domains: Iterable[str], file_hosts: Iterable[str]) -> bool:
    """An http(s) URL on the site's hosts or one of the file hosts (or their subdomains)."""
    if not is_web_url(url):
        return False
    return host_allowed(url, site_domains) or host_allowed(url, file_hosts)


def file_request(url: str, known: Mapping[str, Any] | None, maxsize: int) -> scrapy.Request:
    """A GET of the file, conditional on the validators of its last fetch (`known`), unless its
    text is to be read again (``text_transient``): then the bytes are needed."""
    headers = {}
    validators = known if known and not known.get("text_transient") else {}
    if validators.get("etag"):
        headers["If-None-Match"] = validators["etag"]
    if validators.get("last_modified"):
        headers["If-Modified-Since"] = validators["last_modified"]
    meta = {"download_maxsize": maxsize, "allow_offsite": True, "attachment": True}
    return scrapy.Request(url, headers=headers, meta=meta, dont_filter=True)


def not_fetched(url: str, why: str) -> AttachmentFile:
    return AttachmentFile(url, error=f"not fetched: {why}", fetched_at=iso(utcnow()))


def answered(url: str, response: Response, known: Mapping[str, Any] | None) -> AttachmentFile:
    """A file's answer before its text is read: new bytes, confirmed (304) or an error."""
    headers = response_headers(response)
    now = iso(utcnow())
    if response.status == 304 and known and known.get("sha256"):
        return AttachmentFile(url, sha256=known["sha256"], status=304, headers=headers, fetched_at=now)
    if response.status != 200:
        return AttachmentFile(url, status=response.status, headers=headers,
                              error=f"HTTP {response.status}", fetched_at=now)
    return AttachmentFile(url, body=response.body, status=200, headers=headers, fetched_at=now)


def failed(url: str, exc: BaseException, maxsize: int) -> AttachmentFile:
    """A download that raised: why, in a few words."""
    return AttachmentFile(url, error=failure_text(exc, maxsize), fetched_at=iso(utcnow()))


def failure_text(exc: BaseException, maxsize: int) -> str:
    if isinstance(exc, DownloadCancelledError) or type(exc).__name__ == "CancelledError":
        return f"larger than {maxsize / 1024 / 1024:g} MB (ATTACHMENT_MAXSIZE): not kept"
    for kind, text in _FAILURES:
        if isinstance(exc, kind):
            detail = " ".join(str(exc).split()) or type(exc).__name__
            return text.format(detail=detail[:1].lower() + detail[1:])
    detail = " ".join(str(exc).split())[:200]
    return f"download failed: {type(exc).__name__}" + (f" ({detail})" if detail else "")
