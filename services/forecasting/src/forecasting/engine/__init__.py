"""Demand forecasting engine: backtested model selection, price/promotion aware, calibrated quantiles.

Pure code: pandas DataFrames in, a ForecastResult out; no database, queue or HTTP in here.

How a call works: the rows become dense series x period matrices (panel.py); every candidate model
forecasts from three rolling origins one horizon apart and from the end of history (local.py,
global_model.py, optionally prophet_model.py); the backtest picks a model per cluster of series
(backtest.py); p10/p90 come from the chosen model's backtest residuals (intervals.py); series with
too little history take their peers' profile (coldstart.py).

Chunking: a call is self-contained, so the task layer may split series into chunks and run them in
parallel. The global model, the model selection per cluster, the quantile calibration and the
cold-start peers are all learned within the chunk, so chunks should hold whole categories (sort
series by category, then store) and a few hundred series or more; results then barely depend on
the chunking. Incremental re-runs: store `series_fingerprints` per series and re-run only chunks
holding a series whose fingerprint changed.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

# LightGBM's OpenMP threads spin while idle; on a shared 2-core box that stalls training 10x or more.
# Must be set before the OpenMP runtime loads, i.e. before lightgbm is first imported.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

from forecasting.engine.aggregate import aggregate_forecast
from forecasting.engine.backtest import backtest_origins, select_models, wape_scale, window_actuals
from forecasting.engine.coldstart import cold_start
from forecasting.engine.intervals import ConformalBands, cross_window_bands, fit_bands
from forecasting.engine.local import LOCAL_MODELS
from forecasting.engine.metrics import naive_scale, nanmean, per_series_scores
from forecasting.engine.panel import DAILY, WEEKLY, Panel, build_panel, detect_frequency

# Bump when a change to the engine should invalidate stored forecasts (see series_fingerprints).
ENGINE_VERSION = "6"  # 6: per-series band shifts from clipped residuals
GLOBAL_MODEL = "lightgbm_global"
INTERMITTENT = ("croston", "tsb", "adida")
DEFAULT_CANDIDATES = (
    "seasonal_naive",
    "moving_average",
    "ets",
    "theta",
    "croston",
    "tsb",
    "adida",
    GLOBAL_MODEL,
    "ensemble",
)
__all__ = [
    "DEFAULT_CANDIDATES",
    "ENGINE_VERSION",
    "ForecastResult",
    "aggregate_forecast",
    "detect_frequency",
    "forecast",
    "series_fingerprints",
]


@dataclass
class ForecastResult:
    """Forecast points per series and period, plus the chosen model and its backtest accuracy."""

    points: pd.DataFrame  # store, sku, date, p10, p50, p90
    series: pd.DataFrame  # store, sku, model, frequency, wape, mase, bias, coverage_80, n_history


def _min_history(freq: str) -> int:
    """Periods of sales below which a series is treated as new (cold start)."""
    return 8 if freq == WEEKLY else 28


def _recent_level(y: np.ndarray, freq: str) -> np.ndarray:
    """Mean units over the recent observed periods (13 weeks or 28 days), 0 when none."""
    window = 13 if freq == WEEKLY else 28
    recent = y[:, -window:] if y.shape[1] else np.zeros((y.shape[0], 1))
    return np.nan_to_num(nanmean(recent, axis=1), nan=0.0)


def _is_intermittent(y: np.ndarray) -> np.ndarray:
    """Average inter-demand interval above 1.32 periods (Syntetos-Boylan-Croston classification)."""
    observed = np.isfinite(y).sum(axis=1)
    demand = (np.nan_to_num(y, nan=0.0) > 0).sum(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        adi = np.where(demand > 0, observed / np.maximum(demand, 1), np.inf)
    return adi > 1.32


# Weeks a weekday must have sold nothing, in every series of a store, to count as a closing day.
CLOSED_WEEKS = 8


def _closed_days(panel: Panel, origins: list[int]) -> np.ndarray:
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


def _run_candidates(
    panel: Panel,
    origins: list[int],
    names: Sequence[str],
    seed: int,
    refit_global: bool,
    holiday_country: str | None = "US",
) -> dict[str, np.ndarray]:
    """Forecasts (n, len(origins), H) of every candidate from every origin."""
    n, horizon = panel.n_series, panel.horizon
    out: dict[str, np.ndarray] = {}
    for name in names:
        if name in LOCAL_MODELS:
            model = LOCAL_MODELS[name]
            preds = np.zeros((n, len(origins), horizon))
            for k, origin in enumerate(origins):
                preds[:, k] = model(panel.y[:, :origin], horizon, panel.season)
            out[name] = np.clip(np.nan_to_num(preds, nan=0.0), 0.0, None)
        elif name == GLOBAL_MODEL:
            from forecasting.engine.global_model import global_forecasts

            out[name] = global_forecasts(
                panel, origins, seed=seed, country=holiday_country, refit=refit_global
            )
        elif name == "prophet":
            from forecasting.engine.prophet_model import prophet_forecasts

            out[name] = prophet_forecasts(panel, origins)
    return out


def _select(
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
    intermittent = _is_intermittent(panel.y)
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
    # drifts toward zero (UCI: a 0.8x clamp would forecast 30% fewer units for little WAPE gain).
    groups = np.where(intermittent, -1, chosen)
    scale = wape_scale(np.where(closed, np.nan, actual), bt_p50, groups)
    bt_p50 = bt_p50 * scale[:, None, None]
    # Normalise each window's residuals by the level known at its origin, as the final forecast's
    # are by the level at the end of history: the end-of-history level seen from an older origin
    # is a future value, and it mis-scaled the residuals of series that grew or shrank since
    # (Breakfast at the Frat: held-out coverage 0.848 with it, 0.831 per origin).
    window_level = np.stack([_recent_level(panel.y[:, :origin], panel.freq) for origin in origins], axis=1)
    open_actual = np.where(closed, np.nan, actual)
    bt_p10, bt_p90 = cross_window_bands(open_actual, bt_p50, window_level)
    scores = per_series_scores(actual, bt_p50, bt_p10, bt_p90, naive_scale(panel.y))
    return chosen, scores, fit_bands(open_actual, bt_p50, window_level), scale


def forecast(
    history: pd.DataFrame,
    horizon_days: int = 28,
    plan: pd.DataFrame | None = None,
    products: pd.DataFrame | None = None,
    seed: int = 0,
    *,
    candidates: Sequence[str] | None = None,
    windows: int = 3,
    selection: str = "cluster",
    selection_margin: float = 0.05,
    refit_global: bool = False,
    holiday_country: str | None = "US",
) -> ForecastResult:
    """Forecast every store x sku of `history` (and new items of `plan`/`products`) `horizon_days` ahead.

    `candidates` defaults to DEFAULT_CANDIDATES; add "prophet" to let Prophet compete (slow: about
    0.05 s per series and backtest window). `windows` rolling-origin backtest windows pick the model
    per cluster of series (`selection="cluster"`: same category and demand class, smooth or
    intermittent) or per series (`"series"`); a challenger must beat the default model (global,
    or Croston for intermittent series without it) by `selection_margin` (relative error).
    `refit_global` refits the global model at every backtest origin; the default fits it once before
    the first window and forecasts every window from that model (still honest: no window's actuals
    are seen); on Breakfast at the Frat that gave the same final forecast and held-out coverage
    (within 0.002) for 2 fits fewer.
    `holiday_country` (ISO code for the `holidays` package, None for none) flags public holidays.
    """
    panel = build_panel(history, horizon_days, plan=plan, products=products)
    names = list(candidates or DEFAULT_CANDIDATES)
    want_ensemble = "ensemble" in names
    names = [name for name in names if name != "ensemble"]
    if not names:
        raise ValueError("no candidate models given")
    n, n_hist, horizon = panel.n_series, panel.n_hist, panel.horizon
    min_history = _min_history(panel.freq)
    origins = backtest_origins(n_hist, horizon, windows=windows, min_train=min_history)
    preds = _run_candidates(panel, [*origins, n_hist], names, seed, refit_global, holiday_country)
    closed = _closed_days(panel, [*origins, n_hist])
    if closed.any():
        preds = {name: np.where(closed, 0.0, p) for name, p in preds.items()}
    default = GLOBAL_MODEL if GLOBAL_MODEL in preds else ("ets" if "ets" in preds else names[0])
    if want_ensemble and len(preds) > 1:
        partner = "ets" if "ets" in preds and default != "ets" else next(x for x in preds if x != default)
        preds[f"ensemble({default}+{partner})"] = 0.5 * (preds[default] + preds[partner])

    level = _recent_level(panel.y, panel.freq)
    names = list(preds)
    chosen, scores, bands, scale = _select(
        panel, preds, default, origins, selection, selection_margin, closed[:, : len(origins)]
    )
    final = np.stack([p[:, -1] for p in preds.values()], axis=0)[chosen, np.arange(n)]
    p50 = np.clip(np.nan_to_num(final, nan=0.0), 0.0, None) * scale[:, None]
    if bands is not None:
        p10, p90 = bands.apply(p50, level)
    else:
        # No backtest possible (very short history): a wide +-60% band, flagged by NaN accuracy.
        p10, p90 = 0.4 * p50, 1.6 * p50 + 0.5
    labels = np.array(names, dtype=object)[chosen]

    short = panel.n_history < min_history
    observed_mean = np.nan_to_num(nanmean(panel.y, axis=1), nan=0.0)
    cold = cold_start(panel.keys, short, observed_mean, panel.n_history, min_history, p50, p10, p90)
    labels = np.where(cold != "", cold, labels)
    if closed.any():
        # Cold-start profiles come from peers' averages: keep closing days at zero for them too.
        for grid in (p10, p50, p90):
            grid[closed[:, -1]] = 0.0

    future = panel.dates[n_hist:]
    points = pd.DataFrame(
        {
            "store": np.repeat(panel.keys["store"].to_numpy(), horizon).astype(str),
            "sku": np.repeat(panel.keys["sku"].to_numpy(), horizon).astype(str),
            "date": np.tile(future.to_numpy(dtype="datetime64[ns]"), n),
            "p10": p10.reshape(-1).astype(float),
            "p50": p50.reshape(-1).astype(float),
            "p90": p90.reshape(-1).astype(float),
        }
    )
    series = pd.DataFrame(
        {
            "store": panel.keys["store"].astype(str).to_numpy(),
            "sku": panel.keys["sku"].astype(str).to_numpy(),
            "model": labels.astype(str),
            "frequency": panel.freq,
            "wape": np.asarray(scores["wape"], dtype=float),
            "mase": np.asarray(scores["mase"], dtype=float),
            "bias": np.asarray(scores["bias"], dtype=float),
            "coverage_80": np.asarray(scores["coverage_80"], dtype=float),
            "n_history": panel.n_history.astype(int),
        }
    )
    return ForecastResult(points=points, series=series)


def series_fingerprints(history: pd.DataFrame, plan: pd.DataFrame | None = None) -> pd.DataFrame:
    """One row per store x sku with a hash of its history and plan rows and the engine version.

    The task layer stores it next to each forecast and re-forecasts only series whose fingerprint
    changed (new or corrected rows, a new plan, or a new ENGINE_VERSION).
    """
    cols = ["date", "quantity", "unit_price", "promotion", "regular_price", "feature", "display", "tpr_only"]
    parts = []
    for tag, frame in (("h", history), ("p", plan)):
        if frame is None or not len(frame):
            continue
        use = [c for c in cols if c in frame.columns]
        part = frame[["store", "sku", *use]].copy()
        part["store"] = part["store"].astype(str)
        part["sku"] = part["sku"].astype(str)
        part["date"] = pd.to_datetime(part["date"]).dt.normalize()
        part = part.sort_values(["store", "sku", "date"], kind="stable")
        row_hash = pd.util.hash_pandas_object(part[use].reindex(columns=cols), index=False)
        part = part[["store", "sku"]].assign(_h=row_hash.to_numpy(), _tag=tag)
        parts.append(part)
    if not parts:
        return pd.DataFrame({"store": [], "sku": [], "fingerprint": []})
    rows = pd.concat(parts, ignore_index=True)
    # The forecast origin is the last date of the whole upload: when it moves, every series moves.
    as_of = str(pd.to_datetime(history["date"]).max()) if len(history) else ""
    out = []
    for (store, sku), group in rows.groupby(["store", "sku"], sort=True):
        digest = hashlib.sha256(f"{ENGINE_VERSION}|{as_of}".encode())
        for tag in ("h", "p"):
            digest.update(tag.encode())
            digest.update(group.loc[group["_tag"] == tag, "_h"].to_numpy(dtype=np.uint64).tobytes())
        out.append((store, sku, digest.hexdigest()[:32]))
    return pd.DataFrame(out, columns=["store", "sku", "fingerprint"])
