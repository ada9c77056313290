"""Forecasting split into chunks on the real platform: two workers share them, progress per chunk.

The test restarts the forecasting worker with FORECAST_CHUNK_SERIES=5 and starts a second one
beside it; it puts the worker back as it found it afterwards, so later tests see the usual platform.
"""

from __future__ import annotations

import re
import subprocess
import time
import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from common.demo import generate_sales
from common.run import process_commands
from common.settings import REPO_ROOT

pytestmark = pytest.mark.e2e
EXTRA_WORKER = "forecasting-worker-2"


def _wait_ready(platform: Any, name: str, offset: int, timeout_s: float = 120) -> None:
    deadline = time.monotonic() + timeout_s
    while "ready." not in platform.logs(name)[offset:]:
        if time.monotonic() > deadline:
            raise AssertionError(f"{name} not ready: {platform.logs(name)[-2000:]}")
        time.sleep(0.3)


@pytest.fixture
def chunked_workers(platform: Any) -> Iterator[list[str]]:
    """Two forecasting workers with 5 series per chunk; the usual single worker restored after."""
    original = platform.env.get("FORECAST_CHUNK_SERIES")
    platform.stop("forecasting-worker")
    platform.env["FORECAST_CHUNK_SERIES"] = "5"
    try:
        offset = len(platform.logs("forecasting-worker"))
        platform.start("forecasting-worker")
        _wait_ready(platform, "forecasting-worker", offset)
        command = [
            f"forecasting-2@{uuid.uuid4().hex[:6]}" if part.startswith("forecasting@") else part
            for part in process_commands(platform.ports)["forecasting-worker"]
        ]
        log = open(platform.log_dir / f"{EXTRA_WORKER}.log", "ab")  # noqa: SIM115 (the process owns it)
        platform.processes[EXTRA_WORKER] = subprocess.Popen(
            command,
            env=platform.env,
            cwd=REPO_ROOT,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        _wait_ready(platform, EXTRA_WORKER, 0)
        yield ["forecasting-worker", EXTRA_WORKER]
    finally:
        platform.stop(EXTRA_WORKER)
        platform.processes.pop(EXTRA_WORKER, None)
        platform.stop("forecasting-worker")
        if original is None:
            platform.env.pop("FORECAST_CHUNK_SERIES", None)
        else:
            platform.env["FORECAST_CHUNK_SERIES"] = original
        offset = len(platform.logs("forecasting-worker"))
        platform.start("forecasting-worker")
        _wait_ready(platform, "forecasting-worker", offset)


def _account(client: httpx.Client) -> dict[str, str]:
    email = f"chunks-{uuid.uuid4().hex[:10]}@shop.example"
    registered = client.post(
        "/auth/register", json={"email": email, "password": "password-123", "name": "Chunks"}
    )
    assert registered.status_code == 201, registered.text
    tokens = client.post("/auth/login", json={"email": email, "password": "password-123"}).json()
    return {"Authorization": f"Bearer {tokens['access_token']}"}


def _upload_and_watch(client: httpx.Client, headers: dict[str, str], body: bytes) -> tuple[Any, list[int]]:
    """Upload, then poll the job to its end; returns the job and the chunks_done values seen."""
    response = client.post("/upload-sales", headers=headers, files={"file": ("sales.csv", body, "text/csv")})
    assert response.status_code == 202, response.text
    job_id = response.json()["job_id"]
    seen: list[int] = []
    deadline = time.monotonic() + 300
    while True:
        job = client.get(f"/jobs/{job_id}", headers=headers).json()
        stage = job["stages"]["forecasting"]
        if stage.get("chunks_done") is not None:
            seen.append(stage["chunks_done"])
            assert stage["progress"] == pytest.approx(
                stage["chunks_done"] / max(stage["chunks_total"], 1), abs=1e-3
            )
        if job["status"] in ("succeeded", "failed"):
            return job, seen
        assert time.monotonic() < deadline, f"job still {job['status']}: {job['stages']}"
        time.sleep(0.2)


def test_two_workers_share_the_chunks_and_a_second_upload_refits_only_its_store(
    platform: Any, chunked_workers: list[str]
) -> None:
    offsets = {name: len(platform.logs(name)) for name in chunked_workers}
    # 3 stores x 6 skus: each store has more than 5 series, so each is split in two by sku hash.
    sales = generate_sales(n_stores=3, n_skus=6, days=150, n_customers=80, seed=5)
    with httpx.Client(base_url=platform.base_url, timeout=120) as client:
        headers = _account(client)
        job, seen = _upload_and_watch(client, headers, sales.to_csv(index=False).encode())
        assert job["status"] == "succeeded", job["stages"]
        stage = job["stages"]["forecasting"]
        assert (stage["chunks_total"], stage["chunks_done"], stage["progress"]) == (6, 6, 1.0)
        assert (stage["series_refit"], stage["series_kept"]) == (18, 0)
        assert seen == sorted(seen)  # progress only moves forward
        assert job["stages"]["inventory"]["status"] == "succeeded"
        page = client.get("/forecast", params={"limit": 100}, headers=headers).json()
        assert page["total"] == 18
        assert {(i["store"], i["sku"]) for i in page["items"]} == set(
            zip(sales["store"], sales["sku"], strict=True)
        )
        received = {
            name: re.findall(
                r"Task forecasting\.chunk\[[0-9a-f-]+\] received", platform.logs(name)[offsets[name] :]
            )
            for name in chunked_workers
        }
        assert sum(len(r) for r in received.values()) >= 6
        assert all(received.values()), {name: len(r) for name, r in received.items()}

        # Upload B corrects store S02 only (same keys, same dates): S02's two chunks run, the rest stays.
        before = {(i["store"], i["sku"]): i for i in page["items"]}
        changed = sales[sales["store"] == "S02"].copy()
        changed["quantity"] = changed["quantity"].where(changed["quantity"] < 0, changed["quantity"] + 2)
        job, _ = _upload_and_watch(client, headers, changed.to_csv(index=False).encode())
        assert job["status"] == "succeeded", job["stages"]
        stage = job["stages"]["forecasting"]
        assert (stage["chunks_total"], stage["series_refit"], stage["series_kept"]) == (2, 6, 12)
        after = {
            (i["store"], i["sku"]): i
            for i in client.get("/forecast", params={"limit": 100}, headers=headers).json()["items"]
        }
        assert set(after) == set(before)
        # The other stores keep their fit (model, backtest accuracy); their points may move only by
        # the reconciliation of the whole hierarchy, which S02's new numbers enter.
        kept = ("model", "accuracy", "frequency")
        assert all(
            {k: after[key][k] for k in kept} == {k: before[key][k] for k in kept}
            for key in after
            if key[0] != "S02"
        )
        assert any(after[key]["points"] != before[key]["points"] for key in after if key[0] == "S02")
