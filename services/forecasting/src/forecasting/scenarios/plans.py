"""Pure scenario arithmetic: a baseline plan, the changes laid over it, and units, revenue and margin.

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


def baseline_plan(
    history: pd.DataFrame,
    plan: pd.DataFrame,
    products: pd.DataFrame,
    items: pd.DataFrame,
    dates: pd.DatetimeIndex,
) -> pd.DataFrame:
    """The price and promotion the baseline forecast assumes per item and day of the horizon.

    A planned price or promotion where the stored plan gives one; otherwise the item's last price
    paid without a promotion (its last price, then its listed price), and no promotion: what the
    forecasting engine assumes for an unplanned future day.
    """
    last = _last_regular_price(history)
    grid = pd.MultiIndex.from_product([pd.RangeIndex(len(items)), dates], names=["item", "date"]).to_frame(
        index=False
    )
    frame = items[KEYS].reset_index(drop=True).iloc[grid["item"]].reset_index(drop=True)
    frame["date"] = grid["date"].to_numpy()
    frame = frame.merge(last, on=KEYS, how="left")
    if len(products) and "price" in products:
        listed = products[[*KEYS, "price"]].drop_duplicates(KEYS).rename(columns={"price": "listed"})
        frame = frame.merge(listed, on=KEYS, how="left")
        frame["price"] = frame["price"].fillna(pd.to_numeric(frame["listed"], errors="coerce"))
    frame["promotion"] = 0.0
    if len(plan):
        planned = plan.rename(columns={"unit_price": "planned_price", "promotion": "planned_promotion"})
        planned = planned[[*KEYS, "date", "planned_price", "planned_promotion"]].drop_duplicates(
            [*KEYS, "date"]
        )
        frame = frame.merge(planned, on=[*KEYS, "date"], how="left")
        frame["price"] = frame["planned_price"].fillna(frame["price"])
        frame["promotion"] = frame["planned_promotion"].fillna(frame["promotion"])
    return frame[PLAN_COLUMNS].astype({"price": float, "promotion": float})


def _last_regular_price(history: pd.DataFrame) -> pd.DataFrame:
    """Per item, the last price paid on a day without a promotion (else its last price)."""
    if history.empty or "unit_price" not in history:
        return pd.DataFrame({"store": [], "sku": [], "price": []})
    priced = history.loc[history["unit_price"].notna() & (history["unit_price"] > 0)].sort_values("date")
    promoted = (
        priced["promotion"].fillna(0).gt(0) if "promotion" in priced else pd.Series(False, priced.index)
    )
    regular = priced.loc[~promoted].groupby(KEYS)["unit_price"].last()
    any_price = priced.groupby(KEYS)["unit_price"].last()
    return regular.combine_first(any_price).rename("price").reset_index()


def change_mask(frame: pd.DataFrame, change: dict[str, Any], categories: pd.Series) -> np.ndarray:
    """Rows of a plan (store, sku, date; categories aligned) that one change covers."""
    mask = (frame["date"] >= pd.Timestamp(change["start"])) & (frame["date"] <= pd.Timestamp(change["end"]))
    for field, column in (("store", frame["store"]), ("sku", frame["sku"]), ("category", categories)):
        if change.get(field) is not None:
            mask &= column.astype(str) == str(change[field])
    return mask.to_numpy(dtype=bool)


def apply_changes(
    baseline: pd.DataFrame, changes: Sequence[dict[str, Any]], categories: pd.Series
) -> tuple[pd.DataFrame, np.ndarray]:
    """The scenario's plan (baseline with the changes applied in order) and which rows changed."""
    scenario = baseline.copy()
    changed = np.zeros(len(baseline), dtype=bool)
    base_price = baseline["price"].to_numpy(dtype=float)
    price = scenario["price"].to_numpy(dtype=float).copy()
    promotion = scenario["promotion"].to_numpy(dtype=float).copy()
    for change in changes:
        mask = change_mask(baseline, change, categories)
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


def period_prices(points: pd.DataFrame, plan: pd.DataFrame) -> np.ndarray:
    """The mean daily plan price over each forecast point's period (its days up to its date).

    A weekly point dated d covers the days after the previous point up to d; a daily point its day.
    """
    stamps = points[[*KEYS, "date"]].assign(point=np.arange(len(points)))
    days = plan[[*KEYS, "date", "price"]].sort_values("date")
    joined = pd.merge_asof(
        days,
        stamps.sort_values("date").rename(columns={"date": "point_date"}),
        left_on="date",
        right_on="point_date",
        by=KEYS,
        direction="forward",
    )
    means = joined.groupby("point")["price"].mean()
    out = np.full(len(points), np.nan)
    out[means.index.to_numpy(dtype=int)] = means.to_numpy(dtype=float)
    return out


def item_figures(points: pd.DataFrame, plan: pd.DataFrame, unit_cost: pd.DataFrame) -> pd.DataFrame:
    """Per item: units (sum of p50), revenue (units x price) and gross margin (units x (price - cost))."""
    price = period_prices(points, plan)
    frame = points[[*KEYS, "p50"]].assign(price=price).merge(unit_cost, on=KEYS, how="left")
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
