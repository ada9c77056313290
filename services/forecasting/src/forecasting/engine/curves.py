"""Demand curves from the demand model: units at a grid of prices, for pricing to read.

Services never import each other, so pricing cannot call the demand model; the forecasting run
stores, per item, its units at prices around its shelf price, and pricing reads them. The model is a
tree ensemble, so its units step at split points and interpolation between grid prices can miss a
step: the grid therefore holds every price pricing can suggest (the organization's price endings,
e.g. x.49 and x.99) exactly, plus a relative grid for any other price.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from forecasting.engine.demand_model import DemandModel, predict_demand
from forecasting.engine.elasticities import price_elasticities
from forecasting.engine.panel import WEEKLY

# Relative grid around each item's shelf price in the baseline plan (its last price outside a
# promotion). Pricing moves its own current price by at most its step limit (10% by default), and
# its current price may sit a little off the forecast's shelf price, so the grid spans +-40%. Its
# steps are coarse: the prices pricing can suggest are on the curve exactly, and every grid price
# costs one prediction of the whole chunk.
CURVE_STEPS = np.round(np.arange(0.60, 1.40001, 0.05), 2)


def curve_prices(shelf: float, endings: Sequence[float], steps: np.ndarray = CURVE_STEPS) -> np.ndarray:
    """Sorted prices of one item's curve: the relative grid, the shelf price itself, and every price
    with an allowed ending (an ending below 0.10 applies to the dimes) within the grid's span."""
    low, high = shelf * steps[0], shelf * steps[-1]
    prices = [shelf * steps, np.array([shelf])]
    for ending in endings:
        step = 0.1 if ending < 0.1 else 1.0
        first, last = int(np.floor((low - ending) / step)), int(np.ceil((high - ending) / step))
        found = np.round(np.arange(first, last + 1) * step + ending, 2)
        prices.append(found[(found >= low) & (found <= high) & (found > 0)])
    return np.unique(np.round(np.concatenate(prices), 6))


def demand_curves(
    model: DemandModel, endings: Sequence[float] = (), steps: np.ndarray = CURVE_STEPS
) -> pd.DataFrame:
    """Per item: store, sku, prices and weekly units (unpromoted, every period at that price, the
    other items of its store and category as the baseline plan has them), and the model's price
    elasticities (elasticity, elasticity_low, elasticity_high, cross_effects; see elasticities.py).

    Weekly units are the horizon's total units over its length in weeks, so a pricing week and a
    forecast horizon speak of the same demand.
    """
    panel = model.panel
    n, horizon = panel.n_series, panel.horizon
    plan = model.baseline_plan()
    shelf = plan["price"].to_numpy(dtype=float).reshape(n, horizon).max(axis=1)
    grids = [curve_prices(float(price), endings, steps) for price in shelf]
    width = max(len(grid) for grid in grids)
    # One plan per column: item i at its k-th price (items with fewer prices repeat their last).
    table = np.array([np.pad(grid, (0, width - len(grid)), mode="edge") for grid in grids])
    units = np.zeros((n, width))
    for k in range(width):
        priced = plan.assign(price=np.repeat(table[:, k], horizon), promotion=0.0)
        units[:, k] = (
            predict_demand(model, priced, alone=True)["p50"].to_numpy().reshape(n, horizon).sum(axis=1)
        )
    weeks = horizon if panel.freq == WEEKLY else horizon / 7
    elasticities = price_elasticities(model)
    return elasticities[["store", "sku"]].assign(
        prices=list(grids),
        weekly_units=[units[i, : len(grid)] / weeks for i, grid in enumerate(grids)],
        **{name: elasticities[name] for name in elasticities.columns[2:]},
    )
