"""Split-conformal p10/p90 bands from rolling-origin backtest residuals.

Residuals are divided by a per-cell spread estimate so that small and large series, and promoted and
regular periods, share one pool; the pooled 10% and 90% quantiles of those normalised residuals then
give bands whose empirical coverage on later data is about 80%.
Ref: Angelopoulos & Bates (2021), "A Gentle Introduction to Conformal Prediction", arXiv:2107.07511.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

LOW, HIGH = 0.10, 0.90


def spread(p50: np.ndarray, level: np.ndarray) -> np.ndarray:
    """Scale of a forecast's error: grows with the forecast and with the series' usual level.

    Counts are roughly Poisson at low volume (error ~ sqrt(mean)) and multiplicative at high volume
    (error ~ mean); sqrt(p50 * level) + p50 / 4 + 0.5 follows both regimes.
    """
    level_b = level.reshape(level.shape + (1,) * (p50.ndim - level.ndim))
    p = np.clip(p50, 0.0, None)
    return np.sqrt(p * np.clip(level_b, 0.0, None)) + 0.25 * p + 0.5


@dataclass
class ConformalBands:
    """Normalised residual quantiles per horizon step (pooled over series)."""

    low: np.ndarray  # (H,)
    high: np.ndarray  # (H,)

    def apply(self, p50: np.ndarray, level: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Return (p10, p90) for forecasts p50 (n, ..., H) of series with the given levels (n,)."""
        s = spread(p50, level)
        p10 = np.clip(p50 + self.low * s, 0.0, None)
        p90 = np.clip(p50 + self.high * s, 0.0, None)
        return np.minimum(p10, p50), np.maximum(p90, p50)


def _smooth_quantile(r: np.ndarray, q: float, horizon: int) -> np.ndarray:
    """Quantile of normalised residuals per horizon step, pooled with neighbours when data is thin."""
    out = np.zeros(horizon)
    flat = r.reshape(-1, horizon)
    for h in range(horizon):
        lo, hi = max(0, h - 1), min(horizon, h + 2)
        vals = flat[:, lo:hi]
        vals = vals[np.isfinite(vals)]
        if len(vals) < 20:
            vals = flat[np.isfinite(flat)]
        out[h] = float(np.quantile(vals, q)) if len(vals) else (-1.28 if q < 0.5 else 1.28)
    # Uncertainty does not shrink with the horizon: make the band widths monotone.
    if q < 0.5:
        out = np.minimum.accumulate(out)
    else:
        out = np.maximum.accumulate(out)
    return out


def fit_bands(actual: np.ndarray, p50: np.ndarray, level: np.ndarray) -> ConformalBands:
    """Fit bands from backtest actuals and forecasts shaped (n, windows, H)."""
    horizon = actual.shape[-1]
    r = (actual - p50) / spread(p50, level)
    return ConformalBands(low=_smooth_quantile(r, LOW, horizon), high=_smooth_quantile(r, HIGH, horizon))


def cross_window_bands(
    actual: np.ndarray, p50: np.ndarray, level: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Honest backtest bands: window k is covered by bands fitted on the other windows only."""
    windows = actual.shape[1]
    p10 = np.full_like(p50, np.nan)
    p90 = np.full_like(p50, np.nan)
    for k in range(windows):
        others = [j for j in range(windows) if j != k] or [k]
        bands = fit_bands(actual[:, others], p50[:, others], level)
        p10[:, k], p90[:, k] = bands.apply(p50[:, k], level)
    return p10, p90
