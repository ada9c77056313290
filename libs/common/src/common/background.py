"""`python -m common.background COMMAND...`: run COMMAND at background CPU priority.

Celery workers and beat start through this (`common.run.process_commands`). On Linux the process
takes the SCHED_IDLE policy: it runs only on CPU time that normal processes leave, and a waking
HTTP process preempts it at once. `nice -n 10` (the earlier choice) still gives a busy worker
~10% of a contended core and lets it finish its time slice first, which on two cores showed up as
a 100-350 ms read tail while engines ran (`make bench-load`). Where SCHED_IDLE is missing (macOS),
the process is niced instead; `BACKGROUND_CPU_POLICY=nice` asks for nicing on Linux too (the A/B of
`make bench-load ARGS=--background-cpu-policy=nice`). Children (Celery's pool, LightGBM's threads)
inherit the policy.
Ref: https://man7.org/linux/man-pages/man7/sched.7.html (SCHED_IDLE)
"""

from __future__ import annotations

import os
import sys

# The fallback where the kernel has no SCHED_IDLE.
BACKGROUND_NICENESS = 10


def lower_priority(policy: str = "idle") -> str:
    """Give this process background CPU priority; returns the mechanism used ('idle' or 'nice')."""
    if policy not in ("idle", "nice"):
        raise SystemExit(f"BACKGROUND_CPU_POLICY is {policy!r}, expected 'idle' or 'nice'")
    if policy == "idle" and hasattr(os, "sched_setscheduler") and hasattr(os, "SCHED_IDLE"):
        try:
            os.sched_setscheduler(0, os.SCHED_IDLE, os.sched_param(0))
            return "idle"
        except OSError:  # a sandbox that forbids it: nicing needs no privilege
            pass
    os.nice(BACKGROUND_NICENESS)
    return "nice"


def main(argv: list[str]) -> None:
    """Lower this process's priority, then become COMMAND (same pid, so signals reach it)."""
    if not argv:
        raise SystemExit("usage: python -m common.background COMMAND [ARG...]")
    lower_priority(os.environ.get("BACKGROUND_CPU_POLICY", "idle"))
    os.execvp(argv[0], argv)


if __name__ == "__main__":
    main(sys.argv[1:])
