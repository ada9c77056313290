"""Fuzzing: schemathesis against the OpenAPI of the gateway and of each service, with valid tokens.

Every operation gets generated requests (valid and invalid: schemathesis' examples, coverage and
fuzzing phases) sent with a real user's bearer token; a run fails on any 5xx and on any response
that breaks the schema its own OpenAPI documents. Bounded for `make test` (FUZZ_MAX_EXAMPLES,
default 8 per operation and phase, a fixed seed); `make fuzz` raises the bound and draws a seed.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any

import httpx
import pytest

from common.demo import generate_sales
from common.settings import SERVICES

pytestmark = pytest.mark.e2e

MAX_EXAMPLES = int(os.environ.get("FUZZ_MAX_EXAMPLES", "8"))
SEED = os.environ.get("FUZZ_SEED", "20261124")  # "random": a new seed each run (make fuzz)
CHECKS = "not_a_server_error,response_schema_conformance"
SCHEMATHESIS = Path(sys.executable).parent / "schemathesis"


@pytest.fixture(scope="module")
def fuzz_org(platform: Any) -> dict[str, str]:
    """A registered retailer with a small processed upload, so reads return real results."""
    email = f"fuzz-{uuid.uuid4().hex[:10]}@shop.example"
    sales = generate_sales(n_stores=1, n_skus=3, days=120, n_customers=30, seed=5)
    with httpx.Client(base_url=platform.base_url, timeout=60) as client:
        registered = client.post(
            "/auth/register", json={"email": email, "password": "password-123", "name": "Fuzz"}
        )
        assert registered.status_code == 201, registered.text
        headers = _login(client, email)
        response = client.post(
            "/upload-sales",
            headers=headers,
            files={"file": ("sales.csv", sales.to_csv(index=False).encode(), "text/csv")},
        )
        assert response.status_code == 202, response.text
        job_id = response.json()["job_id"]
        deadline = time.monotonic() + 240
        while client.get(f"/jobs/{job_id}", headers=headers).json()["status"] not in ("succeeded", "failed"):
            assert time.monotonic() < deadline, "the fuzzing account's upload did not finish"
            time.sleep(0.5)
    return {"email": email}


def _login(client: httpx.Client, email: str) -> dict[str, str]:
    tokens = client.post("/auth/login", json={"email": email, "password": "password-123"}).json()
    return {"Authorization": f"Bearer {tokens['access_token']}"}


@pytest.mark.parametrize("target", ["gateway", *SERVICES])
def test_no_server_error_and_every_response_matches_its_schema(
    target: str, platform: Any, fuzz_org: dict[str, str], tmp_path: Path
) -> None:
    # A fresh token per target: a long `make fuzz` run must not outlive the 15-minute access token.
    with httpx.Client(base_url=platform.base_url, timeout=30) as client:
        headers = _login(client, fuzz_org["email"])
    base_url = f"http://127.0.0.1:{platform.ports[target]}"
    command = [
        str(SCHEMATHESIS),
        "run",
        f"{base_url}/openapi.json",
        "--url",
        base_url,
        "--header",
        f"Authorization: {headers['Authorization']}",
        # The gateway trusts X-Forwarded-For from loopback: the fuzzer's address has its own rate
        # limit and login-failure budget, so the other tests of the session are never throttled.
        "--header",
        f"X-Forwarded-For: 10.{uuid.uuid4().int % 250}.{uuid.uuid4().int % 250}.7",
        "--checks",
        CHECKS,
        "--phases",
        "examples,coverage,fuzzing",
        "--max-examples",
        str(MAX_EXAMPLES),
        "--workers",
        "1",
        "--request-timeout",
        "60",
        "--generation-database",
        "none",
        "--no-color",
        *([] if SEED == "random" else ["--seed", SEED]),
    ]
    # Its working folder is a temporary one: schemathesis writes reports and caches there.
    run = subprocess.run(command, cwd=tmp_path, capture_output=True, text=True, timeout=1800)
    report = run.stdout + run.stderr
    assert run.returncode == 0, (
        f"schemathesis found problems in the {target} API:\n{_failures(report)}\n\n{report[-2500:]}"
    )
    assert "Tested:" in report, report[-3000:]


def _failures(report: str) -> str:
    """One line per failing operation and check, with the request that reproduces it."""
    lines, operation, check = [], "", ""
    for line in report.splitlines():
        text = line.strip()
        if text.startswith("___") and text.endswith("___"):
            operation = text.strip("_ ")
        elif text.startswith("- ST"):
            check = text[2:]
        elif text.startswith("curl ") and operation:
            lines.append(f"{operation}: {check}\n    {text[:400]}")
    return "\n".join(lines)
