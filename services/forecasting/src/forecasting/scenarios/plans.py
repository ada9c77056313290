"""Pure scenario arithmetic: changes laid over the baseline plan, and units, revenue and margin.

Data frames in, data frames out (no database or queue), so the rules of the contract are tested
on known answers: a change without store/sku/category applies to every item, a later change
overrides an earlier one for the same item and date, and `price_change_pct` is relative to the
price the baseline assumes for that date.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

KEYS = ["store", "sku"]
PLAN_COLUMNS = ["store", "sku", "date", "price", "promotion"]


def change_mask(
    frame: pd.DataFrame, change: dict[str, Any], categories: pd.Series, period_days: int = 1
) -> np.ndarray:
    """Rows of a plan (store, sku, date; categories aligned) that one change covers.

    A row dated d stands for the period of `period_days` days ending on d (a weekly forecast's
    period); the change covers it when their days overlap.
    """
    period_start = frame["date"] - pd.Timedelta(days=period_days - 1)
    mask = (frame["date"] >= pd.Timestamp(change["start"])) & (period_start <= pd.Timestamp(change["end"]))
    for field, column in (("store", frame["store"]), ("sku", frame["sku"]), ("category", categories)):
        if change.get(field) is not None:
            mask &= column.astype(str) == str(change[field])
    return mask.to_numpy(dtype=bool)


def apply_changes(
    baseline: pd.DataFrame, changes: Sequence[dict[str, Any]], categories: pd.Series, period_days: int = 1
) -> tuple[pd.DataFrame, np.ndarray]:
    """The scenario's plan (baseline with the changes applied in order) and which rows changed."""
    scenario = baseline.copy()
    changed = np.zeros(len(baseline), dtype=bool)
    base_price = baseline["price"].to_numpy(dtype=float)
    price = scenario["price"].to_numpy(dtype=float).copy()
    promotion = scenario["promotion"].to_numpy(dtype=float).copy()
    for change in changes:
        mask = change_mask(baseline, change, categories, period_days)
        if change.get("price") is not None:
            price[mask] = float(change["price"])
        elif change.get("price_change_pct") is not None:
            price[mask] = base_price[mask] * (1 + float(change["price_change_pct"]) / 100)
        if change.get("promotion") is not None:
            promotion[mask] = float(change["promotion"])
        changed |= mask
    scenario["price"] = np.round(price, 4)
    scenario["promotion"] = promotion
    return scenario, changed


def as_served(points: pd.DataFrame, reconciled: pd.DataFrame) -> pd.DataFrame:
    """Demand points (store, sku, date, p10, p50, p90) from the demand model, moved as the served
    forecast was by reconciliation: scaled by served p50 / the engine's p50 at each point (shifted
    by their difference where the engine said 0), so the baseline plan reproduces the served forecast.

    `reconciled` (store, sku, date, p50, base_p50) holds the points reconciliation moved; the rest
    stay as the model gives them.
    """
    if reconciled.empty:
        return points
    moved = reconciled.assign(date=pd.to_datetime(reconciled["date"]))
    out = points.assign(date=pd.to_datetime(points["date"])).merge(
        moved.rename(columns={"p50": "served_p50"}), on=[*KEYS, "date"], how="left"
    )
    served, engine = out["served_p50"].to_numpy(dtype=float), out["base_p50"].to_numpy(dtype=float)
    known = np.isfinite(served) & np.isfinite(engine)
    relative = known & (engine > 0)
    with np.errstate(invalid="ignore", divide="ignore"):
        ratio = np.where(relative, served / np.where(relative, engine, 1.0), 1.0)
    shift = np.where(known & ~relative, served - np.nan_to_num(engine), 0.0)
    for name in ("p10", "p50", "p90"):
        out[name] = np.clip(out[name].to_numpy(dtype=float) * ratio + shift, 0.0, None)
    out["date"] = points["date"].to_numpy()
    return out[points.columns]


def item_figures(points: pd.DataFrame, plan: pd.DataFrame, unit_cost: pd.DataFrame) -> pd.DataFrame:
    """Per item: units (sum of p50), revenue (units x price) and gross margin (units x (price - cost)).

    `plan` holds the price of every point's store, sku and period date (the demand model's plan).
    """
    frame = points[[*KEYS, "date", "p50"]].merge(
        plan[[*KEYS, "date", "price"]], on=[*KEYS, "date"], how="left"
    )
    frame = frame.merge(unit_cost, on=KEYS, how="left")
    frame["revenue"] = frame["p50"] * frame["price"]
    frame["gross_margin"] = frame["p50"] * (frame["price"] - frame["unit_cost"])
    grouped = frame.groupby(KEYS, as_index=False).agg(
        units=("p50", "sum"), revenue=("revenue", "sum"), gross_margin=("gross_margin", "sum")
    )
    return grouped


def unit_costs(products: pd.DataFrame, baseline: pd.DataFrame, assumed_margin_pct: float) -> pd.DataFrame:
    """Each item's unit cost; unknown ones assumed from the baseline price and a margin, as pricing does."""
    first_price = baseline.groupby(KEYS, as_index=False)["price"].first()
    frame = first_price
    if len(products) and "unit_cost" in products:
        cost = products[[*KEYS, "unit_cost"]].drop_duplicates(KEYS)
        frame = frame.merge(cost, on=KEYS, how="left")
    else:
        frame = frame.assign(unit_cost=np.nan)
    known = pd.to_numeric(frame["unit_cost"], errors="coerce")
    assumed = ~(known > 0)
    frame["unit_cost"] = known.where(~assumed, frame["price"] / (1 + assumed_margin_pct / 100))
    frame["unit_cost_assumed"] = assumed.to_numpy(dtype=bool)
    return frame[[*KEYS, "unit_cost", "unit_cost_assumed"]]


def assumption_notes(costs: pd.DataFrame, assumed_margin_pct: float) -> list[str]:
    """The assumptions behind the margins, in words (empty when every unit cost is known)."""
    count = int(costs["unit_cost_assumed"].sum())
    if not count:
        return []
    return [
        f"Unit cost unknown for {count} item(s): assumed a {assumed_margin_pct:g}% margin over cost "
        "at the baseline price (the pricing guardrails' assumed_margin_pct)."
    ]
