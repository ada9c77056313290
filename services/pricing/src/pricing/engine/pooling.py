"""Empirical-Bayes partial pooling of store-level elasticities toward their product and category."""

from __future__ import annotations

import numpy as np
import pandas as pd

# Between-group spreads used when too few groups exist to estimate them, and their floors
# (a zero spread would erase every series' own signal).
DEFAULT_STORE_SPREAD = 0.5
DEFAULT_PRODUCT_SPREAD = 1.0
MIN_SPREAD = 0.05


def between_variance(estimates: list[np.ndarray], variances: list[np.ndarray], default: float) -> float:
    """DerSimonian-Laird between-group variance pooled over several groups of estimates."""
    # Ref: DerSimonian & Laird (1986), Controlled Clinical Trials 7(3) 177-188.
    q_total, c_total, degrees = 0.0, 0.0, 0
    for values, variance in zip(estimates, variances, strict=True):
        if len(values) < 2:
            continue
        weights = 1.0 / variance
        mean = float(weights @ values / weights.sum())
        q_total += float(weights @ (values - mean) ** 2)
        c_total += float(weights.sum() - (weights @ weights) / weights.sum())
        degrees += len(values) - 1
    if degrees < 2 or c_total <= 0:
        return default**2
    return max((q_total - degrees) / c_total, MIN_SPREAD**2)


def _combine(
    mean_a: np.ndarray, var_a: np.ndarray, mean_b: np.ndarray, var_b: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Precision-weighted combination of two normal estimates (a missing one has infinite variance)."""
    with np.errstate(invalid="ignore", divide="ignore"):
        precision_a = np.where(np.isfinite(var_a) & np.isfinite(mean_a), 1.0 / var_a, 0.0)
        precision_b = np.where(np.isfinite(var_b) & np.isfinite(mean_b), 1.0 / var_b, 0.0)
        total = precision_a + precision_b
        mean = (np.nan_to_num(mean_a) * precision_a + np.nan_to_num(mean_b) * precision_b) / total
        return np.where(total > 0, mean, np.nan), np.where(total > 0, 1.0 / total, np.inf)


def pool_elasticities(series: pd.DataFrame) -> pd.DataFrame:
    """Shrink own elasticities (sku, category, elasticity_own, elasticity_own_se) toward sku and category."""
    own = series["elasticity_own"].to_numpy(dtype=float)
    own_var = series["elasticity_own_se"].to_numpy(dtype=float) ** 2
    valid = np.isfinite(own) & np.isfinite(own_var) & (own_var > 0)
    result = {
        "elasticity": np.full(len(series), np.nan),
        "elasticity_sd": np.full(len(series), np.nan),
        "elasticity_product": np.full(len(series), np.nan),
        "elasticity_category": np.full(len(series), np.nan),
        "own_weight": np.zeros(len(series)),
    }
    if valid.any():
        global_mean = float(np.average(own[valid], weights=1.0 / own_var[valid]))
        categories = series["category"].to_numpy()
        for category in pd.unique(categories):
            positions = np.flatnonzero(categories == category)
            _pool_category(series, positions, own, own_var, valid, global_mean, result)
    return pd.DataFrame(result, index=series.index)


def _pool_category(
    series: pd.DataFrame,
    positions: np.ndarray,
    own: np.ndarray,
    own_var: np.ndarray,
    valid: np.ndarray,
    global_mean: float,
    result: dict[str, np.ndarray],
) -> None:
    """Two-level empirical Bayes within one category: stores within sku, skus within category."""
    skus = series["sku"].to_numpy()[positions]
    ok = valid[positions]
    values, variances = own[positions], own_var[positions]
    groups = {sku: np.flatnonzero((skus == sku) & ok) for sku in np.unique(skus)}
    store_var = between_variance(
        [values[index] for index in groups.values()],
        [variances[index] for index in groups.values()],
        DEFAULT_STORE_SPREAD,
    )
    # Random-effects estimate of each sku from its stores.
    weights = np.where(ok, 1.0 / (variances + store_var), 0.0)
    sku_sum_w = {sku: float(weights[index].sum()) for sku, index in groups.items()}
    sku_sum_wb = {sku: float(weights[index] @ values[index]) for sku, index in groups.items()}
    estimated = [sku for sku in groups if sku_sum_w[sku] > 0]
    sku_mean = np.array([sku_sum_wb[sku] / sku_sum_w[sku] for sku in estimated])
    sku_var = np.array([1.0 / sku_sum_w[sku] for sku in estimated])
    if len(estimated) >= 3:
        product_var = between_variance([sku_mean], [sku_var], DEFAULT_PRODUCT_SPREAD)
    else:
        product_var = DEFAULT_PRODUCT_SPREAD**2
    if estimated:
        category_weights = 1.0 / (sku_var + product_var)
        category_mean = float(category_weights @ sku_mean / category_weights.sum())
        category_var = float(1.0 / category_weights.sum())
    else:
        # No series of this category has its own estimate: borrow the overall mean, loosely.
        category_mean, category_var = global_mean, DEFAULT_PRODUCT_SPREAD**2
    prior_mean = np.full(len(positions), category_mean)
    prior_var = np.full(len(positions), product_var + category_var)

    # Leave-one-out sku estimate: the series' own data must not also sit in its prior.
    sum_w = np.array([sku_sum_w[sku] for sku in skus]) - weights
    sum_wb = np.array([sku_sum_wb[sku] for sku in skus]) - weights * np.nan_to_num(values)
    with np.errstate(invalid="ignore", divide="ignore"):
        others_mean = np.where(sum_w > 1e-12, sum_wb / sum_w, np.nan)
        others_var = np.where(sum_w > 1e-12, 1.0 / sum_w, np.inf)
    sku_post_mean, sku_post_var = _combine(others_mean, others_var, prior_mean, prior_var)
    posterior_mean, posterior_var = _combine(values, variances, sku_post_mean, sku_post_var + store_var)

    full_sku_mean = {sku: sku_sum_wb[sku] / sku_sum_w[sku] for sku in estimated}
    sku_display = np.array([full_sku_mean.get(sku, np.nan) for sku in skus])
    sku_display_var = np.array([1.0 / sku_sum_w[sku] if sku in full_sku_mean else np.inf for sku in skus])
    product_mean, _ = _combine(sku_display, sku_display_var, prior_mean, prior_var)

    result["elasticity"][positions] = posterior_mean
    result["elasticity_sd"][positions] = np.sqrt(posterior_var)
    result["elasticity_product"][positions] = product_mean
    result["elasticity_category"][positions] = category_mean
    result["own_weight"][positions] = np.where(ok, posterior_var / np.where(ok, variances, 1.0), 0.0)
