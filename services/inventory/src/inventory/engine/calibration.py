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

from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from inventory.engine.history import DEMAND_CLASSES
from inventory.engine.policy import InventoryPolicy

# Fewer ended windows than this (pooled over the organization) leave the spread as forecast.
MIN_CALIBRATION_WINDOWS = 50
ERROR_COLUMNS = ["expected_protection_demand", "protection_quantile", "actual_protection_demand"]


def _numbers(frame: pd.DataFrame, column: str) -> np.ndarray:
    """A column as floats, NaN where it is not a number."""
    return pd.to_numeric(frame[column], errors="coerce").to_numpy(dtype=float)


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
    mean, quantile, actual = (_numbers(errors, column) for column in ERROR_COLUMNS)
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
    forecast, history = (
        frame[_numbers(frame, ERROR_COLUMNS[1]) > _numbers(frame, ERROR_COLUMNS[0])].reset_index(drop=True)
        for frame in frames
    )
    return forecast, history


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
    forecast, history, actual = (
        _numbers(records, column)
        for column in ("protection_quantile", "history_quantile", "actual_protection_demand")
    )
    classes = records["demand_class"].astype(object).to_numpy()
    both = np.isfinite(forecast) & np.isfinite(history) & np.isfinite(actual)
    chosen = set(default)
    for name in DEMAND_CLASSES:
        rows = both & (classes == name)
        if rows.sum() < min_records:
            continue
        if pinball_loss(history[rows], actual[rows], service_level) < pinball_loss(
            forecast[rows], actual[rows], service_level
        ):
            chosen.add(name)
        else:
            chosen.discard(name)
    return tuple(name for name in DEMAND_CLASSES if name in chosen)


@dataclass
class Calibration:
    """What the ended windows say: each source's spread factor, and the classes the history serves."""

    spread_factor: float  # forecast items
    windows: int  # ended windows with a forecast band behind spread_factor
    history_spread_factor: float
    history_windows: int
    history_classes: tuple[str, ...]


def calibrate_sources(records: pd.DataFrame, service_level: float, min_records: int = 50) -> Calibration:
    """Calibrate both sources and choose the history's classes from the ended windows' records.

    `records` as stored per window (protection_records' columns plus actual_protection_demand).
    Each source is calibrated on its own quantiles: a lumpy item's own-history totals and a
    forecast's band are wrong in different ways, and pooling let one widen the other.
    """
    forecast, history = source_errors(records)
    return Calibration(
        spread_factor=calibrate_spread(forecast, service_level, min_records=min_records),
        windows=len(forecast),
        history_spread_factor=calibrate_spread(history, service_level, min_records=min_records),
        history_windows=len(history),
        history_classes=choose_history_classes(records, service_level, min_records=min_records),
    )


def _calibration_note(spread_factor: float, windows: int) -> str:
    if windows == 0:
        return ""  # no history yet: nothing was calibrated, nothing to say
    if spread_factor > 1.0:
        return (
            f" The spread factor {spread_factor:.2f} comes from {windows} past lead time + review "
            "windows whose demand is known."
        )
    if windows >= MIN_CALIBRATION_WINDOWS:
        return (
            f" {windows} past lead time + review windows whose demand is known show the spread "
            "covers the target, so it is not scaled."
        )
    return (
        f" Only {windows} past lead time + review windows have known demand "
        f"({MIN_CALIBRATION_WINDOWS} are needed to calibrate the spread), so it is not scaled."
    )


def with_calibration(table: pd.DataFrame, calibration: Calibration) -> pd.DataFrame:
    """Add each item's spread factor and the ended windows behind it to every recommendation.

    Items whose demand came from their own history carry the history's factor and windows.
    """
    from_history = table["demand_source"].astype(str).eq("history").to_numpy()
    table = table.assign(
        spread_factor=np.where(from_history, calibration.history_spread_factor, calibration.spread_factor),
        calibration_windows=np.where(from_history, calibration.history_windows, calibration.windows),
    )
    forecast = table["has_forecast"].astype(bool)
    notes = np.where(
        from_history,
        _calibration_note(calibration.history_spread_factor, calibration.history_windows),
        _calibration_note(calibration.spread_factor, calibration.windows),
    )
    explanation = table["explanation"].where(~forecast, table["explanation"] + notes)
    return table.assign(explanation=explanation)


def calibrated_policy(policy: InventoryPolicy, records: pd.DataFrame) -> tuple[InventoryPolicy, Calibration]:
    """The policy with each source's spread and the history classes calibrated on ended windows."""
    calibration = calibrate_sources(records, policy.service_level, min_records=MIN_CALIBRATION_WINDOWS)
    calibrated = replace(
        policy,
        spread_factor=calibration.spread_factor,
        history_spread_factor=calibration.history_spread_factor,
        history_classes=calibration.history_classes,
    )
    return calibrated, calibration
