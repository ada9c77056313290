"""Calibrate the lead-time demand spread from the engine's own past errors over lead time + review.

Each past review leaves a record: the mean and the `coverage` quantile the engine gave for demand
over lead time + review period (with spread factor 1), and the demand that then happened. If the
band were calibrated, `coverage` of the actual totals would fall below the quantile. The records'
standardised errors u = (actual - mean) / (quantile - mean) say how far the quantile must move out:
their `coverage` quantile is the factor by which the spread around the median must grow.
Ref: Kuleshov, Fenner & Ermon (2018), "Accurate Uncertainties for Deep Learning Using Calibrated
Regression", ICML: recalibrating forecast quantiles on held-out errors.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

ERROR_COLUMNS = ["expected_protection_demand", "protection_quantile", "actual_protection_demand"]


def calibrate_spread(
    errors: pd.DataFrame,
    coverage: float,
    min_records: int = 50,
    max_factor: float = 10.0,
) -> float:
    """Return the spread factor that makes past protection-demand quantiles cover `coverage` of actuals.

    `errors` has one row per item and past review (columns ERROR_COLUMNS), over completed windows
    only. The factor is pooled over items, because one item has too few windows for a tail
    quantile; it is never below 1 (single windows are noisy, so the band is only widened), at most
    `max_factor` (a few windows of a broken forecast must not multiply stock without bound), and 1
    with fewer than `min_records` usable rows.
    """
    missing = set(ERROR_COLUMNS) - set(errors.columns)
    if missing:
        raise ValueError(f"errors lacks column(s) {sorted(missing)}")
    mean = pd.to_numeric(errors["expected_protection_demand"], errors="coerce").to_numpy(dtype=float)
    quantile = pd.to_numeric(errors["protection_quantile"], errors="coerce").to_numpy(dtype=float)
    actual = pd.to_numeric(errors["actual_protection_demand"], errors="coerce").to_numpy(dtype=float)
    # Items without spread (quantile at the mean) cannot be scaled and say nothing about the band.
    usable = np.isfinite(mean) & np.isfinite(quantile) & np.isfinite(actual) & (quantile > mean)
    if usable.sum() < min_records:
        return 1.0
    standardised = (actual[usable] - mean[usable]) / (quantile[usable] - mean[usable])
    factor = float(np.quantile(standardised, coverage))
    return float(np.clip(factor, 1.0, max_factor))
