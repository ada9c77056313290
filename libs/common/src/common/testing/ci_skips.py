"""Which skips a CI run accepts: under CI=true any other skip is reported as a failure.

A test that skips because a tool is missing (a browser, uv, hadolint, kubectl, a dev dependency)
proves nothing, and in CI it would do so silently: CI must install what the tests need. The
skips below are the ones whose condition no install step can change; the README's "Tests" section
lists them with their reasons. Each is recognised by its skip reason.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass


@dataclass(frozen=True)
class AcceptableSkip:
    """A kind of skip CI accepts: what it is, the reasons that say it, and an optional switch."""

    name: str
    reason: re.Pattern[str]
    # Accepted only when this environment variable is "1" (None: always accepted).
    only_with: str | None = None


ACCEPTABLE_SKIPS = (
    # The Compose CLI validates docker-compose.yml; it needs Docker, which this kind of CI machine
    # does not run (the file is still checked against the Compose specification's schema).
    AcceptableSkip("docker compose", re.compile(r"`docker compose` nor `docker-compose` is installed")),
    # With TEST_DATABASE_URL / TEST_REDIS_URL or containers, the tests cannot restart the servers.
    AcceptableSkip(
        "external servers", re.compile(r"(PostgreSQL|Redis|PostgreSQL and Redis) (is|are) external")
    ),
    # The kernel decides: Linux scheduling policies, and session autogroups (a kernel setting).
    AcceptableSkip("kernel", re.compile(r"Linux-only|autogroup off")),
    # A dashboard test that reads what the upload test produced: that test's failure is the report.
    AcceptableSkip("after a failed test", re.compile(r"the upload test did not finish")),
    # The retail data beside the clone (../shared/data): .ci/run always has it; a hosted runner
    # (GitHub) does not, and says so with CI_WITHOUT_SHARED_DATA=1.
    AcceptableSkip(
        "shared data",
        re.compile(r"data not (found|available)|shared/data|breakfast_at_the_frat|online_retail"),
        only_with="CI_WITHOUT_SHARED_DATA",
    ),
)


def in_ci() -> bool:
    """Whether this run is a CI run (CI=true, as .ci/run and hosted runners set it)."""
    return os.environ.get("CI", "").strip().lower() in ("true", "1", "yes")


def acceptable(reason: str) -> bool:
    """Whether a CI run may skip a test for `reason`."""
    return any(
        skip.reason.search(reason) and (skip.only_with is None or os.environ.get(skip.only_with) == "1")
        for skip in ACCEPTABLE_SKIPS
    )


def skip_reason(longrepr: object) -> str:
    """The reason text of a skipped test's report (pytest keeps it as (path, line, reason))."""
    if isinstance(longrepr, tuple) and len(longrepr) == 3:
        return str(longrepr[2]).removeprefix("Skipped: ")
    return str(longrepr)
