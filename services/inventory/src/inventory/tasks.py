"""Celery tasks of the inventory queue."""

from __future__ import annotations

from collections.abc import Callable

import pandas as pd
import pyarrow as pa

from common import jobs
from common.cache import invalidate
from common.celery_app import celery_app
from common.db import sync_session
from common.frames import read_frame
from common.org_settings import load_settings
from common.pipeline import StageError, stage_task
from common.recommendations import replace_recommendations
from common.sales import load_products

app = celery_app

FORECAST_SQL = """
    SELECT p.store, p.sku, p.date, p.p10, p.p50, p.p90, f.frequency, f.wape
    FROM predictions p JOIN forecast_series f
      ON f.organization_id = p.organization_id AND f.store = p.store AND f.sku = p.sku
    WHERE p.organization_id = %(org)s ORDER BY p.store, p.sku, p.date
"""


@stage_task("inventory.run", "inventory")
def run(job_id: str, report: Callable[[float], None]) -> None:
    """Recommend stock levels and orders from the organization's latest forecasts."""
    from inventory.engine import InventoryPolicy, recommend_inventory

    organization_id = jobs.job_organization(job_id)
    if organization_id is None:
        raise StageError("the job no longer exists")
    with sync_session() as session:
        points = read_frame(
            session.connection(),
            FORECAST_SQL,
            {"org": str(organization_id)},
            {"store": pa.string(), "sku": pa.string(), "frequency": pa.string()},
        )
        products = load_products(session.connection(), organization_id)
        settings = load_settings(session.connection(), organization_id)
    if points.empty:
        raise StageError("no forecasts to plan stock from")
    points["date"] = pd.to_datetime(points["date"])
    report(0.3)
    policy = InventoryPolicy(**settings.inventory.model_dump())
    table = recommend_inventory(points, products if not products.empty else None, policy=policy)
    report(0.8)
    with sync_session() as session:
        replace_recommendations(
            session.connection(), organization_id, "inventory", job_id, table, rank_column="urgency"
        )
    invalidate(str(organization_id), "inventory")
