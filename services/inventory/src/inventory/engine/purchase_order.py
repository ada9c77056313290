"""Purchase-order lines: the rows of the CSV a buyer sends to each supplier for each store."""

from __future__ import annotations

import pandas as pd

PURCHASE_ORDER_COLUMNS = [
    "supplier",
    "store",
    "sku",
    "name",
    "order_quantity",
    "pack_size",
    "packs",
    "unit_cost",
    "line_value",
    "urgency",
    "stockout_risk",
    "expected_stockout_date",
]
NO_SUPPLIER = "(no supplier)"


def purchase_order_lines(recommendations: pd.DataFrame) -> pd.DataFrame:
    """Return one line per item to order, grouped by supplier and store, most urgent first."""
    due = recommendations[recommendations["order_quantity"].fillna(0) > 0].copy()
    supplier = due["supplier"] if "supplier" in due.columns else pd.Series(None, index=due.index)
    due["supplier"] = supplier.where(supplier.notna() & (supplier.astype(str) != ""), NO_SUPPLIER)
    if "pack_size" not in due.columns:
        due["pack_size"] = 1.0
    if "name" not in due.columns:
        due["name"] = None
    due["pack_size"] = due["pack_size"].fillna(1.0)
    due["packs"] = (due["order_quantity"] / due["pack_size"]).round().astype("int64")
    due["order_quantity"] = due["order_quantity"].round().astype("int64")
    due["line_value"] = due["order_quantity"] * due["unit_cost"]
    due = due.sort_values(["supplier", "store", "urgency", "sku"], kind="stable")
    return due[PURCHASE_ORDER_COLUMNS].reset_index(drop=True)
