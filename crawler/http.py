"""HTTP details shared by the crawls and the one-off fetches (`add`, `extract`): the answer's
headers as a plain dict, and the User-Agent with the operator's contact in it."""

from __future__ import annotations

from typing import Any

from crawler import settings as defaults


def response_headers(response: Any) -> dict[str, str]:
    """A Scrapy response's headers as a plain dict with lower-cased names."""
    return {name.decode("latin-1").lower(): ", ".join(v.decode("latin-1") for v in values)
            for name, values in response.headers.items()}


def with_contact(agent: str, contact: str) -> str:
    """'bot/1 (+url)' + 'ops@x' -> 'bot/1 (+url; contact: ops@x)'."""
    if agent.endswith(")"):
        return f"{agent[:-1]}; contact: {contact})"
    return f"{agent} (contact: {contact})"


def user_agent(settings: Any = None) -> str:
    """The User-Agent: ``USER_AGENT`` with ``CONTACT`` in it (``-s CONTACT``, by default
    ``$GOV_ARCHIVE_CONTACT``), unless it names a contact already.

    `settings`: a crawl's Scrapy settings, or None for the defaults (crawler/settings.py), as
    the one-off fetches of `add URL` and `extract URL` use them.
    """
    agent = str(_get(settings, "USER_AGENT") or "")
    contact = str(_get(settings, "CONTACT") or "").strip()
    if not contact or "contact" in agent.lower():
        return agent
    return with_contact(agent, contact)


def _get(settings: Any, name: str) -> Any:
    return getattr(defaults, name) if settings is None else settings.get(name)
