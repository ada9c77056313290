"""Pricing task and API on the real database: suggestions stored, simulate consistent with them."""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator
from typing import Any

import httpx
import numpy as np
import pandas as pd
import pytest
from sqlalchemy import text

from common.db import sync_session
from common.frames import write_frame
from common.jobs import initial_stages
from common.models import UploadJob

pytestmark = pytest.mark.asyncio(loop_scope="session")

CROSS = {"sku": "E0.6", "elasticity": 0.3, "low": 0.1, "high": 0.5}


@pytest.fixture
async def client(servers: Any) -> AsyncIterator[httpx.AsyncClient]:
    from pricing.main import app

    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://pricing") as c:
        yield c


def _weekly_sales(organization_id: uuid.UUID, elasticity: float, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    weeks = pd.date_range("2022-01-03", periods=104, freq="W-MON")
    price = np.round(4.99 * rng.choice([0.8, 0.9, 1.0, 1.1, 1.2], size=len(weeks)), 2)
    units = rng.poisson(200 * (price / 4.99) ** elasticity)
    return pd.DataFrame(
        {
            "organization_id": str(organization_id),
            "store": "S1",
            "sku": f"E{-elasticity:.1f}",
            "date": weeks.date,
            "transaction_id": "",
            "line_no": 0,
            "quantity": units.astype(float),
            "unit_price": price,
        }
    )


async def test_suggestions_and_simulate_agree(client: httpx.AsyncClient, make_identity: Any) -> None:
    from pricing.tasks import run

    identity, headers = make_identity()
    org = identity.organization_id
    lines = pd.concat([_weekly_sales(org, -0.6, 1), _weekly_sales(org, -2.5, 2)])
    with sync_session() as session:
        write_frame(
            session.connection(),
            "sales_lines",
            lines,
            (
                "organization_id",
                "store",
                "sku",
                "date",
                "transaction_id",
                "line_no",
                "quantity",
                "unit_price",
            ),
        )
        # The forecast's demand curve of E2.5, carrying the demand model's elasticities; E0.6 has none.
        grid = np.round(4.99 * np.arange(0.6, 1.41, 0.05), 2)
        session.execute(
            text(
                "INSERT INTO demand_curves (organization_id, store, sku, prices, weekly_units, elasticity,"
                " elasticity_low, elasticity_high, cross_effects) VALUES (:org, 'S1', 'E2.5', :prices,"
                " :units, -2.4, -2.7, -2.1, CAST(:cross AS jsonb))"
            ),
            {
                "org": org,
                "prices": [float(p) for p in grid],
                "units": [float(u) for u in 200 * (grid / 4.99) ** -2.4],
                "cross": json.dumps([CROSS]),
            },
        )
        job = UploadJob(organization_id=org, stages=initial_stages(), status="running")
        session.add(job)
        session.flush()
        job_id = str(job.id)
    run(job_id)
    items = {i["sku"]: i for i in (await client.get("/pricing-suggestions", headers=headers)).json()["items"]}
    assert set(items) == {"E0.6", "E2.5"}
    assert items["E0.6"]["elasticity"] == pytest.approx(-0.6, abs=0.25)
    assert items["E2.5"]["elasticity"] == pytest.approx(-2.5, abs=0.4)
    low, high = items["E2.5"]["elasticity_ci"]
    assert low < items["E2.5"]["elasticity"] < high
    # E2.5's elasticities are the demand model's (from its curve); E0.6 has none and keeps the regression's.
    assert items["E2.5"]["elasticity_source"] == "demand_model"
    assert (items["E2.5"]["elasticity"], low, high) == (-2.4, -2.7, -2.1)
    assert items["E2.5"]["cross_effects"] == [CROSS]
    assert items["E0.6"]["elasticity_source"] == "regression"
    assert items["E0.6"]["cross_effects"] == []
    assert "assumed" in items["E0.6"]["explanation"].lower()  # no unit cost uploaded: said so
    # Inelastic demand: profit rises with price, so the suggestion is up, by at most 10%.
    inelastic = items["E0.6"]
    assert inelastic["suggested_price"] > inelastic["current_price"]
    assert inelastic["suggested_price"] <= inelastic["current_price"] * 1.10 + 1e-9
    at_current = (
        await client.get(
            "/pricing-suggestions/simulate",
            headers=headers,
            params={"store": "S1", "sku": "E0.6", "price": inelastic["current_price"]},
        )
    ).json()
    at_suggested = (
        await client.get(
            "/pricing-suggestions/simulate",
            headers=headers,
            params={"store": "S1", "sku": "E0.6", "price": inelastic["suggested_price"]},
        )
    ).json()
    assert at_suggested["expected_profit"] - at_current["expected_profit"] == pytest.approx(
        inelastic["expected_profit_change"], rel=0.01
    )
    assert at_suggested["expected_units"] / at_current["expected_units"] - 1 == pytest.approx(
        inelastic["expected_units_change"], abs=0.005
    )
    missing = await client.get(
        "/pricing-suggestions/simulate", headers=headers, params={"store": "S1", "sku": "nope", "price": 1}
    )
    assert missing.status_code == 404
