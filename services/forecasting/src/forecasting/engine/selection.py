"""Which model each cluster of series gets: backtest accuracy, closing days, the WAPE-optimal level.

Every candidate forecasts from rolling origins (see forecast.py); the backtest picks a model per
cluster of series (same category and demand class) and fits the bands on its residuals.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from forecasting.engine.backtest import select_models, wape_scale, window_actuals
from forecasting.engine.intervals import ConformalBands, cross_window_bands, fit_bands
from forecasting.engine.metrics import naive_scale, nanmean, per_series_scores
from forecasting.engine.panel import DAILY, WEEKLY, Panel

GLOBAL_MODEL = "lightgbm_global"
INTERMITTENT = ("croston", "tsb", "adida")


def min_history(freq: str) -> int:
    """Periods of sales below which a series is treated as new (cold start)."""
    return 8 if freq == WEEKLY else 28


def recent_level(y: np.ndarray, freq: str) -> np.ndarray:
    """Mean units over the recent observed periods (13 weeks or 28 days), 0 when none."""
    window = 13 if freq == WEEKLY else 28
    recent = y[:, -window:] if y.shape[1] else np.zeros((y.shape[0], 1))
    return np.nan_to_num(nanmean(recent, axis=1), nan=0.0)


def is_intermittent(y: np.ndarray) -> np.ndarray:
    """Average inter-demand interval above 1.32 periods (Syntetos-Boylan-Croston classification)."""
    observed = np.isfinite(y).sum(axis=1)
    demand = (np.nan_to_num(y, nan=0.0) > 0).sum(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        adi = np.where(demand > 0, observed / np.maximum(demand, 1), np.inf)
    return adi > 1.32


# Weeks a weekday must have sold nothing, in every series of a store, to count as a closing day.
CLOSED_WEEKS = 8


def closed_days(panel: Panel, origins: list[int]) -> np.ndarray:
    """True (n, len(origins), H) where a daily series' store sold nothing on that weekday lately.

    A shop closed on Saturdays shows zeros there, which the global model, pooling all weekdays of
    thousands of series, only shrinks toward zero; forecasting exactly zero also keeps p10 at zero.
    Each origin only looks at the CLOSED_WEEKS weeks before it.
    """
    n, horizon = panel.n_series, panel.horizon
    out = np.zeros((n, len(origins), horizon), dtype=bool)
    if panel.freq != DAILY:
        return out
    store_codes = pd.factorize(panel.keys["store"])[0]
    stores = int(store_codes.max()) + 1 if n else 0
    units = np.nan_to_num(panel.y, nan=0.0)
    weekday = panel.dates.day_of_week.to_numpy()
    for k, origin in enumerate(origins):
        lo = origin - 7 * CLOSED_WEEKS
        if lo < 0:
            continue
        sold = np.zeros((stores, 7))
        # Units per store and weekday over the window: a (stores, window) sum, then per weekday.
        per_store = np.zeros((stores, origin - lo))
        np.add.at(per_store, store_codes, units[:, lo:origin])
        for day in range(7):
            sold[:, day] = per_store[:, weekday[lo:origin] == day].sum(axis=1)
        # Only a store that sells on other days is closed on its empty weekday (not a dead store).
        closed = (sold <= 0) & (sold.sum(axis=1, keepdims=True) > 0)
        target_days = weekday[origin : origin + horizon]
        out[:, k, : len(target_days)] = closed[store_codes][:, target_days]
    return out


def select_per_cluster(
    panel: Panel,
    preds: dict[str, np.ndarray],
    default: str,
    origins: list[int],
    selection: str,
    margin: float,
    closed: np.ndarray,
) -> tuple[np.ndarray, dict[str, np.ndarray], ConformalBands | None, np.ndarray]:
    """Chosen model index per series, its backtest accuracy, bands fitted on its residuals, and the
    WAPE-optimal scale of its forecasts (see wape_scale).

    `closed` (n, windows, H) marks backtest days the store was closed: forecast as exactly zero
    (and kept at zero in the final forecast), they say nothing about the errors on open days.
    """
    n, horizon = panel.n_series, panel.horizon
    names = list(preds)
    intermittent = is_intermittent(panel.y)
    # Without the global model, intermittent series default to Croston rather than smoothing.
    defaults = np.full(n, names.index(default))
    if default != GLOBAL_MODEL and "croston" in preds:
        defaults = np.where(intermittent, names.index("croston"), defaults)
    nan_scores = np.full(n, np.nan)
    scores = {"wape": nan_scores, "mase": nan_scores, "bias": nan_scores, "coverage_80": nan_scores}
    if not origins:
        return defaults, scores, None, np.ones(n)
    actual = window_actuals(panel.y, origins, horizon)
    backtests = {name: p[:, : len(origins)] for name, p in preds.items()}
    for name in (*INTERMITTENT, "seasonal_naive"):
        if name in backtests:
            # Intermittent-demand methods only compete on intermittent series, and a last-value copy
            # only on smooth ones (from a zero it forecasts zeros).
            allowed = intermittent if name in INTERMITTENT else ~intermittent
            backtests[name] = np.where(allowed[:, None, None], backtests[name], np.nan)
    clusters = None
    if selection == "cluster":
        category = panel.keys["category"].to_numpy(dtype=str)
        clusters = np.char.add(category, np.where(intermittent, "|intermittent", "|smooth"))
    elif selection != "series":
        raise ValueError(f"selection must be 'cluster' or 'series', got {selection!r}")
    chosen = select_models(actual, backtests, default=defaults, margin=margin, clusters=clusters)
    bt_p50 = np.stack([backtests[name] for name in names], axis=0)[chosen, np.arange(n)]
    bt_p50 = np.nan_to_num(bt_p50, nan=0.0)
    # Shrink (or lift) each model's forecasts of smooth series to the WAPE-optimal level seen in the
    # backtest. Intermittent series keep their unbiased forecasts: there the absolute-error optimum
    # drifts toward zero (a clamp there forecasts far fewer units for little WAPE gain).
    groups = np.where(intermittent, -1, chosen)
    scale = wape_scale(np.where(closed, np.nan, actual), bt_p50, groups)
    bt_p50 = bt_p50 * scale[:, None, None]
    # Normalise each window's residuals by the level known at its origin, as the final forecast's
    # are by the level at the end of history: the end-of-history level seen from an older origin
    # is a future value, and it mis-scaled the residuals of series that grew or shrank since
    # (held-out coverage was closer to 80% with the level per origin).
    window_level = np.stack([recent_level(panel.y[:, :origin], panel.freq) for origin in origins], axis=1)
    open_actual = np.where(closed, np.nan, actual)
    bt_p10, bt_p90 = cross_window_bands(open_actual, bt_p50, window_level)
    scores = per_series_scores(actual, bt_p50, bt_p10, bt_p90, naive_scale(panel.y))
    return chosen, scores, fit_bands(open_actual, bt_p50, window_level), scale
