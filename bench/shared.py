"""Helpers every bench shares: the data check, peak memory, the machine's load and the summary line."""

from __future__ import annotations

import os
import resource
from pathlib import Path

from common.testing.datasets import SHARED_DATA_ENV


def require(path: Path) -> Path:
    """`path` when it exists; else stop the bench and say where the data was looked for."""
    if not path.exists():
        raise SystemExit(f"data not found: {path} (set {SHARED_DATA_ENV})")
    return path


def peak_rss_mb() -> float:
    """Peak resident set size of this process so far, in MiB (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def cpu_seconds() -> float:
    """CPU time of this process (all threads) plus its finished children."""
    t = os.times()
    return t.user + t.system + t.children_user + t.children_system


def load_average() -> str:
    """The 1-minute load average and the core count, to print beside timings on a shared machine."""
    return f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores"


def summary_line(name: str, **fields: str) -> str:
    """A bench's last line: its name, then `key=value` pairs in the given order."""
    return " ".join([name, *(f"{key}={value}" for key, value in fields.items())])
