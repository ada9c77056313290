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


def load_demand_curves(connection: Connection, organization_id: uuid.UUID) -> pd.DataFrame:
    """Every demand curve of the organization (none: empty): store, sku, prices, weekly_units, and
    the demand model's elasticity, elasticity_low, elasticity_high, cross_effects (NULL: None)."""
    rows = connection.execute(
        text(f"SELECT {', '.join(CURVE_COLUMNS)} FROM demand_curves WHERE organization_id = :org"),
        {"org": organization_id},
    ).all()
    return pd.DataFrame([tuple(row) for row in rows], columns=list(CURVE_COLUMNS))


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
