"""Each recommendation's stock-outs: how often the item ran out and what that cost (pure)."""

from __future__ import annotations

import pandas as pd

STOCKOUT_TOTAL_COLUMNS = ["store", "sku", "stockout_count", "lost_units", "lost_revenue"]


def with_stockouts(table: pd.DataFrame, totals: pd.DataFrame) -> pd.DataFrame:
    """The table with a `stockouts` column: {"count", "lost_units", "lost_revenue"} per row (zeros for none).

    `totals` has one row per store x sku (STOCKOUT_TOTAL_COLUMNS); items without a row never ran out.
    """
    keyed = totals.set_index(["store", "sku"])[["stockout_count", "lost_units", "lost_revenue"]]
    found = keyed.reindex(pd.MultiIndex.from_frame(table[["store", "sku"]])).fillna(0.0)
    out = table.copy()
    out["stockouts"] = pd.Series(
        [
            {
                "count": int(count),
                "lost_units": round(float(units), 3),
                "lost_revenue": round(float(revenue), 2),
            }
            for count, units, revenue in found.itertuples(index=False, name=None)
        ],
        index=out.index,
        dtype=object,
    )
    return out
