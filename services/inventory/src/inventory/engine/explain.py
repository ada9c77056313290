"""Explanations in words, one per recommendation row."""

from __future__ import annotations

import math
from collections.abc import Hashable
from typing import Any

import pandas as pd

from inventory.engine.policy import InventoryPolicy

_DEFAULT_WORDING = {
    "on_order": "nothing on order",
    "min_order_qty": "no minimum order quantity",
    "pack_size": "pack size 1",
    "unit_cost": "unit cost unknown, so no stock value, excess value or EOQ",
}


def _units(value: float) -> str:
    """Format a quantity of units without spurious decimals."""
    if not math.isfinite(value):
        return "unknown"
    return f"{value:,.0f}" if abs(value - round(value)) < 0.05 or abs(value) >= 100 else f"{value:,.1f}"


def _defaults_text(row: dict[Hashable, Any], policy: InventoryPolicy) -> str:
    wording = dict(_DEFAULT_WORDING, lead_time_days=f"lead time {policy.default_lead_time_days} days")
    used = [wording.get(name, name) for name in row["defaults_used"]]
    return f" Defaults used: {'; '.join(used)}." if used else ""


def explain_row(row: dict[Hashable, Any], policy: InventoryPolicy) -> str:
    """Explain one recommendation: what to order, why, what the risk is, and which defaults applied."""
    target = (
        f"{policy.service_level:.0%} cycle service level"
        if policy.service_level_type == "cycle"
        else f"{policy.service_level:.0%} fill rate"
    )
    window = f"{row['lead_time_days']:.0f}-day lead time + {policy.review_period_days}-day review period"
    if not row["has_forecast"]:
        levels = "No demand forecast for this item, so no expected demand and no stock target."
    else:
        levels = (
            f"Expected demand over the {window} is {_units(row['expected_protection_demand'])} units; "
            f"the {target} needs a reorder point of {_units(row['reorder_point'])} "
            f"(safety stock {_units(row['safety_stock'])}) and an order-up-to level of "
            f"{_units(row['order_up_to'])}."
        )
        from_history = row["demand_source"] == "history"
        if from_history:
            levels += (
                f" Demand is {row['_history_detail']} of {policy.history_window_days} days), so "
                "that demand comes from the item's own totals over its past windows of the same length, "
                "not from the forecast's band."
            )
        factor = policy.history_spread_factor if from_history else policy.spread_factor
        if factor != 1.0:
            whose = "That demand's" if from_history else "The forecast's"
            levels += (
                f" {whose} spread is scaled by {factor:.2f}, as its past errors over lead time + review "
                "period showed."
            )
        if math.isfinite(row["eoq"]):
            levels += f" The economic order quantity is {_units(row['eoq'])} units."
    if not math.isfinite(row["on_hand"]):
        action = (
            "On-hand stock is unknown, so these are target levels only: the engine needs on-hand "
            "quantities (POST /upload-products) to give an order quantity."
        )
        return f"{action} {levels}{_defaults_text(row, policy)}"
    position = (
        f"inventory position {_units(row['inventory_position'])} (on hand {_units(row['on_hand'])}"
        f" + on order {_units(row['on_order'])})"
    )
    if row["_due"]:
        rounding = ""
        if row["pack_size"] > 1 or row["min_order_qty"] > 0:
            minimum = row["min_order_qty"]
            rounding = f", rounded to packs of {_units(row['pack_size'])}"
            if minimum > 0:
                rounding += f" and the minimum order of {_units(minimum)}"
        action = (
            f"Order {_units(row['order_quantity'])} units now{rounding}: {position} is below the "
            f"reorder point {_units(row['reorder_point'])}."
        )
    else:
        action = f"No order due: {position} is at or above the reorder point {_units(row['reorder_point'])}."
    risk = (
        f" Chance of running out before an order placed today arrives: {row['stockout_risk']:.0%}."
        if row["has_forecast"]
        else ""
    )
    if pd.notna(row["expected_stockout_date"]):
        risk += (
            " Without a new order, stock is expected to run out around "
            f"{pd.Timestamp(row['expected_stockout_date']).date().isoformat()}."
        )
    if row["excess_units"] > 0:
        value = f" worth {row['excess_value']:,.2f}" if math.isfinite(row["excess_value"]) else ""
        risk += (
            f" {_units(row['excess_units'])} units{value} are beyond {policy.excess_cover_days} days of "
            "expected demand (excess)."
        )
    return f"{action} {levels}{risk}{_defaults_text(row, policy)}"


def explain_rows(table: pd.DataFrame, policy: InventoryPolicy) -> list[str]:
    """Explain every row of a recommendation table."""
    return [explain_row(row, policy) for row in table.to_dict("records")]
