"""What each source says about demand over lead time + review today, to be checked once it has happened.

The inventory task stores one such record per item and forecast origin; when the window has ended,
the records calibrate each source's spread (calibration.calibrate_spread) and choose, per demand
class, the source with the better quantiles (calibration.choose_history_classes).
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd

from inventory.engine.history import DEMAND_CLASSES
from inventory.engine.policy import InventoryPolicy
from inventory.engine.recommend import recommend_inventory

# A record as stored: the item, its window (origin, end, length) and the record's figures.
WINDOW_COLUMNS = (
    "store",
    "sku",
    "origin_date",
    "end_date",
    "period_days",
    "window_periods",
    "service_level",
    "expected_protection_demand",
    "protection_quantile",
    "history_expected_demand",
    "history_quantile",
    "demand_class",
)
RECORD_COLUMNS = [
    "store",
    "sku",
    "period_days",
    "lead_time_days",
    "expected_protection_demand",
    "protection_quantile",
    "history_expected_demand",
    "history_quantile",
    "demand_class",
]


def protection_records(
    forecast_points: pd.DataFrame,
    stock: pd.DataFrame | None,
    policy: InventoryPolicy,
    history: pd.DataFrame | None = None,
    as_of: pd.Timestamp | None = None,
) -> pd.DataFrame:
    """Per forecast item: the mean and plain service-level quantile of lead time + review demand.

    Both from the forecast and, where the item has enough history, from its own past windows
    (history_* columns, NaN otherwise), with spread factor 1, no order batch and the cycle service
    level, so that later windows compare actual demand with what each source itself claimed.
    `stock` only needs store, sku and lead_time_days.
    """
    raw = replace(
        policy,
        ordering_cost=None,
        spread_factor=1.0,
        history_spread_factor=1.0,
        service_level_type="cycle",
        history_classes=(),
    )
    lead_times = None
    if stock is not None and not stock.empty and "lead_time_days" in stock:
        lead_times = stock[["store", "sku", "lead_time_days"]]
    forecast = recommend_inventory(
        forecast_points, lead_times, raw, as_of=as_of, include_products_without_forecast=False
    )
    records = forecast[
        ["store", "sku", "period_days", "lead_time_days", "expected_protection_demand"]
    ].assign(protection_quantile=forecast["reorder_point"].to_numpy(dtype=float))
    records = records.assign(history_expected_demand=np.nan, history_quantile=np.nan, demand_class=None)
    if history is not None and len(history):
        own = recommend_inventory(
            forecast_points,
            lead_times,
            replace(raw, history_classes=DEMAND_CLASSES),
            as_of=as_of,
            history=history,
            include_products_without_forecast=False,
        )
        own = own.set_index(["store", "sku"]).reindex(pd.MultiIndex.from_frame(records[["store", "sku"]]))
        from_history = (own["demand_source"] == "history").to_numpy()
        records["history_expected_demand"] = np.where(
            from_history, own["expected_protection_demand"].to_numpy(dtype=float), np.nan
        )
        records["history_quantile"] = np.where(
            from_history, own["reorder_point"].to_numpy(dtype=float), np.nan
        )
        records["demand_class"] = own["demand_class"].to_numpy()
    return records[RECORD_COLUMNS].reset_index(drop=True)


def protection_windows(
    points: pd.DataFrame,
    products: pd.DataFrame | None,
    policy: InventoryPolicy,
    history: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Per forecast item, the window it is planned for now and what each source expects in it.

    Columns: WINDOW_COLUMNS. The window starts at the forecast origin (the engine's
    planning date: one period before the first forecast date) and lasts lead time + review period.
    The figures are protection_records': the forecast's and (with enough history)
    the item's own past windows' mean and plain service-level quantile, so later windows compare
    actual demand with what each source itself claimed.
    """
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
