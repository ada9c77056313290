"""Test-only hold points: a fault test parks a task or request at a named point, then breaks it.

A fault test must kill a worker *while* its task runs, or cut a connection *while* a COPY is open,
whatever the machine's speed. It sets the Redis key `hold_key(point, key)`; code that reaches
`hold_point(point, key)` (or `async_hold_point`) then records its process id under
`held_key(point, key)` and waits there until the test deletes the hold key (or it expires).
Honoured only when APP_ENV is "test": anywhere else a hold point costs one string comparison.
"""

from __future__ import annotations

import asyncio
import logging
import os
import time

import redis

from common.cache import async_redis, sync_redis
from common.settings import get_settings

log = logging.getLogger("smartretail.holds")
POLL_S = 0.05
# A forgotten hold must not park a test platform for ever.
MAX_HOLD_S = 900.0


def hold_key(point: str, key: str) -> str:
    """The Redis key a test sets to park whatever reaches `point` for `key` (e.g. a job id)."""
    return f"sr:test-hold:{point}:{key}"


def held_key(point: str, key: str) -> str:
    """The Redis key holding the process id parked at `point` for `key`, once it is there."""
    return f"sr:test-held:{point}:{key}"


def _enabled() -> bool:
    return get_settings().app_env == "test"


def hold_point(point: str, key: str) -> None:
    """Wait here while a test holds `point` for `key` (test environment only)."""
    if not _enabled():
        return
    client = sync_redis()
    try:
        if not client.exists(hold_key(point, key)):
            return
        client.set(held_key(point, key), os.getpid(), ex=int(MAX_HOLD_S))
        log.info("held at %s for %s (pid %s)", point, key, os.getpid())
        deadline = time.monotonic() + MAX_HOLD_S
        while client.exists(hold_key(point, key)) and time.monotonic() < deadline:
            time.sleep(POLL_S)
    except (redis.RedisError, OSError) as exc:
        log.warning("hold point %s skipped, Redis unavailable: %s", point, exc)


async def async_hold_point(point: str, key: str) -> None:
    """`hold_point` for the event loop: waits without blocking other requests."""
    if not _enabled():
        return
    client = async_redis()
    try:
        if not await client.exists(hold_key(point, key)):
            return
        await client.set(held_key(point, key), os.getpid(), ex=int(MAX_HOLD_S))
        log.info("held at %s for %s (pid %s)", point, key, os.getpid())
        deadline = time.monotonic() + MAX_HOLD_S
        while await client.exists(hold_key(point, key)) and time.monotonic() < deadline:
            await asyncio.sleep(POLL_S)
    except (redis.RedisError, OSError) as exc:
        log.warning("hold point %s skipped, Redis unavailable: %s", point, exc)
