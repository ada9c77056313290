"""Smooth price responses of the demand model: the own price above the regular price, and substitutes.

The global model is a tree ensemble. Its response to the own price is a step function, flat
wherever the training rows hold no split; prices above the regular price are rare (and mostly
promoted), so just above the regular price the trees answer "no effect". And given the other
items' prices and promotions as features, the trees split on them as proxies for the calendar and
overfit. So both responses are parametric factors on the trees' forecast:

    units = trees x exp(own x log(max(price / regular, 1))) x exp(cross_price x log(substitutes'
            mean relative price) + cross_promotion x substitutes' promoted share)

The trees still read the own price (discounts are theirs to learn, where the data is rich) and
learn the units divided by these factors, so nothing is counted twice; they do not read the
substitutes. A price increase always lowers demand; the substitutes move it only where the data
shows an effect.

Estimation, on the training periods only: log(1 + units) on log(price / regular price), the
promotion flags (a discount mostly comes with a feature, a display or a temporary price reduction,
whose lift is not the price's) and the two substitute terms, the store's traffic (_store_traffic), with
fixed effects per series and per category and period, least squares per category. Each category's coefficient is
shrunk toward the pooled one by its sampling variance, the categories' spread beyond their noise
being the prior's variance (empirical Bayes).
Ref: Efron & Morris (1975), "Data analysis using Stein's estimator and its generalizations", JASA 70.
The own elasticity is negative: a category whose estimate is not takes the pooled one, and none is
above MAX_ELASTICITY. A substitute term is kept only where it is SIGNIFICANT_T standard errors away
from zero, else it is 0.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import sparse

from forecasting.engine.panel import MAX_PRICE_RATIO, MIN_PRICE_RATIO, Panel

# Ceiling of the own elasticity: where the data shows no price effect at all, a price increase
# still costs a little demand (the sign every retail price study finds), never nothing.
MAX_ELASTICITY = -0.1
# Fewer periods with own-price variation than this and a category takes the pooled own elasticity.
MIN_VARIED_PERIODS = 30
SIGNIFICANT_T = 2.0
# A regressor whose R^2 on the others exceeds 0.99 is taken as not identified.
MAX_VARIANCE_INFLATION = 100.0
# Alternating projections for the two-way fixed effects: the coefficients settle within two.
FIXED_EFFECT_SWEEPS = 3
SUBSTITUTE_TERMS = ("sub_price_ratio", "sub_promo_share")
# Cap on the cells (series x period) of the estimation: beyond it a fixed random subset of whole
# series is used (each keeps its fixed effect); a few hundred thousand cells pin the few
# coefficients per category down far more tightly than their spread across categories.
MAX_CELLS = 1_000_000


@dataclass
class PriceResponse:
    """Per series (n,): own elasticity above the regular price and the substitutes' effects."""

    own: np.ndarray
    cross_price: np.ndarray  # elasticity to the substitutes' mean relative price
    cross_promotion: np.ndarray  # change of log units per unit of the substitutes' promoted share

    @classmethod
    def neutral(cls, n: int) -> PriceResponse:
        """No price response at all (every factor 1), for a model that was never fitted."""
        return cls(np.zeros(n), np.zeros(n), np.zeros(n))

    def factors(
        self, panel: Panel, substitutes: dict[str, np.ndarray], rows: np.ndarray, target: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        """Own-price and substitute factors of rows (series, target period); 1 at the reference
        (regular price, substitutes at their regular price and not promoted)."""
        own = np.exp(self.own[rows] * np.log(np.maximum(price_ratio(panel)[rows, target], 1.0)))
        log_cross = np.zeros(len(rows))
        if substitutes:
            price, promoted = _substitute_terms(substitutes)
            log_cross = self.cross_price[rows] * price[rows, target]
            log_cross = log_cross + self.cross_promotion[rows] * promoted[rows, target]
        return own, np.exp(log_cross)


def price_ratio(panel: Panel) -> np.ndarray:
    """Price over regular price (n, T+H), within the bounds of a plausible price."""
    with np.errstate(invalid="ignore", divide="ignore"):
        ratio = panel.price / panel.regular
    return np.clip(np.where(np.isfinite(ratio), ratio, 1.0), MIN_PRICE_RATIO, MAX_PRICE_RATIO)


def substitute_groups(keys: pd.DataFrame) -> np.ndarray:
    """Code of each series' store x category group; items without a category share one per store."""
    store = keys["store"].astype(str).to_numpy(dtype=object)
    category = keys["category"].fillna("").astype(str).to_numpy(dtype=object)
    return pd.factorize(pd.Series(store + "\x00" + category))[0].astype(np.int64)


def substitute_drivers(panel: Panel) -> dict[str, np.ndarray]:
    """Per series and period, the other items of its store x category: mean relative price, promoted share.

    The item itself is left out, so these say what its substitutes cost and whether they are on
    promotion (NaN for an item alone in its group). Every period of the grid is filled, history and
    plan, so a scenario that moves one item's price or promotion moves its neighbours' features.
    """
    codes = substitute_groups(panel.keys)
    relative = panel.price / panel.regular
    promoted = np.nan_to_num(panel.flags["promotion"], nan=0.0)
    groups = int(codes.max()) + 1 if len(codes) else 0
    count = np.bincount(codes, minlength=groups).astype(float)[codes][:, None]
    out = {}
    for name, grid in (("sub_price_ratio", relative), ("sub_promo_share", promoted)):
        totals = np.zeros((groups, grid.shape[1]))
        np.add.at(totals, codes, grid)
        with np.errstate(invalid="ignore", divide="ignore"):
            out[name] = np.where(count > 1, (totals[codes] - grid) / (count - 1), np.nan)
    return out


def _substitute_terms(substitutes: dict[str, np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """Log of the substitutes' mean relative price and their promoted share; 0 for an item alone."""
    price = np.clip(np.nan_to_num(substitutes["sub_price_ratio"], nan=1.0), MIN_PRICE_RATIO, MAX_PRICE_RATIO)
    return np.log(price), np.nan_to_num(substitutes["sub_promo_share"], nan=0.0)


def _store_traffic(panel: Panel, series: np.ndarray, period: np.ndarray, outcome: np.ndarray) -> np.ndarray:
    """Per cell: the mean log units (less each series' own mean) of the store's other groups of
    substitutes in that period, 0 where the store has none. A store's busy week (its traffic, its
    promotions' halo on the whole store) moves every item there, which is not a substitute effect.
    Fixed effects per store and period would absorb it too, but in a store of one group they would
    also absorb the substitutes (the group's total less the item's own), and they would mix
    categories whose price effects differ."""
    n = panel.n_series
    count = np.maximum(np.bincount(series, minlength=n), 1)
    centred = outcome - (np.bincount(series, weights=outcome, minlength=n) / count)[series]
    store = pd.factorize(panel.keys["store"].astype(str))[0]
    width = int(period.max()) + 1 if len(period) else 1
    totals = []
    for code in (store, substitute_groups(panel.keys)):
        index = code[series] * width + period
        size = (int(code.max()) + 1) * width
        totals.append(
            (
                np.bincount(index, weights=centred, minlength=size)[index],
                np.bincount(index, minlength=size)[index],
            )
        )
    (store_sum, store_count), (group_sum, group_count) = totals
    others = store_count - group_count
    return np.where(others > 0, (store_sum - group_sum) / np.maximum(others, 1), 0.0)


def _estimation_series(y: np.ndarray) -> np.ndarray:
    """(n,) True for the series the estimation reads: all, unless their cells exceed MAX_CELLS."""
    observed = np.isfinite(y).sum(axis=1)
    if observed.sum() <= MAX_CELLS:
        return np.ones(len(y), dtype=bool)
    # A fixed seed: the forecast and every later read of the stored model pick the same series.
    order = np.random.default_rng(0).permutation(len(y))
    kept = order[: int(np.searchsorted(np.cumsum(observed[order]), MAX_CELLS)) + 1]
    chosen = np.zeros(len(y), dtype=bool)
    chosen[kept] = True
    return chosen


def _design(
    panel: Panel, cutoff: int, substitutes: dict[str, np.ndarray], category: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, list[str]]:
    """Regressors (cells, k) and outcome (cells,) less fixed effects per series and per category
    and period, each cell's series and the regressors' names (log price ratio first), over the
    observed periods before `cutoff`."""
    y = panel.y[:, :cutoff]
    series, period = np.nonzero(np.isfinite(y) & _estimation_series(y)[:, None])
    outcome = np.log1p(np.maximum(y[series, period], 0.0))
    columns = {"own": np.log(price_ratio(panel)[series, period])}
    for name, grid in panel.flags.items():
        column = np.nan_to_num(grid[series, period], nan=0.0)
        if column.any():
            columns[name] = column
    if substitutes:
        price, promoted = _substitute_terms(substitutes)
        # In a category held by one store, the other items' mean within a period is the group's
        # total (the period's effect) less the item's own: it repeats the own terms, so such a
        # category tells nothing about substitutes and takes the pooled effect.
        stores_held = np.bincount(
            np.unique(np.column_stack([category, substitute_groups(panel.keys)]), axis=0)[:, 0]
        )
        identified = stores_held[category[series]] >= 2
        columns[SUBSTITUTE_TERMS[0]] = np.where(identified, price[series, period], 0.0)
        columns[SUBSTITUTE_TERMS[1]] = np.where(identified, promoted[series, period], 0.0)
    columns["store_traffic"] = _store_traffic(panel, series, period, outcome)
    design = np.column_stack([*columns.values(), outcome])
    # Effects per category and period: each category's own calendar, and no category's price
    # effects leak into another's estimate through a shared effect. A one-hot matrix per effect sums
    # every column per group at once, cell by cell in order (the sums np.bincount would give).
    ones = np.ones(len(series))
    cells = np.arange(len(series))
    effects = []
    for index, size in (
        (series, panel.n_series),
        (category[series] * cutoff + period, cutoff * (int(category.max()) + 1)),
    ):
        count = np.maximum(np.bincount(index, minlength=size), 1).astype(float)
        effects.append((index, sparse.csr_matrix((ones, (index, cells)), shape=(size, len(cells))), count))
    means = np.empty_like(design)  # reused: a fresh array of this size per sweep costs page faults
    for _ in range(FIXED_EFFECT_SWEEPS):
        for index, onehot, count in effects:
            design -= np.take(onehot @ design / count[:, None], index, axis=0, out=means, mode="clip")
    return design[:, :-1], design[:, -1], series, list(columns)


def _least_squares(x: np.ndarray, y: np.ndarray, cluster: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Coefficients (k,) and their variances, robust to any correlation within a cluster (a
    series: weekly sales errors persist, so cells are far from independent and the plain variance
    would call noise significant); NaN for a regressor without variation or not identified."""
    k = x.shape[1]
    coef, variance = np.full(k, np.nan), np.full(k, np.nan)
    gram = x.T @ x
    varied = np.flatnonzero(np.diag(gram) > 1e-9)
    clusters, index = np.unique(cluster, return_inverse=True)
    if len(clusters) <= len(varied) or not len(varied):
        return coef, variance
    try:
        inverse = np.linalg.inv(gram[np.ix_(varied, varied)])
    except np.linalg.LinAlgError:
        return coef, variance
    part = x[:, varied]
    fitted = inverse @ (part.T @ y)
    residual = y - part @ fitted
    # Each cluster's score (its cells' x times residual, summed) in the sandwich, with the usual
    # small-sample factor G / (G - 1).
    scores = np.zeros((len(clusters), len(varied)))
    np.add.at(scores, index, part * residual[:, None])
    meat = scores.T @ scores * len(clusters) / (len(clusters) - 1)
    coef[varied], variance[varied] = fitted, np.diag(inverse @ meat @ inverse)
    # A regressor (nearly) repeating the others is not identified: its variance inflation factor
    # (1 / (1 - R^2) of it on the others) says so.
    inflation = np.full(k, np.inf)
    inflation[varied] = np.diag(inverse) * np.diag(gram)[varied]
    unidentified = ~(variance > 0) | (inflation > MAX_VARIANCE_INFLATION)
    coef[unidentified], variance[unidentified] = np.nan, np.nan
    return coef, variance


def _category_fits(
    x: np.ndarray, y: np.ndarray, cell_group: np.ndarray, cell_series: np.ndarray, groups: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Least squares per category (groups, k) and pooled (k,): coefficients and their variances
    (clustered by series). A category with fewer than MIN_VARIED_PERIODS own-price changes has no
    own elasticity."""
    order = np.argsort(cell_group, kind="stable")
    bounds = np.concatenate([[0], np.cumsum(np.bincount(cell_group, minlength=groups))])
    x, y, cell_series = x[order], y[order], cell_series[order]
    k = x.shape[1]
    estimates, variances = np.full((groups, k), np.nan), np.full((groups, k), np.nan)
    for group in range(groups):
        cells = slice(bounds[group], bounds[group + 1])
        estimates[group], variances[group] = _least_squares(x[cells], y[cells], cell_series[cells])
        if np.count_nonzero(np.abs(x[cells, 0]) > 1e-9) < MIN_VARIED_PERIODS:
            estimates[group, 0] = np.nan
    pooled, pooled_variance = _least_squares(x, y, cell_series)
    return estimates, variances, pooled, pooled_variance


def _shrink(estimates: np.ndarray, variances: np.ndarray, pooled: float) -> tuple[np.ndarray, np.ndarray]:
    """Each group's estimate shrunk toward `pooled` (the pooled one where it has none), and its
    posterior variance (infinite where it has none)."""
    known = np.isfinite(estimates) & np.isfinite(variances) & (variances > 0)
    spread = float(np.mean((estimates[known] - pooled) ** 2 - variances[known])) if known.any() else 0.0
    prior = max(spread, 1e-6)
    safe = np.where(known, variances, 1.0)
    weight = np.where(known, prior / (prior + safe), 0.0)
    shrunk = np.where(known, weight * np.nan_to_num(estimates) + (1 - weight) * pooled, pooled)
    return shrunk, np.where(known, weight * safe, np.inf)


def fit_price_response(panel: Panel, substitutes: dict[str, np.ndarray]) -> PriceResponse:
    """The response of every series, estimated on its whole history; `substitutes`
    (global_model.substitute_drivers, empty for none) adds their terms."""
    cutoff = panel.n_hist
    n = panel.n_series
    none = np.zeros(n)
    if n == 0 or cutoff <= 1:
        return PriceResponse(np.full(n, MAX_ELASTICITY), none, none)
    category = pd.factorize(panel.keys["category"].fillna("").astype(str))[0]
    x, y, series, names = _design(panel, cutoff, substitutes, category)
    groups = int(category.max()) + 1
    estimates, variances, pooled, pooled_variance = _category_fits(x, y, category[series], series, groups)
    own_pooled = min(pooled[0], MAX_ELASTICITY) if np.isfinite(pooled[0]) else MAX_ELASTICITY
    own, _ = _shrink(estimates[:, 0], variances[:, 0], own_pooled)
    own = np.minimum(np.where(own < 0, own, own_pooled), MAX_ELASTICITY)
    cross = []
    for term in SUBSTITUTE_TERMS:
        if term not in names:
            cross.append(np.zeros(groups))
            continue
        j = names.index(term)
        identified = np.isfinite(pooled[j]) and np.isfinite(pooled_variance[j])
        significant = identified and abs(pooled[j]) >= SIGNIFICANT_T * np.sqrt(pooled_variance[j])
        center = float(pooled[j]) if significant else 0.0
        shrunk, posterior = _shrink(estimates[:, j], variances[:, j], center)
        # A category without its own estimate takes the pooled one (already 0 unless significant).
        keep = np.isinf(posterior) | (np.abs(shrunk) >= SIGNIFICANT_T * np.sqrt(posterior))
        cross.append(np.where(keep, shrunk, 0.0))
    return PriceResponse(own[category], cross[0][category], cross[1][category])
