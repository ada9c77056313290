"""What `make run` starts: background work at a lower priority, one beat schedule per platform."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from common.background import autogroups_enabled
from common.run import REPO_ROOT, beat_schedule_path, process_commands, shell_command
from common.settings import SERVICES


def _ports(gateway: int) -> dict[str, int]:
    return {"gateway": gateway, **{name: gateway + 1 + i for i, name in enumerate(SERVICES)}}


def test_workers_and_beat_run_at_background_priority_and_http_processes_do_not(tmp_path: Path) -> None:
    commands = process_commands(_ports(18000), data_dir=tmp_path)
    background = [name for name in commands if name.endswith("-worker") or name == "scheduler"]
    assert len(background) == len(SERVICES) + 1
    for name in background:
        assert commands[name][1:3] == ["-m", "common.background"], name
        assert Path(commands[name][3]).name == "celery", name
    for name in ("gateway", *SERVICES):
        assert Path(commands[name][0]).name == "uvicorn", name  # interactive reads keep full priority


@pytest.mark.skipif(not hasattr(os, "SCHED_IDLE"), reason="SCHED_IDLE is Linux-only")
def test_the_background_wrapper_runs_its_command_under_sched_idle_with_the_same_pid() -> None:
    probe = "import os; print(os.getpid(), os.sched_getscheduler(0) == os.SCHED_IDLE)"
    process = subprocess.Popen(
        [sys.executable, "-m", "common.background", sys.executable, "-c", probe],
        stdout=subprocess.PIPE,
        text=True,
    )
    out, _ = process.communicate(timeout=60)
    pid, idle = out.split()
    assert process.returncode == 0
    assert int(pid) == process.pid  # exec, not a child: kill -9 and Celery's signals reach the worker
    assert idle == "True"
    assert os.sched_getscheduler(0) != os.SCHED_IDLE  # the caller keeps its own priority


# "/autogroup-<id> nice <n>"; empty for the kernel's default group (init's session, which a CI
# runner may well share), where nice does not apply.
AUTOGROUP_PROBE = "print((open('/proc/self/autogroup').read().split() or ['default'])[-1])"


def _background_autogroup_nice(new_session: bool, through_shell: bool = False) -> str:
    """The autogroup nice value a command started through common.background sees.

    `through_shell`: started as honcho (`make run`) starts it, `/bin/sh -c` on common.run's line.
    """
    command = [sys.executable, "-m", "common.background", sys.executable, "-c", AUTOGROUP_PROBE]
    return subprocess.run(
        shell_command(command) if through_shell else command,
        shell=through_shell,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
        start_new_session=new_session,
    ).stdout.strip()


@pytest.mark.skipif(not autogroups_enabled(), reason="the kernel does not group sessions (autogroup off)")
def test_a_background_process_alone_in_its_session_lowers_its_autogroup() -> None:
    # As the test platform starts it, and as `make run` (honcho, through a shell): a session of its own.
    assert _background_autogroup_nice(new_session=True) == "19"
    assert _background_autogroup_nice(new_session=True, through_shell=True) == "19"
    # Sharing this test's session: the group (and so this process) keeps its priority.
    own = (Path("/proc/self/autogroup").read_text().split() or ["default"])[-1]
    assert _background_autogroup_nice(new_session=False) == own != "19"


def test_beat_schedule_lives_in_the_platform_data_folder(tmp_path: Path) -> None:
    command = process_commands(_ports(18000), data_dir=tmp_path)["scheduler"]
    schedule = Path(command[command.index("--schedule") + 1])
    assert schedule.is_relative_to(tmp_path) and schedule.parent.is_dir()


def test_two_platforms_on_one_machine_keep_separate_beat_schedules(tmp_path: Path) -> None:
    first, second = beat_schedule_path(_ports(18000)), beat_schedule_path(_ports(19000))
    assert first != second
    # Under the repository's own data folder (wherever the clone lives), not a shared /tmp file.
    assert first.is_relative_to(REPO_ROOT / ".data")
    assert beat_schedule_path(_ports(18000), tmp_path / "a") != beat_schedule_path(
        _ports(18000), tmp_path / "b"
    )


@pytest.mark.skipif(not hasattr(os, "SCHED_OTHER"), reason="scheduling policies are Linux-only")
def test_the_background_wrapper_nices_when_asked_and_refuses_an_unknown_policy() -> None:
    probe = "import os; print(os.nice(0), os.sched_getscheduler(0) == os.SCHED_OTHER)"
    env = {**os.environ, "BACKGROUND_CPU_POLICY": "nice"}
    out = subprocess.run(
        [sys.executable, "-m", "common.background", sys.executable, "-c", probe],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    ).stdout.split()
    assert int(out[0]) == min(os.nice(0) + 10, 19)  # niced by 10 (capped at 19)
    assert out[1] == "True"
    refused = subprocess.run(
        [sys.executable, "-m", "common.background", "true"],
        env={**os.environ, "BACKGROUND_CPU_POLICY": "realtime"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert refused.returncode != 0 and "expected 'idle' or 'nice'" in refused.stderr
