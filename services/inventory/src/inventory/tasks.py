"""Celery tasks of the inventory queue."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import TYPE_CHECKING

import numpy as np
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
from common.sales import load_daily_units, load_products
from inventory import scenarios  # noqa: F401 (registers inventory.scenario)
from inventory.repository import (
    WINDOW_COLUMNS,
    ended_windows,
    prune_windows,
    record_windows,
    refresh_actual_demand,
)

if TYPE_CHECKING:
    from inventory.engine import Calibration, InventoryPolicy

app = celery_app

FORECAST_SQL = """
    SELECT p.store, p.sku, p.date, p.p10, p.p50, p.p90, f.frequency, f.wape
    FROM predictions p JOIN forecast_series f
      ON f.organization_id = p.organization_id AND f.store = p.store AND f.sku = p.sku
    WHERE p.organization_id = %(org)s ORDER BY p.store, p.sku, p.date
"""
# Bounded history: an item's most recent windows only, so old regimes age out of the calibration.
WINDOWS_PER_ITEM = 26
# Fewer ended windows than this (pooled over the organization) leave the spread as forecast.
MIN_CALIBRATION_WINDOWS = 50


def protection_windows(
    points: pd.DataFrame,
    products: pd.DataFrame | None,
    policy: InventoryPolicy,
    history: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Per forecast item, the window it is planned for now and what each source expects in it.

    Columns: repository.WINDOW_COLUMNS. The window starts at the forecast origin (the engine's
    planning date: one period before the first forecast date) and lasts lead time + review period.
    The figures are inventory.engine.protection_records': the forecast's and (with enough history)
    the item's own past windows' mean and plain service-level quantile, so later windows compare
    actual demand with what each source itself claimed.
    """
    from inventory.engine import protection_records

    table = protection_records(points, products, policy, history)
    first = points.groupby(["store", "sku"], as_index=False)["date"].min()
    table = table.merge(first, on=["store", "sku"], how="left")
    period_days = table["period_days"].to_numpy(dtype=float)
    origin = (pd.to_datetime(table["date"]) - pd.to_timedelta(period_days, unit="D")).dt.normalize()
    window_periods = (table["lead_time_days"].to_numpy(dtype=float) + policy.review_period_days) / period_days
    whole_periods = np.ceil(window_periods - 1e-9)
    windows = table.assign(
        store=table["store"].astype(str),
        sku=table["sku"].astype(str),
        origin_date=origin,
        end_date=origin + pd.to_timedelta(np.ceil(whole_periods * period_days - 1e-9), unit="D"),
        window_periods=window_periods,
        service_level=policy.service_level,
    )
    known = (
        windows["origin_date"].notna()
        & np.isfinite(windows["expected_protection_demand"])
        & np.isfinite(windows["protection_quantile"])
    )
    return windows.loc[known, list(WINDOW_COLUMNS)].reset_index(drop=True)


def _calibration_note(spread_factor: float, windows: int) -> str:
    if windows == 0:
        return ""  # no history yet: nothing was calibrated, nothing to say
    if spread_factor > 1.0:
        return (
            f" The spread factor {spread_factor:.2f} comes from {windows} past lead time + review "
            "windows whose demand is known."
        )
    if windows >= MIN_CALIBRATION_WINDOWS:
        return (
            f" {windows} past lead time + review windows whose demand is known show the spread "
            "covers the target, so it is not scaled."
        )
    return (
        f" Only {windows} past lead time + review windows have known demand "
        f"({MIN_CALIBRATION_WINDOWS} are needed to calibrate the spread), so it is not scaled."
    )


def with_calibration(table: pd.DataFrame, calibration: Calibration) -> pd.DataFrame:
    """Add each item's spread factor and the ended windows behind it to every recommendation.

    Items whose demand came from their own history carry the history's factor and windows.
    """
    from_history = table["demand_source"].astype(str).eq("history").to_numpy()
    table = table.assign(
        spread_factor=np.where(from_history, calibration.history_spread_factor, calibration.spread_factor),
        calibration_windows=np.where(from_history, calibration.history_windows, calibration.windows),
    )
    forecast = table["has_forecast"].astype(bool)
    notes = np.where(
        from_history,
        _calibration_note(calibration.history_spread_factor, calibration.history_windows),
        _calibration_note(calibration.spread_factor, calibration.windows),
    )
    explanation = table["explanation"].where(~forecast, table["explanation"] + notes)
    return table.assign(explanation=explanation)


@stage_task("inventory.run", "inventory")
def run(job_id: str, report: Callable[[float], None]) -> None:
    """Recommend stock levels and orders from the organization's latest forecasts."""
    from inventory.engine import InventoryPolicy, calibrate_sources, recommend_inventory

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
        policy = InventoryPolicy(**settings.inventory.model_dump())
        history = None
        if not points.empty:
            # The engine reads the windows of history_window_days up to each item's forecast origin.
            since = pd.to_datetime(points["date"]).min() - pd.Timedelta(days=policy.history_window_days + 7)
            history = load_daily_units(session.connection(), organization_id, since)
        refresh_actual_demand(session.connection(), organization_id)
        errors = ended_windows(session.connection(), organization_id, settings.inventory.service_level)
    if points.empty:
        raise StageError("no forecasts to plan stock from")
    points["date"] = pd.to_datetime(points["date"])
    report(0.2)
    products_or_none = products if not products.empty else None
    windows = protection_windows(points, products_or_none, policy, history)
    report(0.5)
    calibration = calibrate_sources(errors, policy.service_level, min_records=MIN_CALIBRATION_WINDOWS)
    policy = replace(
        policy,
        spread_factor=calibration.spread_factor,
        history_spread_factor=calibration.history_spread_factor,
        history_classes=calibration.history_classes,
    )
    table = recommend_inventory(points, products_or_none, policy=policy, history=history)
    table = with_calibration(table, calibration)
    report(0.8)
    with sync_session() as session:
        record_windows(session.connection(), organization_id, job_id, windows)
        prune_windows(session.connection(), organization_id, WINDOWS_PER_ITEM)
        replace_recommendations(
            session.connection(), organization_id, "inventory", job_id, table, rank_column="urgency"
        )
    invalidate(str(organization_id), "inventory")
