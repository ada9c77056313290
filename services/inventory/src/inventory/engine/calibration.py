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


def source_errors(records: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Ended windows as calibration input (ERROR_COLUMNS): the forecast's, then the history's.

    `records` holds both sources' mean and quantile per window (expected_protection_demand,
    protection_quantile, history_expected_demand, history_quantile) and actual_protection_demand.
    Windows without spread (quantile at the mean, or no history) say nothing about a band and are
    left out.
    """
    history = records[["history_expected_demand", "history_quantile", "actual_protection_demand"]]
    frames = (records[ERROR_COLUMNS], history.set_axis(ERROR_COLUMNS, axis=1))
    mean, quantile = ERROR_COLUMNS[0], ERROR_COLUMNS[1]
    return tuple(  # type: ignore[return-value]
        frame[
            pd.to_numeric(frame[quantile], errors="coerce") > pd.to_numeric(frame[mean], errors="coerce")
        ].reset_index(drop=True)
        for frame in frames
    )


# Columns of the records that choose, per demand class, between the forecast and the history.
CHOICE_COLUMNS = ["demand_class", "protection_quantile", "history_quantile", "actual_protection_demand"]


def pinball_loss(quantile: np.ndarray, actual: np.ndarray, level: float) -> float:
    """Mean quantile (pinball) loss of `quantile` as the `level` quantile of `actual`.

    Ref: Koenker & Bassett (1978), "Regression Quantiles", Econometrica 46(1).
    """
    gap = actual - quantile
    return float(np.mean(np.maximum(level * gap, (level - 1.0) * gap)))


def choose_history_classes(
    records: pd.DataFrame,
    service_level: float,
    min_records: int = 50,
    default: tuple[str, ...] = ("lumpy",),
) -> tuple[str, ...]:
    """Demand classes whose items should take lead time + review demand from their own history.

    `records` has one row per ended window (CHOICE_COLUMNS): the quantile the forecast gave, the
    quantile the item's own past windows gave at the same origin, and the demand that came. A class
    with at least `min_records` windows holding both quantiles goes to the source whose quantiles
    had the lower pinball loss at the service level; a class with fewer keeps its `default` source.
    Like the forecasting engine's model choice per cluster: per class, because one item has too few
    windows to tell the two apart.
    """
    missing = set(CHOICE_COLUMNS) - set(records.columns)
    if missing:
        raise ValueError(f"records lack column(s) {sorted(missing)}")
    forecast = pd.to_numeric(records["protection_quantile"], errors="coerce").to_numpy(dtype=float)
    history = pd.to_numeric(records["history_quantile"], errors="coerce").to_numpy(dtype=float)
    actual = pd.to_numeric(records["actual_protection_demand"], errors="coerce").to_numpy(dtype=float)
    classes = records["demand_class"].astype(object).to_numpy()
    both = np.isfinite(forecast) & np.isfinite(history) & np.isfinite(actual)
    chosen = set(default)
    for name in ("smooth", "erratic", "intermittent", "lumpy"):
        rows = both & (classes == name)
        if rows.sum() < min_records:
            continue
        if pinball_loss(history[rows], actual[rows], service_level) < pinball_loss(
            forecast[rows], actual[rows], service_level
        ):
            chosen.add(name)
        else:
            chosen.discard(name)
    return tuple(name for name in ("smooth", "erratic", "intermittent", "lumpy") if name in chosen)
