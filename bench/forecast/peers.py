"""The peers a user would pick instead of our engine, each set up as its own documentation suggests.

Every peer sees the same history on the same period grid as the engine (`forecasting.engine.panel`),
and the peers that take exogenous columns get the same known future drivers the engine gets: the
plan's price relative to the regular price and each promotion flag, filled where the plan is silent
exactly as the engine fills them (the shelf price carries on, no promotion).
"""

from __future__ import annotations

import logging
import os
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from bench.forecast.data import Dataset
from bench.forecast.scoring import only, panel_points
from bench.shared import cpu_seconds
from common.testing.datasets import FRAT_FLAGS
from forecasting.engine.panel import Panel, build_panel


@dataclass
class PeerRun:
    """One peer's forecasts (store, sku, date, p50) and what they cost."""

    points: pd.DataFrame
    wall_s: float
    cpu_s: float
    n_series: int


def drivers(panel: Panel) -> dict[str, np.ndarray]:
    """Exogenous (n, T+H) grids: price over regular price, then each promotion flag the data has."""
    present = {name: grid for name, grid in panel.flags.items() if not np.isnan(grid).all()}
    # The separate flags where the data has them; `promotion` is then only their maximum.
    names = [flag for flag in FRAT_FLAGS if flag in present] or list(present)
    return {"price_ratio": panel.price / panel.regular, **{name: present[name] for name in names}}


def run_autoets(data: Dataset, keys: pd.DataFrame) -> PeerRun:
    """statsforecast AutoETS (season 7 daily, none weekly) on the series of `keys`."""
    os.environ.setdefault("NIXTLA_NUMBA_CACHE", "1")
    from statsforecast import StatsForecast
    from statsforecast.models import AutoETS, Naive

    start, cpu = time.perf_counter(), cpu_seconds()
    panel = build_panel(only(data.history, keys), data.horizon_days, None, None)
    n, t = panel.y.shape
    rows, cols, vals = np.repeat(np.arange(n), t), np.tile(np.arange(t), n), panel.y.reshape(-1)
    ok = np.isfinite(vals)
    frame = pd.DataFrame({"unique_id": rows[ok], "ds": panel.dates[cols[ok]], "y": vals[ok]})
    # Weekly retail series have too few years for a 52-week ETS season; daily ones get the week.
    season = 7 if data.freq == "D" else 1
    model = StatsForecast(
        models=[AutoETS(season_length=season)],
        freq="D" if data.freq == "D" else "7D",
        n_jobs=1,
        fallback_model=Naive(),
    )
    out = model.forecast(df=frame, h=panel.horizon)
    preds = np.clip(out["AutoETS"].to_numpy().reshape(n, panel.horizon), 0, None)
    return PeerRun(panel_points(panel, preds), time.perf_counter() - start, cpu_seconds() - cpu, n)


def run_prophet(
    data: Dataset,
    keys: pd.DataFrame,
    regressors: bool,
    holidays: Callable[[str], pd.DataFrame] | None = None,
) -> PeerRun:
    """One Prophet fit per series of `keys`: defaults, or with the drivers as `add_regressor` columns.

    `holidays` gives a store's Prophet holidays frame (holiday, ds, ...), for a run with a calendar.
    """
    from prophet import Prophet

    # cmdstanpy logs two INFO lines per fit and resets its level, so it is switched off.
    logging.getLogger("cmdstanpy").disabled = True
    logging.getLogger("prophet").setLevel(logging.WARNING)
    plan = only(data.plan, keys) if data.plan is not None and regressors else None
    panel = build_panel(only(data.history, keys), data.horizon_days, plan, None)
    extra = drivers(panel) if regressors else {}
    hist, horizon = panel.n_hist, panel.horizon
    preds = np.zeros((panel.n_series, horizon))
    start, cpu = time.perf_counter(), cpu_seconds()
    for i in range(panel.n_series):
        first = int(panel.start[i])
        if hist - first < 2:
            preds[i] = float(np.nanmean(panel.y[i, first:hist])) if hist > first else 0.0
            continue
        frame = pd.DataFrame({"ds": panel.dates[first:hist], "y": panel.y[i, first:hist]})
        future = pd.DataFrame({"ds": panel.dates[hist:]})
        calendar = holidays(str(panel.keys["store"].iloc[i])) if holidays is not None else None
        model = Prophet(uncertainty_samples=0, holidays=calendar)
        for name, grid in extra.items():
            # A column constant over the series' history has no effect to fit.
            if np.ptp(grid[i, first:hist]) > 0:
                model.add_regressor(name)
                frame[name], future[name] = grid[i, first:hist], grid[i, hist:]
        model.fit(frame)
        preds[i] = model.predict(future)["yhat"].to_numpy()
    wall, cpu_s = time.perf_counter() - start, cpu_seconds() - cpu
    return PeerRun(panel_points(panel, np.clip(preds, 0.0, None)), wall, cpu_s, panel.n_series)


def week_of_year(dates: pd.DatetimeIndex) -> np.ndarray:
    """ISO week number, a date feature for weekly series."""
    return dates.isocalendar().week.to_numpy(dtype=np.int64)


def run_mlforecast(data: Dataset, keys: pd.DataFrame) -> PeerRun:
    """Nixtla mlforecast with LightGBM: the usual lags, rolling means and date features, plus drivers."""
    import lightgbm as lgb
    from mlforecast import MLForecast
    from mlforecast.lag_transforms import ExpandingMean, RollingMean

    start, cpu = time.perf_counter(), cpu_seconds()
    plan = only(data.plan, keys) if data.plan is not None else None
    panel = build_panel(only(data.history, keys), data.horizon_days, plan, None)
    extra = drivers(panel)
    n, hist = panel.n_series, panel.n_hist
    rows = np.repeat(np.arange(n), hist + panel.horizon)
    cols = np.tile(np.arange(hist + panel.horizon), n)
    long = pd.DataFrame({"unique_id": rows, "ds": panel.dates[cols]})
    for name, grid in extra.items():
        long[name] = grid.reshape(-1)
    y = np.concatenate([panel.y, np.full((n, panel.horizon), np.nan)], axis=1).reshape(-1)
    seen = cols >= panel.start[rows]
    train = long[seen & (cols < hist)].assign(y=y[seen & (cols < hist)])
    future = long[cols >= hist]
    dates: list[str | Callable[[pd.DatetimeIndex], np.ndarray]]
    if data.freq == "W":
        freq = f"W-{panel.dates[0].day_name()[:3].upper()}"
        lags, windows, dates = [1, 2, 3, 4, 13, 52], [4, 13], ["month", week_of_year]
    else:
        freq, lags, windows, dates = "D", [1, 2, 7, 14, 28], [7, 28], ["dayofweek", "month", "day"]
    model = MLForecast(
        models={"lgbm": lgb.LGBMRegressor(verbosity=-1)},
        freq=freq,
        lags=lags,
        lag_transforms={1: [*(RollingMean(window_size=w) for w in windows), ExpandingMean()]},
        date_features=dates,
    )
    # Every exogenous column changes over time: none is static.
    model.fit(train, static_features=[])
    with warnings.catch_warnings():
        # Series younger than the longest lag have no value for it; LightGBM takes the gap as missing.
        warnings.filterwarnings("ignore", message="Found null values")
        out = model.predict(h=panel.horizon, X_df=future).sort_values(["unique_id", "ds"])
    preds = np.clip(out["lgbm"].to_numpy().reshape(n, panel.horizon), 0.0, None)
    return PeerRun(panel_points(panel, preds), time.perf_counter() - start, cpu_seconds() - cpu, n)
