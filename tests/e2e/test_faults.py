"""Faults on the real platform: a worker killed mid-task, PostgreSQL and Redis restarted, a service down.

Every test shares the session's one platform and restores whatever it stops, so the tests after it
(in this file and others) still find every process and server running.
"""

from __future__ import annotations

import os
import re
import signal
import threading
import time
import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pandas as pd
import psutil
import psycopg
import pytest

from common.demo import generate_sales

pytestmark = pytest.mark.e2e
RESULT_READS = (
    "/forecast?limit=100",
    "/pricing-suggestions?limit=100",
    "/inventory-recommendations?limit=100",
    "/customer-segments",
    "/sales/timeseries?freq=W",
)


def _account(base_url: str) -> dict[str, str]:
    email = f"faults-{uuid.uuid4().hex[:10]}@shop.example"
    registered = httpx.post(
        f"{base_url}/auth/register",
        json={"email": email, "password": "password-123", "name": "Faults"},
        timeout=30,
    )
    assert registered.status_code == 201, registered.text
    return _login(base_url, email)


def _login(base_url: str, email: str) -> dict[str, str]:
    """Fresh bearer headers (access tokens live 15 minutes; a whole session runs longer)."""
    tokens = httpx.post(
        f"{base_url}/auth/login", json={"email": email, "password": "password-123"}, timeout=30
    ).json()
    return {"Authorization": f"Bearer {tokens['access_token']}"}


def _email(base_url: str, headers: dict[str, str]) -> str:
    return str(httpx.get(f"{base_url}/auth/me", headers=headers, timeout=30).json()["email"])


def _upload(
    base_url: str, headers: dict[str, str], body: bytes, timeout_s: float = 300, job_id: str | None = None
) -> httpx.Response:
    params = {"job_id": job_id} if job_id else {}
    with httpx.Client(base_url=base_url, timeout=timeout_s) as client:
        return client.post(
            "/upload-sales",
            params=params,
            headers=headers,
            files={"file": ("sales.csv", body, "text/csv")},
        )


def _job(base_url: str, headers: dict[str, str], job_id: str) -> Any:
    return httpx.get(f"{base_url}/jobs/{job_id}", headers=headers, timeout=30).json()


def _wait_for_job(base_url: str, headers: dict[str, str], job_id: str, timeout_s: float = 300) -> Any:
    deadline = time.monotonic() + timeout_s
    while True:
        job = _job(base_url, headers, job_id)
        if job["status"] in ("succeeded", "failed"):
            return job
        if time.monotonic() > deadline:
            raise AssertionError(f"job {job_id} still {job['status']} after {timeout_s}s: {job['stages']}")
        time.sleep(0.5)


def _wait_healthy(port: int, timeout_s: float = 90) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/ready", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    raise AssertionError(f"the process on port {port} is not ready after {timeout_s}s")


def _organization(base_url: str, headers: dict[str, str]) -> str:
    return str(httpx.get(f"{base_url}/auth/me", headers=headers, timeout=30).json()["organization_id"])


def _count(database_url: str, sql: str, value: str) -> int:
    with psycopg.connect(database_url) as conn:
        row = conn.execute(sql, (value,)).fetchone()
    assert row is not None
    return int(row[0])


def _sales_rows(database_url: str, organization_id: str) -> int:
    return _count(
        database_url, "SELECT count(*) FROM sales_lines WHERE organization_id = %s", organization_id
    )


def _check_forecast(base_url: str, headers: dict[str, str], sales: pd.DataFrame) -> None:
    """Every series forecast once, 28 ordered quantile points from the day after the data, plausible level."""
    page = httpx.get(f"{base_url}/forecast", params={"limit": 500}, headers=headers, timeout=30).json()
    series = sales.groupby(["store", "sku"]).ngroups
    keys = [(item["store"], item["sku"]) for item in page["items"]]
    assert page["total"] == series and len(keys) == len(set(keys)) == series
    last_date = pd.Timestamp(sales["date"].max())
    for item in page["items"]:
        points = item["points"]
        assert len(points) == 28
        assert pd.Timestamp(points[0]["date"]) == last_date + pd.Timedelta(days=1)
        assert all(0 <= p["p10"] <= p["p50"] <= p["p90"] for p in points)
    # The forecast level agrees with the last 8 weeks of history, across all series together.
    dates = pd.to_datetime(sales["date"])
    recent_daily = sales.loc[dates > last_date - pd.Timedelta(days=56), "quantity"].sum() / 56
    forecast_daily = sum(p["p50"] for item in page["items"] for p in item["points"]) / 28
    assert 0.6 * recent_daily < forecast_daily < 1.4 * recent_daily


@pytest.fixture(scope="module")
def retailer(platform: Any) -> dict[str, Any]:
    """A retailer whose upload went through every engine: results to read while things fail."""
    sales = generate_sales(n_stores=2, n_skus=6, days=240, n_customers=120, seed=23)
    headers = _account(platform.base_url)
    response = _upload(platform.base_url, headers, sales.to_csv(index=False).encode())
    assert response.status_code == 202, response.text
    job = _wait_for_job(platform.base_url, headers, response.json()["job_id"])
    assert job["status"] == "succeeded", job
    return {"email": _email(platform.base_url, headers), "sales": sales}


def test_gateway_answers_503_while_a_service_is_down_and_200_once_it_is_back(
    platform: Any, retailer: dict[str, Any]
) -> None:
    headers = _login(platform.base_url, retailer["email"])
    platform.stop("forecasting")
    try:
        # A query never read before: no cached answer, so the gateway must reach the service.
        with httpx.Client(base_url=platform.base_url, headers=headers, timeout=10) as client:
            down = client.get("/forecast", params={"limit": 7, "store": "S02"})
        assert down.status_code == 503, down.text
        assert "forecasting" in down.json()["detail"] and int(down.headers["Retry-After"]) > 0
    finally:
        platform.start("forecasting")
        _wait_healthy(platform.ports["forecasting"])
    with httpx.Client(base_url=platform.base_url, headers=headers, timeout=30) as client:
        back = client.get("/forecast", params={"limit": 7, "store": "S02"})
    assert back.status_code == 200 and back.json()["total"] == 6


def test_forecasting_worker_killed_mid_task_redelivers_and_the_job_succeeds(
    platform: Any, holds: Any
) -> None:
    sales = generate_sales(n_stores=3, n_skus=20, days=365, n_customers=200, seed=31)
    headers = _account(platform.base_url)
    log_offset = len(platform.logs("forecasting-worker"))
    # The job is named up front, so the forecasting task is parked (running, unacknowledged)
    # at its hold point whenever it starts, however fast the machine.
    job_id = str(uuid.uuid4())
    holds.hold("forecasting.run", job_id)
    response = _upload(platform.base_url, headers, sales.to_csv(index=False).encode(), job_id=job_id)
    assert response.status_code == 202, response.text
    assert response.json()["job_id"] == job_id
    pid = holds.wait_held("forecasting.run", job_id)
    worker = psutil.Process(platform.processes["forecasting-worker"].pid)
    (pool_process,) = worker.children()  # prefork with concurrency 1: one pool process
    assert pool_process.pid == pid
    assert _job(platform.base_url, headers, job_id)["stages"]["forecasting"]["status"] == "running"
    os.kill(pid, signal.SIGKILL)
    holds.release("forecasting.run", job_id)  # the redelivered task runs through

    job = _wait_for_job(platform.base_url, headers, job_id)
    assert job["status"] == "succeeded", job["stages"]
    assert all(stage["status"] == "succeeded" for stage in job["stages"].values()), job["stages"]
    log = platform.logs("forecasting-worker")[log_offset:]
    assert "SIGKILL" in log, log[-3000:]
    # The same message was delivered again after the kill (acks late + reject on worker lost).
    received = re.findall(r"Task forecasting\.run\[([0-9a-f-]+)\] received", log)
    assert any(received.count(task_id) >= 2 for task_id in received), log[-3000:]
    assert worker.is_running() and len(worker.children()) == 1  # the pool replaced its process
    _check_forecast(platform.base_url, headers, sales)


@pytest.fixture
def embedded(servers: Any) -> Any:
    """The embedded servers, which the fault tests can stop and start (skip with external ones)."""
    if servers.embedded is None:
        pytest.skip("PostgreSQL and Redis are external (TEST_DATABASE_URL / containers): cannot restart them")
    return servers.embedded


def test_postgres_restart_during_an_upload_fails_it_cleanly_and_it_is_retryable(
    platform: Any, servers: Any, embedded: Any, holds: Any
) -> None:
    if not embedded.runs_postgres:
        pytest.skip("PostgreSQL is external: cannot restart it")
    # The upload is parked at its hold point with its COPY into staging open, so the restart lands
    # in the middle of it whatever the machine's speed. Few series keep the engines after it quick.
    sales = generate_sales(n_stores=1, n_skus=2, days=365, n_customers=100, seed=41)
    body = sales.to_csv(index=False).encode()
    headers = _account(platform.base_url)
    organization_id = _organization(platform.base_url, headers)
    job_id = str(uuid.uuid4())
    outcome: dict[str, httpx.Response | BaseException] = {}

    def upload() -> None:
        try:
            # Generous, but far below the gateway's 5-minute upstream timeout: a hang is a failure.
            outcome["response"] = _upload(platform.base_url, headers, body, timeout_s=120, job_id=job_id)
        except BaseException as exc:  # reported by the assertions below
            outcome["response"] = exc

    holds.hold("ingest.staging", job_id)
    uploader = threading.Thread(target=upload)
    uploader.start()
    holds.wait_held("ingest.staging", job_id)
    with embedded.postgres_down():
        time.sleep(1.0)  # how long the server stays down
    holds.release("ingest.staging", job_id)
    uploader.join(timeout=180)
    response = outcome["response"]
    assert isinstance(response, httpx.Response), f"the upload hung up instead of answering: {response!r}"
    _wait_healthy(platform.ports["ingest"])

    # A clean failure: an error answer, the job marked failed, and nothing stored. The reaper is
    # the backstop that fails an upload whose request died (stall time + one sweep).
    assert response.status_code == 503 and response.json()["detail"], response.text
    job = _wait_for_job(platform.base_url, headers, job_id, timeout_s=300)
    assert job["status"] == "failed" and job["error"], (response.status_code, job)
    assert _sales_rows(servers.database_url, organization_id) == 0
    assert _count(servers.database_url, "SELECT count(*) FROM staged_sales WHERE job_id = %s", job_id) == 0
    # ... and retryable: the same file again is accepted (not answered with the failed job) and stored.
    retry = _upload(platform.base_url, headers, body)
    assert retry.status_code == 202, retry.text
    assert retry.json()["job_id"] != job_id
    job = _wait_for_job(platform.base_url, headers, retry.json()["job_id"])
    assert job["status"] == "succeeded", job
    assert _sales_rows(servers.database_url, organization_id) == len(sales)


@pytest.fixture
def redis_restored(embedded: Any) -> Iterator[Any]:
    """The embedded servers, for a test that stops Redis (skips when Redis is external)."""
    if not embedded.runs_redis:
        pytest.skip("Redis is external: cannot restart it")
    yield embedded


def test_redis_restart_mid_pipeline_reads_fall_back_and_queued_work_resumes_or_fails_visibly(
    platform: Any, retailer: dict[str, Any], redis_restored: Any, holds: Any
) -> None:
    headers = _login(platform.base_url, retailer["email"])
    with httpx.Client(base_url=platform.base_url, headers=headers, timeout=30) as client:
        before = {path: client.get(path).json() for path in RESULT_READS}
    # New products of the same retailer start a pipeline; Redis goes down while it runs.
    more = generate_sales(n_stores=2, n_skus=6, days=240, n_customers=120, seed=24)
    more["sku"] = "NEW-" + more["sku"]
    # Parked in its forecasting task when Redis goes down, whatever the machine's speed (the hold
    # lets go when it cannot reach Redis: the task then runs on without its broker).
    job_id = str(uuid.uuid4())
    holds.hold("forecasting.run", job_id)
    response = _upload(platform.base_url, headers, more.to_csv(index=False).encode(), job_id=job_id)
    assert response.status_code == 202, response.text
    holds.wait_held("forecasting.run", job_id)

    with (
        redis_restored.redis_down(),
        httpx.Client(base_url=platform.base_url, headers=headers, timeout=30) as client,
    ):
        # Reads still answer, from PostgreSQL: the cache and the rate limiter are down.
        for path in RESULT_READS:
            answer = client.get(path)
            assert answer.status_code == 200, (path, answer.text)
            if path.startswith("/sales"):
                continue  # the new upload is merged: sales changed, by design
            assert answer.json().keys() == before[path].keys()
        assert client.get(f"/jobs/{job_id}").status_code == 200
        time.sleep(2.0)  # the workers notice the broker is gone

    for name in ("gateway", "ingest", "forecasting", "segmentation", "pricing", "inventory"):
        _wait_healthy(platform.ports[name])
    # The pipeline resumes (or fails with a reason a person can read): never stuck as running.
    job = _wait_for_job(platform.base_url, headers, job_id, timeout_s=420)
    if job["status"] == "failed":
        failed = {name: stage for name, stage in job["stages"].items() if stage["status"] == "failed"}
        assert failed and all(stage["error"] for stage in failed.values()), job["stages"]
    else:
        assert all(stage["status"] in ("succeeded", "skipped") for stage in job["stages"].values())
        _check_forecast(platform.base_url, headers, pd.concat([retailer["sales"], more]))
