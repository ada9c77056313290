"""SQL of pricing's own reads: the demand curves and stock-outs the forecasting run stores."""

from __future__ import annotations

import uuid

import pandas as pd
from sqlalchemy import Connection, text

CURVE_COLUMNS = (
    "store",
    "sku",
    "prices",
    "weekly_units",
    "elasticity",
    "elasticity_low",
    "elasticity_high",
    "cross_effects",
)

# Per item whose forecast reconciliation moved: its served units over the engine's, over the horizon.
RECONCILED_SHARE_SQL = text("""
    SELECT store, sku, SUM(p50) / SUM(base_p50) AS share FROM predictions
    WHERE organization_id = :org AND base_p50 IS NOT NULL
    GROUP BY store, sku HAVING SUM(base_p50) > 0""")


def load_censored_runs(connection: Connection, organization_id: uuid.UUID) -> pd.DataFrame:
    """store, sku, start, end of the stock-outs the forecast corrects (its regression leaves them out)."""
    rows = connection.execute(
        text(
            'SELECT store, sku, start, "end" FROM stockouts'
            " WHERE organization_id = :org AND (source = 'stock' OR corrected)"
        ),
        {"org": organization_id},
    ).all()
    return pd.DataFrame([tuple(row) for row in rows], columns=["store", "sku", "start", "end"])


def load_demand_curves(connection: Connection, organization_id: uuid.UUID) -> pd.DataFrame:
    """Every demand curve of the organization (none: empty): store, sku, prices, weekly_units, and
    the demand model's elasticity, elasticity_low, elasticity_high, cross_effects (NULL: None)."""
    rows = connection.execute(
        text(f"SELECT {', '.join(CURVE_COLUMNS)} FROM demand_curves WHERE organization_id = :org"),
        {"org": organization_id},
    ).all()
    curves = pd.DataFrame([tuple(row) for row in rows], columns=list(CURVE_COLUMNS))
    # The curves are the demand model's; where reconciliation moved an item's forecast, its units
    # move by the same share, so pricing's expected units agree with the forecast served.
    moved = connection.execute(RECONCILED_SHARE_SQL, {"org": organization_id}).all()
    share = {(row.store, row.sku): float(row.share) for row in moved}
    if share and not curves.empty:
        factor = [
            share.get((store, sku), 1.0) for store, sku in zip(curves["store"], curves["sku"], strict=True)
        ]
        scaled = [
            None if units is None else [u * f for u in units]
            for units, f in zip(curves["weekly_units"], factor, strict=True)
        ]
        curves["weekly_units"] = pd.Series(scaled, index=curves.index, dtype=object)
    return curves
