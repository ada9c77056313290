"""The real exports in ../shared/data upload unchanged, with the row counts they really have."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import pandas as pd
import pytest
from sqlalchemy import text

from common.db import sync_session
from common.testing.datasets import FRAT_TRANSACTIONS, ONLINE_RETAIL
from ingest.validation import NON_PRODUCT_NAME, NON_PRODUCT_SKUS

pytestmark = [pytest.mark.slow, pytest.mark.asyncio(loop_scope="session")]


@pytest.fixture
async def client(servers: Any) -> AsyncIterator[httpx.AsyncClient]:
    from ingest.main import app

    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://ingest", timeout=600
    ) as c:
        yield c


def _one(sql: str, **params: Any) -> Any:
    with sync_session() as session:
        return session.execute(text(sql), params).one()


async def _upload(client: httpx.AsyncClient, headers: dict[str, str], path: Path) -> httpx.Response:
    return await client.post(
        "/upload-sales", headers=headers, files={"file": (path.name, path.read_bytes(), "application/gzip")}
    )


async def test_uci_online_retail_loads_whole_with_its_returns_and_fees(
    client: httpx.AsyncClient, make_identity: Any, shared_data: Path
) -> None:
    path = shared_data / ONLINE_RETAIL
    # What the file really holds, read independently with pandas.
    raw = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="latin-1")
    quantity = pd.to_numeric(raw["Quantity"])
    price = pd.to_numeric(raw["UnitPrice"])
    non_product = raw["StockCode"].str.upper().isin(NON_PRODUCT_SKUS) | raw["Description"].str.contains(
        re.compile(NON_PRODUCT_NAME, re.IGNORECASE)
    )
    assert len(raw) == 541_909

    identity, headers = make_identity()
    response = await _upload(client, headers, path)
    assert response.status_code == 202, response.text[:2000]
    body = response.json()
    assert body["mapping"]["transaction_id"] == "InvoiceNo" and body["mapping"]["store"] is None
    assert (body["rows_accepted"], body["rows_rejected"]) == (541_909, 0)
    assert body["flag_counts"] == {
        "returns": int((quantity < 0).sum()),  # 10,624: the 9,288 C-invoice lines and adjustments
        "non_product": int(non_product.sum()),
        "zero_price": int((price == 0).sum()),  # 2,515
    }
    from ingest.tasks import merge

    merge(body["job_id"])
    job = (await client.get(f"/jobs/{body['job_id']}", headers=headers)).json()
    assert job["stages"]["ingest"]["status"] == "succeeded"
    # Exact repeats within an invoice are separate lines (their ordinal keeps them apart).
    assert (job["rows_new"], job["rows_updated"], job["rows_unchanged"]) == (541_909, 0, 0)
    stored = _one(
        "SELECT count(*) AS lines, sum(quantity) AS units, count(*) FILTER (WHERE NOT is_product) AS fees, "
        "count(DISTINCT customer_id) AS customers, count(*) FILTER (WHERE is_zero_price) AS free "
        "FROM sales_lines WHERE organization_id = :o",
        o=identity.organization_id,
    )
    assert stored.lines == 541_909
    assert stored.units == quantity.sum()
    assert stored.fees == non_product.sum()
    assert stored.free == (price == 0).sum()
    assert stored.customers == raw.loc[raw["CustomerID"] != "", "CustomerID"].nunique() == 4_372
    again = await _upload(client, headers, path)
    assert again.status_code == 200 and again.json()["duplicate"]


async def test_breakfast_at_the_frat_loads_weekly_with_its_promotions(
    client: httpx.AsyncClient, make_identity: Any, shared_data: Path
) -> None:
    path = shared_data / FRAT_TRANSACTIONS
    raw = pd.read_csv(path, dtype=str, keep_default_na=False)
    assert len(raw) == 524_950
    price = pd.to_numeric(raw["price"], errors="coerce")
    spend = pd.to_numeric(raw["spend"])
    flags = {name: pd.to_numeric(raw[name]) for name in ("feature", "display", "tpr_only")}
    base = pd.to_numeric(raw["base_price"], errors="coerce")
    # The price paid (a missing one with spend 0 is a free unit) below the regular price is a promotion.
    paid = price.where(price.notna() | (spend != 0), 0.0)
    promoted = (flags["feature"] + flags["display"] + flags["tpr_only"] > 0) | (paid < 0.98 * base)

    identity, headers = make_identity()
    response = await _upload(client, headers, path)
    assert response.status_code == 202, response.text[:2000]
    body = response.json()
    assert (body["rows_accepted"], body["rows_rejected"]) == (524_950, 0)
    # 23 rows have no price but spend 0: free units, kept as zero-price lines.
    free = int((price.isna() & (spend == 0)).sum() + (price == 0).sum())
    assert body["flag_counts"] == {"zero_price": free}
    from ingest.tasks import merge

    merge(body["job_id"])
    job = (await client.get(f"/jobs/{body['job_id']}", headers=headers)).json()
    assert (job["rows_new"], job["rows_updated"], job["rows_unchanged"]) == (524_950, 0, 0)
    stored = _one(
        "SELECT count(*) AS lines, count(DISTINCT date) AS weeks, count(DISTINCT store) AS stores, "
        "sum(quantity) AS units, sum(feature) AS feature, sum(display) AS display, sum(tpr_only) AS tpr, "
        "count(*) FILTER (WHERE promotion > 0) AS promoted, count(regular_price) AS with_base "
        "FROM sales_lines WHERE organization_id = :o",
        o=identity.organization_id,
    )
    assert (stored.lines, stored.weeks, stored.stores) == (524_950, 156, 77)
    assert stored.units == pytest.approx(pd.to_numeric(raw["units"]).sum())
    assert (stored.feature, stored.display, stored.tpr) == tuple(
        float(flags[name].sum()) for name in ("feature", "display", "tpr_only")
    )
    assert stored.promoted == int(promoted.sum())
    assert stored.with_base == int(np.isfinite(base).sum())
