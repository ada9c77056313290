"""Rolling-origin backtest: where to cut, what actually happened, and which model wins per series."""

from __future__ import annotations

import numpy as np


def backtest_origins(n_hist: int, horizon: int, windows: int = 3, min_train: int = 8) -> list[int]:
    """Origins (number of history periods used) of the backtest windows, oldest first.

    Windows are one horizon apart and end at the last history period; with short history they move
    closer together (down to one period apart) so that at least `min_train` periods precede each.
    """
    usable = n_hist - min_train
    if usable < 1 or windows < 1:
        return []
    step = max(1, min(horizon, usable // windows))
    origins = [n_hist - k * step for k in range(1, windows + 1)]
    return sorted(o for o in origins if o >= min_train)


def window_actuals(y: np.ndarray, origins: list[int], horizon: int) -> np.ndarray:
    """Actuals (n, windows, H) after each origin; NaN beyond history or before a series started."""
    n, n_hist = y.shape
    out = np.full((n, len(origins), horizon), np.nan)
    for k, origin in enumerate(origins):
        stop = min(n_hist, origin + horizon)
        out[:, k, : stop - origin] = y[:, origin:stop]
    return out


def series_mae(actual: np.ndarray, predicted: np.ndarray) -> np.ndarray:
    """Mean absolute error per series over windows and horizon; NaN where nothing is measurable."""
    n = actual.shape[0]
    err = np.abs(actual - predicted).reshape(n, -1)
    ok = np.isfinite(err)
    count = ok.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(count > 0, np.where(ok, err, 0.0).sum(axis=1) / count, np.nan)


def select_models(
    actual: np.ndarray,
    candidates: dict[str, np.ndarray],
    default: str,
    margin: float = 0.0,
) -> np.ndarray:
    """Index into `list(candidates)` of the lowest-MAE model per series.

    A challenger replaces `default` only when its backtest MAE is lower by more than `margin`
    (relative): with three short windows, small wins are mostly noise.
    """
    names = list(candidates)
    scores = np.stack([series_mae(actual, candidates[name]) for name in names], axis=1)
    default_idx = names.index(default)
    filled = np.where(np.isfinite(scores), scores, np.inf)
    best = np.argmin(filled, axis=1)
    best_score = filled[np.arange(len(best)), best]
    default_score = filled[:, default_idx]
    keep_default = ~np.isfinite(best_score) | (best_score >= default_score * (1.0 - margin))
    return np.where(keep_default, default_idx, best)
