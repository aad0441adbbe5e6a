"""URLs: the one validator for URLs people and files give us (`check_url`), the identity of an
announcement within a site (`canonical_url`), and names for URLs that carry secrets
(`redact_url`, `private_url_key`)."""

from __future__ import annotations

import hashlib
import ipaddress
import re
from urllib.parse import quote, unquote_plus, urlsplit, urlunsplit

# Parameters that only say how a visitor arrived; they never select different content.
TRACKING_PARAMS = frozenset(
    {
        "spm", "from", "scm", "share_token", "sharer", "share_from", "share_source",
        "isappinstalled", "scene", "clicktime", "enterid", "nsukey", "wfr", "vd_source",
        "gclid", "dclid", "fbclid", "msclkid", "yclid", "igshid", "mc_cid", "mc_eid",
        "_hsenc", "_hsmi", "ref_src", "_",
    }
)
TRACKING_PREFIXES = ("utm_",)
DEFAULT_PORTS = {"http": 80, "https": 443}
#: The only schemes gov-archive ever requests, whatever a page, a site file or a user says.
WEB_SCHEMES = frozenset(DEFAULT_PORTS)
_PERCENT = re.compile(r"%([0-9a-fA-F]{2})")
_UNRESERVED = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")
_SLASHES = re.compile(r"/{2,}")
# What may stay literal in a canonical path / query (RFC 3986 pchar, plus "%" of escapes);
# anything else (spaces, non-ASCII, quotes ...) is UTF-8 percent-encoded, as browsers and
# Scrapy send it.
_PATH_SAFE = "/%:@!$&'()*+,;=-._~"
_QUERY_SAFE = _PATH_SAFE + "?"
_LABEL = re.compile(r"^(?!-)[a-z0-9_-]{1,63}(?<!-)$")  # "_": not RFC 1123, but served


class BadURL(ValueError):
    """A URL gov-archive will not request; the message is one line, fit to show as is."""


def check_url(url: str) -> str:
    """`url` stripped, if it is an http(s) URL with a valid host and port; else BadURL.

    The one check for every URL given by a person or a file: ``crawl --url``, ``extract``,
    site definitions (columns, home, webhook), ``--webhook``, and the watch list.
    """
    text = (url or "").strip()
    if not text:
        raise BadURL("empty URL")
    if any(ch.isspace() or ord(ch) < 0x20 or ord(ch) == 0x7F for ch in text):
        raise BadURL(f"{text!r} is not a valid URL (spaces or control characters: encode them, "
                     "e.g. %20)")
    try:
        parts = urlsplit(text)
        port = parts.port
    except ValueError as exc:
        raise BadURL(f"{text!r} is not a valid URL ({str(exc).lower()})") from None
    if parts.scheme.lower() not in WEB_SCHEMES:
        raise BadURL(f"not an http(s) URL: {text!r}")
    host = parts.hostname or ""
    if not host:
        raise BadURL(f"{text!r} has no host")
    if not _valid_host(host):
        raise BadURL(f"{text!r}: {host!r} is not a valid host name")
    if port == 0:
        raise BadURL(f"{text!r}: port 0 is not a valid port")
    return text


def _valid_host(host: str) -> bool:
    """An IP address, or a DNS name (internationalized names included) of valid labels."""
    try:
        ipaddress.ip_address(host)
        return True
    except ValueError:
        pass
    try:
        ascii_host = host.encode("idna").decode("ascii").lower()
    except UnicodeError:
        return False
    labels = ascii_host.rstrip(".").split(".")
    return len(ascii_host) <= 253 and all(_LABEL.match(label) for label in labels)


def is_web_url(url: str) -> bool:
    """True for an http or https URL (the only kind gov-archive requests)."""
    try:
        return urlsplit(url).scheme.lower() in WEB_SCHEMES
    except ValueError:
        return False


_WEB_SCHEME = re.compile(r"(?i)\s*(https?)://")


def url_variants(url: str) -> list[str]:
    """Other spellings a person may mean by `url`: with the other scheme (https for http and
    back), or, for an address without one (copied from an address bar), with http:// and
    https://. Nothing for a URL of another scheme."""
    found = _WEB_SCHEME.match(url)
    if found is not None:
        other = "https" if found.group(1).lower() == "http" else "http"
        return [f"{other}://{url[found.end():]}"]
    if "://" in url:
        return []
    address = url.strip().lstrip("/")
    return [f"http://{address}", f"https://{address}"] if address else []


def is_tracking_param(name: str) -> bool:
    """True for parameters dropped from canonical URLs (utm_*, spm, from, ...)."""
    lowered = name.lower()
    return lowered in TRACKING_PARAMS or lowered.startswith(TRACKING_PREFIXES)


def canonical_url(url: str) -> str:
    """Return the identity form of ``url`` (never raises: a malformed URL is kept as given).

    Scheme and host are lower-cased (an internationalized host as punycode), a default port
    and the fragment are dropped. In the path, runs of slashes become one and dot segments
    (``/a/x/../b``) are resolved; in path and query, escapes of unreserved characters
    (``%6E``) are decoded, other escapes upper-cased and unsafe characters (spaces,
    non-ASCII) UTF-8 percent-encoded (RFC 3986 section 6.2.2). An empty path becomes ``/``.
    Tracking parameters are removed; every other query parameter keeps its place: some
    servers read parameters by position or repeat them, and the canonical URL is also the
    URL revisits request, so reordering could fetch another page.
    """
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:
        return url.strip()
    scheme = parts.scheme.lower()
    netloc = _host(parts.hostname or "")
    if parts.username or parts.password:
        userinfo = parts.username or ""
        if parts.password:
            userinfo += f":{parts.password}"
        netloc = f"{userinfo}@{netloc}"
    if port is not None and DEFAULT_PORTS.get(scheme) != port:
        netloc = f"{netloc}:{port}"
    path = _canonical_path(parts.path) or ("/" if netloc else "")
    query = _clean_query(parts.query)
    return urlunsplit((scheme, netloc, path, query, ""))


def _host(hostname: str) -> str:
    host = hostname.lower()
    if host.isascii():
        return f"[{host}]" if ":" in host else host  # urlsplit drops an IPv6 host's brackets
    try:
        return host.encode("idna").decode("ascii")
    except UnicodeError:
        return host


def _canonical_path(path: str) -> str:
    path = quote(_normalize_escapes(path), safe=_PATH_SAFE)
    return _remove_dot_segments(_SLASHES.sub("/", path))


def _remove_dot_segments(path: str) -> str:
    """RFC 3986 section 5.2.4 for an absolute path: ``/a/./b/../c`` -> ``/a/c``."""
    segments = path.split("/")
    if "." not in segments and ".." not in segments:
        return path
    out: list[str] = []
    for segment in segments:
        if segment == "..":
            if len(out) > 1:
                out.pop()
        elif segment != ".":
            out.append(segment)
    if segments[-1] in (".", ".."):
        out.append("")  # "/a/b/.." names the folder "/a/"
    return "/".join(out) or "/"


def _clean_query(query: str) -> str:
    if not query:
        return ""
    # Filter the raw pieces: decoding and re-encoding could change what the server sees.
    pieces = [p for p in query.split("&") if p]
    kept = [p for p in pieces if not is_tracking_param(unquote_plus(p.split("=", 1)[0]))]
    return quote(_normalize_escapes("&".join(kept)), safe=_QUERY_SAFE)


def _normalize_escapes(text: str) -> str:
    """Decode escapes of unreserved characters (``%6E`` -> ``n``), upper-case the others."""
    def fix(match: re.Match[str]) -> str:
        char = chr(int(match.group(1), 16))
        return char if char in _UNRESERVED else match.group(0).upper()

    return _PERCENT.sub(fix, text)


# --- URLs that carry secrets (webhooks) -----------------------------------------------------


def redact_url(url: str) -> str:
    """``scheme://host[:port]/…``: no credentials, path or query (webhook URLs carry tokens)."""
    try:
        parts = urlsplit(url)
        host = parts.netloc.rpartition("@")[2]
    except ValueError:
        return "(invalid URL)"
    tail = "/…" if parts.path not in ("", "/") or parts.query else ""
    return f"{parts.scheme}://{host}{tail}"


def private_url_key(url: str) -> str:
    """A stable name for a URL that must not be stored: ``redact_url(url)#<digest>``.

    The digest (64 bits of sha256 over the whole URL) tells apart two URLs with the same
    host without keeping their tokens.
    """
    digest = hashlib.sha256(url.encode("utf-8")).hexdigest()[:16]
    return f"{redact_url(url)}#{digest}"
