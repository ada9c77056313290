"""Price elasticities read from the demand model: each item's own, and its substitutes' cross effects.

Pricing reports these instead of its own regression's wherever the forecast stored a curve, so the
elasticity it shows and the units it expects come from the same model. The model is global (one fit
over every item of the chunk), so an item with few price changes of its own gets the response the
model learnt from similar items: the pooling is the model's.

Own elasticity: the arc elasticity d log units / d log price between the shelf price x(1 - s) and
x(1 + s), unpromoted, the other items at their baseline, from the horizon's total units; the point
is the mean over the steps s in STEPS. Each period is read at the moved price with the period before
it at the shelf price: the model reads a promotion's after-effect (the dip that follows a deal)
from last period's price, and a price held low for weeks would otherwise pass for one long
after-effect, making a lower price sell less.
Interval: a tree model's response is a step function, so its local slope depends on where around
the shelf price and in which period it is read. The interval is the INTERVAL_LEVEL central range
of the per-period arc elasticities at both steps (and always holds the point): the range of
responses the model gives near today's price over the horizon. It is a sensitivity range of the
fitted model, not a sampling interval of its estimation (the forecast keeps one fit per chunk;
refits on resampled series would multiply the forecasting run's cost).

Cross effects: the model reads an item's substitutes through the mean relative price of the other
items of its store and category, so every substitute moves it equally. The arc elasticity of the
item's units when all its substitutes' prices move together is split evenly among them (the
linearised share of one substitute in that mean); the items listed are the largest-selling
substitutes, up to MAX_CROSS_EFFECTS.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from forecasting.engine.demand_model import DemandModel, predict_demand
from forecasting.engine.price_response import substitute_groups

STEPS = (0.05, 0.10)
INTERVAL_LEVEL = 0.9
MAX_CROSS_EFFECTS = 3


def _shelf_plan(model: DemandModel) -> tuple[pd.DataFrame, np.ndarray]:
    """The baseline plan with every item at its shelf price, unpromoted (as the demand curves), and
    the shelf price per item."""
    n, horizon = model.panel.n_series, model.panel.horizon
    plan = model.baseline_plan()
    shelf = plan["price"].to_numpy(dtype=float).reshape(n, horizon).max(axis=1)
    return plan.assign(price=np.repeat(shelf, horizon), promotion=0.0), shelf


def _units(model: DemandModel, plan: pd.DataFrame, others: pd.DataFrame | None = None) -> np.ndarray:
    """p50 units (n, H) of every item under its own `plan`, its substitutes under `others`."""
    n, horizon = model.panel.n_series, model.panel.horizon
    if others is None:
        points = predict_demand(model, plan, alone=True)
    else:
        points = predict_demand(model, plan, others=others)
    return points["p50"].to_numpy(dtype=float).reshape(n, horizon)


def _arcs(low: np.ndarray, high: np.ndarray, step: float) -> tuple[np.ndarray, np.ndarray]:
    """Arc elasticities between units at price x(1 - step) and x(1 + step): from the horizon totals
    (n,), and per period (n, H; NaN where either side sells nothing)."""
    span = np.log((1 + step) / (1 - step))
    with np.errstate(invalid="ignore", divide="ignore"):
        total_low, total_high = low.sum(axis=1), high.sum(axis=1)
        total = np.where((total_low > 0) & (total_high > 0), np.log(total_high / total_low) / span, np.nan)
        period = np.where((low > 0) & (high > 0), np.log(high / low) / span, np.nan)
    return total, period


def _own_units(model: DemandModel, plan: pd.DataFrame, shelf: np.ndarray, factor: float) -> np.ndarray:
    """Units (n, H) of each period with the item's price at shelf x factor in that period and at the
    shelf price in the one before (two plans: the odd periods moved, then the even ones)."""
    horizon = model.panel.horizon
    parity = np.arange(horizon) % 2
    units = np.zeros((model.panel.n_series, horizon))
    for moved in (0, 1):
        grid = np.where(parity[None, :] == moved, shelf[:, None] * factor, shelf[:, None])
        units[:, parity == moved] = _units(model, plan.assign(price=grid.reshape(-1)))[:, parity == moved]
    return units


def _estimate(
    model: DemandModel, plan: pd.DataFrame, shelf: np.ndarray, substitutes: bool
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Point, low and high (n,) of the own (or, with `substitutes`, the all-substitutes) elasticity."""
    horizon = model.panel.horizon
    totals, periods = [], []
    for step in STEPS:
        if substitutes:
            moved = [plan.assign(price=np.repeat(shelf * factor, horizon)) for factor in (1 - step, 1 + step)]
            low, high = (_units(model, plan, others) for others in moved)
        else:
            low, high = (_own_units(model, plan, shelf, factor) for factor in (1 - step, 1 + step))
        total, period = _arcs(low, high, step)
        totals.append(total)
        periods.append(period)
    stacked = np.column_stack(totals)
    counted = np.isfinite(stacked).sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        point = np.where(counted > 0, np.nansum(stacked, axis=1) / counted, np.nan)
    spread = np.concatenate(periods, axis=1)
    tail = (1 - INTERVAL_LEVEL) / 2 * 100
    low, high = np.full(len(shelf), np.nan), np.full(len(shelf), np.nan)
    seen = np.isfinite(spread).any(axis=1) & np.isfinite(point)
    if seen.any():
        low[seen] = np.nanpercentile(spread[seen], tail, axis=1)
        high[seen] = np.nanpercentile(spread[seen], 100 - tail, axis=1)
    return point, np.fmin(low, point), np.fmax(high, point)


def price_elasticities(model: DemandModel) -> pd.DataFrame:
    """Per item: store, sku, elasticity, elasticity_low, elasticity_high (own price, interval at
    INTERVAL_LEVEL) and cross_effects, a list of {"sku", "elasticity", "low", "high"}: the response
    of this item's units to each of its strongest substitutes' prices (see the module's docstring)."""
    keys = model.keys
    plan, shelf = _shelf_plan(model)
    own = _estimate(model, plan, shelf, substitutes=False)
    cross = _estimate(model, plan, shelf, substitutes=True)
    groups = substitute_groups(keys)
    volume = model.p50.sum(axis=1)
    skus = keys["sku"].to_numpy(dtype=str)
    effects: list[list[dict[str, float | str]]] = []
    for item, group in enumerate(groups):
        members = np.flatnonzero((groups == group) & (np.arange(len(groups)) != item))
        if not model.substitutes or not len(members) or not np.isfinite(cross[0][item]):
            effects.append([])
            continue
        share = 1.0 / len(members)
        strongest = members[np.argsort(-volume[members], kind="stable")[:MAX_CROSS_EFFECTS]]
        effects.append(
            [
                {
                    "sku": str(skus[other]),
                    "elasticity": float(cross[0][item] * share),
                    "low": float(cross[1][item] * share),
                    "high": float(cross[2][item] * share),
                }
                for other in strongest
            ]
        )
    return pd.DataFrame(
        {
            "store": keys["store"].to_numpy(dtype=str),
            "sku": skus,
            "elasticity": own[0],
            "elasticity_low": own[1],
            "elasticity_high": own[2],
            "cross_effects": effects,
        }
    )
