"""The runtime metrics of every HTTP process: event-loop lag and garbage-collector pauses."""

from __future__ import annotations

import asyncio
import gc
import time

import pytest

from common.runtime_metrics import GC_PAUSE, LAG_PROBE_INTERVAL_S, LOOP_LAG, runtime_metrics

pytestmark = pytest.mark.asyncio(loop_scope="session")


def _count_over(seconds: float) -> float:
    """Loop-lag observations above `seconds` (the +Inf bucket minus the bucket at `seconds`)."""
    buckets = {
        sample.labels["le"]: sample.value
        for metric in LOOP_LAG.collect()
        for sample in metric.samples
        if sample.name.endswith("_bucket")
    }
    return buckets["+Inf"] - buckets[str(seconds)]


async def test_a_blocked_event_loop_shows_as_lag() -> None:
    before = _count_over(0.1)
    async with runtime_metrics():
        await asyncio.sleep(LAG_PROBE_INTERVAL_S / 2)
        time.sleep(0.3)  # a handler holding the loop, as CPU-bound work in it would
        await asyncio.sleep(LAG_PROBE_INTERVAL_S * 3)
    assert _count_over(0.1) == before + 1
    quiet = _count_over(0.1)
    async with runtime_metrics():
        await asyncio.sleep(LAG_PROBE_INTERVAL_S * 4)
    assert _count_over(0.1) == quiet  # an idle loop runs its timers on time


async def test_collector_pauses_are_counted_by_generation() -> None:
    full = GC_PAUSE.labels("2")
    before = full._sum.get(), sum(bucket.get() for bucket in full._buckets)
    async with runtime_metrics():
        garbage = [[i] for i in range(200_000)]
        del garbage
        gc.collect()
    measured = sum(bucket.get() for bucket in full._buckets)
    assert measured >= before[1] + 1  # ours, and any the allocations above set off
    assert full._sum.get() > before[0]
    gc.collect()  # outside the context: no longer measured
    assert sum(bucket.get() for bucket in full._buckets) == measured
