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


# Weight of a series' own residual quantiles: n / (n + SHRINK) with n its backtest residual count.
SHRINK = 40.0
# A series' own residuals are clipped to these pooled quantiles before its own band quantiles are
# taken. Where a backtest origin saw a near-zero level (a dormant or out-of-stock item), the spread
# that normalises its residuals is near its 0.5 floor, so a restart of sales reads as residuals of
# hundreds of spreads; unclipped, they moved such a series' p90 to hundreds of times its p50.
# Clipping at the pooled 1% / 99% leaves the pooled 10% / 90% unchanged.
CLIP_LOW, CLIP_HIGH = 0.01, 0.99


@dataclass
class ConformalBands:
    """Normalised residual quantiles per horizon step (pooled), plus per-series shifts."""

    low: np.ndarray  # (H,)
    high: np.ndarray  # (H,)
    low_shift: np.ndarray  # (n,) shrunk difference between the series' own and the pooled quantile
    high_shift: np.ndarray  # (n,)

    def apply(self, p50: np.ndarray, level: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Return (p10, p90) for forecasts p50 (n, ..., H) of series with the given levels (n,)."""
        s = spread(p50, level)
        extra = (1,) * (p50.ndim - 1)
        low = self.low + self.low_shift.reshape(-1, *extra)
        high = self.high + self.high_shift.reshape(-1, *extra)
        p10 = np.clip(p50 + np.minimum(low, 0.0) * s, 0.0, None)
        p90 = np.clip(p50 + np.maximum(high, 0.0) * s, 0.0, None)
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
    # Uncertainty does not shrink with the horizon: make the band widths monotone by an isotonic
    # fit (a running max would ride the noise of the per-step estimates upward).
    return -isotonic_increasing(-out) if q < 0.5 else isotonic_increasing(out)


def isotonic_increasing(values: np.ndarray) -> np.ndarray:
    """Least-squares non-decreasing fit (pool adjacent violators).

    Ref: Barlow et al. (1972), "Statistical Inference under Order Restrictions", Wiley.
    """
    means: list[float] = []
    weights: list[int] = []
    for v in values:
        means.append(float(v))
        weights.append(1)
        while len(means) > 1 and means[-2] > means[-1]:
            mean, weight = means.pop(), weights.pop()
            total = weights[-1] + weight
            means[-1] = (means[-1] * weights[-1] + mean * weight) / total
            weights[-1] = total
    return np.repeat(np.array(means), weights) if means else np.zeros(0)


def row_quantile(x: np.ndarray, q: float) -> np.ndarray:
    """Linear-interpolated q-quantile of each row's finite values (NaN for rows without any).

    Same result as np.nanquantile(x, q, axis=1), without its per-row Python loop.
    """
    n = x.shape[0]
    ordered = np.sort(np.where(np.isfinite(x), x, np.inf), axis=1)
    count = np.isfinite(x).sum(axis=1)
    pos = q * np.maximum(count - 1, 0)
    lo = np.floor(pos).astype(int)
    hi = np.minimum(lo + 1, np.maximum(count - 1, 0))
    rows = np.arange(n)
    if x.shape[1] == 0:
        return np.full(n, np.nan)
    low_val = ordered[rows, np.minimum(lo, x.shape[1] - 1)]
    high_val = ordered[rows, np.minimum(hi, x.shape[1] - 1)]
    with np.errstate(invalid="ignore"):
        out = low_val + (pos - lo) * (high_val - low_val)
    return np.where(count > 0, out, np.nan)


def _series_shift(r: np.ndarray, q: float) -> np.ndarray:
    """Shrunk gap between each series' own residual quantile and the pooled one (n,).

    Residuals are first clipped to the pooled CLIP_LOW..CLIP_HIGH quantiles, which bounds the shift
    any one series can get from a few extreme windows.
    """
    n = r.shape[0]
    flat = r.reshape(n, -1)
    ok = np.isfinite(flat)
    count = ok.sum(axis=1)
    if ok.any():
        bounds = np.quantile(flat[ok], [CLIP_LOW, CLIP_HIGH])
        flat = np.where(ok, np.clip(flat, bounds[0], bounds[1]), np.nan)
    pooled = float(np.quantile(flat[ok], q)) if ok.any() else 0.0
    own = np.where(count > 0, row_quantile(flat, q), pooled)
    weight = count / (count + SHRINK)
    return weight * (own - pooled)


def fit_bands(actual: np.ndarray, p50: np.ndarray, level: np.ndarray) -> ConformalBands:
    """Fit bands from backtest actuals and forecasts shaped (n, windows, H), levels (n, windows)."""
    horizon = actual.shape[-1]
    r = (actual - p50) / spread(p50, level)
    low_shift = _series_shift(r, LOW)
    high_shift = _series_shift(r, HIGH)
    return ConformalBands(
        low=_smooth_quantile(r, LOW, horizon),
        high=_smooth_quantile(r, HIGH, horizon),
        low_shift=low_shift,
        high_shift=high_shift,
    )


def cross_window_bands(
    actual: np.ndarray, p50: np.ndarray, level: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Honest backtest bands: window k is covered by bands fitted on the other windows only.

    `level` (n, windows) is each series' level at each window's origin.
    """
    windows = actual.shape[1]
    p10 = np.full_like(p50, np.nan)
    p90 = np.full_like(p50, np.nan)
    for k in range(windows):
        others = [j for j in range(windows) if j != k] or [k]
        bands = fit_bands(actual[:, others], p50[:, others], level[:, others])
        p10[:, k], p90[:, k] = bands.apply(p50[:, k], level[:, k])
    return p10, p90
