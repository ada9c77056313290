"""End to end: the real processes, an upload through the gateway, results from all four engines."""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

import httpx
import pandas as pd
import psycopg
import pytest

from common.background import autogroups_enabled
from common.demo import generate_sales

pytestmark = pytest.mark.e2e


def _account(base_url: str, email: str) -> dict[str, str]:
    with httpx.Client(base_url=base_url, timeout=30) as client:
        assert (
            client.post(
                "/auth/register",
                json={"email": email, "password": "password-123", "name": email.split("@")[0]},
            ).status_code
            == 201
        )
        tokens = client.post("/auth/login", json={"email": email, "password": "password-123"}).json()
    return {"Authorization": f"Bearer {tokens['access_token']}"}


def _wait_for_job(client: httpx.Client, job_id: str, headers: dict[str, str], timeout_s: float = 240) -> Any:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        job = client.get(f"/jobs/{job_id}", headers=headers).json()
        if job["status"] in ("succeeded", "failed"):
            return job
        time.sleep(0.5)
    raise AssertionError(f"job {job_id} still {job['status']} after {timeout_s}s: {job['stages']}")


@pytest.fixture(scope="module")
def uploaded(platform: Any, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """One retailer's upload, processed by every engine."""
    sales = generate_sales(n_stores=2, n_skus=8, days=300, n_customers=150, seed=11)
    path = Path(tmp_path_factory.mktemp("upload")) / "sales.csv"
    sales.to_csv(path, index=False)
    headers = _account(platform.base_url, "retailer-a@shop.example")
    with httpx.Client(base_url=platform.base_url, timeout=120) as client:
        with open(path, "rb") as handle:
            response = client.post(
                "/upload-sales", headers=headers, files={"file": ("sales.csv", handle, "text/csv")}
            )
        assert response.status_code == 202, response.text
        job = _wait_for_job(client, response.json()["job_id"], headers)
    return {"sales": sales, "headers": headers, "job": job, "base_url": platform.base_url}


def test_every_stage_succeeds_and_counts_match(uploaded: dict[str, Any]) -> None:
    job, sales = uploaded["job"], uploaded["sales"]
    assert job["status"] == "succeeded", job
    assert {name: stage["status"] for name, stage in job["stages"].items()} == {
        "ingest": "succeeded",
        "forecasting": "succeeded",
        "segmentation": "succeeded",
        "pricing": "succeeded",
        "inventory": "succeeded",
    }
    assert job["rows_accepted"] == len(sales) and job["rows_rejected"] == 0
    assert job["rows_new"] == len(sales)


def test_forecast_covers_every_series_with_ordered_quantiles(uploaded: dict[str, Any]) -> None:
    sales = uploaded["sales"]
    with httpx.Client(base_url=uploaded["base_url"], headers=uploaded["headers"]) as client:
        page = client.get("/forecast", params={"limit": 100}).json()
        one = client.get("/forecast", params={"store": "S01", "sku": "SKU001"}).json()
    assert page["total"] == sales.groupby(["store", "sku"]).ngroups == 16
    last_date = pd.Timestamp(sales["date"].max())
    for item in page["items"]:
        assert item["model"] and item["frequency"] == "D"
        assert set(item["accuracy"]) == {"wape", "mase", "bias", "coverage_80"}
        points = item["points"]
        assert len(points) == 28
        assert pd.Timestamp(points[0]["date"]) == last_date + pd.Timedelta(days=1)
        assert all(0 <= p["p10"] <= p["p50"] <= p["p90"] for p in points)
    # The forecast is in the range the history says: last 8 weeks' daily mean, give or take half.
    history = sales[(sales.store == "S01") & (sales.sku == "SKU001")].copy()
    history["date"] = pd.to_datetime(history["date"])
    recent = history[history["date"] > last_date - pd.Timedelta(days=56)]["quantity"].sum() / 56
    forecast_mean = sum(p["p50"] for p in one["items"][0]["points"]) / 28
    assert 0.5 * recent < forecast_mean < 1.5 * recent
    assert all("drivers" not in p for item in page["items"] for p in item["points"])


def test_drivers_are_served_on_request_and_sum_to_p50(uploaded: dict[str, Any]) -> None:
    with httpx.Client(base_url=uploaded["base_url"], headers=uploaded["headers"]) as client:
        plain = client.get("/forecast", params={"limit": 100}).json()
        explained = client.get("/forecast", params={"limit": 100, "drivers": "true"}).json()
    families = {"base", "seasonality", "price", "promotion", "events", "substitutes"}
    assert explained["total"] == plain["total"] == 16
    for item, same in zip(explained["items"], plain["items"], strict=True):
        for point, bare in zip(item["points"], same["points"], strict=True):
            drivers = point.pop("drivers")
            assert point == bare  # the rest of the contract is unchanged
            assert set(drivers) == families
            assert abs(sum(drivers.values()) - point["p50"]) <= 1e-6 * max(abs(point["p50"]), 1e-3)


def test_inventory_pricing_and_segments_are_consistent_with_the_data(uploaded: dict[str, Any]) -> None:
    sales = uploaded["sales"]
    with httpx.Client(base_url=uploaded["base_url"], headers=uploaded["headers"]) as client:
        inventory = client.get("/inventory-recommendations", params={"limit": 100}).json()
        pricing = client.get("/pricing-suggestions", params={"limit": 100}).json()
        segments = client.get("/customer-segments").json()
    series = set(map(tuple, sales[["store", "sku"]].drop_duplicates().to_numpy()))
    assert {(i["store"], i["sku"]) for i in inventory["items"]} == series
    for item in inventory["items"]:
        assert item["reorder_point"] >= item["safety_stock"] >= 0
        assert item["on_hand"] is None and item["order_quantity"] is None  # no stock data uploaded
        assert "on-hand" in item["explanation"].lower()
    assert {(i["store"], i["sku"]) for i in pricing["items"]} == series
    last_price = sales.sort_values("date").groupby(["store", "sku"])["unit_price"].last()
    for item in pricing["items"]:
        assert item["elasticity"] is not None and item["explanation"]
        if item["suggested_price"] is not None:
            # At most a 10% move per step (the default guardrail), from the current price.
            assert abs(item["suggested_price"] / item["current_price"] - 1) <= 0.10 + 1e-9
        assert item["current_price"] == pytest.approx(last_price[(item["store"], item["sku"])], rel=0.25)
    customers = sales.loc[sales["quantity"] > 0, "customer_id"].nunique()
    assert segments["total_customers"] == customers
    assert sum(s["customers"] for s in segments["segments"]) == customers
    assert sum(s["revenue_share"] for s in segments["segments"]) == pytest.approx(1.0, abs=1e-6)
    assert all(s["name"] and s["action"] for s in segments["segments"])


def test_another_retailer_sees_nothing_and_bad_tokens_are_refused(uploaded: dict[str, Any]) -> None:
    other = _account(uploaded["base_url"], "retailer-b@shop.example")
    job_id = uploaded["job"]["id"]
    with httpx.Client(base_url=uploaded["base_url"]) as client:
        assert client.get(f"/jobs/{job_id}", headers=other).status_code == 404
        assert client.get("/forecast", headers=other).json() == {"items": [], "total": 0}
        assert client.get("/inventory-recommendations", headers=other).json()["total"] == 0
        assert client.get("/pricing-suggestions", headers=other).json()["total"] == 0
        assert client.get("/customer-segments", headers=other).json()["total_customers"] == 0
        for headers in (
            {},
            {"Authorization": "Bearer not-a-token"},
            {"Authorization": uploaded["headers"]["Authorization"] + "x"},
        ):
            assert client.get("/forecast", headers=headers).status_code == 401
            assert (
                client.post("/upload-sales", headers=headers, files={"file": ("a.csv", b"a,b\n")}).status_code
                == 401
            )


def test_bad_upload_through_the_gateway_names_the_row(uploaded: dict[str, Any]) -> None:
    body = b"date,store,sku,quantity,unit_price\n2024-01-02,S1,A,1,2\n2024-01-02,S1,A,1,abc\n"
    with httpx.Client(base_url=uploaded["base_url"], headers=uploaded["headers"]) as client:
        response = client.post("/upload-sales", files={"file": ("bad.csv", body, "text/csv")})
        assert response.status_code == 422
        assert response.json()["errors"][0]["row"] == 3
        assert "row 3: 'unit_price' is 'abc', expected a number" in response.json()["detail"]
        # Nothing from the bad file reached the sales history.
        assert client.get("/sales/timeseries", params={"store": "S1"}).json()["points"] == []


def test_every_service_answers_health_and_openapi(platform: Any) -> None:
    for name, port in platform.ports.items():
        assert httpx.get(f"http://127.0.0.1:{port}/health").json()["status"] == "ok", name
        assert httpx.get(f"http://127.0.0.1:{port}/ready").status_code == 200, name
    schema = httpx.get(f"{platform.base_url}/openapi.json", timeout=10).json()
    for path in (
        "/upload-sales",
        "/forecast",
        "/inventory-recommendations",
        "/pricing-suggestions",
        "/customer-segments",
        "/auth/login",
        "/jobs/{job_id}",
    ):
        assert path in schema["paths"], path


def test_result_reads_are_served_from_the_cache_until_new_results_land(uploaded: dict[str, Any]) -> None:
    with httpx.Client(base_url=uploaded["base_url"], headers=uploaded["headers"], timeout=60) as client:
        first = client.get("/pricing-suggestions", params={"limit": 5})
        second = client.get("/pricing-suggestions", params={"limit": 5})
        assert second.headers.get("x-cache") == "hit"
        assert second.json() == first.json()
        assert client.get("/jobs").headers.get("x-cache") is None  # live progress is never cached
        # New results (a re-upload with one more day) bump the version: the next read is fresh.
        extra = (
            uploaded["sales"].tail(3).assign(date=str(pd.Timestamp(uploaded["sales"]["date"].max()).date()))
        )
        body = pd.concat([uploaded["sales"], extra.assign(transaction_id="T-extra")]).to_csv(index=False)
        response = client.post("/upload-sales", files={"file": ("more.csv", body.encode(), "text/csv")})
        assert response.status_code == 202, response.text
        job = _wait_for_job(client, response.json()["job_id"], uploaded["headers"])
        assert (
            job["status"] == "succeeded"
            and job["rows_new"] == 3
            and job["rows_unchanged"] == len(uploaded["sales"])
        )
        third = client.get("/pricing-suggestions", params={"limit": 5})
        assert third.headers.get("x-cache") == "miss"


def test_each_process_names_its_database_connections(uploaded: dict[str, Any], platform: Any) -> None:
    with psycopg.connect(platform.env["DATABASE_URL"]) as conn:
        names = {row[0] for row in conn.execute("SELECT application_name FROM pg_stat_activity").fetchall()}
    # The HTTP services and the workers that ran the upload's stages hold named pooled connections.
    assert {"ingest", "forecasting-worker", "inventory-worker"} <= names, names


def test_a_running_task_logs_reach_the_worker_log(uploaded: dict[str, Any], platform: Any) -> None:
    # Logged inside the Celery pool process that ran the merge (whose sys.stderr is Celery's proxy):
    # the line says where the merge spent its time.
    lines = [line for line in platform.logs("ingest-worker").splitlines() if "merge of job" in line]
    assert any(str(uploaded["job"]["id"]) in line and "insert=" in line for line in lines), lines


def test_workers_run_at_background_priority_and_services_do_not(platform: Any) -> None:
    if not hasattr(os, "SCHED_IDLE"):
        pytest.skip("scheduling policies are Linux-only")
    for name, process in platform.processes.items():
        background = name.endswith("-worker") or name == "scheduler"
        assert (os.sched_getscheduler(process.pid) == os.SCHED_IDLE) is background, name
        if autogroups_enabled():
            nice = Path(f"/proc/{process.pid}/autogroup").read_text().split()[-1]
            assert (nice == "19") is background, (name, nice)
