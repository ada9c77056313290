"""`python -m common.background COMMAND...`: run COMMAND at background CPU priority.

Celery workers and beat start through this (`common.run.process_commands`). On Linux the process
takes the SCHED_IDLE policy: it runs only on CPU time that normal processes leave, and a waking
HTTP process preempts it at once. A niced process, by contrast, still gets a share of a contended
core and finishes its time slice first, which delays the HTTP reads while engines run
(`make bench-load`; bench/RESULTS.md). Where SCHED_IDLE is missing (macOS), the process is niced
instead; `BACKGROUND_CPU_POLICY=nice` asks for nicing on Linux too
(`make bench-load ARGS=--background-cpu-policy=nice` compares the two). Children (Celery's pool,
LightGBM's threads) inherit the policy.

Linux's autogroups (`/proc/sys/kernel/sched_autogroup_enabled`, on by default in most
distributions) put every session in a scheduling group of its own, and the groups share the CPU
fairly whatever the policy or nice value of the processes inside: SCHED_IDLE then only ranks a
worker against the processes of its own session. `make run` and the tests start each process in a
session of its own, so a worker in its own session also lowers its autogroup to nice 19 (weight
15 against a default group's 1024): with SCHED_IDLE alone the gateway still queued behind the
engines' group (`make bench-load`; bench/RESULTS.md). A worker sharing a session with other
processes leaves the group alone: its priority inside the group already does the job, and
lowering the group would slow its neighbours too.
Ref: https://man7.org/linux/man-pages/man7/sched.7.html (SCHED_IDLE; "The autogroup feature")
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

# The fallback where the kernel has no SCHED_IDLE.
BACKGROUND_NICENESS = 10
# Of the autogroup of a background process alone in its session (the lowest priority).
AUTOGROUP_NICENESS = 19
AUTOGROUP_SWITCH = Path("/proc/sys/kernel/sched_autogroup_enabled")


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


def autogroups_enabled() -> bool:
    """Whether the kernel schedules each session as a group of its own."""
    try:
        return AUTOGROUP_SWITCH.read_text().strip() == "1"
    except OSError:  # not Linux, or a kernel without autogroups
        return False


def lower_autogroup() -> bool:
    """Lower this session's autogroup when autogroups are on and the session is this process's own."""
    if not autogroups_enabled() or os.getsid(0) != os.getpid():
        return False
    try:
        Path("/proc/self/autogroup").write_text(str(AUTOGROUP_NICENESS))
    except OSError:
        return False
    return True


def main(argv: list[str]) -> None:
    """Lower this process's priority, then become COMMAND (same pid, so signals reach it)."""
    if not argv:
        raise SystemExit("usage: python -m common.background COMMAND [ARG...]")
    lower_priority(os.environ.get("BACKGROUND_CPU_POLICY", "idle"))
    lower_autogroup()
    os.execvp(argv[0], argv)


if __name__ == "__main__":
    main(sys.argv[1:])
