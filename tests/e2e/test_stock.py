"""End to end: stock history through the gateway, the engines re-running on it, and GET /stockouts."""

from __future__ import annotations

import time
from datetime import date, timedelta
from typing import Any

import httpx
import pytest

from common.demo import generate_sales

pytestmark = pytest.mark.e2e


def _wait_for_job(client: httpx.Client, job_id: str, headers: dict[str, str], timeout_s: float = 300) -> Any:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        job = client.get(f"/jobs/{job_id}", headers=headers).json()
        if job["status"] in ("succeeded", "failed"):
            return job
        time.sleep(0.5)
    raise AssertionError(f"job {job_id} still {job['status']} after {timeout_s}s: {job['stages']}")


def _upload(client: httpx.Client, path: str, headers: dict[str, str], body: str) -> httpx.Response:
    return client.post(path, headers=headers, files={"file": ("f.csv", body.encode(), "text/csv")})


@pytest.fixture(scope="module")
def shop(platform: Any) -> dict[str, Any]:
    """A retailer whose sales every engine has processed."""
    sales = generate_sales(n_stores=1, n_skus=4, days=120, n_customers=30, seed=5)
    with httpx.Client(base_url=platform.base_url, timeout=120) as client:
        email = "stock-keeper@shop.example"
        registered = client.post(
            "/auth/register", json={"email": email, "password": "password-123", "name": "Stock"}
        )
        assert registered.status_code == 201, registered.text
        tokens = client.post("/auth/login", json={"email": email, "password": "password-123"}).json()
        headers = {"Authorization": f"Bearer {tokens['access_token']}"}
        response = _upload(client, "/upload-sales", headers, sales.to_csv(index=False))
        assert response.status_code == 202, response.text
        job = _wait_for_job(client, response.json()["job_id"], headers)
        assert job["status"] == "succeeded", job
    last = date.fromisoformat(str(sales["date"].max()))
    return {"headers": headers, "base_url": platform.base_url, "last": last}


def test_a_stock_upload_reruns_the_engines_and_sets_the_current_stock(shop: dict[str, Any]) -> None:
    headers, last = shop["headers"], shop["last"]
    # SKU001 ran out the day before the last sale and got 7 units back; SKU002 ran out on the last day.
    stock = (
        "Date,Store,SKU,SOH\n"
        f"{last - timedelta(days=2)},S01,SKU001,12\n{last - timedelta(days=1)},S01,SKU001,0\n{last},S01,SKU001,7\n"
        f"{last},S01,SKU002,0\n"
    )
    with httpx.Client(base_url=shop["base_url"], timeout=120) as client:
        preview = _upload(client, "/upload-stock?dry_run=true", headers, stock)
        assert preview.status_code == 200 and preview.json()["mapping"]["on_hand"] == "SOH"
        bad = _upload(client, "/upload-stock", headers, f"date,store,sku,on_hand\n{last},S01,SKU003,-4\n")
        assert bad.status_code == 422
        assert (
            bad.json()["errors"][0]["message"]
            == "row 2: 'on_hand' is '-4', expected units on hand of 0 or more"
        )
        response = _upload(client, "/upload-stock", headers, stock)
        assert response.status_code == 202, response.text
        job = _wait_for_job(client, response.json()["job_id"], headers)
        assert job["status"] == "succeeded", job
        assert {name: stage["status"] for name, stage in job["stages"].items()} == {
            "ingest": "succeeded",
            "forecasting": "succeeded",
            "segmentation": "skipped",
            "pricing": "succeeded",
            "inventory": "succeeded",
        }
        items = client.get("/inventory-recommendations", headers=headers, params={"limit": 50}).json()[
            "items"
        ]
    by_sku = {item["sku"]: item for item in items}
    assert (by_sku["SKU001"]["on_hand"], by_sku["SKU002"]["on_hand"]) == (7.0, 0.0)
    for item in items:
        assert set(item["stockouts"]) == {"count", "lost_units", "lost_revenue"}
        assert item["stockouts"]["count"] >= 0 and item["stockouts"]["lost_units"] >= 0


def test_stockouts_through_the_gateway_need_the_inventory_read_scope(shop: dict[str, Any]) -> None:
    headers = shop["headers"]
    with httpx.Client(base_url=shop["base_url"], timeout=60) as client:
        page = client.get("/stockouts", headers=headers, params={"limit": 5})
        assert page.status_code == 200, page.text
        body = page.json()
        assert set(body) == {"items", "total", "lost_units_total", "lost_revenue_total"}
        assert len(body["items"]) == min(body["total"], 5)
        exported = client.get("/stockouts", headers=headers, params={"format": "csv"})
        assert exported.status_code == 200
        assert exported.text.splitlines()[0].endswith('"lost_units","lost_revenue","currency"')
        assert len(exported.text.splitlines()) == body["total"] + 1
        keys = {}
        for scope in ("inventory:read", "forecast:read"):
            created = client.post("/api-keys", headers=headers, json={"name": scope, "scopes": [scope]})
            assert created.status_code == 201, created.text
            keys[scope] = {"X-API-Key": created.json()["key"]}
        assert client.get("/stockouts", headers=keys["inventory:read"]).json()["total"] == body["total"]
        refused = client.get("/stockouts", headers=keys["forecast:read"])
        assert refused.status_code == 403 and "inventory:read" in refused.json()["detail"]


def test_the_gateway_passes_the_stockouts_sort_through(shop: dict[str, Any]) -> None:
    headers = shop["headers"]
    with httpx.Client(base_url=shop["base_url"], timeout=60) as client:
        by_loss = client.get("/stockouts", headers=headers, params={"sort": "lost_revenue", "limit": 500})
        assert by_loss.status_code == 200, by_loss.text
        items = by_loss.json()["items"]
        losses = [item["lost_revenue"] for item in items]
        assert losses == sorted(losses, reverse=True)
        exported = client.get("/stockouts", headers=headers, params={"sort": "lost_revenue", "format": "csv"})
        runs = [line.split(",")[:3] for line in exported.text.splitlines()[1:]]
        assert runs == [[f'"{i["store"]}"', f'"{i["sku"]}"', f'"{i["start"]}"'] for i in items]
        # The query reaches the inventory service as it is: it refuses an unknown order, naming the ones it knows.
        refused = client.get("/stockouts", headers=headers, params={"sort": "-lost_units"})
        assert refused.status_code == 422
        assert "'lost_units'" in refused.json()["detail"] and "'start'" in refused.json()["detail"]


def test_a_stock_history_gives_stockouts_with_what_they_lost(platform: Any) -> None:
    sales = generate_sales(n_stores=1, n_skus=3, days=150, n_customers=30, seed=8)
    last = date.fromisoformat(str(sales["date"].max()))
    out_days = [last - timedelta(days=40 - k) for k in range(4)]
    # SKU001 sold nothing while its shelf was empty; its snapshots say 0 on hand on those days.
    sales = sales[~((sales["sku"] == "SKU001") & sales["date"].astype(str).isin([str(d) for d in out_days]))]
    days = [last - timedelta(days=k) for k in range(60)]
    stock = "date,store,sku,on_hand\n" + "".join(
        f"{day},S01,SKU001,{0 if day in out_days else 25}\n" for day in sorted(days)
    )
    with httpx.Client(base_url=platform.base_url, timeout=120) as client:
        email = "stockouts-forecast@shop.example"
        assert (
            client.post(
                "/auth/register", json={"email": email, "password": "password-123", "name": "Shelf"}
            ).status_code
            == 201
        )
        tokens = client.post("/auth/login", json={"email": email, "password": "password-123"}).json()
        headers = {"Authorization": f"Bearer {tokens['access_token']}"}
        for path, body in (("/upload-sales", sales.to_csv(index=False)), ("/upload-stock", stock)):
            response = _upload(client, path, headers, body)
            assert response.status_code == 202, response.text
            job = _wait_for_job(client, response.json()["job_id"], headers)
            assert job["status"] == "succeeded" and job["stages"]["forecasting"]["status"] == "succeeded", job
        found = client.get("/stockouts", headers=headers, params={"source": "stock"}).json()
    assert found["total"] == 1
    run = found["items"][0]
    assert (run["store"], run["sku"], run["start"], run["end"]) == (
        "S01",
        "SKU001",
        str(out_days[0]),
        str(out_days[-1]),
    )
    assert run["probability"] == 1.0 and run["sales"] == 0.0
    assert run["lost_units"] > 0 and run["estimated_demand"] == pytest.approx(run["lost_units"])
    assert run["lost_revenue"] > 0
    assert found["lost_units_total"] == pytest.approx(run["lost_units"])
