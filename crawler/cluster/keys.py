"""The Redis keys of a cluster, all under the prefix ``ga:`` (one cluster per Redis database).

| key | type | written by | what |
|---|---|---|---|
| ``offers`` | stream, group ``workers`` | host | one entry per crawl offered: ``crawl``, ``site`` |
| ``crawl:{id}`` | hash | host, workers | the crawl: site, definition, settings, status, attempts ... |
| ``state:{id}`` | string | host | the crawl's incremental-state snapshot (zlib JSON) |
| ``done:{id}`` | set | workers | canonical URLs already shipped by an attempt of the crawl |
| ``lease:{site}`` | string, expires | workers | the token of the one attempt crawling the site |
| ``ingest`` | stream, group ``archive`` | workers | what the crawls found, for the host |
| ``dead`` | stream | host | ingest entries the host could not read (kept for inspection) |
| ``workers`` | hash | workers | worker name -> JSON (machine, pid, crawls, last beat) |
| ``alive:{worker}`` | string, expires | workers | present while the worker beats |
| ``host`` | string, expires | host | the archive host's lease: ``machine:pid:token`` |
| ``host:info`` | hash | host | its heartbeat: started, beat, items applied, rate |
"""

from __future__ import annotations

from dataclasses import dataclass

#: A crawl record's status (``crawl:{id}``) while the crawl is not closed: offered by the host,
#: running on a worker, ended (its ``end`` shipped, waiting for the host).
IN_FLIGHT = ("offered", "running", "ended")
OFFER_GROUP = "workers"
INGEST_GROUP = "archive"
HOST_CONSUMER = "host"


@dataclass(frozen=True)
class Keys:
    """Key names under `prefix`."""

    prefix: str = "ga:"

    @property
    def offers(self) -> str:
        return f"{self.prefix}offers"

    @property
    def ingest(self) -> str:
        return f"{self.prefix}ingest"

    @property
    def dead(self) -> str:
        return f"{self.prefix}dead"

    @property
    def workers(self) -> str:
        return f"{self.prefix}workers"

    @property
    def host(self) -> str:
        return f"{self.prefix}host"

    @property
    def host_info(self) -> str:
        return f"{self.prefix}host:info"

    def crawl(self, crawl_id: int | str) -> str:
        return f"{self.prefix}crawl:{crawl_id}"

    def state(self, crawl_id: int | str) -> str:
        return f"{self.prefix}state:{crawl_id}"

    def done(self, crawl_id: int | str) -> str:
        return f"{self.prefix}done:{crawl_id}"

    def lease(self, site: str) -> str:
        return f"{self.prefix}lease:{site}"

    def alive(self, worker: str) -> str:
        return f"{self.prefix}alive:{worker}"
