"""The Redis client of a cluster process, the URL check, and the Lua scripts (leases, shipping).

Clients ride out a Redis restart: a command that meets a closed connection reconnects with
back-off (about 30 s in all) before it fails. Leases are the usual Redis idiom: ``SET key
token NX PX ttl`` to take one, and compare-and-set scripts to extend or release it only while
it is ours. `SHIP` adds an entry to the ingest stream only while the sender holds the site's
lease (a worker that lost it, say after a long pause, can no longer send anything) and marks
the URL done in the same step.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit, urlunsplit

import redis
from redis.backoff import ExponentialBackoff
from redis.commands.core import Script
from redis.connection import parse_url
from redis.exceptions import BusyLoadingError, ResponseError
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError
from redis.retry import Retry

#: Failures a cluster process waits out (Redis restarting, or unreachable for a while).
UNAVAILABLE = (RedisConnectionError, RedisTimeoutError, BusyLoadingError)
SOCKET_TIMEOUT = 15.0  # seconds; above the longest blocking read (XREADGROUP ... BLOCK)


class BadRedisURL(ValueError):
    """A Redis URL that cannot be used; the message says why."""


def check_url(url: str) -> str:
    """`url` if it is a usable Redis URL (``redis://``, ``rediss://`` or ``unix://``), else BadRedisURL."""
    text = url.strip()
    if not text:
        raise BadRedisURL("the Redis URL is empty: e.g. redis://127.0.0.1:6379/0")
    try:
        options = parse_url(text)
    except ValueError as exc:
        raise BadRedisURL(f"{text!r} is not a Redis URL: {exc} (e.g. redis://host:6379/0)") from None
    if text.lower().startswith("unix:") and not options.get("path"):
        raise BadRedisURL(f"{text!r} names no socket file (e.g. unix:///run/redis/redis.sock)")
    if not text.lower().startswith("unix:") and not options.get("host"):
        raise BadRedisURL(f"{text!r} names no host (e.g. redis://127.0.0.1:6379/0)")
    return text


class RedisUnreachable(ConnectionError):
    """No Redis answers at the URL; the message says what happened."""


def reach(url: str) -> None:
    """Check at once (no retries) that Redis answers at `url`, else RedisUnreachable."""
    client = redis.Redis.from_url(url, socket_connect_timeout=3.0, socket_timeout=5.0)
    try:
        client.ping()
    except (*UNAVAILABLE, ResponseError) as exc:  # ResponseError: e.g. a wrong password
        raise RedisUnreachable(f"no Redis answers at {redact(url)}: {exc}") from None
    finally:
        client.close()


def redact(url: str) -> str:
    """`url` without its password, for logs and status lines."""
    parts = urlsplit(url)
    if not parts.password:
        return url
    netloc = parts.netloc.rsplit("@", 1)[1]
    user = f"{parts.username}:***@" if parts.username else ":***@"
    return urlunsplit(parts._replace(netloc=user + netloc))


def connect(url: str, *, patient: bool = True) -> redis.Redis:
    """A client for `url` (bytes in, bytes out) that reconnects across a Redis restart
    (`patient`), or tries once (a status read)."""
    return redis.Redis.from_url(
        url, retry=Retry(ExponentialBackoff(cap=2.0, base=0.05), 30 if patient else 0),
        retry_on_error=list(UNAVAILABLE), socket_connect_timeout=2.0,
        socket_timeout=SOCKET_TIMEOUT, health_check_interval=10)


def is_oom(error: Exception) -> bool:
    """Redis refused a write: ``maxmemory`` reached under ``noeviction`` (wait for the host)."""
    return isinstance(error, ResponseError) and str(error).startswith("OOM")


# KEYS: lease; ARGV: token, ttl ms. 1: extended; 2: taken again (it had expired, e.g. while
# Redis was down, and nobody else took it); 0: someone else holds it.
EXTEND = """
local holder = redis.call('GET', KEYS[1])
if holder == ARGV[1] then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  return 1
end
if not holder then
  redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
  return 2
end
return 0
"""

# KEYS: lease; ARGV: token. 1: released; 0: it was not ours (any more).
RELEASE = """
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0
"""

# KEYS: lease, ingest stream, done set, crawl hash; ARGV: token, canonical URL ('' for none),
# new crawl status ('' for none), then the entry's field/value pairs.
# Returns the entry id, or nil when the token no longer holds the lease (nothing written).
SHIP = """
if redis.call('GET', KEYS[1]) ~= ARGV[1] then
  return false
end
local id = redis.call('XADD', KEYS[2], '*', unpack(ARGV, 4))
if ARGV[2] ~= '' then
  redis.call('SADD', KEYS[3], ARGV[2])
end
redis.call('HINCRBY', KEYS[4], 'sent', 1)
if ARGV[3] ~= '' then
  redis.call('HSET', KEYS[4], 'status', ARGV[3])
end
return id
"""


@dataclass(frozen=True)
class Scripts:
    """The Lua scripts registered on one client (EVALSHA, loaded again after a Redis restart)."""

    extend: Script
    release: Script
    ship: Script

    @classmethod
    def on(cls, client: redis.Redis) -> Scripts:
        return cls(client.register_script(EXTEND), client.register_script(RELEASE),
                   client.register_script(SHIP))
