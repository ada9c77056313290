"""Pricing against the forecast: expected units at the suggested price vs the forecast for that plan."""

from __future__ import annotations

import numpy as np
import pandas as pd

from bench.forecast.data import Dataset
from forecasting.engine import DemandModel, demand_curves, predict_demand
from forecasting.engine.price_response import substitute_groups


def _pricing_sales(data: Dataset) -> pd.DataFrame:
    """The bench's history in pricing's sales schema (with the products' categories)."""
    assert data.products is not None
    category = data.products[["store", "sku", "category"]].drop_duplicates(["store", "sku"])
    return data.history.merge(category, on=["store", "sku"], how="left")


def pricing_consistency(data: Dataset, model: DemandModel, seed: int) -> tuple[float, int]:
    """Largest relative gap, over items with a suggested price, between pricing's expected units
    over the horizon at that price and the forecast of a plan charging it (no promotion), and how
    many items were compared.

    Only one item per store and category changes in each forecast plan, so no item's forecast is
    moved by a neighbour's new price: each comparison is the item's own price response.
    """
    from pricing.engine import Guardrails, simulate, suggest_prices

    endings = Guardrails().price_endings  # pricing's default endings, as the platform passes them
    suggestions = suggest_prices(_pricing_sales(data), curves=demand_curves(model, endings))
    moved = suggestions.dropna(subset=["suggested_price"]).reset_index(drop=True)
    if moved.empty:
        return float("nan"), 0
    weeks = model.panel.horizon if model.panel.freq == "W" else model.panel.horizon / 7
    moved["pricing_units"] = [
        simulate(row.model, float(row.suggested_price))["expected_units"] * weeks
        for row in moved.itertuples()
    ]
    keys = model.keys.assign(group=substitute_groups(model.keys))
    moved = moved.merge(keys[["store", "sku", "group"]], on=["store", "sku"])
    moved["turn"] = moved.groupby("group").cumcount()
    baseline = model.baseline_plan()
    forecast_units = []
    for _, turn in moved.groupby("turn"):
        plan = baseline.merge(turn[["store", "sku", "suggested_price"]], on=["store", "sku"])
        plan = plan.assign(price=plan["suggested_price"], promotion=0.0)
        units = predict_demand(model, plan).merge(turn[["store", "sku"]], on=["store", "sku"])
        forecast_units.append(units.groupby(["store", "sku"], as_index=False)["p50"].sum())
    compared = moved.merge(pd.concat(forecast_units), on=["store", "sku"])
    positive = compared["p50"] > 0
    gap = np.abs(compared["pricing_units"] - compared["p50"]) / compared["p50"].where(positive)
    return float(gap.max()), int(positive.sum())
