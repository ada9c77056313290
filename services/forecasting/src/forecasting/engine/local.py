"""Per-series statistical models, vectorised over all series of a panel with numpy.

Each model takes `y` (n, t) with NaN before a series' first sale and returns an (n, horizon)
forecast. They run on thousands of series in milliseconds and need no JIT compile, which keeps a
fresh worker process fast.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from forecasting.engine.metrics import nanmean

ALPHAS = np.array([0.05, 0.1, 0.2, 0.3, 0.5])
INTERMITTENT_ALPHA = 0.1
LocalModel = Callable[[np.ndarray, int, int], np.ndarray]
# Croston's and TSB's smoothed demand size, interval and probability, per series.
_Smoothed = tuple[np.ndarray, np.ndarray, np.ndarray]


def _last_valid(y: np.ndarray) -> np.ndarray:
    """Last observed value of each series (0 for a series with no history)."""
    filled = np.nan_to_num(y, nan=0.0)
    return filled[:, -1] if y.shape[1] else np.zeros(y.shape[0])


def seasonal_index(y: np.ndarray, season: int, seasons_back: int = 8) -> np.ndarray:
    """Multiplicative seasonal index (n, season) from the last seasons, shrunk toward 1.

    Phase k of the index belongs to periods t with t % season == k.
    """
    n, t = y.shape
    if season <= 1 or t < season:
        return np.ones((n, max(season, 1)))
    window = min(t, season * seasons_back)
    recent = y[:, t - window :]
    phases = (np.arange(t - window, t)) % season
    sums = np.zeros((n, season))
    counts = np.zeros((n, season))
    ok = np.isfinite(recent)
    vals = np.where(ok, recent, 0.0)
    for k in range(season):
        cols = phases == k
        sums[:, k] = vals[:, cols].sum(axis=1)
        counts[:, k] = ok[:, cols].sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        means = sums / counts
        overall = np.nansum(vals, axis=1, keepdims=True) / np.maximum(ok.sum(axis=1, keepdims=True), 1)
        index = means / overall
    # Shrink toward 1 by the number of seasons seen, so two weeks of noise do not become a pattern.
    seen = counts.min(axis=1, keepdims=True)
    weight = seen / (seen + 2.0)
    index = np.where(np.isfinite(index), 1.0 + weight * (index - 1.0), 1.0)
    return np.clip(index, 0.0, 5.0)


def _future_index(index: np.ndarray, t: int, horizon: int) -> np.ndarray:
    """Seasonal index laid over the horizon periods t .. t+horizon-1."""
    season = index.shape[1]
    return index[:, (np.arange(t, t + horizon)) % season]


def _history_index(index: np.ndarray, t: int) -> np.ndarray:
    """Seasonal index laid over the history periods 0 .. t-1."""
    season = index.shape[1]
    return index[:, np.arange(t) % season]


def naive(y: np.ndarray, horizon: int, season: int) -> np.ndarray:
    """Last value carried forward."""
    return np.repeat(_last_valid(y)[:, None], horizon, axis=1)


def seasonal_naive(y: np.ndarray, horizon: int, season: int) -> np.ndarray:
    """Value of the same period one season earlier; last value where a season is not yet seen."""
    _n, t = y.shape
    if season <= 1 or t < season:
        return naive(y, horizon, season)
    steps = np.arange(horizon)
    cols = t - season + (steps % season)
    out = y[:, cols]
    fallback = np.repeat(_last_valid(y)[:, None], horizon, axis=1)
    return np.where(np.isfinite(out), out, fallback)


def moving_average(y: np.ndarray, horizon: int, season: int) -> np.ndarray:
    """Mean of the recent window (8 periods weekly, 4 weeks daily), times the seasonal index."""
    _n, t = y.shape
    window = 8 if season in (1, 52) else 4 * season
    recent = y[:, max(0, t - window) :]
    level = np.nan_to_num(nanmean(recent, axis=1), nan=0.0)
    if season in (1, 52):
        return np.repeat(level[:, None], horizon, axis=1)
    index = seasonal_index(y, season)
    return level[:, None] * _future_index(index, t, horizon)


def _ses_levels(x: np.ndarray, alphas: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Run simple exponential smoothing for every alpha; return final levels and in-sample SSE.

    Shapes: x (n, t) -> levels (n, a), sse (n, a). NaN periods (before the start) are skipped.
    """
    return _ses_states(x, alphas, [x.shape[1]])[0]


def _ses_states(x: np.ndarray, alphas: np.ndarray, stops: list[int]) -> list[tuple[np.ndarray, np.ndarray]]:
    """_ses_levels of x[:, :stop] for every stop (ascending), from one pass over the columns."""
    n, t = x.shape
    a = len(alphas)
    level = np.full((n, a), np.nan)
    sse = np.zeros((n, a))
    states = [(np.zeros((n, a)), sse.copy()) for stop in stops if stop == 0]
    for j in range(t):
        col = x[:, j : j + 1]
        ok = np.isfinite(col)
        started = np.isfinite(level)
        err = np.where(ok & started, col - level, 0.0)
        sse += err**2
        updated = np.where(started, level + alphas[None, :] * err, np.broadcast_to(col, (n, a)))
        level = np.where(ok, updated, level)
        states.extend((np.nan_to_num(level, nan=0.0), sse.copy()) for stop in stops if stop == j + 1)
    return states


def ets(y: np.ndarray, horizon: int, season: int) -> np.ndarray:
    """Simple exponential smoothing, ETS(A,N,N), on the deseasonalised series; alpha by in-sample SSE.

    Ref: Hyndman & Athanasopoulos, Forecasting: Principles and Practice, 3rd ed., section 8.1.
    """
    n, t = y.shape
    if t == 0:
        return np.zeros((n, horizon))
    index = seasonal_index(y, season) if _seasonal(season) else np.ones((n, 1))
    adjusted = y / np.maximum(_history_index(index, t), 1e-3)
    return _ets_from(_ses_levels(adjusted, ALPHAS), index, t, horizon)


def _seasonal(season: int) -> bool:
    """Whether ETS and Theta deseasonalise (weekly and yearly seasons are left to the data)."""
    return 1 < season < 52


def _ets_from(state: tuple[np.ndarray, np.ndarray], index: np.ndarray, t: int, horizon: int) -> np.ndarray:
    """ETS's forecast from its smoothing state (levels, SSE per alpha) after t periods."""
    levels, sse = state
    best = np.argmin(sse, axis=1)
    level = levels[np.arange(len(levels)), best]
    return np.clip(level[:, None] * _future_index(index, t, horizon), 0.0, None)


def theta(y: np.ndarray, horizon: int, season: int) -> np.ndarray:
    """Standard Theta method: SES plus half the linear-trend slope, on the deseasonalised series.

    Ref: Hyndman & Billah (2003), "Unmasking the Theta method", IJF 19(2) 287-290.
    """
    n, t = y.shape
    if t == 0:
        return np.zeros((n, horizon))
    index = seasonal_index(y, season) if _seasonal(season) else np.ones((n, 1))
    adjusted = y / np.maximum(_history_index(index, t), 1e-3)
    return _theta_from(adjusted, _ses_levels(adjusted, ALPHAS), index, horizon)


def _theta_from(
    adjusted: np.ndarray, state: tuple[np.ndarray, np.ndarray], index: np.ndarray, horizon: int
) -> np.ndarray:
    """Theta's forecast from the deseasonalised history and its smoothing state (see theta)."""
    n, t = adjusted.shape
    levels, sse = state
    best = np.argmin(sse, axis=1)
    alpha = ALPHAS[best]
    level = levels[np.arange(n), best]
    # OLS slope of each series against time, over its observed periods only.
    time = np.broadcast_to(np.arange(t, dtype=float), (n, t))
    ok = np.isfinite(adjusted)
    count = ok.sum(axis=1)
    safe_count = np.maximum(count, 1)
    mean_t = np.where(ok, time, 0.0).sum(axis=1) / safe_count
    mean_y = np.where(ok, adjusted, 0.0).sum(axis=1) / safe_count
    dt = np.where(ok, time - mean_t[:, None], 0.0)
    dy = np.where(ok, adjusted - mean_y[:, None], 0.0)
    var_t = (dt**2).sum(axis=1)
    slope = np.where((count >= 3) & (var_t > 0), (dt * dy).sum(axis=1) / np.where(var_t > 0, var_t, 1.0), 0.0)
    steps = np.arange(1, horizon + 1)[None, :]
    decay = (1 - (1 - alpha) ** np.maximum(count, 1)) / alpha
    drift = 0.5 * slope[:, None] * (steps - 1 + decay[:, None])
    return np.clip((level[:, None] + drift) * _future_index(index, t, horizon), 0.0, None)


def _intermittent(y: np.ndarray, horizon: int, alpha: float, tsb: bool) -> np.ndarray:
    """Croston-SBA (tsb=False) or TSB (tsb=True) forecast per period."""
    return _intermittent_rate(_intermittent_states(y, alpha, [y.shape[1]])[0], horizon, alpha, tsb)


def _intermittent_states(y: np.ndarray, alpha: float, stops: list[int]) -> list[_Smoothed]:
    """Smoothed demand size, interval and probability after y[:, :stop] for every stop (ascending)."""
    n, t = y.shape
    size = np.full(n, np.nan)
    interval = np.full(n, np.nan)
    prob = np.full(n, np.nan)
    since = np.ones(n)
    states: list[_Smoothed] = [(size, interval, prob) for stop in stops if stop == 0]
    for j in range(t):
        col = y[:, j]
        ok = np.isfinite(col)
        demand = ok & (col > 0)
        first = demand & ~np.isfinite(size)
        size = np.where(first, col, size)
        interval = np.where(first, since, interval)
        later = demand & ~first
        size = np.where(later, size + alpha * (col - size), size)
        interval = np.where(later, interval + alpha * (since - interval), interval)
        occurred = np.where(demand, 1.0, 0.0)
        prob = np.where(ok & ~np.isfinite(prob), occurred, prob)
        prob = np.where(ok & np.isfinite(prob), prob + alpha * (occurred - prob), prob)
        since = np.where(demand, 1.0, np.where(ok, since + 1.0, since))
        states.extend((size, interval, prob) for stop in stops if stop == j + 1)
    return states


def _intermittent_rate(state: _Smoothed, horizon: int, alpha: float, tsb: bool) -> np.ndarray:
    """Croston-SBA's or TSB's forecast (n, horizon) from the smoothed state."""
    size, interval, prob = state
    if tsb:
        rate = np.nan_to_num(prob, nan=0.0) * np.nan_to_num(size, nan=0.0)
    else:
        # Syntetos-Boylan approximation removes Croston's upward bias.
        # Ref: Syntetos & Boylan (2005), IJF 21(2) 303-314.
        rate = (1 - alpha / 2) * np.nan_to_num(size / interval, nan=0.0)
    return np.repeat(rate[:, None], horizon, axis=1)


def croston(y: np.ndarray, horizon: int, season: int) -> np.ndarray:
    """Croston's method with the SBA bias correction, for intermittent demand."""
    return _intermittent(y, horizon, alpha=INTERMITTENT_ALPHA, tsb=False)


def tsb(y: np.ndarray, horizon: int, season: int) -> np.ndarray:
    """Teunter-Syntetos-Babai: smooths demand probability every period, so obsolescence shows.

    Ref: Teunter, Syntetos & Babai (2011), EJOR 214(3) 606-615.
    """
    return _intermittent(y, horizon, alpha=INTERMITTENT_ALPHA, tsb=True)


def adida(y: np.ndarray, horizon: int, season: int) -> np.ndarray:
    """ADIDA: SES on non-overlapping buckets of the mean inter-demand interval, spread evenly back.

    Ref: Nikolopoulos et al. (2011), JORS 62(3) 544-554.
    """
    n, t = y.shape
    out = np.zeros((n, horizon))
    demand = np.nan_to_num(y, nan=0.0) > 0
    observed = np.isfinite(y).sum(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        mean_interval = observed / demand.sum(axis=1)
    bucket = np.clip(np.nan_to_num(np.round(mean_interval), nan=1.0, posinf=1.0), 1, max(1, t // 4)).astype(
        int
    )
    for size in np.unique(bucket):
        rows = np.where(bucket == size)[0]
        usable = (t // size) * size
        if usable == 0:
            continue
        chunk = y[rows, t - usable :].reshape(len(rows), usable // size, size)
        # A bucket is observed only if all its periods are (before the start they are NaN).
        sums = chunk.sum(axis=2)
        levels, sse = _ses_levels(sums, ALPHAS)
        best = np.argmin(sse, axis=1)
        out[rows] = (levels[np.arange(len(rows)), best] / size)[:, None]
    return np.clip(out, 0.0, None)


LOCAL_MODELS: dict[str, LocalModel] = {
    "seasonal_naive": seasonal_naive,
    "moving_average": moving_average,
    "ets": ets,
    "theta": theta,
    "croston": croston,
    "tsb": tsb,
    "adida": adida,
}


def local_forecasts(
    names: list[str], y: np.ndarray, origins: list[int], horizon: int, season: int
) -> dict[str, np.ndarray]:
    """Forecasts (n, len(origins), horizon) of each named local model from every origin (ascending).

    A model whose state after an origin depends only on the periods before it (smoothing without a
    seasonal index; Croston and TSB) runs one pass over the history and reads its state at every
    origin, and ETS and Theta share theirs; the others forecast from each origin's history.
    """
    n = y.shape[0]
    out = {name: np.zeros((n, len(origins), horizon)) for name in names}
    ses = intermittent = None
    for name in names:
        for k, origin in enumerate(origins):
            history = y[:, :origin]
            if name in ("ets", "theta") and not _seasonal(season) and origin > 0:
                ses = ses or _ses_states(y, ALPHAS, origins)
                no_index = np.ones((n, 1))
                if name == "ets":
                    out[name][:, k] = _ets_from(ses[k], no_index, origin, horizon)
                else:
                    out[name][:, k] = _theta_from(history, ses[k], no_index, horizon)
            elif name in ("croston", "tsb"):
                intermittent = intermittent or _intermittent_states(y, INTERMITTENT_ALPHA, origins)
                out[name][:, k] = _intermittent_rate(
                    intermittent[k], horizon, INTERMITTENT_ALPHA, name == "tsb"
                )
            else:
                out[name][:, k] = LOCAL_MODELS[name](history, horizon, season)
    return out
