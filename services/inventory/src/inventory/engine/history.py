"""Lead-time demand of lumpy items from their own past: bootstrapped lead time + review totals.

For items whose demand comes in rare, irregular lumps (Syntetos-Boylan "lumpy": average interval
between demands ADI >= 1.32 and squared coefficient of variation of the demand sizes CV2 >= 0.49),
a period forecast's p10/p50/p90 say little about the total over lead time + review period: the
summed period bands of such items were several times wider than any total the item ever had
(and so held far more stock than a static min/max rule at its service level, bench/RESULTS.md). Their
distribution is then taken from the item's own recent history instead: every window of lead
time + review period length inside the last `history_window_days` gives one total (overlapping
windows, so the totals keep the demand's own clustering), and the samples are drawn from those.
Ref: Willemain, Smart & Schwarz (2004), "A new approach to forecasting intermittent demand for
service parts inventories", International Journal of Forecasting 20(3), bootstrapped lead-time
demand; Syntetos, Boylan & Croston (2005), "On the categorization of demand patterns", Journal of
the Operational Research Society 56(5), the ADI / CV2 cut-offs.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pandas as pd

from inventory.engine.distribution import FloatArray

ADI_LUMPY = 1.32
CV2_LUMPY = 0.49
# Syntetos-Boylan demand classes: (ADI < 1.32 or not, CV2 < 0.49 or not).
DEMAND_CLASSES = ("smooth", "erratic", "intermittent", "lumpy")
HISTORY_COLUMNS = ("store", "sku", "date", "quantity")


@dataclass
class HistoryWindows:
    """Per item: demand totals sampled from its past windows, and its demand class."""

    lead: FloatArray  # (items, samples) demand over the lead time
    protection: FloatArray  # (items, samples) demand over lead time + review period
    windows: npt.NDArray[np.intp]  # distinct past windows behind the samples (0: no history)
    adi: FloatArray  # average number of periods between periods with demand
    cv2: FloatArray  # squared coefficient of variation of the non-zero demands

    @property
    def demand_class(self) -> npt.NDArray[np.str_]:
        """Syntetos-Boylan class per item ("" without a single period of observed history)."""
        index = 2 * (self.adi >= ADI_LUMPY) + (self.cv2 >= CV2_LUMPY)
        named = np.asarray(DEMAND_CLASSES)[index]
        return np.where(np.isfinite(self.adi), named, "")


def _history_matrix(
    history: pd.DataFrame,
    keys: pd.DataFrame,
    as_of: pd.Series,
    period_days: FloatArray,
    n_periods: int,
) -> tuple[FloatArray, npt.NDArray[np.intp]]:
    """Demand per item and period for the `n_periods` periods up to each item's `as_of`.

    Column n_periods - 1 is the period ending at as_of. Also returns the first column that lies on
    or after the item's first recorded sale (n_periods when it has none), so an item that started
    selling recently is not read as having sold nothing before.
    """
    missing = set(HISTORY_COLUMNS) - set(history.columns)
    if missing:
        raise ValueError(f"history lacks column(s) {sorted(missing)}")
    n_items = len(keys)
    matrix = np.zeros((n_items, n_periods))
    first = np.full(n_items, n_periods, dtype=np.intp)
    item_of = pd.Series(
        np.arange(n_items),
        index=pd.MultiIndex.from_arrays([keys["store"].astype(str), keys["sku"].astype(str)]),
    )
    index = pd.MultiIndex.from_arrays([history["store"].astype(str), history["sku"].astype(str)])
    item = item_of.reindex(index).to_numpy()
    known = np.isfinite(item)
    item = item[known].astype(np.intp)
    dates = pd.to_datetime(history["date"]).to_numpy()[known]
    quantity = pd.to_numeric(history["quantity"], errors="coerce").to_numpy(dtype=float)[known]
    origin = pd.to_datetime(as_of).to_numpy()[item]
    days_back = (origin - dates) / np.timedelta64(1, "D")
    back = np.floor(days_back / period_days[item]).astype(np.intp)
    # The first sale may lie before the window: then the whole window counts.
    sold = np.nan_to_num(quantity) > 0
    earliest = np.full(n_items, -np.inf)
    np.maximum.at(earliest, item[sold], back[sold].astype(float))
    has_sale = np.isfinite(earliest)
    first[has_sale] = np.clip(n_periods - 1 - earliest[has_sale], 0, n_periods).astype(np.intp)
    inside = (days_back >= 0) & (back < n_periods)
    # Returns reduce a period's net demand, never below zero.
    np.add.at(matrix, (item[inside], n_periods - 1 - back[inside]), np.nan_to_num(quantity[inside]))
    return np.maximum(matrix, 0.0), first


def history_windows(
    history: pd.DataFrame,
    keys: pd.DataFrame,
    as_of: pd.Series,
    period_days: FloatArray,
    lead_weight: FloatArray,
    protection_weight: FloatArray,
    window_days: int,
    n_samples: int,
    seed: int,
) -> HistoryWindows:
    """Sample each item's demand over lead time and lead time + review from its past windows.

    `lead_weight` / `protection_weight` (items, columns) are the engine's weights of each period in
    the window (the last one fractional when the window is not a whole number of periods). Items
    are grouped by period length, which sets how many periods `window_days` spans.
    """
    n_items, n_columns = protection_weight.shape
    lead = np.zeros((n_items, n_samples))
    protection = np.zeros((n_items, n_samples))
    windows = np.zeros(n_items, dtype=np.intp)
    adi = np.full(n_items, np.nan)
    cv2 = np.full(n_items, np.nan)
    uniforms = np.random.default_rng([seed, 2]).random(n_samples)
    for days in np.unique(period_days):
        rows = np.flatnonzero(period_days == days)
        n_periods = max(int(window_days // days), n_columns)
        matrix, first = _history_matrix(
            history, keys.iloc[rows].reset_index(drop=True), as_of.iloc[rows].reset_index(drop=True),
            period_days[rows], n_periods,
        )  # fmt: skip
        starts = n_periods - n_columns + 1
        lead_sums = np.zeros((len(rows), starts))
        protection_sums = np.zeros((len(rows), starts))
        for column in range(n_columns):
            block = matrix[:, column : column + starts]
            lead_sums += lead_weight[rows, column, None] * block
            protection_sums += protection_weight[rows, column, None] * block
        # Windows that start before the item's first sale would read as zero demand.
        count = np.maximum(starts - first, 0)
        pick = first[:, None] + np.floor(uniforms[None, :] * np.maximum(count, 1)[:, None]).astype(np.intp)
        pick = np.minimum(pick, starts - 1)
        lead[rows] = np.take_along_axis(lead_sums, pick, axis=1)
        protection[rows] = np.take_along_axis(protection_sums, pick, axis=1)
        windows[rows] = count
        observed = np.arange(n_periods)[None, :] >= first[:, None]
        demanded = observed & (matrix > 0)
        n_demands = demanded.sum(axis=1)
        with np.errstate(divide="ignore", invalid="ignore"):
            adi[rows] = np.where(n_demands > 0, observed.sum(axis=1) / n_demands, np.inf)
            mean = np.where(demanded, matrix, 0.0).sum(axis=1) / n_demands
            variance = np.where(demanded, (matrix - mean[:, None]) ** 2, 0.0).sum(axis=1) / n_demands
            cv2[rows] = np.where(n_demands > 1, variance / mean**2, 0.0)
    return HistoryWindows(lead=lead, protection=protection, windows=windows, adi=adi, cv2=cv2)


def widen(samples: FloatArray, factor: float) -> FloatArray:
    """Scale samples' distance from their median by `factor` (the calibrated spread factor)."""
    if factor == 1.0:
        return samples
    median = np.median(samples, axis=1, keepdims=True)
    return np.maximum(median + factor * (samples - median), 0.0)
