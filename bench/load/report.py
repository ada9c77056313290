"""What the load bench prints: where reads' time went, the machine, the jobs, and the summary line."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import psutil

from bench.load.timeline import Sample, cpu_between
from bench.shared import summary_line


@dataclass
class Tally:
    """What the clients saw."""

    read_latencies_s: list[float] = field(default_factory=list)
    read_started_s: list[float] = field(default_factory=list)  # perf_counter at each read's start
    # The gateway's Server-Timing of each read: app (all of its time), ratelimit and cache (Redis).
    read_parts_ms: list[dict[str, float]] = field(default_factory=list)
    by_path: dict[str, list[float]] = field(default_factory=dict)
    body_bytes: dict[str, int] = field(default_factory=dict)  # path -> bytes on the wire
    read_errors: Counter[str] = field(default_factory=Counter)
    read_sources: Counter[str] = field(default_factory=Counter)
    upload_latencies_s: list[float] = field(default_factory=list)
    upload_errors: Counter[str] = field(default_factory=Counter)
    acknowledged: dict[str, int] = field(default_factory=dict)  # job id -> rows accepted
    job_org: dict[str, str] = field(default_factory=dict)  # job id -> organization id


@dataclass
class Outcome:
    """Everything one run measured, for the report."""

    tally: Tally
    elapsed: float
    timeline: list[Sample]
    redis_latency: list[Any]
    cpu_used: dict[str, float]
    load: tuple[float, float]  # 1-minute load average before and after the run
    steal_s: float  # CPU seconds the hypervisor gave to other machines during the run
    profile: list[str]
    metrics: tuple[str, str]  # the gateway's /metrics before and after the run
    jobs: dict[str, int]
    drain_s: float
    stored: int
    background_cpu_policy: str


def as_text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value


def metric_sum(text: str, name: str, **labels: str) -> float:
    """Sum of a Prometheus sample over the series matching the labels."""
    total = 0.0
    for line in text.splitlines():
        if not line.startswith((name + "{", name + " ")):
            continue
        if all(f'{key}="{value}"' in line for key, value in labels.items()):
            total += float(line.rsplit(" ", 1)[1])
    return total


def server_side_latency(before: str, after: str) -> tuple[float, float]:
    """Gateway-measured requests and mean seconds of the proxied GETs during the run."""
    count = sum(
        metric_sum(text, "http_request_duration_seconds_count", method="GET") * sign
        for text, sign in ((after, 1), (before, -1))
    )
    seconds = sum(
        metric_sum(text, "http_request_duration_seconds_sum", method="GET") * sign
        for text, sign in ((after, 1), (before, -1))
    )
    return count, seconds / count if count else float("nan")


def over(before: str, after: str, name: str, threshold: str, **labels: str) -> tuple[int, int]:
    """(observations, observations above `threshold` seconds) of a histogram during the run."""
    count = metric_sum(after, name + "_count", **labels) - metric_sum(before, name + "_count", **labels)
    within = metric_sum(after, name + "_bucket", le=threshold, **labels) - metric_sum(
        before, name + "_bucket", le=threshold, **labels
    )
    return int(count), int(count - within)


def runtime_pauses(before: str, after: str) -> list[str]:
    """The gateway's event-loop lag and garbage-collector pauses during the run."""
    probes, late = over(before, after, "event_loop_lag_seconds", "0.025")
    _, very_late = over(before, after, "event_loop_lag_seconds", "0.1")
    lines = [
        f"  gateway event loop: {late} of {probes} timer probes ran over 25 ms late, {very_late} over 100 ms"
    ]
    for generation in ("0", "1", "2"):
        pauses, long = over(before, after, "python_gc_pause_seconds", "0.01", generation=generation)
        lines.append(f"  gateway GC generation {generation}: {pauses} pauses, {long} over 10 ms")
    return lines


def slowest_seconds(tally: Tally, timeline: list[Sample], shown: int = 5, slow_ms: float = 50.0) -> list[str]:
    """The seconds of the run holding most reads slower than `slow_ms`, and who used the CPU then."""
    started = np.array(tally.read_started_s)
    latencies_ms = np.array(tally.read_latencies_s) * 1000
    second = (started - started.min()).astype(int)
    slow = np.bincount(second[latencies_ms > slow_ms], minlength=second.max() + 1)
    total_slow = int(slow.sum())
    app_ms = np.array([parts.get("app", np.nan) for parts in tally.read_parts_ms])
    slow_app = app_ms[latencies_ms > slow_ms]
    lines = [
        f"    {total_slow} reads over {slow_ms:.0f} ms in {int((slow > 0).sum())} of {len(slow)} seconds;"
        f" the gateway's own time (Server-Timing) in them: p50 {np.nanpercentile(slow_app, 50):.1f}"
        f" p90 {np.nanpercentile(slow_app, 90):.1f} max {np.nanmax(slow_app):.1f} ms"
        if total_slow
        else f"    no read over {slow_ms:.0f} ms"
    ]
    slow_parts = [parts for parts, ms in zip(tally.read_parts_ms, latencies_ms, strict=True) if ms > slow_ms]
    for name in ("ratelimit", "cache"):
        values = [parts[name] for parts in slow_parts if name in parts]
        if values:
            lines.append(
                f"      of it waiting for Redis, {name}: p50 {np.percentile(values, 50):.1f}"
                f" p90 {np.percentile(values, 90):.1f} max {max(values):.1f} ms"
            )
    for at in np.argsort(-slow)[:shown]:
        if slow[at] == 0:
            break
        in_second = latencies_ms[second == at]
        app_in_second = app_ms[(second == at) & (latencies_ms > slow_ms)]
        lines.append(
            f"    second {at:3d}: {slow[at]:3d} of {len(in_second):3d} reads over {slow_ms:.0f} ms, worst {in_second.max():.0f} ms;"
            f" gateway's own time in those p50 {np.nanpercentile(app_in_second, 50):.1f} max {np.nanmax(app_in_second):.1f} ms"
        )
        # The CPU of the second before it too: a read that started slow waited for earlier work.
        window_start = float(started.min()) + at - 1
        used = cpu_between(timeline, window_start, window_start + 2.5)
        busiest = sorted(used.items(), key=lambda kv: -kv[1])[:7]
        lines.append(
            f"      CPU s over seconds {at - 1}..{at + 1}: "
            + ", ".join(f"{label} {seconds:.2f}" for label, seconds in busiest if seconds >= 0.01)
        )
    return lines


def print_report(o: Outcome) -> None:
    """Print the run's figures and end with the summary line."""
    acknowledged = sum(o.tally.acknowledged.values())
    latencies_ms = np.array(o.tally.read_latencies_s) * 1000
    reads = len(latencies_ms)
    rps = reads / o.elapsed
    p50, p90, p99 = (float(np.percentile(latencies_ms, q)) for q in (50, 90, 99)) if reads else (0.0,) * 3
    gateway_gets, gateway_mean_s = server_side_latency(*o.metrics)
    errors = sum(o.tally.read_errors.values()) + sum(o.tally.upload_errors.values())
    print(
        f"machine: {psutil.cpu_count()} cores; load average (1 min) {o.load[0]:.1f} before, "
        f"{o.load[1]:.1f} after the run (other users of the machine included); "
        f"CPU stolen by the hypervisor during the run: {o.steal_s:.1f} s of {psutil.cpu_count() * o.elapsed:.0f}"
    )
    print(
        "CPU seconds used during the run: "
        + ", ".join(
            f"{name} {spent:.1f}" for name, spent in sorted(o.cpu_used.items(), key=lambda kv: -kv[1])
        )
    )
    if reads:
        print(
            f"  gateway CPU per read: {o.cpu_used['gateway'] / reads * 1000:.2f} ms (upper bound: uploads pass it too)"
        )
    print(
        "where a read's time goes (sequential requests after the run, CPU time, so other load does not count):"
    )
    print("\n".join(o.profile))
    uploads = len(o.tally.upload_latencies_s)
    print(
        f"reads: {reads:,} in {o.elapsed:.1f} s = {rps:.1f}/s; latency ms p50 {p50:.1f} p90 {p90:.1f} p99 {p99:.1f} max {latencies_ms.max() if reads else 0:.1f}"
    )
    print(f"  answered by: {dict(o.tally.read_sources)} (X-Cache: hit = from the gateway's Redis cache)")
    print(
        f"  gateway-measured GETs: {gateway_gets:.0f}, mean {gateway_mean_s * 1000:.1f} ms in the app (the rest is queueing and the client)"
    )
    for path, values in sorted(o.tally.by_path.items()):
        ms = np.array(values) * 1000
        print(
            f"  {path:40s} n={len(ms):5d} p50 {np.percentile(ms, 50):6.1f} p99 {np.percentile(ms, 99):6.1f} ms"
            f"  {o.tally.body_bytes.get(path, 0):7,d} bytes"
        )
    print(f"  errors: {dict(o.tally.read_errors) or 0}")
    print("\n".join(runtime_pauses(*o.metrics)))
    if reads:
        print("  slowest seconds of the run (is the tail spread out, or a few stalls?):")
        print("\n".join(slowest_seconds(o.tally, o.timeline)))
    print(
        "Redis's own latency events over 5 ms during the run (event: times, latest ms, worst ms): "
        + (
            ", ".join(
                f"{as_text(event)}: latest {latest} worst {worst}"
                for event, _, latest, worst in o.redis_latency
            )
            or "none"
        )
    )
    upload_p50 = float(np.percentile(o.tally.upload_latencies_s, 50)) if uploads else 0.0
    print(
        f"uploads: {uploads} sent, {len(o.tally.acknowledged)} acknowledged (202), {acknowledged:,} rows; "
        f"p50 {upload_p50:.2f} s; errors: {dict(o.tally.upload_errors) or 0}"
    )
    print(
        f"jobs: {o.jobs} after {o.drain_s:.0f} s of draining; rows stored {o.stored:,} of {acknowledged:,} acknowledged"
    )
    rows_lost = acknowledged - o.stored
    print(f"background CPU policy of the workers: {o.background_cpu_policy}")
    print(
        summary_line(
            "load", rps=f"{rps:.1f}", p99_ms=f"{p99:.1f}", errors=str(errors), rows_lost=str(rows_lost)
        )
    )
