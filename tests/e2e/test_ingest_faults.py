"""A killed ingest leaves nothing behind: the HTTP process mid-upload, the worker mid-merge."""

from __future__ import annotations

import gzip
import os
import signal
import threading
import time
import uuid
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import pandas as pd
import pytest
from sqlalchemy import text

from common.db import sync_session

pytestmark = [pytest.mark.e2e, pytest.mark.slow]


def _sales_file(path: Path, rows: int, seed: int) -> Path:
    """A gzipped receipt-line export: few series (cheap for the engines), many lines."""
    rng = np.random.default_rng(seed)
    receipt = np.repeat(np.arange(rows), 3)[:rows]
    day = np.sort(rng.integers(0, 600, size=rows))
    frame = pd.DataFrame(
        {
            "receipt_no": np.char.add("R", receipt.astype(str)),
            "date": (np.datetime64("2023-01-01") + day).astype(str),
            "store": np.char.add("S", rng.integers(1, 3, size=rows).astype(str)),
            "sku": np.char.add("P", rng.integers(1, 11, size=rows).astype(str)),
            "qty": rng.integers(1, 4, size=rows),
            "unit_price": np.round(rng.uniform(1, 9, size=rows), 2),
            "customer_id": rng.integers(1000, 3000, size=rows),
        }
    )
    with gzip.open(path, "wt", compresslevel=1) as handle:
        frame.to_csv(handle, index=False)
    return path


def _account(base_url: str) -> tuple[dict[str, str], str]:
    """A new retailer: its bearer headers and organization id."""
    email = f"faults-{uuid.uuid4().hex[:8]}@shop.example"
    with httpx.Client(base_url=base_url, timeout=30) as client:
        created = client.post(
            "/auth/register", json={"email": email, "password": "password-123", "name": "Faults"}
        )
        tokens = client.post("/auth/login", json={"email": email, "password": "password-123"}).json()
    return {"Authorization": f"Bearer {tokens['access_token']}"}, created.json()["organization_id"]


def _count(sql: str, **params: Any) -> int:
    with sync_session() as session:
        return int(session.execute(text(sql), params).scalar_one())


def _upload_in_background(base_url: str, headers: dict[str, str], path: Path, job_id: str) -> dict[str, Any]:
    outcome: dict[str, Any] = {}

    def post() -> None:
        try:
            with httpx.Client(base_url=base_url, timeout=600) as client, open(path, "rb") as handle:
                outcome["response"] = client.post(
                    "/upload-sales",
                    params={"job_id": job_id},
                    headers=headers,
                    files={"file": (path.name, handle, "application/gzip")},
                )
        except httpx.HTTPError as exc:
            outcome["error"] = exc

    thread = threading.Thread(target=post, daemon=True)
    thread.start()
    outcome["thread"] = thread
    return outcome


def _ingest_stage(base_url: str, headers: dict[str, str], job_id: str) -> dict[str, Any] | None:
    response = httpx.get(f"{base_url}/jobs/{job_id}", headers=headers, timeout=30)
    return response.json()["stages"]["ingest"] if response.status_code == 200 else None


def _wait_for(predicate: Any, timeout_s: float, what: str) -> Any:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


def _health(platform: Any, name: str) -> bool:
    try:
        return httpx.get(f"http://127.0.0.1:{platform.ports[name]}/health", timeout=1).status_code == 200
    except httpx.HTTPError:
        return False


def test_killing_the_ingest_service_mid_upload_stores_nothing_and_a_retry_succeeds(
    platform: Any, holds: Any, tmp_path: Path
) -> None:
    rows = 300_000
    path = _sales_file(tmp_path / "big.csv.gz", rows, seed=1)
    headers, org = _account(platform.base_url)
    staged_before = _count("SELECT count(*) FROM staged_sales")
    job_id = str(uuid.uuid4())
    # Killed while the rows are being validated and COPYed into staging: parked at the hold point
    # after a first chunk went into the COPY, whatever the machine's speed.
    holds.hold("ingest.staging", job_id)
    upload = _upload_in_background(platform.base_url, headers, path, job_id)
    holds.wait_held("ingest.staging", job_id)
    platform.stop("ingest", signal.SIGKILL)
    holds.release("ingest.staging", job_id)
    try:
        # The staging transaction never committed (it would have set the progress to 0.5 with it).
        with sync_session() as session:
            stages = session.execute(
                text("SELECT stages FROM upload_jobs WHERE id = :j"), {"j": job_id}
            ).scalar_one()
        assert stages["ingest"]["status"] == "running" and stages["ingest"]["progress"] < 0.5
        upload["thread"].join(timeout=60)
        assert "error" in upload or upload["response"].status_code >= 500
        # PostgreSQL rolled the staging transaction back with the lost connection.
        _wait_for(
            lambda: _count("SELECT count(*) FROM staged_sales") == staged_before, 30, "staging to be clean"
        )
        assert _count("SELECT count(*) FROM sales_lines WHERE organization_id = :o", o=org) == 0
    finally:
        # Restored whatever happens: the tests after this one need the ingest service.
        platform.start("ingest")
        _wait_for(lambda: _health(platform, "ingest"), 120, "ingest to restart")
    retry_id = str(uuid.uuid4())
    retry = _upload_in_background(platform.base_url, headers, path, retry_id)
    retry["thread"].join(timeout=300)
    assert retry["response"].status_code == 202, retry["response"].text  # not taken for a duplicate
    _wait_for(
        lambda: (_ingest_stage(platform.base_url, headers, retry_id) or {}).get("status") == "succeeded",
        300,
        "the retried upload to be merged",
    )
    assert _count("SELECT count(*) FROM sales_lines WHERE organization_id = :o", o=org) == rows
    assert _count("SELECT count(*) FROM staged_sales WHERE job_id = :j", j=job_id) == 0


def test_killing_the_worker_mid_merge_redelivers_and_merges_exactly_once(
    platform: Any, holds: Any, tmp_path: Path
) -> None:
    rows = 400_000
    path = _sales_file(tmp_path / "merge.csv.gz", rows, seed=2)
    headers, org = _account(platform.base_url)
    job_id = str(uuid.uuid4())
    # The merge task is parked at its hold point with the merge done but not committed.
    holds.hold("ingest.merge.uncommitted", job_id)
    upload = _upload_in_background(platform.base_url, headers, path, job_id)
    upload["thread"].join(timeout=300)
    assert upload["response"].status_code == 202, upload["response"].text
    pid = holds.wait_held("ingest.merge.uncommitted", job_id)
    stage = _ingest_stage(platform.base_url, headers, job_id)
    assert stage is not None and stage["status"] == "running", stage
    worker = platform.processes["ingest-worker"]
    children = Path(f"/proc/{worker.pid}/task/{worker.pid}/children").read_text().split()
    assert str(pid) in children, (children, pid)  # a Celery pool process runs the merge
    os.kill(pid, signal.SIGKILL)
    holds.release("ingest.merge.uncommitted", job_id)
    # acks_late + reject_on_worker_lost: the broker redelivers; the new attempt waits for the dead
    # one's transaction to roll back (advisory lock), then merges once.
    _wait_for(
        lambda: (_ingest_stage(platform.base_url, headers, job_id) or {}).get("status") == "succeeded",
        300,
        "the redelivered merge to finish",
    )
    assert "WorkerLostError" in platform.logs("ingest-worker") or "exited with" in platform.logs(
        "ingest-worker"
    )
    job = httpx.get(f"{platform.base_url}/jobs/{job_id}", headers=headers, timeout=30).json()
    assert (job["rows_new"], job["rows_updated"], job["rows_unchanged"]) == (rows, 0, 0)
    assert _count("SELECT count(*) FROM sales_lines WHERE organization_id = :o", o=org) == rows
    assert _count("SELECT count(*) FROM staged_sales WHERE job_id = :j", j=job_id) == 0


def test_the_upload_connection_dropped_mid_copy_answers_503_stores_nothing_and_a_retry_succeeds(
    platform: Any, holds: Any, tmp_path: Path
) -> None:
    rows = 300_000
    path = _sales_file(tmp_path / "dropped.csv.gz", rows, seed=3)
    headers, org = _account(platform.base_url)
    job_id = str(uuid.uuid4())
    holds.hold("ingest.staging", job_id)
    upload = _upload_in_background(platform.base_url, headers, path, job_id)
    holds.wait_held("ingest.staging", job_id)
    # What a restart of PostgreSQL does to the upload's own connection, and only to it: the COPY
    # is open (parked at the hold point) while its backend is terminated.
    copying = (
        "SELECT pid FROM pg_stat_activity WHERE query LIKE 'COPY \"staged_sales\"%' AND state = 'active'"
    )
    pid = _count(f"SELECT COALESCE(({copying} LIMIT 1), 0)")
    assert pid, "no COPY into staging is open while the upload is parked"
    assert _count("SELECT pg_terminate_backend(:p)::int", p=pid) == 1
    holds.release("ingest.staging", job_id)
    upload["thread"].join(timeout=120)
    assert not upload["thread"].is_alive(), "the upload request hung after its connection was dropped"
    response = upload["response"]
    assert response.status_code == 503, response.text
    assert "upload the file again" in response.json()["detail"]
    stage = _wait_for(
        lambda: (s := _ingest_stage(platform.base_url, headers, job_id)) and s["status"] == "failed" and s,
        60,
        "the job to be failed",
    )
    assert "upload the file again" in stage["error"]
    assert _count("SELECT count(*) FROM staged_sales WHERE job_id = :j", j=job_id) == 0
    assert _count("SELECT count(*) FROM sales_lines WHERE organization_id = :o", o=org) == 0
    retry_id = str(uuid.uuid4())
    retry = _upload_in_background(platform.base_url, headers, path, retry_id)
    retry["thread"].join(timeout=300)
    assert retry["response"].status_code == 202, retry["response"].text  # not taken for a duplicate
    _wait_for(
        lambda: (_ingest_stage(platform.base_url, headers, retry_id) or {}).get("status") == "succeeded",
        300,
        "the retried upload to be merged",
    )
    assert _count("SELECT count(*) FROM sales_lines WHERE organization_id = :o", o=org) == rows
