"""Canonical document URLs: the identity of an announcement within a site."""

from __future__ import annotations

import re
from urllib.parse import unquote_plus, urlsplit, urlunsplit

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
_PERCENT = re.compile(r"%[0-9a-fA-F]{2}")


def is_tracking_param(name: str) -> bool:
    """True for parameters dropped from canonical URLs (utm_*, spm, from, ...)."""
    lowered = name.lower()
    return lowered in TRACKING_PARAMS or lowered.startswith(TRACKING_PREFIXES)


def canonical_url(url: str) -> str:
    """Return the identity form of ``url``.

    Scheme and host are lower-cased, a default port and the fragment are dropped, an empty
    path becomes ``/``, and tracking parameters are removed; every other query parameter is
    kept in its original order (``id=`` and friends select the document).
    """
    parts = urlsplit(url.strip())
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").lower()
    port = parts.port
    netloc = host
    if parts.username or parts.password:
        userinfo = parts.username or ""
        if parts.password:
            userinfo += f":{parts.password}"
        netloc = f"{userinfo}@{netloc}"
    if port is not None and DEFAULT_PORTS.get(scheme) != port:
        netloc = f"{netloc}:{port}"
    path = _upper_percent(parts.path) or ("/" if netloc else "")
    query = _clean_query(parts.query)
    return urlunsplit((scheme, netloc, path, query, ""))


def _clean_query(query: str) -> str:
    if not query:
        return ""
    # Filter the raw pieces: decoding and re-encoding could change what the server sees.
    pieces = [p for p in query.split("&") if p]
    kept = [p for p in pieces if not is_tracking_param(unquote_plus(p.split("=", 1)[0]))]
    return _upper_percent("&".join(kept))


def _upper_percent(text: str) -> str:
    return _PERCENT.sub(lambda m: m.group(0).upper(), text)
