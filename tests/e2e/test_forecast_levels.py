"""End to end: reconciled forecasts at every level through the gateway, with the real workers.

An upload runs forecasting, whose last chunk reconciles the organisation's hierarchy before pricing
and inventory start; `GET /forecast?level=` must then serve levels that add up to the served item
forecasts, with ordered, non-negative quantiles, and item drivers that sum to the reconciled p50.
"""

from __future__ import annotations

import time
import uuid
from collections import defaultdict
from typing import Any

import httpx
import pytest

from common.demo import generate_sales

pytestmark = pytest.mark.e2e
LEVELS = ("store", "category", "store_category", "total")
METHODS = {"bottom_up", "ols", "wls_struct", "wls_var", "mint_shrink"}
# Served numbers are rounded to 3 decimals: a sum of n of them may be off by n * 0.0005.
ROUNDING = 0.0005


def _account(client: httpx.Client) -> dict[str, str]:
    email = f"levels-{uuid.uuid4().hex[:10]}@shop.example"
    registered = client.post(
        "/auth/register", json={"email": email, "password": "password-123", "name": "Levels"}
    )
    assert registered.status_code == 201, registered.text
    tokens = client.post("/auth/login", json={"email": email, "password": "password-123"}).json()
    return {"Authorization": f"Bearer {tokens['access_token']}"}


def _finished_job(client: httpx.Client, headers: dict[str, str], body: bytes) -> Any:
    response = client.post("/upload-sales", headers=headers, files={"file": ("sales.csv", body, "text/csv")})
    assert response.status_code == 202, response.text
    job_id = response.json()["job_id"]
    deadline = time.monotonic() + 600
    while True:
        job = client.get(f"/jobs/{job_id}", headers=headers).json()
        if job["status"] in ("succeeded", "failed"):
            return job
        assert time.monotonic() < deadline, f"job still {job['status']}: {job['stages']}"
        time.sleep(0.5)


def _by_date(points: list[dict[str, Any]], quantile: str = "p50") -> dict[str, float]:
    return {point["date"]: point[quantile] for point in points}


def _assert_adds_up(total: dict[str, float], parts: list[dict[str, float]], label: str) -> None:
    for day, value in total.items():
        summed = sum(part[day] for part in parts)
        assert abs(value - summed) <= ROUNDING * (len(parts) + 1), (label, day, value, summed)


def test_every_level_adds_up_to_the_served_item_forecasts(platform: Any) -> None:
    sales = generate_sales(n_stores=3, n_skus=6, days=200, n_customers=80, seed=11)
    categories = dict(zip(zip(sales["store"], sales["sku"], strict=True), sales["category"], strict=True))
    with httpx.Client(base_url=platform.base_url, timeout=120) as client:
        headers = _account(client)
        job = _finished_job(client, headers, sales.to_csv(index=False).encode())
        assert job["status"] == "succeeded", job["stages"]
        summary = job["stages"]["forecasting"]["reconciliation"]
        assert summary["method"] in METHODS, summary
        assert summary["series"] == 18 and summary["coherence"] <= 1e-6
        assert job["stages"]["inventory"]["status"] == "succeeded"

        page = client.get("/forecast", params={"limit": 100, "drivers": "true"}, headers=headers).json()
        items = {(item["store"], item["sku"]): item["points"] for item in page["items"]}
        assert len(items) == 18
        levels = {}
        for level in LEVELS:
            response = client.get("/forecast", params={"level": level}, headers=headers)
            assert response.status_code == 200, response.text
            levels[level] = {node["key"]: node for node in response.json()["items"]}
            assert all(node["reconciliation"] == summary["method"] for node in levels[level].values())
    assert set(levels["total"]) == {"total"}
    assert set(levels["store"]) == {"S01", "S02", "S03"}
    assert set(levels["category"]) == set(categories.values())

    groups: dict[tuple[str, str], list[dict[str, float]]] = defaultdict(list)
    for (store, sku), points in items.items():
        category = categories[(store, sku)]
        for level, key in (
            ("total", "total"),
            ("store", store),
            ("category", category),
            ("store_category", f"{store}|{category}"),
        ):
            groups[(level, key)].append(_by_date(points))
    assert {(level, key) for level in LEVELS for key in levels[level]} == set(groups)
    for (level, key), parts in groups.items():
        _assert_adds_up(_by_date(levels[level][key]["points"]), parts, f"{level} {key}")

    for level in LEVELS:
        for node in levels[level].values():
            for point in node["points"]:
                assert 0.0 <= point["p10"] <= point["p50"] <= point["p90"], (level, node["key"], point)
    for points in items.values():
        for point in points:
            assert 0.0 <= point["p10"] <= point["p50"] <= point["p90"], point
            assert sum(point["drivers"].values()) == pytest.approx(point["p50"], abs=1e-6)
