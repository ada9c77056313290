"""Pricing's repository on the real database: demand curves as the served forecast moved them."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import text

from common.db import sync_session


def test_demand_curves_move_as_reconciliation_moved_the_served_forecast(make_identity: Any) -> None:
    from pricing.repository import load_demand_curves

    identity, _ = make_identity()
    org = identity.organization_id
    with sync_session() as session:
        for sku in ("moved", "kept"):
            session.execute(
                text(
                    "INSERT INTO demand_curves (organization_id, store, sku, prices, weekly_units)"
                    " VALUES (:org, 'S1', :sku, :prices, :units)"
                ),
                {"org": org, "sku": sku, "prices": [4.0, 5.0], "units": [30.0, 20.0]},
            )
        # Reconciliation served 22 units where the engine said 20 over "moved"'s two weeks; "kept" as is.
        for sku, day, p50, base in (
            ("moved", "2026-01-05", 12.0, 10.0),
            ("moved", "2026-01-12", 10.0, 10.0),
            ("kept", "2026-01-05", 7.0, None),
        ):
            session.execute(
                text(
                    "INSERT INTO predictions (organization_id, store, sku, date, p10, p50, p90, model, base_p50)"
                    " VALUES (:org, 'S1', :sku, :day, 0, :p50, :p50, 'lightgbm_global', :base)"
                ),
                {"org": org, "sku": sku, "day": day, "p50": p50, "base": base},
            )
        curves = load_demand_curves(session.connection(), org).set_index("sku")
    assert curves.loc["moved", "weekly_units"] == pytest.approx([33.0, 22.0])
    assert curves.loc["kept", "weekly_units"] == pytest.approx([30.0, 20.0])
