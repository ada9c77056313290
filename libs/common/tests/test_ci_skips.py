"""Under CI=true a skip for a missing tool fails the run; the listed acceptable skips stay skips."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from common.settings import REPO_ROOT

PROBE = """
import pytest

def test_missing_tool():
    pytest.skip("hadolint is not installed (to lint the Dockerfiles)")

def test_docker_engine_only():
    pytest.skip("neither `docker compose` nor `docker-compose` is installed (schema test still ran)")

@pytest.mark.skipif(True, reason="shared data not available")
def test_needs_the_retail_data():
    pass

@pytest.mark.xfail(reason="a known bug")
def test_expected_failure():
    assert False

def test_runs():
    pass
"""


def _run(tmp_path: Path, **env: str) -> str:
    probe = tmp_path / "test_probe.py"
    probe.write_text(PROBE)
    clean = {k: v for k, v in os.environ.items() if k not in ("CI", "CI_WITHOUT_SHARED_DATA")}
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            str(probe),
            "-q",
            "-p",
            "no:cacheprovider",
            "-c",
            str(REPO_ROOT / "pyproject.toml"),
        ],
        capture_output=True,
        text=True,
        check=False,
        cwd=REPO_ROOT,
        env={**clean, **env},
        timeout=300,
    )
    return result.stdout.strip().splitlines()[-1]


def test_outside_ci_every_skip_is_a_skip(tmp_path: Path) -> None:
    assert _run(tmp_path).startswith("1 passed, 3 skipped, 1 xfailed")


def test_in_ci_a_skip_for_a_missing_tool_or_the_data_fails(tmp_path: Path) -> None:
    assert _run(tmp_path, CI="true").startswith("1 failed, 1 passed, 1 skipped, 1 xfailed, 1 error")


def test_in_ci_without_the_shared_data_only_the_missing_tool_fails(tmp_path: Path) -> None:
    summary = _run(tmp_path, CI="true", CI_WITHOUT_SHARED_DATA="1")
    assert summary.startswith("1 failed, 1 passed, 2 skipped, 1 xfailed")
