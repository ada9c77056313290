"""Fixed-window counters in Redis: request rate limits and login throttling.

Fails open: when Redis is unreachable the request goes through (and it is logged), because the
platform's reads must keep working during a cache outage.
"""

from __future__ import annotations

import logging
import time

import redis

from common.cache import async_redis

log = logging.getLogger("smartretail.ratelimit")


async def hit(key: str, limit: int, window_s: int) -> int | None:
    """Count one event; return seconds to wait when over `limit` in the window, else None."""
    window = int(time.time() // window_s)
    bucket = f"sr:rl:{key}:{window}"
    try:
        client = async_redis()
        async with client.pipeline(transaction=True) as pipe:
            count, _ = await pipe.incr(bucket).expire(bucket, window_s + 1).execute()
    except (redis.RedisError, OSError) as exc:
        log.warning("rate limiter unavailable, letting the request through: %s", exc)
        return None
    if int(count) > limit:
        return max(1, int((window + 1) * window_s - time.time()) + 1)
    return None


async def hit_all(checks: list[tuple[str, int]], window_s: int) -> tuple[int, int] | None:
    """Count one event on each (key, limit) in one round trip; (limit, seconds to wait) of the first exceeded."""
    window = int(time.time() // window_s)
    try:
        async with async_redis().pipeline(transaction=True) as pipe:
            for key, _ in checks:
                bucket = f"sr:rl:{key}:{window}"
                pipe.incr(bucket).expire(bucket, window_s + 1)
            results = await pipe.execute()
    except (redis.RedisError, OSError) as exc:
        log.warning("rate limiter unavailable, letting the request through: %s", exc)
        return None
    for (_, limit), count in zip(checks, results[::2], strict=True):
        if int(count) > limit:
            return limit, max(1, int((window + 1) * window_s - time.time()) + 1)
    return None


async def count(key: str, window_s: int) -> int:
    """How many events a key has in the current window (0 when Redis is unreachable)."""
    window = int(time.time() // window_s)
    try:
        return int(await async_redis().get(f"sr:rl:{key}:{window}") or 0)
    except (redis.RedisError, OSError):
        return 0


async def retry_after(key: str, limit: int, window_s: int) -> int | None:
    """Seconds to wait when a key already reached `limit` in this window (without counting)."""
    if await count(key, window_s) >= limit:
        window = int(time.time() // window_s)
        return max(1, int((window + 1) * window_s - time.time()) + 1)
    return None
