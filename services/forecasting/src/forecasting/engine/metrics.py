"""Forecast accuracy measures shared by the backtest, the tests and the bench."""

from __future__ import annotations

import numpy as np


def nanmean(x: np.ndarray, axis: int) -> np.ndarray:
    """Mean over `axis` ignoring NaN; NaN (without a warning) where a slice has no finite value."""
    ok = np.isfinite(x)
    count = ok.sum(axis=axis)
    total = np.where(ok, x, 0.0).sum(axis=axis)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(count > 0, total / np.maximum(count, 1), np.nan)


def wape(actual: np.ndarray, predicted: np.ndarray) -> float:
    """Weighted absolute percentage error: sum |y - yhat| / sum y over the finite pairs."""
    ok = np.isfinite(actual) & np.isfinite(predicted)
    total = float(np.sum(actual[ok]))
    return float(np.sum(np.abs(actual[ok] - predicted[ok])) / total) if total > 0 else float("nan")


def naive_scale(y: np.ndarray) -> np.ndarray:
    """In-sample one-step naive MAE per series (the MASE denominator); NaN if it is zero or unknown.

    Ref: Hyndman & Koehler (2006), "Another look at measures of forecast accuracy", IJF 22(4).
    """
    diffs = np.abs(np.diff(y, axis=1))
    scale = nanmean(diffs, axis=1)
    return np.where(scale > 0, scale, np.nan)


def per_series_scores(
    actual: np.ndarray, p50: np.ndarray, p10: np.ndarray, p90: np.ndarray, scale: np.ndarray
) -> dict[str, np.ndarray]:
    """WAPE, MASE, bias and p10-p90 coverage per series over all but the first axis."""
    n = actual.shape[0]
    a = actual.reshape(n, -1)
    f = p50.reshape(n, -1)
    lo = p10.reshape(n, -1)
    hi = p90.reshape(n, -1)
    ok = np.isfinite(a) & np.isfinite(f)
    count = ok.sum(axis=1)
    a0 = np.where(ok, a, 0.0)
    f0 = np.where(ok, f, 0.0)
    total = a0.sum(axis=1)
    abs_err = np.abs(a0 - f0).sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        series_wape = np.where(total > 0, abs_err / total, np.nan)
        bias = np.where(total > 0, (f0.sum(axis=1) - total) / total, np.nan)
        mase = np.where(count > 0, abs_err / np.maximum(count, 1) / scale, np.nan)
        inside = ok & (a >= np.where(ok, lo, 0)) & (a <= np.where(ok, hi, 0))
        coverage = np.where(count > 0, inside.sum(axis=1) / np.maximum(count, 1), np.nan)
    return {"wape": series_wape, "mase": mase, "bias": bias, "coverage_80": coverage}
