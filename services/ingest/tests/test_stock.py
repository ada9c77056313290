"""Stock history uploads against the real database: columns, validation, replacement, the engines' re-run."""

from __future__ import annotations

import io
from datetime import date, timedelta
from typing import Any

import httpx
import pandas as pd
import pytest
from sqlalchemy import text

from common.db import sync_session
from common.sales import load_products

pytestmark = pytest.mark.asyncio(loop_scope="session")


def _snapshots(org: Any) -> list[Any]:
    with sync_session() as session:
        return list(
            session.execute(
                text(
                    "SELECT store, sku, date, on_hand, in_stock, job_id::text AS job_id FROM stock_snapshots"
                    " WHERE organization_id = :o ORDER BY store, sku, date"
                ),
                {"o": org},
            ).all()
        )


async def _post(
    client: httpx.AsyncClient,
    headers: dict[str, str],
    body: str | bytes,
    query: str = "",
    path: str = "/upload-stock",
    name: str = "stock.csv",
) -> httpx.Response:
    content = body.encode() if isinstance(body, str) else body
    return await client.post(f"{path}{query}", headers=headers, files={"file": (name, content, "text/csv")})


@pytest.mark.parametrize(
    ("header", "canonical"),
    [
        ("Date,Store,SKU,SOH", "SOH"),
        ("date,store_id,item_code,qty_on_hand", "qty_on_hand"),
        ("snapshot_date,location,product_id,Inventory", "Inventory"),
        ("date,branch,sku,stock_level", "stock_level"),
        ("date,store,sku,Stock", "Stock"),
        ("date,store,sku,on_hand_qty", "on_hand_qty"),
    ],
)
async def test_stock_columns_are_recognised_by_their_common_names(
    client: httpx.AsyncClient, make_identity: Any, header: str, canonical: str
) -> None:
    identity, headers = make_identity()
    response = await _post(client, headers, f"{header}\n2024-01-02,S1,A,5\n", "?dry_run=true")
    assert response.status_code == 200, response.text
    preview = response.json()
    assert preview["mapping"]["on_hand"] == canonical and preview["mapping"]["in_stock"] is None
    assert (preview["rows_valid"], preview["rows_rejected"]) == (1, 0)
    assert _snapshots(identity.organization_id) == []  # a dry run stores nothing


async def test_units_on_hand_and_in_stock_flags_are_stored_per_item_and_date(
    client: httpx.AsyncClient, make_identity: Any, enqueued: list[tuple[str, str]]
) -> None:
    identity, headers = make_identity()
    org = identity.organization_id
    units = "date,store,sku,on_hand\n2024-01-02,S1,A,5\n2024-01-03,S1,A,0\n"
    response = await _post(client, headers, units)
    assert response.status_code == 202, response.text
    body = response.json()
    assert (body["rows_accepted"], body["rows_new"], body["rows_updated"]) == (2, 2, 0)
    flags = "Date,SKU,In Stock\n2024-01-02,B,1\n2024-01-03,B,no\n2024-01-04,B,true\n"
    flagged = await _post(client, headers, flags)
    assert flagged.status_code == 202, flagged.text
    assert [(r.store, r.sku, r.date, r.on_hand, r.in_stock) for r in _snapshots(org)] == [
        ("S1", "A", date(2024, 1, 2), 5.0, True),
        ("S1", "A", date(2024, 1, 3), 0.0, False),
        ("default", "B", date(2024, 1, 2), None, True),
        ("default", "B", date(2024, 1, 3), None, False),
        ("default", "B", date(2024, 1, 4), None, True),
    ]
    assert {r.job_id for r in _snapshots(org)} == {body["job_id"], flagged.json()["job_id"]}
    job = (await client.get(f"/jobs/{body['job_id']}", headers=headers)).json()
    assert job["kind"] == "stock" and job["status"] == "succeeded"
    # No sales yet: the engines have nothing to re-run.
    assert {k: v["status"] for k, v in job["stages"].items() if k != "ingest"} == dict.fromkeys(
        ("forecasting", "segmentation", "pricing", "inventory"), "skipped"
    )
    assert enqueued == []


async def test_units_decide_over_a_flag_and_parquet_uploads_like_csv(
    client: httpx.AsyncClient, make_identity: Any
) -> None:
    identity, headers = make_identity()
    frame = pd.DataFrame(
        {"date": ["2024-02-01", "2024-02-02"], "sku": ["A", "A"], "soh": [0.0, 3.0], "in_stock": [1, 0]}
    )
    buffer = io.BytesIO()
    frame.to_parquet(buffer)
    response = await _post(client, headers, buffer.getvalue(), name="stock.parquet")
    assert response.status_code == 202, response.text
    assert [(r.on_hand, r.in_stock) for r in _snapshots(identity.organization_id)] == [
        (0.0, False),
        (3.0, True),
    ]


async def test_a_later_snapshot_of_an_item_and_date_replaces_it(
    client: httpx.AsyncClient, make_identity: Any
) -> None:
    identity, headers = make_identity()
    org = identity.organization_id
    first = "date,store,sku,on_hand\n2024-01-02,S1,A,5\n2024-01-03,S1,A,4\n"
    assert (await _post(client, headers, first)).status_code == 202
    again = await _post(client, headers, first)
    assert (again.json()["rows_new"], again.json()["rows_updated"], again.json()["rows_unchanged"]) == (
        0,
        0,
        2,
    )
    # A recount of one day, and a flag-only snapshot of the other: each replaces the stored row whole.
    recount = "date,store,sku,on_hand,in_stock\n2024-01-02,S1,A,0,\n2024-01-03,S1,A,,1\n2024-01-03,S1,A,,0\n"
    response = await _post(client, headers, recount)
    body = response.json()
    assert (body["rows_new"], body["rows_updated"], body["rows_unchanged"]) == (0, 2, 0)
    assert body["flag_counts"] == {"duplicate_keys": 1}  # the last row of a repeated key counts
    assert [(r.date, r.on_hand, r.in_stock, r.job_id) for r in _snapshots(org)] == [
        (date(2024, 1, 2), 0.0, False, body["job_id"]),
        (date(2024, 1, 3), None, False, body["job_id"]),
    ]


async def test_a_bad_row_rejects_the_whole_file_naming_row_and_column(
    client: httpx.AsyncClient, make_identity: Any, enqueued: list[tuple[str, str]]
) -> None:
    identity, headers = make_identity()
    future = date.today() + timedelta(days=30)
    body = (
        "date,store,sku,on_hand,in_stock\n"
        "2024-01-02,S1,A,5,\n"
        "2024-01-03,S1,A,-2,\n"
        "2024-01-04,S1,A,,maybe\n"
        "2024-01-05,S1,A,,\n"
        f"{future},S1,A,1,\n"
        "2024-01-06,S1,A,lots,\n"
    )
    response = await _post(client, headers, body)
    assert response.status_code == 422
    data = response.json()
    found = {(e["row"], e["column"], e["kind"]) for e in data["errors"]}
    assert found == {
        (3, "on_hand", "negative_value"),
        (4, "in_stock", "invalid_flag"),
        (5, "on_hand", "missing_value"),
        (6, "date", "future_date"),
        (7, "on_hand", "not_a_number"),
    }
    assert data["errors"][0]["message"] == "row 3: 'on_hand' is '-2', expected units on hand of 0 or more"
    assert "row 3: 'on_hand' is '-2'" in data["detail"]
    assert _snapshots(identity.organization_id) == []  # the good first row is not stored either
    job = (await client.get(f"/jobs/{data['job_id']}", headers=headers)).json()
    assert job["status"] == "failed"
    assert enqueued == []
    # The same file with on_error=skip keeps the good row only.
    skipped = await _post(client, headers, body, "?on_error=skip")
    assert skipped.status_code == 202
    assert [(r.date, r.on_hand) for r in _snapshots(identity.organization_id)] == [(date(2024, 1, 2), 5.0)]


async def test_a_dry_run_reports_bad_rows_and_a_file_without_stock_columns_is_refused(
    client: httpx.AsyncClient, make_identity: Any
) -> None:
    identity, headers = make_identity()
    preview = await _post(
        client, headers, "date,sku,on_hand\n2024-01-02,A,-1\n2024-01-03,A,2\n", "?dry_run=true"
    )
    assert preview.status_code == 200
    assert (preview.json()["rows_valid"], preview.json()["error_counts"]) == (1, {"negative_value": 1})
    refused = await _post(client, headers, "date,sku,quantity\n2024-01-02,A,1\n")
    assert refused.status_code == 422
    assert (
        "a stock file needs at least one of the columns ['on_hand', 'in_stock']" in refused.json()["detail"]
    )
    missing = await _post(client, headers, "store,on_hand\nS1,1\n")
    assert (
        missing.status_code == 422
        and "required column(s) ['date', 'sku'] not found" in missing.json()["detail"]
    )
    assert _snapshots(identity.organization_id) == []


async def test_with_sales_a_stock_upload_reruns_forecasting_then_pricing_and_inventory(
    client: httpx.AsyncClient, make_identity: Any, enqueued: list[tuple[str, str]]
) -> None:
    _, headers = make_identity()
    sales = "date,store,sku,quantity,unit_price\n2024-01-02,S1,A,3,1.0\n"
    from ingest.tasks import merge

    merge((await _post(client, headers, sales, path="/upload-sales")).json()["job_id"])
    enqueued.clear()
    body = (await _post(client, headers, "date,store,sku,on_hand\n2024-01-02,S1,A,0\n")).json()
    job = (await client.get(f"/jobs/{body['job_id']}", headers=headers)).json()
    rerun = dict.fromkeys(("forecasting", "pricing", "inventory"), "queued")
    assert {k: v["status"] for k, v in job["stages"].items()} == {
        "ingest": "succeeded",
        "segmentation": "skipped",
        **rerun,
    }
    # Forecasting starts pricing and inventory when it ends.
    assert enqueued == [("forecasting.run", body["job_id"])]


async def test_the_latest_snapshot_is_the_current_stock_unless_a_later_products_file_says_otherwise(
    client: httpx.AsyncClient, make_identity: Any
) -> None:
    identity, headers = make_identity()
    org = identity.organization_id

    def on_hand() -> dict[str, float | None]:
        with sync_session() as session:
            products = load_products(session.connection(), org)
        return {r.sku: (None if pd.isna(r.on_hand) else float(r.on_hand)) for r in products.itertuples()}

    # (SKUs like B and D would be taken for non-product codes.)
    products = "store,sku,on_hand\nS1,P1,10\nS1,P2,10\nS1,P3,10\nS1,P4,\n"
    assert (await _post(client, headers, products, path="/upload-products")).status_code == 202
    stock = (
        "date,store,sku,on_hand,in_stock\n"
        "2024-03-01,S1,P1,2,\n2024-02-01,S1,P1,7,\n"  # the latest date counts, not the last row
        "2024-03-01,S1,P2,,0\n"  # out of stock: nothing on hand
        "2024-03-01,S1,P3,,1\n"  # in stock, units unknown: the product master's figure stands
        "2024-03-01,S1,P4,4,\n"
    )
    assert (await _post(client, headers, stock)).status_code == 202
    assert on_hand() == {"P1": 2.0, "P2": 0.0, "P3": 10.0, "P4": 4.0}
    # A products file uploaded later gives P1's stock (and leaves P4's empty cell alone).
    later = "store,sku,on_hand\nS1,P1,6\nS1,P4,\n"
    assert (await _post(client, headers, later, path="/upload-products")).status_code == 202
    assert on_hand() == {"P1": 6.0, "P2": 0.0, "P3": 10.0, "P4": 4.0}
