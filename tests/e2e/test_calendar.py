"""End to end: the calendar through the gateway, and a stores upload re-running the engines in the workers."""

from __future__ import annotations

import time
import uuid
from typing import Any

import httpx
import pandas as pd
import pytest

from common.demo import generate_sales

pytestmark = pytest.mark.e2e


def _owner(client: httpx.Client) -> dict[str, str]:
    email = f"calendar-{uuid.uuid4().hex[:10]}@shop.example"
    registered = client.post(
        "/auth/register", json={"email": email, "password": "password-123", "name": "Cal"}
    )
    assert registered.status_code == 201, registered.text
    tokens = client.post("/auth/login", json={"email": email, "password": "password-123"}).json()
    return {"Authorization": f"Bearer {tokens['access_token']}"}


def _finished(client: httpx.Client, job_id: str, headers: dict[str, str], timeout_s: float = 300) -> Any:
    deadline = time.monotonic() + timeout_s
    while True:
        job = client.get(f"/jobs/{job_id}", headers=headers).json()
        if job["status"] in ("succeeded", "failed"):
            return job
        assert time.monotonic() < deadline, f"job {job_id} still {job['status']}: {job['stages']}"
        time.sleep(0.5)


def test_a_stores_upload_reruns_forecasting_pricing_and_inventory_and_events_follow_the_store(
    platform: Any,
) -> None:
    sales = generate_sales(n_stores=2, n_skus=3, days=120, n_customers=20, seed=3)
    with httpx.Client(base_url=platform.base_url, timeout=120) as client:
        headers = _owner(client)
        files = {"file": ("sales.csv", sales.to_csv(index=False).encode(), "text/csv")}
        uploaded = client.post("/upload-sales", headers=headers, files=files)
        assert uploaded.status_code == 202, uploaded.text
        assert _finished(client, uploaded.json()["job_id"], headers)["status"] == "succeeded"
        store = str(sales["store"].iloc[0])
        stores = (
            f"store,country,subdivision,opened_on\n{store},DE,BY,{pd.Timestamp(sales['date'].min()).date()}\n"
        )
        response = client.post(
            "/upload-stores", headers=headers, files={"file": ("stores.csv", stores.encode(), "text/csv")}
        )
        assert response.status_code == 202, response.text
        job = _finished(client, response.json()["job_id"], headers)
        assert job["kind"] == "stores" and job["status"] == "succeeded", job
        assert {name: stage["status"] for name, stage in job["stages"].items()} == {
            "ingest": "succeeded",
            "forecasting": "succeeded",
            "segmentation": "skipped",
            "pricing": "succeeded",
            "inventory": "succeeded",
        }
        listed = client.get("/stores", headers=headers).json()
        assert {s["store"]: s["subdivision"] for s in listed["items"]}[store] == "BY"
        events = client.get("/events", headers=headers, params={"store": store, "limit": 1000}).json()
        assert events["total"] > 0 and {e["country"] for e in events["items"]} == {"DE"}
        forecast_end = max(
            p["date"]
            for item in client.get("/forecast", headers=headers).json()["items"]
            for p in item["points"]
        )
        # The default window reaches the forecast's last day, no further.
        assert max(e["start"] for e in events["items"]) <= forecast_end
