"""Metrics of the Python runtime under an HTTP service: event-loop lag and garbage-collector pauses.

A single-threaded async server answers late whenever its loop is held: by a collector pause, by
CPU-bound work in a handler, or by the process not being scheduled. These two histograms on
/metrics tell those apart when a latency tail appears.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from prometheus_client import Histogram

PAUSE_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0)
LOOP_LAG = Histogram(
    "event_loop_lag_seconds",
    "How late the event loop ran a timer due now (sampled every 50 ms)",
    buckets=PAUSE_BUCKETS,
)
GC_PAUSE = Histogram(
    "python_gc_pause_seconds", "Garbage-collector pauses", ["generation"], buckets=PAUSE_BUCKETS
)
LAG_PROBE_INTERVAL_S = 0.05

_gc_started: list[float] = []


def _on_gc(phase: str, info: dict[str, Any]) -> None:
    if phase == "start":
        _gc_started.append(time.perf_counter())
    elif _gc_started:
        GC_PAUSE.labels(str(info.get("generation", "?"))).observe(time.perf_counter() - _gc_started.pop())


async def _probe_loop_lag() -> None:
    while True:
        due = time.perf_counter() + LAG_PROBE_INTERVAL_S
        await asyncio.sleep(LAG_PROBE_INTERVAL_S)
        LOOP_LAG.observe(max(0.0, time.perf_counter() - due))


@asynccontextmanager
async def runtime_metrics() -> AsyncIterator[None]:
    """Measure loop lag and collector pauses for as long as the application runs."""
    if _on_gc not in gc.callbacks:
        gc.callbacks.append(_on_gc)
    probe = asyncio.create_task(_probe_loop_lag(), name="event-loop-lag-probe")
    try:
        yield
    finally:
        probe.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await probe
        if _on_gc in gc.callbacks:
            gc.callbacks.remove(_on_gc)
