"""The forecast call: every candidate from rolling origins, a model per cluster, calibrated bands.

How a call works: the rows become dense series x period matrices (panel.py); every candidate model
forecasts from three rolling origins one horizon apart and from the end of history (local.py,
global_model.py, optionally prophet_model.py); the backtest picks a model per cluster of series
(selection.py, backtest.py); p10/p90 come from the chosen model's backtest residuals (intervals.py);
series with too little history take their peers' profile (coldstart.py). The global model's final
fit, with what it needs to forecast from new prices and promotions, is kept as the DemandModel.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from forecasting.engine.backtest import backtest_origins, window_actuals
from forecasting.engine.coldstart import cold_start
from forecasting.engine.demand_model import DemandModel
from forecasting.engine.events import EventFeatures, bound_history, event_features
from forecasting.engine.global_model import predict_history
from forecasting.engine.intervals import ConformalBands
from forecasting.engine.local import LOCAL_MODELS, local_forecasts
from forecasting.engine.metrics import nanmean
from forecasting.engine.panel import Panel, build_panel
from forecasting.engine.price_response import PriceResponse
from forecasting.engine.selection import (
    GLOBAL_MODEL,
    closed_days,
    min_history,
    recent_level,
    select_per_cluster,
)
from forecasting.engine.stockouts import (
    COLUMNS,
    Estimator,
    StockoutFit,
    account_stockouts,
    trailing_mean_estimator,
)

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


@dataclass
class ForecastResult:
    """Forecast points per series and period, plus the chosen model and its backtest accuracy."""

    points: pd.DataFrame  # store, sku, date, p10, p50, p90
    series: pd.DataFrame  # store, sku, model, frequency, wape, mase, bias, coverage_80, n_history
    # The fitted global model and its inputs, to forecast new plans; None without the global model.
    demand_model: DemandModel | None = None
    # One row per stock-out run (stockouts.COLUMNS): from the stock snapshots, or inferred.
    stockouts: pd.DataFrame = field(default_factory=lambda: pd.DataFrame({name: [] for name in COLUMNS}))
    # The chosen model's backtest forecasts: store, sku, window, date, forecast, actual (reconciliation
    # estimates the forecast errors' covariance from them); None without backtest windows.
    backtest: pd.DataFrame | None = None


def _run_candidates(
    panel: Panel,
    origins: list[int],
    names: Sequence[str],
    seed: int,
    refit_global: bool,
    events: EventFeatures | None = None,
    substitutes: bool = True,
) -> tuple[dict[str, np.ndarray], list[Any], PriceResponse | None]:
    """Forecasts (n, len(origins), H) of every candidate from every origin, and the global model's
    final fits (empty without it) with their price response (None without it)."""
    out: dict[str, np.ndarray] = {}
    boosters: list[Any] = []
    response: PriceResponse | None = None
    wanted = [name for name in names if name in LOCAL_MODELS]
    local = local_forecasts(wanted, panel.y, origins, panel.horizon, panel.season)
    for name in names:
        if name in LOCAL_MODELS:
            out[name] = np.clip(np.nan_to_num(local[name], nan=0.0), 0.0, None)
        elif name == GLOBAL_MODEL:
            from forecasting.engine.global_model import global_forecasts

            out[name], boosters, response = global_forecasts(
                panel,
                origins,
                seed=seed,
                events=events,
                refit=refit_global,
                substitutes=substitutes,
            )
        elif name == "prophet":
            from forecasting.engine.prophet_model import prophet_forecasts

            out[name] = prophet_forecasts(panel, origins)
    return out, boosters, response


def _candidates_around_stockouts(
    panel: Panel,
    origins: list[int],
    names: Sequence[str],
    options: tuple[int, bool, EventFeatures | None, bool],
    stock_inputs: tuple[pd.DataFrame | None, str, pd.DataFrame | None],
) -> tuple[dict[str, np.ndarray], list[Any], PriceResponse | None, StockoutFit]:
    """Every candidate's forecasts with stock-outs accounted for (stockouts.py): the global model
    fitted on uncensored periods only, the local ones on the history with censored periods imputed;
    the global model's final fits and price response (see _run_candidates).

    `options` are _run_candidates' (seed, refit_global, events, substitutes);
    `stock_inputs` the stock snapshots, the stockouts mode and the products (unit costs).
    """
    _, _, events, substitutes = options

    def fit(masked: Panel) -> tuple[tuple[dict[str, np.ndarray], list[Any], PriceResponse | None], Estimator]:
        # The demand model learns from uncensored periods only; it then tells what censoring hid.
        out = _run_candidates(masked, origins, [n for n in names if n == GLOBAL_MODEL], *options)
        _, boosters, response = out
        if boosters and response is not None:
            return out, predict_history(boosters, masked, events, substitutes, response)
        return out, trailing_mean_estimator(masked)

    stock, mode, products = stock_inputs
    accounted = account_stockouts(panel, stock, mode, fit, products)
    global_preds, boosters, response = accounted.fit
    local_preds, _, _ = _run_candidates(
        accounted.corrected, origins, [n for n in names if n != GLOBAL_MODEL], *options
    )
    preds = {name: {**local_preds, **global_preds}[name] for name in names}
    return preds, boosters, response, accounted


def _with_ensemble(preds: dict[str, np.ndarray], default: str, want: bool) -> dict[str, np.ndarray]:
    """The candidates plus the default model averaged with ETS (or another candidate) when wanted."""
    if want and len(preds) > 1:
        partner = "ets" if "ets" in preds and default != "ets" else next(x for x in preds if x != default)
        preds[f"ensemble({default}+{partner})"] = 0.5 * (preds[default] + preds[partner])
    return preds


def _frames(
    panel: Panel,
    quantiles: tuple[np.ndarray, np.ndarray, np.ndarray],
    labels: np.ndarray,
    scores: dict[str, np.ndarray],
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The long points frame and the per-series frame of a forecast."""
    n, horizon = panel.n_series, panel.horizon
    p10, p50, p90 = quantiles
    future = panel.dates[panel.n_hist :]
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
            **{
                name: np.asarray(scores[name], dtype=float)
                for name in ("wape", "mase", "bias", "coverage_80")
            },
            "n_history": panel.n_history.astype(int),
        }
    )
    return points, series


def _chosen(preds: dict[str, np.ndarray], chosen: np.ndarray) -> np.ndarray:
    """Each series' forecasts (every origin) by its chosen model, without stacking every model."""
    out = np.zeros(next(iter(preds.values())).shape)
    for index, p in enumerate(preds.values()):
        mask = chosen == index
        out[mask] = p[mask]
    return out


def _backtest_frame(
    panel: Panel, chosen_p50: np.ndarray, origins: list[int], closed: np.ndarray
) -> pd.DataFrame | None:
    """The chosen model's backtest forecasts (n, windows, H) and what happened, as long rows."""
    if not origins:
        return None
    n, horizon = panel.n_series, panel.horizon
    actual = window_actuals(panel.y, origins, horizon)
    actual = np.where(closed, 0.0, actual)
    steps = np.add.outer(np.asarray(origins), np.arange(horizon))  # (windows, H) period index
    dates = panel.dates.to_numpy(dtype="datetime64[ns]")[np.minimum(steps, len(panel.dates) - 1)]
    cells = len(origins) * horizon
    return pd.DataFrame(
        {
            "store": np.repeat(panel.keys["store"].to_numpy(), cells).astype(str),
            "sku": np.repeat(panel.keys["sku"].to_numpy(), cells).astype(str),
            "window": np.tile(np.repeat(np.arange(len(origins)), horizon), n),
            "date": np.tile(dates.reshape(-1), n),
            "forecast": chosen_p50.reshape(-1).astype(float),
            "actual": actual.reshape(-1).astype(float),
        }
    )


def _served(
    panel: Panel, p50: np.ndarray, bands: ConformalBands | None, labels: np.ndarray, closed: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """p10, p50, p90 (n, H) and model labels as served: the calibrated bands around the chosen p50,
    and a cold-start profile for series with too little history; `closed` periods stay zero."""
    if bands is not None:
        p10, p90 = bands.apply(p50, recent_level(panel.y, panel.freq))
    else:
        # No backtest possible (very short history): a wide +-60% band, flagged by NaN accuracy.
        p10, p90 = 0.4 * p50, 1.6 * p50 + 0.5
    shortest = min_history(panel.freq)
    short = panel.n_history < shortest
    observed_mean = np.nan_to_num(nanmean(panel.y, axis=1), nan=0.0)
    cold = cold_start(panel.keys, short, observed_mean, panel.n_history, shortest, p50, p10, p90)
    if closed.any():
        # Cold-start profiles come from peers' averages: keep closing days at zero for them too.
        for grid in (p10, p50, p90):
            grid[closed] = 0.0
    return p10, p50, p90, np.where(cold != "", cold, labels)


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
    substitutes: bool = True,
    stores: pd.DataFrame | None = None,
    own_events: pd.DataFrame | None = None,
    stock: pd.DataFrame | None = None,
    stockouts: str = "flag",
) -> ForecastResult:
    """Forecast every store x sku of `history` (and new items of `plan`/`products`) `horizon_days` ahead.

    `candidates` defaults to DEFAULT_CANDIDATES; add "prophet" to let Prophet compete (slow: about
    0.05 s per series and backtest window). `windows` rolling-origin backtest windows pick the model
    per cluster of series (`selection="cluster"`: same category and demand class, smooth or
    intermittent) or per series (`"series"`); a challenger must beat the default model (global,
    or Croston for intermittent series without it) by `selection_margin` (relative error).
    `refit_global` refits the global model at every backtest origin; the default fits it once before
    the first window and forecasts every window from it (no window's sales are trained on; the price
    response is shared, see global_model.py), which gave the same forecast and coverage for fewer fits.
    `holiday_country` (ISO code) is the default country of stores without one: public holidays and
    retail events come from each store's country and subdivision in `stores` (store, country,
    subdivision, opened_on, closed_on), the retailer's events from `own_events` (name, start, end,
    store, category, kind); no country and no own events leave events out (events.py). No point is
    forecast outside a store's opening and closing dates.
    `substitutes` False leaves the other items of the store and category out of the global model.
    `stock` (store, sku, date, on_hand and/or in_stock snapshots) marks censored periods, which every
    model learns around (stockouts.py); `stockouts` "correct" also corrects inferred stock-outs,
    "flag" only reports them in `ForecastResult.stockouts`.
    """
    panel = build_panel(history, horizon_days, plan=plan, products=products)
    events = event_features(panel, stores, own_events, holiday_country)
    bound_history(panel, events)
    names = [name for name in (candidates or DEFAULT_CANDIDATES) if name != "ensemble"]
    if not names:
        raise ValueError("no candidate models given")
    n_hist = panel.n_hist
    shortest = min_history(panel.freq)
    origins = backtest_origins(n_hist, panel.horizon, windows=windows, min_train=shortest)

    options = (seed, refit_global, events if events.grids else None, substitutes)
    preds, boosters, response, accounted = _candidates_around_stockouts(
        panel, [*origins, n_hist], names, options, (stock, stockouts, products)
    )
    # Selection, bands and accuracy score uncensored periods only.
    panel = accounted.censoring.masked(panel)
    closed = closed_days(accounted.corrected, [*origins, n_hist])
    in_bounds = events.in_bounds(n_hist + panel.horizon)[:, n_hist:]
    closed[:, -1] |= ~in_bounds
    if closed.any():
        preds = {name: np.where(closed, 0.0, p) for name, p in preds.items()}
    default = GLOBAL_MODEL if GLOBAL_MODEL in preds else ("ets" if "ets" in preds else names[0])
    preds = _with_ensemble(preds, default, "ensemble" in (candidates or DEFAULT_CANDIDATES))

    chosen, scores, bands, scale = select_per_cluster(
        panel, preds, default, origins, selection, selection_margin, closed[:, : len(origins)]
    )
    stacked = _chosen(preds, chosen)  # (n, windows + 1, H)
    final = stacked[:, -1]
    backtest = _backtest_frame(
        panel,
        np.clip(np.nan_to_num(stacked[:, :-1], nan=0.0), 0.0, None) * scale[:, None, None],
        origins,
        closed[:, : len(origins)],
    )
    p50 = np.clip(np.nan_to_num(final, nan=0.0), 0.0, None) * scale[:, None]
    labels = np.array(list(preds), dtype=object)[chosen]
    p10, p50, p90, labels = _served(panel, p50, bands, labels, closed[:, -1])
    points, series = _frames(panel, (p10, p50, p90), labels, scores)
    points = points[in_bounds.reshape(-1)].reset_index(drop=True)
    demand_model = None
    if boosters:
        global_p50 = np.where(closed[:, -1], 0.0, preds[GLOBAL_MODEL][:, -1] * scale[:, None])
        demand_model = DemandModel.from_fit(
            panel, boosters, events, scale, closed[:, -1], (p10, p50, p90), global_p50, labels, response
        )
        demand_model.substitutes = substitutes
    return ForecastResult(
        points=points,
        series=series,
        demand_model=demand_model,
        stockouts=accounted.stockouts,
        backtest=backtest,
    )
