"""Read-through cache of API results in Redis, invalidated per organization and domain.

Invalidation bumps a version counter instead of scanning keys, so it is O(1) however many
results are cached; old versions expire by TTL. When Redis is down, reads go to PostgreSQL.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Awaitable, Callable
from typing import Any

import redis
import redis.asyncio as aioredis

from common.settings import get_settings

log = logging.getLogger("smartretail.cache")
_async_client: aioredis.Redis | None = None
_sync_client: redis.Redis | None = None
ASYNC_POOL_SIZE = 256


def _version_key(org: str, domain: str) -> str:
    return f"sr:cache:{org}:{domain}:version"


def async_redis() -> aioredis.Redis:
    """This process's asyncio Redis client."""
    global _async_client
    if _async_client is None:
        # A blocking pool: under a burst, a request waits up to 2 s for a free connection instead
        # of failing at once with "Too many connections" (redis-py's default pool stops at 100).
        pool: aioredis.BlockingConnectionPool = aioredis.BlockingConnectionPool.from_url(
            get_settings().redis_url,
            max_connections=ASYNC_POOL_SIZE,
            timeout=2,
            socket_timeout=2,
            socket_connect_timeout=2,
        )
        _async_client = aioredis.Redis(connection_pool=pool)
    return _async_client


def sync_redis() -> redis.Redis:
    """This worker process's Redis client."""
    global _sync_client
    if _sync_client is None:
        _sync_client = redis.from_url(get_settings().redis_url, socket_timeout=5, socket_connect_timeout=5)
    return _sync_client


def reset_clients() -> None:
    """Forget clients inherited across a fork."""
    global _async_client, _sync_client
    _async_client, _sync_client = None, None


async def cached(org: str, domain: str, params: dict[str, Any], load: Callable[[], Awaitable[Any]]) -> Any:
    """Return the cached JSON result for (org, domain, params), or load, store and return it."""
    client = async_redis()
    key = None
    try:
        version = int(await client.get(_version_key(org, domain)) or 0)
        digest = hashlib.sha256(json.dumps(params, sort_keys=True, default=str).encode()).hexdigest()[:32]
        key = f"sr:cache:{org}:{domain}:v{version}:{digest}"
        hit = await client.get(key)
        if hit is not None:
            return json.loads(hit)
    except (redis.RedisError, OSError) as exc:
        log.warning("cache unavailable, reading from the database: %s", exc)
        return await load()
    value = await load()
    try:
        await client.set(key, json.dumps(value, default=str), ex=get_settings().cache_ttl_s)
    except (redis.RedisError, OSError) as exc:
        log.warning("could not store in cache: %s", exc)
    return value


async def put_many(org: str, domain: str, values: dict[str, bytes], version_seen: int) -> None:
    """Store several raw responses under the domain's version, unless it moved past `version_seen`."""
    try:
        client = async_redis()
        version = int(await client.get(_version_key(org, domain)) or 0)
        if version != version_seen:
            return  # the results changed while this response was being made: do not cache it
        ttl = get_settings().cache_ttl_s
        async with client.pipeline(transaction=False) as pipe:
            for name, value in values.items():
                pipe.set(f"sr:raw:{org}:{domain}:v{version}:{name}", value, ex=ttl)
            await pipe.execute()
    except (redis.RedisError, OSError) as exc:
        log.warning("could not store in cache: %s", exc)


# The version and the entry under it in one round trip (a read at the gateway is on the hot path).
_GET_CURRENT = """
local version = redis.call('GET', KEYS[1]) or '0'
return {version, redis.call('GET', ARGV[1] .. version .. ARGV[2])}
"""


async def get_current_bytes(org: str, domain: str, name: str) -> tuple[int, bytes | None] | None:
    """The domain's version and the raw entry stored under it, or None when Redis is down."""
    try:
        version, value = await async_redis().eval(
            _GET_CURRENT, 1, _version_key(org, domain), f"sr:raw:{org}:{domain}:v", f":{name}"
        )
    except (redis.RedisError, OSError) as exc:
        log.warning("cache unavailable: %s", exc)
        return None
    return int(version), value


def invalidate(org: str, domain: str) -> None:
    """Drop an organization's cached results of one domain (called by workers after writing)."""
    try:
        sync_redis().incr(_version_key(org, domain))
    except (redis.RedisError, OSError) as exc:
        # Stale reads must not outlive a Redis outage: without the bump, entries expire by TTL.
        log.error("could not invalidate cache for %s/%s: %s", org, domain, exc)
