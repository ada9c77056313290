"""What `make run` starts: background work at a lower priority, one beat schedule per platform."""

from __future__ import annotations

from pathlib import Path

from common.run import BACKGROUND_NICENESS, REPO_ROOT, beat_schedule_path, process_commands
from common.settings import SERVICES


def _ports(gateway: int) -> dict[str, int]:
    return {"gateway": gateway, **{name: gateway + 1 + i for i, name in enumerate(SERVICES)}}


def test_workers_and_beat_run_niced_and_http_processes_do_not(tmp_path: Path) -> None:
    commands = process_commands(_ports(18000), data_dir=tmp_path)
    background = [name for name in commands if name.endswith("-worker") or name == "scheduler"]
    assert len(background) == len(SERVICES) + 1
    for name in background:
        assert commands[name][:3] == ["nice", "-n", str(BACKGROUND_NICENESS)], name
        assert BACKGROUND_NICENESS > 0
    for name in ("gateway", *SERVICES):
        assert Path(commands[name][0]).name == "uvicorn", name  # interactive reads keep full priority


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
