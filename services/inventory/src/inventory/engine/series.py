"""A batch of forecast points grouped per store x sku: rows in order, period length, planning date."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pandas as pd

from inventory.engine.distribution import FloatArray

KEYS = ["store", "sku"]


@dataclass
class ForecastSeries:
    """Forecast rows grouped per store x sku, in date order."""

    keys: pd.DataFrame  # store, sku, one row per series
    start: npt.NDArray[np.intp]  # first row of each series in the sorted forecast
    n_periods: npt.NDArray[np.intp]
    period_days: FloatArray
    as_of: pd.Series
    wape: FloatArray


def _period_days_from_frequency(value: object) -> float | None:
    """Map a pandas-style frequency label ('D', 'W', 'W-SUN', 'M') to days, None if unknown."""
    if not isinstance(value, str) or not value:
        return None
    return {"D": 1.0, "W": 7.0, "M": 30.0, "Q": 91.0}.get(value.strip().upper()[:1])


def group_forecast(points: pd.DataFrame, as_of: pd.Timestamp | None) -> tuple[pd.DataFrame, ForecastSeries]:
    """Sort the forecast, infer each series' period length and its planning date."""
    missing = {"store", "sku", "date", "p50"} - set(points.columns)
    if missing:
        raise ValueError(f"forecast_points lacks column(s) {sorted(missing)}")
    frame = points.copy()
    frame["date"] = pd.to_datetime(frame["date"])
    # A period without a median forecast carries no information: drop it rather than read it as 0.
    frame = frame[frame["date"].notna() & pd.to_numeric(frame["p50"], errors="coerce").notna()]
    for column in ("p10", "p90"):
        if column not in frame.columns:
            frame[column] = np.nan
    if as_of is not None:
        frame = frame[frame["date"] > pd.Timestamp(as_of)]
    frame = frame.sort_values([*KEYS, "date"], kind="stable").reset_index(drop=True)
    series_id = frame.groupby(KEYS, sort=False, dropna=False).ngroup().to_numpy()
    frame["_series"] = series_id
    grouped = frame.groupby("_series", sort=True)
    first_rows = grouped.head(1)
    n_periods = grouped.size().to_numpy().astype(np.intp)
    start = np.concatenate([[0], np.cumsum(n_periods)[:-1]]).astype(np.intp)
    step_days = frame.groupby("_series")["date"].diff().dt.total_seconds() / 86_400.0
    period_days = step_days.groupby(frame["_series"]).median().reindex(range(len(n_periods))).to_numpy()
    if "frequency" in frame.columns:
        labelled = first_rows["frequency"].map(_period_days_from_frequency).to_numpy(dtype=float)
        period_days = np.where(np.isfinite(period_days), period_days, labelled)
    known = period_days[np.isfinite(period_days) & (period_days > 0)]
    # A one-period series without a label takes the batch's most common period, else a day.
    fallback = float(pd.Series(known).mode().iloc[0]) if len(known) else 1.0
    period_days = np.where(np.isfinite(period_days) & (period_days > 0), period_days, fallback)
    if as_of is not None:
        series_as_of = pd.Series(pd.Timestamp(as_of), index=range(len(n_periods)))
    else:
        # The first forecast period is taken to start now: it ends one period after today.
        first_dates = first_rows["date"].reset_index(drop=True)
        series_as_of = first_dates - pd.to_timedelta(period_days, unit="D")
        series_as_of = series_as_of.dt.normalize()
    if "wape" in frame.columns:
        wape = pd.to_numeric(first_rows["wape"], errors="coerce").to_numpy(dtype=float)
    else:
        wape = np.full(len(n_periods), np.nan)
    keys = first_rows[KEYS].reset_index(drop=True)
    return frame, ForecastSeries(keys, start, n_periods, period_days, series_as_of, wape)


def period_matrix(
    values: FloatArray, series: ForecastSeries, n_columns: int, cycle: npt.NDArray[np.intp]
) -> FloatArray:
    """Lay each series' per-period values out in a (series, n_columns) matrix.

    Past the end of the forecast the last `cycle` periods repeat (the last week for daily data,
    so a weekday pattern carries on).
    """
    column = np.arange(n_columns)[None, :]
    n = series.n_periods[:, None]
    repeat = np.maximum(np.minimum(cycle[:, None], n), 1)
    overflow = column - n
    wrapped = np.where(column < n, column, n - repeat + np.mod(overflow, repeat))
    return values[series.start[:, None] + wrapped]
