"""Sum item forecasts to store, category or total level with properly aggregated quantiles."""

from __future__ import annotations

import numpy as np
import pandas as pd

# z-score of the 90% quantile of a normal: p90 - p50 = Z90 * sigma for a normal forecast error.
Z90 = 1.2815515655446004


def aggregate_forecast(
    points: pd.DataFrame,
    by: list[str],
    products: pd.DataFrame | None = None,
    correlation: float = 0.0,
) -> pd.DataFrame:
    """Sum p50 over items per `by` + date; p10/p90 from summed variances, not summed quantiles.

    Each item's lower and upper spread is read as a normal sigma ((p50 - p10) / z and
    (p90 - p50) / z); group spread is sqrt((1 - rho) * sum(sigma^2) + rho * (sum sigma)^2), so
    `correlation` 0 means independent items and 1 means perfectly co-moving ones (plain sums).
    `by` may hold "store" and/or "category" (category needs `products`), or be empty for the total.
    """
    frame = points
    if "category" in by and "category" not in frame.columns:
        if products is None or "category" not in products.columns:
            raise ValueError("level=category needs a products table with a category column")
        on = ["store", "sku"] if "store" in products.columns else ["sku"]
        cats = products[[*on, "category"]].astype({c: str for c in on}).drop_duplicates(on)
        frame = frame.merge(cats, on=on, how="left")
        frame["category"] = frame["category"].fillna("unknown")
    rho = float(np.clip(correlation, 0.0, 1.0))
    work = frame.assign(
        _lo=(frame["p50"] - frame["p10"]) / Z90,
        _hi=(frame["p90"] - frame["p50"]) / Z90,
    )
    work = work.assign(_lo2=work["_lo"] ** 2, _hi2=work["_hi"] ** 2)
    keys = [*by, "date"]
    grouped = work.groupby(keys, sort=True)[["p50", "_lo", "_hi", "_lo2", "_hi2"]].sum().reset_index()
    sigma_lo = np.sqrt((1 - rho) * grouped["_lo2"] + rho * grouped["_lo"] ** 2)
    sigma_hi = np.sqrt((1 - rho) * grouped["_hi2"] + rho * grouped["_hi"] ** 2)
    grouped["p10"] = np.clip(grouped["p50"] - Z90 * sigma_lo, 0.0, None)
    grouped["p90"] = grouped["p50"] + Z90 * sigma_hi
    return grouped[[*keys, "p10", "p50", "p90"]]
