"""Who used the CPU when: a sampler process beside the load, to explain the slow seconds of a run.

Every `interval_s` it reads the CPU time of every process of the platform. PostgreSQL backends are
charged to the platform process that opened the connection (its `application_name`, which every
process sets from PROCESS_NAME), so a stall caused by a worker's query shows as that worker's
database work, not as "postgres". It runs in its own process: sampling in the load generator would
hold the generator's GIL and delay the very reads it is meant to explain.
"""

from __future__ import annotations

import multiprocessing
import time
from collections import defaultdict
from multiprocessing.connection import Connection

import psutil
import psycopg

Sample = tuple[float, dict[str, float]]  # perf_counter, label -> CPU seconds since the last sample


def _cpu_s(pid: int) -> float | None:
    try:
        times = psutil.Process(pid).cpu_times()
    except (psutil.NoSuchProcess, psutil.AccessDenied):
        return None
    return times.user + times.system


def _sample(
    roots: dict[str, int], postgres_pid: int, database_url: str, interval_s: float, stop: Connection
) -> None:
    last: dict[int, float] = {}
    samples: list[Sample] = []
    with psycopg.connect(database_url, autocommit=True, application_name="bench-sampler") as conn:
        stop.send("ready")
        while not stop.poll(interval_s):
            labels: dict[int, str] = {}
            for name, pid in roots.items():
                try:
                    root = psutil.Process(pid)
                    # The load generator is the platform's parent: its children are the platform.
                    children = [] if name == "load generator" else root.children(recursive=True)
                except psutil.NoSuchProcess:
                    continue
                for process in (root, *children):
                    labels[process.pid] = name
            for pid, app, kind in conn.execute(
                "SELECT pid, application_name, backend_type FROM pg_stat_activity"
            ).fetchall():
                labels[pid] = f"db:{app}" if app else f"db:{kind}"
            try:
                for process in psutil.Process(postgres_pid).children():
                    labels.setdefault(process.pid, "db:other")
                labels[postgres_pid] = "db:postmaster"
            except psutil.NoSuchProcess:
                pass
            used: dict[str, float] = defaultdict(float)
            for pid, label in labels.items():
                now = _cpu_s(pid)
                if now is None:
                    continue
                # A process first seen after the first sample started since the last one.
                before = last.get(pid, now if not samples else 0.0)
                used[label] += now - before
                last[pid] = now
            samples.append((time.perf_counter(), dict(used)))
    stop.send(samples)


class CpuTimeline:
    """Start with the platform's root pids; `stop()` returns the samples."""

    def __init__(
        self, roots: dict[str, int], postgres_pid: int, database_url: str, interval_s: float = 0.5
    ) -> None:
        self._here, there = multiprocessing.Pipe()
        self._process = multiprocessing.get_context("spawn").Process(
            target=_sample, args=(roots, postgres_pid, database_url, interval_s, there), daemon=True
        )
        self._process.start()
        self._here.recv()  # connected: the samples cover the whole run

    def stop(self) -> list[Sample]:
        """Stop sampling; the samples taken."""
        self._here.send("stop")
        samples: list[Sample] = self._here.recv()
        self._process.join(timeout=10)
        return samples


def cpu_between(samples: list[Sample], start: float, end: float) -> dict[str, float]:
    """CPU seconds per label in samples taken in (start, end]."""
    used: dict[str, float] = defaultdict(float)
    for at, by_label in samples:
        if start < at <= end:
            for label, seconds in by_label.items():
                used[label] += seconds
    return dict(used)
