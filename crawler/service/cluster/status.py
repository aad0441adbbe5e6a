"""How the cluster is doing, read from Redis: for `sites --health --redis` and `stats --redis`.

`cluster_status` only reads. Its fields (the ``cluster`` object of ``stats --json``):

- ``redis``: the URL (password hidden), version, memory used and ``maxmemory`` with its
  policy, whether the AOF is on and its last write went well, or the error when Redis does
  not answer;
- ``host``: the archive host, ``alive`` while its lease is held, its last beat (seconds ago),
  messages applied since it started and their rate per second, crawls in flight;
- ``workers``: every worker seen (``alive`` while it beats), with the crawls it runs;
- ``crawls``: crawls in flight (offered, running, or ended and waiting for the host), each
  with its site, status, attempts, worker and the messages shipped so far;
- ``queue``: offers not taken yet (``offered``) and taken (``claimed``);
- ``ingest``: entries waiting for the host (``waiting``), read but not applied
  (``pending``), the age of the oldest in seconds (``lag_seconds``), and the dead letters.
"""

from __future__ import annotations

import json
import time
from typing import Any

import redis

from crawler.cluster.client import UNAVAILABLE, connect, redact
from crawler.cluster.keys import IN_FLIGHT, INGEST_GROUP, OFFER_GROUP, Keys


def cluster_status(url: str) -> dict[str, Any]:
    """The cluster as Redis sees it now (``redis.error`` set when Redis does not answer)."""
    client = connect(url, patient=False)
    keys = Keys()
    try:
        return {"redis": _redis(client, url), "host": _host(client, keys),
                "workers": _workers(client, keys), "crawls": _crawls(client, keys),
                "queue": _queue(client, keys), "ingest": _ingest(client, keys)}
    except UNAVAILABLE as exc:
        return {"redis": {"url": redact(url), "error": str(exc)}}
    finally:
        client.close()


def _text(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


def _redis(client: redis.Redis, url: str) -> dict[str, Any]:
    info = client.info()
    policy = client.config_get("maxmemory-policy").get("maxmemory-policy", "")
    return {"url": redact(url), "version": info.get("redis_version"),
            "used_memory_bytes": info.get("used_memory"), "maxmemory_bytes": info.get("maxmemory"),
            "maxmemory_policy": _text(policy), "aof_enabled": bool(info.get("aof_enabled")),
            "aof_last_write": info.get("aof_last_write_status"), "error": None}


def _host(client: redis.Redis, keys: Keys) -> dict[str, Any]:
    holder = client.get(keys.host)
    info = {_text(k): _text(v) for k, v in client.hgetall(keys.host_info).items()}
    beat = float(info.get("beat") or 0)
    return {"alive": holder is not None, "name": _text(holder).rsplit(":", 1)[0] if holder else None,
            "beat_seconds_ago": round(time.time() - beat, 1) if beat else None,
            "started": info.get("started"), "applied": int(info.get("applied") or 0),
            "rate": float(info.get("rate") or 0), "in_flight": int(info.get("in_flight") or 0)}


def _workers(client: redis.Redis, keys: Keys) -> list[dict[str, Any]]:
    rows = []
    for name, raw in sorted(client.hgetall(keys.workers).items()):
        try:
            record = json.loads(raw)
        except ValueError:
            continue
        rows.append({"name": _text(name), "host": record.get("host"), "pid": record.get("pid"),
                     "alive": bool(client.exists(keys.alive(_text(name)))),
                     "beat_seconds_ago": round(time.time() - float(record.get("beat") or 0), 1),
                     "slots": record.get("slots"),
                     "crawls": ", ".join(f"{c['site']} ({c['crawl']}, attempt {c['attempt']})"
                                         for c in record.get("crawls") or [])})
    return rows


CRAWL_FIELDS = ("site", "status", "attempts", "worker", "sent", "offered_at")


def _crawls(client: redis.Redis, keys: Keys) -> list[dict[str, Any]]:
    rows = []
    for key in client.scan_iter(match=keys.crawl("*"), count=500):
        values = [None if v is None else _text(v) for v in client.hmget(key, list(CRAWL_FIELDS))]
        fields = dict(zip(CRAWL_FIELDS, values, strict=True))
        if fields["status"] in IN_FLIGHT:
            rows.append({"crawl": int(_text(key).rsplit(":", 1)[1]), "site": fields["site"],
                         "status": fields["status"], "attempts": int(fields["attempts"] or 0),
                         "worker": fields["worker"] or None, "sent": int(fields["sent"] or 0),
                         "offered_at": fields["offered_at"]})
    return sorted(rows, key=lambda row: row["crawl"])


def _group(client: redis.Redis, stream: str, name: str) -> dict[str, Any]:
    if not client.exists(stream):
        return {}
    for group in client.xinfo_groups(stream):
        if _text(group["name"]) == name:
            return group
    return {}


def _queue(client: redis.Redis, keys: Keys) -> dict[str, int]:
    group = _group(client, keys.offers, OFFER_GROUP)
    return {"offered": int(group.get("lag") or 0), "claimed": int(group.get("pending") or 0)}


def _ingest(client: redis.Redis, keys: Keys) -> dict[str, Any]:
    group = _group(client, keys.ingest, INGEST_GROUP)
    oldest = client.xrange(keys.ingest, count=1)
    lag = None
    if oldest:
        millis = int(_text(oldest[0][0]).split("-")[0])
        lag = round(max(time.time() - millis / 1000, 0.0), 1)
    return {"waiting": int(client.xlen(keys.ingest)), "pending": int(group.get("pending") or 0),
            "lag_seconds": lag, "dead": int(client.xlen(keys.dead))}


def status_lines(status: dict[str, Any]) -> list[str]:
    """The cluster in a few lines of text, for `sites --health --redis`."""
    redis_ = status["redis"]
    if redis_.get("error"):
        return [f"Cluster ({redis_['url']}): Redis does not answer: {redis_['error']}"]
    host, ingest, queue = status["host"], status["ingest"], status["queue"]
    alive = [w for w in status["workers"] if w["alive"]]
    lines = [f"Cluster ({redis_['url']}, Redis {redis_['version']}): archive host "
             + (f"up ({host['name']}, {host['rate']:g} messages/s)" if host["alive"] else "DOWN")
             + f"; workers seen {len(status['workers'])}, alive {len(alive)}",
             f"  crawls in flight: {len(status['crawls'])}; queue: {queue['offered']} offered, "
             f"{queue['claimed']} claimed; ingest: {ingest['waiting']} waiting"
             + (f", lag {ingest['lag_seconds']:g}s" if ingest["lag_seconds"] is not None else "")
             + (f", {ingest['dead']} dead letters" if ingest["dead"] else "")]
    for crawl in status["crawls"]:
        where = f", on {crawl['worker']}" if crawl["worker"] else ""
        lines.append(f"  crawl {crawl['crawl']} {crawl['site']}: {crawl['status']}, attempt "
                     f"{crawl['attempts']}, {crawl['sent']} sent{where}")
    for worker in status["workers"]:
        state = "alive" if worker["alive"] else f"silent for {worker['beat_seconds_ago']:g}s"
        doing = f", crawling {worker['crawls']}" if worker["crawls"] else ""
        lines.append(f"  worker {worker['name']}: {state}{doing}")
    return lines
