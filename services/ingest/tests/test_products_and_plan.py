"""Product master and price/promotion plan uploads against the real database."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import text

from common.db import sync_session

pytestmark = pytest.mark.asyncio(loop_scope="session")


def _rows(sql: str, **params: Any) -> list[Any]:
    with sync_session() as session:
        return list(session.execute(text(sql), params).all())


async def _post(
    client: httpx.AsyncClient, path: str, headers: dict[str, str], body: str, query: str = ""
) -> httpx.Response:
    return await client.post(
        f"{path}{query}", headers=headers, files={"file": ("f.csv", body.encode(), "text/csv")}
    )


async def test_products_upsert_only_the_given_columns_and_count_what_changed(
    client: httpx.AsyncClient, make_identity: Any, enqueued: list[tuple[str, str]]
) -> None:
    identity, headers = make_identity()
    org = identity.organization_id
    first = "Store,Item Code,Description,Cost,Retail Price,On Hand,Lead Time\nS1,A,Apple,0.4,1.0,10,7\nS1,B,Bread,1.1,2.5,,3\n"
    response = await _post(client, "/upload-products", headers, first)
    assert response.status_code == 202, response.text
    body = response.json()
    assert (body["rows_accepted"], body["rows_new"], body["rows_updated"], body["rows_unchanged"]) == (
        2,
        2,
        0,
        0,
    )
    # No sales and no forecasts yet: pricing and inventory have nothing to work on.
    job = (await client.get(f"/jobs/{body['job_id']}", headers=headers)).json()
    assert job["status"] == "succeeded" and job["kind"] == "products"
    assert {k: v["status"] for k, v in job["stages"].items()} == {
        "ingest": "succeeded",
        "forecasting": "skipped",
        "segmentation": "skipped",
        "pricing": "skipped",
        "inventory": "skipped",
    }
    assert enqueued == []

    # A stock count later: only on_hand changes; cost and lead time stay; an empty cell keeps the value.
    stock = "store_id,sku,stock\nS1,A,4\nS1,B,\nS1,C,9\nS1,C,8\n"
    body = (await _post(client, "/upload-products", headers, stock)).json()
    assert (body["rows_new"], body["rows_updated"], body["rows_unchanged"]) == (1, 1, 1)
    assert body["flag_counts"] == {"duplicate_keys": 1}
    products = {
        r.sku: r
        for r in _rows(
            "SELECT sku, name, unit_cost, price, on_hand, lead_time_days FROM products WHERE organization_id = :o",
            o=org,
        )
    }
    assert (products["A"].unit_cost, products["A"].on_hand, products["A"].lead_time_days) == (0.4, 4, 7)
    assert products["B"].on_hand is None and products["B"].price == 2.5
    assert products["C"].on_hand == 8  # the last row of a repeated store and sku counts


async def test_products_rerun_pricing_and_inventory_when_there_is_something_to_rerun(
    client: httpx.AsyncClient, make_identity: Any, enqueued: list[tuple[str, str]]
) -> None:
    _identity, headers = make_identity()
    sales = "date,store,sku,quantity,unit_price\n2024-01-02,S1,A,3,1.0\n"
    job_id = (await _post(client, "/upload-sales", headers, sales)).json()["job_id"]
    from ingest.tasks import merge

    merge(job_id)
    enqueued.clear()
    body = (await _post(client, "/upload-products", headers, "sku,store,unit_cost\nA,S1,0.5\n")).json()
    job = (await client.get(f"/jobs/{body['job_id']}", headers=headers)).json()
    assert job["stages"]["pricing"]["status"] == "queued"
    assert job["stages"]["inventory"]["status"] == "skipped"  # no forecast yet to plan stock from
    assert enqueued == [("pricing.run", body["job_id"])]


async def test_a_bad_product_row_rejects_the_file(
    client: httpx.AsyncClient, make_identity: Any, enqueued: list[tuple[str, str]]
) -> None:
    identity, headers = make_identity()
    response = await _post(client, "/upload-products", headers, "sku,unit_cost,on_hand\nA,1,5\nB,-1,5\n")
    assert response.status_code == 422
    assert response.json()["errors"][0] == {
        "row": 3,
        "column": "unit_cost",
        "value": "-1",
        "expected": "a number of 0 or more",
        "kind": "negative_price",
        "message": "row 3: 'unit_cost' is '-1', expected a number of 0 or more",
    }
    assert _rows("SELECT * FROM products WHERE organization_id = :o", o=identity.organization_id) == []
    skipped = await _post(
        client, "/upload-products", headers, "sku,unit_cost,on_hand\nA,1,5\nB,-1,5\n", "?on_error=skip"
    )
    assert skipped.status_code == 202 and skipped.json()["rows_new"] == 1


async def test_plan_lines_are_future_dated_and_rerun_the_forecast(
    client: httpx.AsyncClient, make_identity: Any, enqueued: list[tuple[str, str]]
) -> None:
    identity, headers = make_identity()
    org = identity.organization_id
    tomorrow = date.today() + timedelta(days=1)
    yesterday = date.today() - timedelta(days=1)
    plan = f"date,store,sku,promo_price,promo\n{tomorrow},S1,A,0.8,1\n{yesterday},S1,A,0.8,1\n"
    rejected = await _post(client, "/upload-plan", headers, plan)
    assert rejected.status_code == 422
    assert rejected.json()["errors"][0]["kind"] == "past_date"
    assert "a plan is for the future" in rejected.json()["errors"][0]["expected"]

    sales = f"date,store,sku,quantity,unit_price\n{yesterday},S1,A,3,1.0\n"
    from ingest.tasks import merge

    merge((await _post(client, "/upload-sales", headers, sales)).json()["job_id"])
    enqueued.clear()
    response = await _post(client, "/upload-plan", headers, plan, "?on_error=skip&horizon_days=14")
    assert response.status_code == 202, response.text
    body = response.json()
    assert (body["rows_accepted"], body["rows_rejected"], body["rows_new"]) == (1, 1, 1)
    assert _rows("SELECT date, unit_price, promotion FROM plan_lines WHERE organization_id = :o", o=org) == [
        (tomorrow, 0.8, 1.0)
    ]
    job = (await client.get(f"/jobs/{body['job_id']}", headers=headers)).json()
    assert job["kind"] == "plan"
    assert {k: v["status"] for k, v in job["stages"].items()} == {
        "ingest": "succeeded",
        "forecasting": "queued",
        "segmentation": "skipped",
        "pricing": "queued",
        "inventory": "queued",
    }
    assert enqueued == [("forecasting.run", body["job_id"])]  # forecasting starts pricing and inventory
    # A corrected plan replaces the price of that day; an empty promo cell keeps the flag.
    body = (
        await _post(client, "/upload-plan", headers, f"date,sku,store,price,promo\n{tomorrow},A,S1,0.7,\n")
    ).json()
    assert (body["rows_new"], body["rows_updated"]) == (0, 1)
    assert _rows("SELECT unit_price, promotion FROM plan_lines WHERE organization_id = :o", o=org) == [
        (0.7, 1.0)
    ]


async def test_a_plan_without_any_driver_column_is_refused(
    client: httpx.AsyncClient, make_identity: Any
) -> None:
    _, headers = make_identity()
    response = await _post(client, "/upload-plan", headers, "date,sku,store\n2099-01-01,A,S1\n")
    assert response.status_code == 422
    assert "at least one of the columns" in response.json()["detail"]


async def test_a_plan_follows_the_last_sale_of_a_history_that_ended_years_ago(
    client: httpx.AsyncClient, make_identity: Any, enqueued: list[tuple[str, str]]
) -> None:
    identity, headers = make_identity()
    org = identity.organization_id
    sales = "date,store,sku,quantity,unit_price\n2019-06-29,S1,A,3,1.0\n2019-06-30,S1,A,2,1.0\n"
    from ingest.tasks import merge

    merge((await _post(client, "/upload-sales", headers, sales)).json()["job_id"])
    plan = "date,store,sku,price,promo\n2019-06-30,S1,A,0.8,1\n2019-07-01,S1,A,0.8,1\n"
    rejected = await _post(client, "/upload-plan", headers, plan)
    assert rejected.status_code == 422
    error = rejected.json()["errors"][0]
    assert (error["row"], error["column"], error["kind"]) == (2, "date", "past_date")
    assert "a date after 2019-06-30 (the last sales date" in error["expected"]
    accepted = await _post(client, "/upload-plan", headers, plan, "?on_error=skip")
    assert accepted.status_code == 202, accepted.text
    assert _rows("SELECT date, unit_price FROM plan_lines WHERE organization_id = :o", o=org) == [
        (date(2019, 7, 1), 0.8)
    ]
    assert enqueued[-1] == ("forecasting.run", accepted.json()["job_id"])
