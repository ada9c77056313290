"""Each item's stock and supplier data, with the policy's defaults where the retailer gave none."""

from __future__ import annotations

import numpy as np
import pandas as pd

from inventory.engine.policy import InventoryPolicy
from inventory.engine.series import KEYS


def item_data(items: pd.DataFrame, products: pd.DataFrame | None, policy: InventoryPolicy) -> pd.DataFrame:
    """Attach stock and supplier data to each item, applying and recording defaults."""
    table = items.copy()
    columns = [
        "on_hand",
        "on_order",
        "lead_time_days",
        "min_order_qty",
        "pack_size",
        "unit_cost",
        "supplier",
        "name",
        "ordering_cost",
    ]
    if products is not None and len(products):
        product_table = products.copy()
        for column in columns:
            if column not in product_table.columns:
                product_table[column] = np.nan
        product_table = product_table[[*KEYS, *columns]]
        # Match on text so an integer store id in one frame meets the same id as text in the other.
        product_table["_key"] = product_table["store"].astype(str) + "\x1f" + product_table["sku"].astype(str)
        product_table = product_table.drop_duplicates("_key", keep="last").drop(columns=KEYS)
        table["_key"] = table["store"].astype(str) + "\x1f" + table["sku"].astype(str)
        table = table.merge(product_table, on="_key", how="left").drop(columns="_key")
    else:
        for column in columns:
            table[column] = np.nan

    def number(column: str) -> pd.Series:
        return pd.to_numeric(table[column], errors="coerce").astype(float)

    defaults: list[list[str]] = [[] for _ in range(len(table))]

    def default(column: str, values: pd.Series, is_valid: pd.Series, fallback: float) -> pd.Series:
        for position in np.flatnonzero(~is_valid.to_numpy()):
            defaults[position].append(column)
        return values.where(is_valid, fallback)

    on_hand = number("on_hand")
    table["on_hand"] = on_hand
    on_order = number("on_order")
    table["on_order"] = default("on_order", on_order, on_order.notna() & (on_order >= 0), 0.0)
    lead = number("lead_time_days")
    table["lead_time_days"] = default(
        "lead_time_days", lead, lead.notna() & (lead >= 0), float(policy.default_lead_time_days)
    )
    moq = number("min_order_qty")
    table["min_order_qty"] = default("min_order_qty", moq, moq.notna() & (moq >= 0), 0.0)
    pack = number("pack_size")
    table["pack_size"] = default("pack_size", pack, pack.notna() & (pack > 0), 1.0)
    unit_cost = number("unit_cost")
    valid_cost = unit_cost.notna() & (unit_cost >= 0)
    for position in np.flatnonzero(~valid_cost.to_numpy()):
        defaults[position].append("unit_cost")
    table["unit_cost"] = unit_cost.where(valid_cost)
    ordering_cost = number("ordering_cost")
    policy_cost = np.nan if policy.ordering_cost is None else float(policy.ordering_cost)
    table["ordering_cost"] = ordering_cost.where(ordering_cost.notna() & (ordering_cost >= 0), policy_cost)
    # Object columns with None (not NaN) where unknown, so they serialise as null.
    for column in ("supplier", "name"):
        table[column] = table[column].astype(object).where(table[column].notna(), None)
    table["defaults_used"] = defaults
    return table
