"""Celery tasks of the inventory queue."""

from __future__ import annotations

import uuid
from collections.abc import Callable

import pandas as pd

from common.cache import invalidate
from common.celery_app import celery_app
from common.db import sync_session
from common.org_settings import load_settings
from common.pipeline import StageError, stage_task
from common.recommendations import replace_recommendations
from common.sales import load_daily_units, load_products
from common.stages import INVENTORY
from inventory import scenarios  # noqa: F401 (registers inventory.scenario)
from inventory.repository import (
    ended_windows,
    load_forecast_points,
    prune_windows,
    record_windows,
    refresh_actual_demand,
)
from inventory.stockouts.repository import item_stockout_totals

app = celery_app
# Bounded history: an item's most recent windows only, so old regimes age out of the calibration.
WINDOWS_PER_ITEM = 26


@stage_task(INVENTORY.task, INVENTORY.name)
def run(job_id: str, organization_id: uuid.UUID, report: Callable[[float], None]) -> None:
    """Recommend stock levels and orders from the organization's latest forecasts."""
    from inventory.engine import (
        STOCKOUT_TOTAL_COLUMNS,
        InventoryPolicy,
        calibrated_policy,
        protection_windows,
        recommend_inventory,
        with_calibration,
        with_stockouts,
    )

    with sync_session() as session:
        points = load_forecast_points(session.connection(), organization_id)
        products = load_products(session.connection(), organization_id)
        settings = load_settings(session.connection(), organization_id)
        policy = InventoryPolicy(**settings.inventory.model_dump())
        history = None
        stockouts = pd.DataFrame(columns=STOCKOUT_TOTAL_COLUMNS)
        if not points.empty:
            # The engine reads the windows of history_window_days up to each item's forecast origin.
            since = points["date"].min() - pd.Timedelta(days=policy.history_window_days + 7)
            history = load_daily_units(session.connection(), organization_id, since)
            origin = points["date"].min() - pd.Timedelta(days=1)
            stockouts = item_stockout_totals(session.connection(), organization_id, origin)
        refresh_actual_demand(session.connection(), organization_id)
        errors = ended_windows(session.connection(), organization_id, settings.inventory.service_level)
    if points.empty:
        raise StageError("no forecasts to plan stock from")
    report(0.2)
    products_or_none = products if not products.empty else None
    windows = protection_windows(points, products_or_none, policy, history)
    report(0.5)
    policy, calibration = calibrated_policy(policy, errors)
    table = recommend_inventory(points, products_or_none, policy=policy, history=history)
    table = with_stockouts(with_calibration(table, calibration), stockouts)
    report(0.8)
    with sync_session() as session:
        record_windows(session.connection(), organization_id, job_id, windows)
        prune_windows(session.connection(), organization_id, WINDOWS_PER_ITEM)
        replace_recommendations(
            session.connection(), organization_id, "inventory", job_id, table, rank_column="urgency"
        )
    invalidate(str(organization_id), "inventory")
