"""What-if demand: weekly units, revenue and profit at any price from a stored pricing model."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from pricing.engine.data import PROMOTION_FLAGS
from pricing.engine.features import fourier_terms, holiday_weeks


def _require_elasticity(model: Mapping[str, Any]) -> float:
    elasticity = model.get("elasticity")
    if elasticity is None or not np.isfinite(elasticity):
        raise ValueError("this product has no elasticity estimate, so its demand at another price is unknown")
    return float(elasticity)


def curve_units(curve: Mapping[str, Any], price: float, elasticity: float) -> float:
    """Weekly units at `price` on a stored demand curve: linear between its prices, and beyond its
    ends the end's units moved by the constant elasticity."""
    prices = np.asarray(curve["prices"], dtype=float)
    units = np.asarray(curve["weekly_units"], dtype=float)
    if price < prices[0]:
        return float(units[0] * (price / prices[0]) ** elasticity)
    if price > prices[-1]:
        return float(units[-1] * (price / prices[-1]) ** elasticity)
    return float(np.interp(price, prices, units))


def units_at(model: Mapping[str, Any], price: float, elasticity: float | None = None) -> float:
    """Expected weekly units at `price` in a normal (unpromoted) week.

    With the forecast's demand curve (`model["curve"]`) the units are the forecast's for that price;
    an `elasticity` other than the model's (an interval end) tilts the curve by the difference.
    Without one, a constant-elasticity curve through the base units at the reference price.
    """
    if price <= 0:
        raise ValueError(f"price must be positive, got {price}")
    own = _require_elasticity(model)
    slope = own if elasticity is None else elasticity
    reference = float(model["reference_price"])
    if model.get("curve"):
        return curve_units(model["curve"], price, own) * (price / reference) ** (slope - own)
    return float(model["base_units"]) * (price / reference) ** slope


def simulate(model: Mapping[str, Any], price: float) -> dict[str, float]:
    """Expected weekly units, revenue and profit at `price`; _low/_high from the elasticity interval."""
    price = float(price)
    unit_cost = float(model["unit_cost"])
    units = units_at(model, price)
    bounds = [
        units_at(model, price, float(model[key]))
        for key in ("elasticity_ci_low", "elasticity_ci_high")
        if model.get(key) is not None
    ] or [units]
    units_low, units_high = min(bounds), max(bounds)
    margin = price - unit_cost
    profits = sorted((units_low * margin, units_high * margin))
    return {
        "price": price,
        "expected_units": units,
        "expected_revenue": units * price,
        "expected_profit": units * margin,
        "expected_units_low": units_low,
        "expected_units_high": units_high,
        "expected_revenue_low": units_low * price,
        "expected_revenue_high": units_high * price,
        "expected_profit_low": profits[0],
        "expected_profit_high": profits[1],
    }


def predict_units(model: Mapping[str, Any], weeks: pd.DataFrame) -> np.ndarray:
    """Expected units of the given weeks (date, unit_price, promotion flags) from the fitted regression."""
    demand = model["demand"]
    dates = pd.to_datetime(weeks["date"])
    week_start = (dates.dt.normalize() - pd.to_timedelta(dates.dt.day_of_week, unit="D")).reset_index(
        drop=True
    )
    if demand.get("intercept") is None:
        return np.full(len(weeks), float(model["base_units"]))
    log_units = np.full(len(weeks), float(demand["intercept"]))
    for flag, effect in demand["promotion_effects"].items():
        if flag in weeks.columns and flag in PROMOTION_FLAGS:
            log_units += effect * weeks[flag].fillna(0.0).to_numpy(dtype=float)
    log_units += demand["holiday"] * holiday_weeks(week_start, demand["holiday_country"])
    fourier = np.asarray(demand["fourier"], dtype=float)
    if fourier.size:
        log_units += fourier_terms(week_start, fourier.size // 2) @ fourier
    elasticity = model.get("elasticity")
    if elasticity is not None and np.isfinite(elasticity):
        prices = weeks["unit_price"].to_numpy(dtype=float)
        log_units += float(elasticity) * np.log(prices / float(model["reference_price"]))
    return np.exp(log_units) * float(demand["smearing"])
