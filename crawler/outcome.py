"""The verdict on a crawl, from its stats: outcome (finished, partial, interrupted, blocked,
failed), health (the CLI's exit code: ``scrapy crawl`` itself exits 0 even when every
request failed) and the problems to tell the user.

Pure functions over a stats mapping (Scrapy's stats, or the stats stored with a crawl row).
The archive pipeline judges a crawl once, when the spider closes, and writes the verdict
into the stats (``crawl/outcome``, ``crawl/healthy``, ``crawl/problems``) and the crawl row;
everyone else reads it back with `Verdict.from_stats`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

# Answers showing the site itself is up, not only answering 404 / redirecting home.
SITE_ANSWERS = ("pages/list", "pages/article", "pages/file", "archive/not_modified", "archive/same_bytes")
# Answers that tell something about the site: real content, or a page we chose not to keep.
USEFUL_ANSWERS = (*SITE_ANSWERS, "pages/soft404", "pages/empty")
INTERRUPTED_REASONS = frozenset({"shutdown", "cancelled", "interrupted"})
OUTCOME_KEY, HEALTHY_KEY, PROBLEMS_KEY = "crawl/outcome", "crawl/healthy", "crawl/problems"


def count(stats: Mapping[str, Any], key: str) -> int:
    """A counter from crawl stats: 0 when missing, empty or not a number."""
    try:
        return int(stats.get(key) or 0)
    except (TypeError, ValueError):
        return 0


@dataclass
class Verdict:
    """The outcome and health of one crawl."""

    outcome: str  # finished | partial | interrupted | blocked | failed
    healthy: bool
    problems: list[str] = field(default_factory=list)

    def as_stats(self) -> dict[str, Any]:
        """The verdict as crawl stats (stored with the crawl row, read back by `from_stats`)."""
        return {OUTCOME_KEY: self.outcome, HEALTHY_KEY: self.healthy,
                PROBLEMS_KEY: list(self.problems)}

    @classmethod
    def from_stats(cls, stats: Mapping[str, Any]) -> Verdict | None:
        """The verdict recorded in `stats`, or None if the crawl was never judged."""
        outcome = stats.get(OUTCOME_KEY)
        if not outcome:
            return None
        return cls(str(outcome), bool(stats.get(HEALTHY_KEY)), list(stats.get(PROBLEMS_KEY) or []))


def mass_gone_detail(stats: Mapping[str, Any]) -> str:
    """What a crawl that held back its withdrawals tells the user (event detail, CLI problem)."""
    held, rechecked = count(stats, "archive/gone_held"), count(stats, "archive/rechecked")
    text = (f"{held} of {max(held, rechecked)} re-checked articles answered 404/410 or "
            "redirected to the home page")
    if not any(count(stats, key) for key in SITE_ANSWERS):
        text += ", and no list page or article answered"
    return text + "; nothing marked withdrawn — check the site"


def failed_requests(stats: Mapping[str, Any]) -> int:
    """Requests that got no usable answer: network failures and HTTP errors."""
    return count(stats, "pages/failed") + count(stats, "pages/error")


def assess(stats: Mapping[str, Any]) -> Verdict:
    """Outcome and health of a crawl from its stats.

    Unhealthy: the archive could not be written; nothing useful came back (every request
    failed or errored; 404s and redirects to the home page are not useful: a site moved or
    down for maintenance answers only those); anti-bot challenges outnumber real answers (we
    are blocked); or the crawl held back its withdrawals as implausible (``archive/gone_held``,
    crawler/pipelines.py): the outcome stays "finished" (the scheduler does not back off) but
    the site probably broke, so the crawl is unhealthy (exit 1) and a ``mass_gone`` health
    event says so.
    """
    verdict = _failure(stats)
    if verdict is not None:
        return verdict
    problems = _warnings(stats)
    healthy = not count(stats, "archive/gone_held")
    if not healthy:
        problems.append(mass_gone_detail(stats))
    return _ending(str(stats.get("finish_reason") or ""), healthy, problems)


def _failure(stats: Mapping[str, Any]) -> Verdict | None:
    """A crawl that failed outright: archive not writable, blocked, or nothing answered."""
    reason = str(stats.get("finish_reason") or "")
    antibot = count(stats, "pages/antibot")
    if count(stats, "archive/errors") or reason == "archive_error":
        detail = stats.get("archive/error_message", reason)
        return Verdict("failed", False, [f"archive not writable: {detail}"])
    if antibot and (antibot >= _useful(stats) or reason == "antibot"):
        return Verdict("blocked", False,
                       [f"blocked by anti-bot protection ({antibot} challenge pages)"])
    if _useful(stats) == 0:
        failed = failed_requests(stats)
        return Verdict("failed", False, [f"no page could be fetched ({failed} failed requests)"
                                         if failed else "no page could be fetched"])
    return None


def _useful(stats: Mapping[str, Any]) -> int:
    return sum(count(stats, key) for key in USEFUL_ANSWERS)


def _warnings(stats: Mapping[str, Any]) -> list[str]:
    """Problems of a crawl that still got something useful."""
    problems = []
    if antibot := count(stats, "pages/antibot"):
        problems.append(f"{antibot} anti-bot challenge pages")
    if empty_lists := count(stats, "list/no_items"):
        problems.append(f"{empty_lists} list pages without announcement links "
                        "(list loaded by script? give [list] selectors in a site definition)")
    if failed := failed_requests(stats):
        problems.append(f"{failed} failed requests")
    return problems


def _ending(reason: str, healthy: bool, problems: list[str]) -> Verdict:
    """The outcome by how the crawl ended (Scrapy's ``finish_reason``)."""
    if reason == "finished":
        return Verdict("finished", healthy, problems)
    if reason in INTERRUPTED_REASONS:
        return Verdict("interrupted", healthy, [*problems, "interrupted before the end"])
    if not reason:
        return Verdict("interrupted", healthy,
                       [*problems, "stopped before the end without closing (killed?)"])
    return Verdict("partial", healthy, [*problems, f"stopped early ({reason})"])
