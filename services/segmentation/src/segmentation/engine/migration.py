"""How customers moved between the segments of two runs."""

from __future__ import annotations

import numpy as np
import pandas as pd

NEW_SEGMENT = "(new)"
GONE_SEGMENT = "(gone)"


def segment_migration(previous: pd.DataFrame, current: pd.DataFrame) -> pd.DataFrame:
    """Count customers per (from_segment, to_segment) between two runs' customer_id/segment frames.

    Customers only in ``current`` come from "(new)", customers only in ``previous`` go to
    "(gone)"; customers who stayed put appear with from_segment == to_segment.
    """
    before = previous[["customer_id", "segment"]].drop_duplicates("customer_id", keep="last")
    after = current[["customer_id", "segment"]].drop_duplicates("customer_id", keep="last")
    merged = before.astype({"customer_id": str}).merge(
        after.astype({"customer_id": str}), on="customer_id", how="outer", suffixes=("_from", "_to")
    )
    merged["from_segment"] = (
        merged["segment_from"].astype(object).where(merged["segment_from"].notna(), NEW_SEGMENT)
    )
    merged["to_segment"] = (
        merged["segment_to"].astype(object).where(merged["segment_to"].notna(), GONE_SEGMENT)
    )
    counts = merged.groupby(["from_segment", "to_segment"]).size().rename("customers").reset_index()
    counts["from_segment"] = counts["from_segment"].astype(str)
    counts["to_segment"] = counts["to_segment"].astype(str)
    counts["customers"] = counts["customers"].astype(np.int64)
    return counts.sort_values(
        ["customers", "from_segment", "to_segment"], ascending=[False, True, True]
    ).reset_index(drop=True)
