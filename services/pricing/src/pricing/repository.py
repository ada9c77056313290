"""SQL of pricing's own reads: the demand curves the forecasting run stores."""

from __future__ import annotations

import uuid

import pandas as pd
from sqlalchemy import Connection, text


def load_demand_curves(connection: Connection, organization_id: uuid.UUID) -> pd.DataFrame:
    """store, sku, prices, weekly_units of every demand curve of the organization (none: empty)."""
    rows = connection.execute(
        text("SELECT store, sku, prices, weekly_units FROM demand_curves WHERE organization_id = :org"),
        {"org": organization_id},
    ).all()
    return pd.DataFrame([tuple(row) for row in rows], columns=["store", "sku", "prices", "weekly_units"])
