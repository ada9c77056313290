"""One period's demand distribution, fitted exactly to the forecast's p10/p50/p90.

The fit is a split Tukey g-distribution in normal-score space:

    Q(z) = max(0, p50 + b * (exp(g*z) - 1) / g),   b = b_low for z < 0, b_high for z >= 0

One skewness g (from the ratio of the upper to the lower quantile gap) and one scale per half
reproduce all three quantiles. Symmetric quantiles give a normal distribution (g -> 0), right-skewed
ones a shifted lognormal, and the clip at zero puts a point mass at zero where p10 (or p50) is zero,
which is how intermittent demand shows up in the quantiles.
Ref: Tukey's g-and-h family, Hoaglin (1985), "Summarizing shape numerically: the g-and-h
distributions", in Exploring Data Tables, Trends, and Shapes, Wiley.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from scipy.special import ndtr, ndtri

FloatArray = npt.NDArray[np.float64]

Z90 = float(ndtri(0.9))
# |g| = 1 is about a lognormal with sigma 1; more skew than that is not identifiable from three
# quantiles and would give absurd tails.
G_MAX = 1.0
# A normal's mean absolute deviation is sigma * sqrt(2 / pi).
_NORMAL_SIGMA_PER_MAD = float(np.sqrt(np.pi / 2.0))


@dataclass
class PeriodShape:
    """Fitted parameters of one or more periods' demand distributions (arrays of equal shape)."""

    p50: FloatArray
    g: FloatArray
    b_low: FloatArray
    b_high: FloatArray


def _safe_g(g: FloatArray) -> FloatArray:
    """Replace g = 0 by a tiny value: expm1(g z) / g is then z to 1e-9 relative, without a branch."""
    return np.where(np.abs(g) < 1e-9, 1e-9, g)


def _h(z: FloatArray | float, g: FloatArray) -> FloatArray:
    """Return (exp(g z) - 1) / g, which tends to z as g tends to 0."""
    safe_g = _safe_g(g)
    return np.asarray(np.expm1(safe_g * z) / safe_g)


def clean_quantiles(
    p10: npt.ArrayLike, p50: npt.ArrayLike, p90: npt.ArrayLike
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Return non-negative, non-crossing quantiles; missing p10/p90 fall back to p50."""
    q50 = np.nan_to_num(np.asarray(p50, dtype=np.float64), nan=0.0)
    q10 = np.asarray(p10, dtype=np.float64)
    q90 = np.asarray(p90, dtype=np.float64)
    q10 = np.where(np.isfinite(q10), q10, q50)
    q90 = np.where(np.isfinite(q90), q90, q50)
    # Quantile models can cross; sorting keeps the fit defined without inventing information.
    stacked = np.sort(np.clip(np.stack([q10, q50, q90]), 0.0, None), axis=0)
    return stacked[0], stacked[1], stacked[2]


def fit_period_shape(p10: FloatArray, p50: FloatArray, p90: FloatArray) -> PeriodShape:
    """Fit the split g-distribution that passes exactly through each period's three quantiles."""
    upper_gap = p90 - p50
    lower_gap = p50 - p10
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio_g = np.log(upper_gap / lower_gap) / Z90
    g = np.where(
        (upper_gap > 0) & (lower_gap > 0),
        ratio_g,
        np.where(upper_gap > 0, G_MAX, np.where(lower_gap > 0, -G_MAX, 0.0)),
    )
    g = np.clip(np.nan_to_num(g, nan=0.0), -G_MAX, G_MAX)
    b_high = upper_gap / _h(Z90, g)
    b_low = lower_gap / -_h(-Z90, g)
    return PeriodShape(p50=p50, g=g, b_low=b_low, b_high=b_high)


def demand_at(z: FloatArray, shape: PeriodShape) -> FloatArray:
    """Demand at normal score z (broadcast against the shape's arrays): the inverse CDF."""
    scale = np.where(z < 0, shape.b_low, shape.b_high)
    g = _safe_g(shape.g)
    values = np.expm1(g * z)
    values *= scale / g
    values += shape.p50
    return np.maximum(values, 0.0, out=values)


def _piece(a: FloatArray, b: FloatArray, g: FloatArray, low: FloatArray, high: FloatArray) -> FloatArray:
    """Integral of (a + b (exp(g z) - 1) / g) phi(z) over [low, high], phi the normal density.

    Uses the integral of exp(g z) phi(z) = exp(g^2 / 2) phi(z - g).
    """
    safe_g = _safe_g(g)
    mass = ndtr(high) - ndtr(low)
    tilted = np.exp(0.5 * safe_g**2) * (ndtr(high - safe_g) - ndtr(low - safe_g))
    exact = a * mass + b * (tilted - mass) / safe_g
    # For tiny g the difference above cancels; the g -> 0 limit is a + b z, integrated exactly.
    normal_limit = a * mass + b * (_pdf(low) - _pdf(high))
    return np.where(np.abs(g) < 1e-4, normal_limit, exact)


def _pdf(z: FloatArray) -> FloatArray:
    return np.exp(-0.5 * np.square(np.where(np.isfinite(z), z, 1e6))) / np.sqrt(2.0 * np.pi)


def mean_and_mad(shape: PeriodShape) -> tuple[FloatArray, FloatArray]:
    """Return each period's mean demand and mean absolute deviation from its median, exactly."""
    p50, g, b_low = shape.p50, shape.g, shape.b_low
    zero = np.zeros_like(p50)
    upper = _piece(p50, shape.b_high, g, zero, np.full_like(p50, np.inf))
    # The lower half is clipped at zero below the score z0 where p50 + b_low h(z0) = 0.
    safe_g = _safe_g(g)
    with np.errstate(divide="ignore", invalid="ignore"):
        inside = 1.0 - safe_g * p50 / b_low
        z0 = np.where(inside > 0, np.log(inside) / safe_g, -np.inf)
    z0 = np.where((b_low > 0) & np.isfinite(z0), np.minimum(z0, 0.0), -np.inf)
    lower = _piece(p50, b_low, g, z0, zero)
    return upper + lower, upper - lower


def widen_to_backtest_error(
    shape: PeriodShape,
    series_of_period: npt.NDArray[np.intp],
    wape: FloatArray,
    max_factor: float,
    min_factor: float = 1.0,
) -> PeriodShape:
    """Widen each series' spread so its expected absolute error is at least its backtest WAPE.

    A calibrated forecast has E|y - p50| / E[y] equal to its WAPE; a forecast whose quantile band
    implies less error than it showed in backtest is overconfident, so its spread is scaled up.
    """
    n_series = len(wape)
    has_wape = np.isfinite(wape) & (wape > 0)
    if not has_wape.any():
        return shape
    b_low, b_high, g = shape.b_low.copy(), shape.b_high.copy(), shape.g.copy()
    # A period forecast with no spread at all cannot be scaled: give it a normal spread whose mean
    # absolute deviation equals the backtest error.
    period_wape = np.where(has_wape[series_of_period], wape[series_of_period], 0.0)
    flat = (b_low == 0) & (b_high == 0) & (shape.p50 > 0) & (period_wape > 0)
    sigma = period_wape * shape.p50 * _NORMAL_SIGMA_PER_MAD
    b_low = np.where(flat, sigma, b_low)
    b_high = np.where(flat, sigma, b_high)
    g = np.where(flat, 0.0, g)
    widened = PeriodShape(p50=shape.p50, g=g, b_low=b_low, b_high=b_high)
    mean, mad = mean_and_mad(widened)
    total_mean = np.bincount(series_of_period, weights=mean, minlength=n_series)
    total_mad = np.bincount(series_of_period, weights=mad, minlength=n_series)
    with np.errstate(divide="ignore", invalid="ignore"):
        factor = np.where(has_wape & (total_mad > 0), wape * total_mean / total_mad, 1.0)
    factor = np.clip(np.nan_to_num(factor, nan=1.0), min_factor, max_factor)[series_of_period]
    return PeriodShape(p50=shape.p50, g=g, b_low=b_low * factor, b_high=b_high * factor)
