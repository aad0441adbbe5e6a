"""The archive host applies what crawl workers shipped: each item once, each crawl closed once.

`Ingester.apply` takes one message (crawler/cluster/messages.py):

- ``item``: the same archive calls as on one machine (``crawler.pipelines.ItemWriter``), in
  one transaction with the item's row in the idempotency log (``Archive.exactly_once``, key:
  crawl + canonical URL). A message seen before, or an item of a crawl already finished (a
  late duplicate), changes nothing. A withdrawal of a live document is held (kept in the
  log) until the crawl ends, as `ArchivePipeline` holds it in memory.
- ``end``: the crawl's stats are the worker's (pages, columns ...) plus the ``archive/*``
  counters summed from the log (exact whatever the restarts); the held withdrawals are
  written if plausible (``withdrawals_plausible_in``, the one-machine rule), else counted in
  ``archive/gone_held``; the crawl is judged (``assess``) and its row finished with its
  columns, then its log rows are dropped. A second ``end`` finds the row finished.
- ``abandon``: the crawl is finished as failed (workers gave it up after too many attempts).
- ``begin``: nothing to write (the attempt number comes back with ``end``).

The stream is read in order by one consumer, so every item of a crawl is applied before its
``end``. Archive errors propagate: the message stays unacknowledged and is applied later.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from archive import Archive
from crawler.cluster.messages import Message
from crawler.items import Withdrawn
from crawler.outcome import Verdict, assess, mass_gone_detail
from crawler.pipelines import ItemWriter, column_rows, withdrawals_plausible_in
from crawler.settings import GONE_MAX_SHARE, GONE_MIN_COUNT
from crawler.sites import ArticleRules

log = logging.getLogger("gov-archive.cluster")


@dataclass(frozen=True)
class CrawlContext:
    """What the host knows of a crawl it offered: the site, the archive ids of its columns and
    its article rules (for re-reading a stored capture as the worker read the page)."""

    crawl_id: int
    site: str
    column_ids: tuple[int, ...] = ()
    article: ArticleRules = field(default_factory=ArticleRules)

    def writer(self, archive: Archive) -> ItemWriter:
        """The `ItemWriter` of this crawl's items."""
        return ItemWriter(archive, self.crawl_id, self.column_ids, article=self.article)


@dataclass(frozen=True)
class Applied:
    """What `Ingester.apply` did with one message."""

    outcome: str  # applied | held | duplicate | late | unknown | noted | closed | already_closed
    crawl_id: int
    site: str = ""
    verdict: Verdict | None = None

    @property
    def closed(self) -> bool:
        """This message finished its crawl (book-keep it now)."""
        return self.outcome in ("closed", "already_closed")


class Ingester:
    """Applies ingest messages to `archive`; `context` says which site a crawl id is of."""

    def __init__(self, archive: Archive, context: Callable[[int], CrawlContext | None], *,
                 gone_max_share: float = GONE_MAX_SHARE, gone_min_count: int = GONE_MIN_COUNT) -> None:
        self.archive = archive
        self.context = context
        self.gone_max_share = gone_max_share
        self.gone_min_count = gone_min_count

    def apply(self, message: Message) -> Applied:
        """Apply one message (idempotent: applying it again changes nothing)."""
        crawl = self.archive.crawl(message.crawl_id)
        if crawl is not None and crawl["finished_at"]:
            late = "already_closed" if message.kind in ("end", "abandon") else "late"
            return Applied(late, message.crawl_id, crawl["site"])
        context = self.context(message.crawl_id)
        if context is None or crawl is None or crawl["site"] != context.site:
            return Applied("unknown", message.crawl_id)
        if message.kind == "item":
            return Applied(self._item(message, context), message.crawl_id, context.site)
        if message.kind == "end":
            return Applied("closed", message.crawl_id, context.site, self._end(message, context))
        if message.kind == "abandon":
            return Applied("closed", message.crawl_id, context.site, self._abandon(message, context))
        return Applied("noted", message.crawl_id, context.site)

    # -- items ---------------------------------------------------------------------------

    def _item(self, message: Message, context: CrawlContext) -> str:
        item = message.item
        assert item is not None
        item.site = context.site  # the host's word, not the message's
        writer = context.writer(self.archive)
        with self.archive.exactly_once(message.key, crawl_id=context.crawl_id, url=item.url) as entry:
            if entry.seen:
                return "duplicate"
            if isinstance(item, Withdrawn) and self.archive.document_status(item.site, item.url) == "live":
                entry.record(["archive/rechecked"], held=dataclasses.asdict(item))
                return "held"
            entry.record(writer.write(item))
        return "applied"

    # -- the end of a crawl ------------------------------------------------------------------

    def _end(self, message: Message, context: CrawlContext) -> Verdict:
        stats = {k: v for k, v in message.stats.items() if not k.startswith("archive/")}
        stats["finish_reason"] = message.reason or stats.get("finish_reason") or "finished"
        stats["cluster/attempts"] = message.attempt
        stats.update(self.archive.ingested_stats(context.crawl_id))
        if self._settle(context, stats):
            stats.update(self.archive.ingested_stats(context.crawl_id))
        verdict = assess(stats)
        if stats.get("archive/gone_held"):
            log.error("%s: %s", context.site, mass_gone_detail(stats))
        return self._finish(context, verdict, stats)

    def _settle(self, context: CrawlContext, stats: dict[str, Any]) -> bool:
        """Write the crawl's held withdrawals if plausible, else count them; True if any."""
        held = self.archive.held_items(context.crawl_id)
        if not held:
            return False
        plausible = withdrawals_plausible_in(stats, len(held), max_share=self.gone_max_share,
                                             min_count=self.gone_min_count)
        writer = context.writer(self.archive)
        for row in held:
            with self.archive.exactly_once(row["key"], crawl_id=context.crawl_id,
                                           url=row["url"]) as entry:
                if entry.held is None:
                    continue  # settled before the host was restarted
                keys = writer.write(Withdrawn(**entry.held)) if plausible else ["archive/gone_held"]
                entry.record([*entry.stats, *keys])
        return True

    def _abandon(self, message: Message, context: CrawlContext) -> Verdict:
        stats: dict[str, Any] = {"finish_reason": "abandoned", "cluster/attempts": message.attempt,
                                 **self.archive.ingested_stats(context.crawl_id)}
        verdict = Verdict("failed", False, [f"abandoned by the crawl workers: {message.reason}"])
        return self._finish(context, verdict, stats)

    def _finish(self, context: CrawlContext, verdict: Verdict, stats: dict[str, Any]) -> Verdict:
        stats.update(verdict.as_stats())
        self.archive.finish_crawl(context.crawl_id, verdict.outcome, stats,
                                  columns=column_rows(stats, context.column_ids))
        self.archive.forget_ingested(context.crawl_id)
        return verdict
