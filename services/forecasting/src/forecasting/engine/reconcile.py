"""Forecast reconciliation: every level (item, store x category, store, category, total) adds up.

How a call works: the item forecasts and the aggregate nodes' own base forecasts (hierarchy.py)
form one vector per period; a method of hierarchicalforecast's MinTrace family (bottom-up, OLS,
WLS-struct, WLS-var, MinT-shrink with the library's Schaefer-Strimmer covariance) maps it to
coherent item forecasts, applied in its sparse constraint form (`projector`, checked against the
library's dense MinTrace in the tests) so that it scales to large catalogues. The method is chosen by
backtest: each is fitted on the forecast errors of the earlier backtest windows and scored on the
last one, by its WAPE at every level relative to bottom-up's; of the methods no worse than bottom-up
at any level the best one wins, and it is refitted on every window's errors. Reconciled items are clipped at zero (a day with a zero band stays zero: a closed
store) and every aggregate is the sum of its items, so the levels add up to float precision.

Quantiles come from coherent sample paths: each item's predictive distribution (a split normal
through its p10/p50/p90, moved to the reconciled p50 and clipped at zero), with the dependence
between items taken from the ranks of their backtest errors in a shared backtest period (an
empirical copula), summed up the hierarchy; each node's p10/p90 are its sums' quantiles.
Ref: Ben Taieb, Taylor & Hyndman (2021), "Hierarchical probabilistic forecasting of electricity
demand with smart meter data", JASA 116(533) (reconciled means, bottom-level copula samples).
Ref: Wickramasuriya, Athanasopoulos & Hyndman (2019), "Optimal forecast reconciliation for
hierarchical and grouped time series through trace minimization", JASA 114(526).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy import sparse
from scipy.special import ndtri

from forecasting.engine.aggregate import Z90
from forecasting.engine.hierarchy import (
    ITEM,
    KEYS,
    LEVELS,
    Hierarchy,
    aggregate_base_forecasts,
    aggregate_history,
    build_hierarchy,
)

BOTTOM_UP = "bottom_up"
METHODS = (BOTTOM_UP, "ols", "wls_struct", "wls_var", "mint_shrink")
# Above this many nodes the full covariance (nodes^2 doubles) gets too big for a worker: only the
# diagonal methods compete there.
MAX_DENSE_NODES = 6000
LARGE_METHODS = (BOTTOM_UP, "ols", "wls_struct", "wls_var")
# hierarchicalforecast's defaults: a ridge on the shrunk covariance, a floor under each variance.
SHRINK_RIDGE = 2e-8
VARIANCE_FLOOR = 2e-8
SAMPLES = 200


@dataclass
class Reconciliation:
    """Reconciled item and level forecasts, the method used and what the backtest said of each."""

    items: pd.DataFrame  # store, sku, date, p10, p50, p90, base_p10, base_p50, base_p90
    levels: pd.DataFrame  # level, key, store, category, date, p10, p50, p90, base_p50, model
    method: str
    scores: dict[str, float] = field(default_factory=dict)  # method -> mean WAPE ratio to bottom-up
    coherence: float = 0.0  # largest |aggregate - sum of its items| / |aggregate|


@dataclass
class _Inputs:
    """Dense matrices of one reconciliation call."""

    hierarchy: Hierarchy
    dates: pd.DatetimeIndex  # the forecast periods
    base: np.ndarray  # (nodes, windows + 1, H) base forecasts, backtest windows then the future
    actual: np.ndarray  # (nodes, windows, H) what the windows saw (NaN unknown)
    bands: tuple[np.ndarray, np.ndarray, np.ndarray]  # items' base p10, p50, p90 (n_items, H)
    residuals: np.ndarray  # (n_items, windows * H) item backtest errors, for the copula
    models: np.ndarray  # each aggregate node's base model


def _matrix(frame: pd.DataFrame, items: pd.DataFrame, columns: list[str], value: str) -> pd.DataFrame:
    """`value` of the long `frame` as items x `columns` (missing cells NaN)."""
    wide = frame.pivot_table(index=KEYS, columns=columns, values=value, aggfunc="sum", dropna=False)
    return wide.reindex(pd.MultiIndex.from_frame(items[KEYS]))


def _grid(future: pd.DatetimeIndex, history: pd.DataFrame) -> tuple[pd.DatetimeIndex, int]:
    """The history periods before the first forecast date, on the forecasts' step, and the season."""
    if len(future) > 1:
        step = int((future[1] - future[0]).days)
    else:
        seen = pd.DatetimeIndex(pd.to_datetime(history["date"]).unique()).sort_values()
        gaps = np.diff(seen.asi8) // 86_400_000_000_000 if len(seen) > 1 else np.array([1])
        step = 7 if len(gaps) and bool(np.all(gaps % 7 == 0)) else 1
    start = pd.Timestamp(history["date"].min()) if len(history) else future[0]
    periods = max(1, int(np.ceil((future[0] - start).days / step)))
    grid = pd.date_range(end=future[0] - pd.Timedelta(days=step), periods=periods, freq=f"{step}D")
    return grid, (52 if step == 7 else 7)


def _inputs(
    points: pd.DataFrame, backtest: pd.DataFrame | None, history: pd.DataFrame, items: pd.DataFrame
) -> _Inputs:
    """The call's matrices: hierarchy, base forecasts of every node per window, actuals, residuals."""
    keys = points[KEYS].astype(str).drop_duplicates()
    catalogue = keys.merge(items[[*KEYS, "category"]].astype({"store": str, "sku": str}), on=KEYS, how="left")
    hierarchy = build_hierarchy(catalogue.drop_duplicates(KEYS))
    items = hierarchy.items
    dates = pd.DatetimeIndex(np.sort(pd.to_datetime(points["date"]).unique()))
    horizon = len(dates)
    bands = tuple(
        np.nan_to_num(_matrix(points, items, ["date"], q).reindex(columns=dates).to_numpy(float), nan=0.0)
        for q in ("p10", "p50", "p90")
    )
    grid, season = _grid(dates, history)
    fc, act, origins = _windows(backtest, items, grid, horizon)
    windows = len(origins)
    item_base = np.concatenate([fc, bands[1][:, None, :]], axis=1)
    y = aggregate_history(hierarchy, history, grid)
    n_aggregates, cells = hierarchy.n_aggregates, windows * horizon
    agg_actual = np.asarray(hierarchy.aggregate @ np.nan_to_num(act).reshape(len(items), cells))
    agg_actual = agg_actual.reshape(n_aggregates, windows, horizon)
    agg_base, models = aggregate_base_forecasts(
        y,
        [*origins, len(grid)],
        horizon,
        season,
        np.asarray(hierarchy.aggregate @ item_base.reshape(len(items), -1)).reshape(
            n_aggregates, windows + 1, horizon
        ),
        agg_actual,
    )
    residuals = np.nan_to_num(act - fc).reshape(len(items), cells)
    return _Inputs(
        hierarchy=hierarchy,
        dates=dates,
        base=np.concatenate([agg_base, item_base], axis=0),
        actual=np.concatenate([agg_actual, act], axis=0),
        bands=(bands[0], bands[1], bands[2]),
        residuals=residuals,
        models=models,
    )


def _windows(
    backtest: pd.DataFrame | None, items: pd.DataFrame, grid: pd.DatetimeIndex, horizon: int
) -> tuple[np.ndarray, np.ndarray, list[int]]:
    """Item backtest forecasts and actuals (n_items, windows, H) and the windows' origins on `grid`."""
    n = len(items)
    if backtest is None or backtest.empty:
        return np.zeros((n, 0, horizon)), np.zeros((n, 0, horizon)), []
    frame = backtest.astype({"store": str, "sku": str}).assign(date=lambda f: pd.to_datetime(f["date"]))
    starts = frame.groupby("window")["date"].min().sort_index()
    origins, kept = [], []
    for window, start in starts.items():
        position = grid.get_indexer(pd.DatetimeIndex([start]))[0]
        if position > 0:
            origins.append(int(position))
            kept.append(window)
    frame = frame[frame["window"].isin(kept)].copy()
    frame["step"] = frame.groupby("window")["date"].rank(method="dense").astype(int) - 1
    frame = frame[frame["step"] < horizon]
    columns = pd.MultiIndex.from_product([kept, range(horizon)], names=["window", "step"])
    shape = (n, len(kept), horizon)
    fc = np.nan_to_num(
        _matrix(frame, items, ["window", "step"], "forecast").reindex(columns=columns).to_numpy(float),
        nan=0.0,
    ).reshape(shape)
    act = (
        _matrix(frame, items, ["window", "step"], "actual")
        .reindex(columns=columns)
        .to_numpy(float)
        .reshape(shape)
    )
    # An item without a backtest cell (no history then) counts as forecast exactly.
    act = np.where(np.isnan(act), fc, act)
    return fc, act, origins


def _weights(method: str, hierarchy: Hierarchy, residuals: np.ndarray) -> np.ndarray:
    """The error variances (nodes,) of a diagonal method, or the shrunk covariance (nodes, nodes)."""
    if method == "ols":
        return np.ones(residuals.shape[0])
    if method == "wls_struct":
        return np.concatenate(
            [np.asarray(hierarchy.aggregate.sum(axis=1)).ravel(), np.ones(len(hierarchy.items))]
        )
    if method == "wls_var":
        return np.mean(residuals**2, axis=1) + VARIANCE_FLOOR
    if method == "mint_shrink":
        from hierarchicalforecast.utils import _shrunk_covariance_schaferstrimmer_no_nans

        return np.asarray(_shrunk_covariance_schaferstrimmer_no_nans(residuals, SHRINK_RIDGE))
    raise ValueError(f"unknown reconciliation method {method!r}")


def projector(method: str, hierarchy: Hierarchy, residuals: np.ndarray) -> Callable[[np.ndarray], np.ndarray]:
    """The reconciled items (n_items, H) of `method` for base forecasts of every node (nodes, H).

    MinTrace in its constraint form: y~ = y^ - W U (U'WU)^-1 U'y^ with U' = [I | -S_agg], so only
    the (aggregates x aggregates) system is solved and U stays sparse; this is the projection
    hierarchicalforecast's MinTrace forms densely (the tests check both agree), at a cost that
    grows with nodes x aggregates instead of nodes^2 x aggregates. `residuals` (nodes, periods) are
    the base forecasts' backtest errors, from which W is estimated (hierarchicalforecast's
    Schaefer-Strimmer shrinkage for mint_shrink).
    """
    n_aggregates = hierarchy.n_aggregates
    if method == BOTTOM_UP:
        return lambda y_hat: np.asarray(y_hat[n_aggregates:])
    u = sparse.vstack([sparse.identity(n_aggregates), -hierarchy.aggregate.T]).tocsr()  # nodes x aggregates
    weights = _weights(method, hierarchy, residuals)
    # A diagonal W keeps WU as sparse as U; a full one makes it dense (nodes x aggregates).
    wu: Any = (
        sparse.csr_matrix(u.multiply(weights[:, None])) if weights.ndim == 1 else np.asarray(weights @ u)
    )
    gram = np.asarray((u.T @ wu).toarray() if sparse.issparse(wu) else u.T @ wu)
    bottom_wu = wu[n_aggregates:]

    def apply(y_hat: np.ndarray) -> np.ndarray:
        correction = np.linalg.solve(gram, np.asarray(u.T @ y_hat))
        return np.asarray(y_hat[n_aggregates:] - bottom_wu @ correction)

    return apply


def _projection(method: str, inputs: _Inputs, windows: slice) -> Callable[[np.ndarray], np.ndarray]:
    """The projector of `method` fitted on the base forecasts' errors in backtest `windows`."""
    n_nodes = inputs.base.shape[0]
    actual = inputs.actual[:, windows]
    forecast = inputs.base[:, : inputs.actual.shape[1]][:, windows].reshape(n_nodes, actual[0].size)
    actual = actual.reshape(n_nodes, actual[0].size)
    residuals = np.where(np.isnan(actual), 0.0, actual - forecast)
    return projector(method, inputs.hierarchy, residuals)


def _coherent(project: Callable[..., np.ndarray], base: np.ndarray, closed: np.ndarray | None) -> np.ndarray:
    """Reconciled item values (n_items, H): projected, clipped at zero, closed cells kept at zero."""
    bottom = np.clip(np.nan_to_num(project(base), nan=0.0), 0.0, None)
    if closed is not None:
        bottom[closed] = 0.0
    return bottom


def _level_wape(hierarchy: Hierarchy, nodes: np.ndarray, actual: np.ndarray) -> dict[str, float]:
    """WAPE per level (aggregate levels and items) of node forecasts against actuals."""
    level = hierarchy.nodes["level"].to_numpy()
    out = {}
    for name in (*LEVELS, ITEM):
        rows = level == name
        ok = np.isfinite(actual[rows])
        total = float(np.abs(actual[rows][ok]).sum())
        out[name] = float(np.abs(nodes[rows][ok] - actual[rows][ok]).sum() / total) if total > 0 else np.nan
    return out


def choose_method(inputs: _Inputs, methods: tuple[str, ...]) -> tuple[str, dict[str, float]]:
    """The method chosen on the last backtest window (see pick_method), and every method's score.

    Each method is fitted on the earlier windows' errors (on the only window when there is one),
    so the last window judges it out of sample.
    """
    windows = inputs.actual.shape[1]
    if windows == 0:
        return BOTTOM_UP, {}
    fit_on = slice(0, windows - 1) if windows > 1 else slice(0, 1)
    last = windows - 1
    wapes = {}
    for method in methods:
        try:
            project = _projection(method, inputs, fit_on)
        except np.linalg.LinAlgError:  # a singular method simply does not compete
            continue
        bottom = _coherent(project, inputs.base[:, last], None)
        wapes[method] = _level_wape(inputs.hierarchy, inputs.hierarchy.sums(bottom), inputs.actual[:, last])
    return pick_method(wapes)


def pick_method(wapes: dict[str, dict[str, float]]) -> tuple[str, dict[str, float]]:
    """Of the methods no worse than bottom-up at any level (items included), the one with the lowest
    mean WAPE ratio to bottom-up over the levels; bottom-up when none is better. Also the scores.

    A method that gains at one level by losing at another would trade one planner's accuracy for
    another's, where the promise is every level as accurate as it can be: it does not compete.
    """
    reference = wapes[BOTTOM_UP]
    levels = [level for level in reference if reference[level] and np.isfinite(reference[level])]
    scores = {
        method: float(np.nanmean([w[level] / reference[level] for level in levels]))
        for method, w in wapes.items()
    }
    no_worse = [
        method for method, w in wapes.items() if all(not w[level] > reference[level] for level in levels)
    ]
    best = min(no_worse, key=lambda method: (scores[method], method != BOTTOM_UP))
    return (best if scores[best] < scores[BOTTOM_UP] else BOTTOM_UP), scores


def _copula(residuals: np.ndarray, samples: int, rng: np.random.Generator) -> np.ndarray:
    """Standard normal scores (n_items, samples) whose dependence is that of the items' backtest errors.

    Each sample takes one backtest period: an item's score is the rank of its error in that period
    among its own errors (ties broken at random, a uniform jitter within the rank). Without
    backtest errors the items are drawn independently.
    """
    n, periods = residuals.shape
    if periods == 0:
        return ndtri(rng.uniform(0.0, 1.0, size=(n, samples)))
    noise = rng.uniform(0.0, 1e-9, size=residuals.shape) * (1.0 + np.abs(residuals))
    ranks = np.argsort(np.argsort(residuals + noise, axis=1), axis=1)
    chosen = rng.integers(0, periods, size=samples)
    u = (ranks[:, chosen] + rng.uniform(0.0, 1.0, size=(n, samples))) / periods
    return ndtri(np.clip(u, 1e-6, 1.0 - 1e-6))


def _bands(
    hierarchy: Hierarchy,
    p50: np.ndarray,
    base: tuple[np.ndarray, np.ndarray, np.ndarray],
    scores: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """p10 and p90 of every node (nodes, H) from coherent sample paths around the reconciled p50."""
    low = np.clip(base[1] - base[0], 0.0, None) / Z90
    high = np.clip(base[2] - base[1], 0.0, None) / Z90
    n_nodes = hierarchy.n_aggregates + len(hierarchy.items)
    p10, p90 = np.zeros((n_nodes, p50.shape[1])), np.zeros((n_nodes, p50.shape[1]))
    negative = scores < 0
    for step in range(p50.shape[1]):
        spread = np.where(negative, low[:, step, None], high[:, step, None])
        paths = np.clip(p50[:, step, None] + scores * spread, 0.0, None)
        sums = np.asarray(hierarchy.aggregate @ paths)
        p10[: hierarchy.n_aggregates, step], p90[: hierarchy.n_aggregates, step] = np.quantile(
            sums, [0.1, 0.9], axis=1
        )
    # An item's own quantiles are those of its clipped split normal, exactly.
    p10[hierarchy.n_aggregates :] = np.clip(p50 - Z90 * low, 0.0, None)
    p90[hierarchy.n_aggregates :] = p50 + Z90 * high
    return p10, p90


def coherence_error(hierarchy: Hierarchy, nodes: np.ndarray) -> float:
    """The largest relative gap between an aggregate node and the sum of its items (nodes, H)."""
    bottom = nodes[hierarchy.n_aggregates :]
    aggregates = nodes[: hierarchy.n_aggregates]
    sums = np.asarray(hierarchy.aggregate @ bottom)
    gap = np.abs(aggregates - sums) / np.maximum(np.abs(aggregates), 1e-9)
    return float(gap.max()) if gap.size else 0.0


def reconcile(
    points: pd.DataFrame,
    backtest: pd.DataFrame | None,
    history: pd.DataFrame,
    items: pd.DataFrame,
    *,
    methods: tuple[str, ...] | None = None,
    method: str | None = None,
    samples: int = SAMPLES,
    seed: int = 0,
) -> Reconciliation:
    """Reconcile item forecasts with the aggregate levels' own base forecasts, method chosen by backtest.

    `points` holds every item's base forecast (store, sku, date, p10, p50, p90), `backtest` the
    chosen model's backtest rows (store, sku, window, date, forecast, actual; as ForecastResult's),
    `history` the sales (store, sku, date, quantity) and `items` each store x sku's category.
    `methods` limits the candidates (bottom_up always competes); `method` imposes one (no selection).
    """
    inputs = _inputs(points, backtest, history, items)
    hierarchy = inputs.hierarchy
    large = len(hierarchy.nodes) > MAX_DENSE_NODES
    allowed = tuple(m for m in (methods or METHODS) if not large or m in LARGE_METHODS)
    scores: dict[str, float] = {}
    if method is None:
        method, scores = choose_method(inputs, tuple(dict.fromkeys((BOTTOM_UP, *allowed))))
    windows = inputs.actual.shape[1]
    try:
        project = _projection(method, inputs, slice(0, max(windows, 1)))
    except np.linalg.LinAlgError:  # the chosen method is singular on every window's errors
        method, project = BOTTOM_UP, _projection(BOTTOM_UP, inputs, slice(0, 1))
    closed = inputs.bands[2] <= 0.0
    bottom = _coherent(project, inputs.base[:, -1], closed)
    p50 = hierarchy.sums(bottom)
    rng = np.random.default_rng(seed)
    p10, p90 = _bands(hierarchy, bottom, inputs.bands, _copula(inputs.residuals, samples, rng))
    p10, p90 = np.minimum(p10, p50), np.maximum(p90, p50)
    return Reconciliation(
        items=_item_frame(hierarchy, inputs, (p10, p50, p90)),
        levels=_level_frame(hierarchy, inputs, (p10, p50, p90)),
        method=method,
        scores=scores,
        coherence=max(coherence_error(hierarchy, q) for q in (p50,)),
    )


def _item_frame(
    hierarchy: Hierarchy, inputs: _Inputs, quantiles: tuple[np.ndarray, np.ndarray, np.ndarray]
) -> pd.DataFrame:
    """Reconciled item forecasts as long rows, beside their base forecasts."""
    rows = slice(hierarchy.n_aggregates, None)
    n, horizon = len(hierarchy.items), len(inputs.dates)
    frame = pd.DataFrame(
        {
            "store": np.repeat(hierarchy.items["store"].to_numpy(), horizon),
            "sku": np.repeat(hierarchy.items["sku"].to_numpy(), horizon),
            "date": np.tile(inputs.dates.to_numpy(), n),
        }
    )
    for name, grid in zip(("p10", "p50", "p90"), quantiles, strict=True):
        frame[name] = grid[rows].reshape(-1)
    for name, grid in zip(("base_p10", "base_p50", "base_p90"), inputs.bands, strict=True):
        frame[name] = grid.reshape(-1)
    return frame


def _level_frame(
    hierarchy: Hierarchy, inputs: _Inputs, quantiles: tuple[np.ndarray, np.ndarray, np.ndarray]
) -> pd.DataFrame:
    """Reconciled aggregate forecasts as long rows, with each node's base p50 and base model."""
    rows = slice(0, hierarchy.n_aggregates)
    nodes = hierarchy.nodes.iloc[rows].reset_index(drop=True).assign(model=inputs.models)
    horizon = len(inputs.dates)
    frame = nodes.loc[nodes.index.repeat(horizon)].reset_index(drop=True)
    frame["date"] = np.tile(inputs.dates.to_numpy(), len(nodes))
    for name, grid in zip(("p10", "p50", "p90"), quantiles, strict=True):
        frame[name] = grid[rows].reshape(-1)
    frame["base_p50"] = inputs.base[rows, -1].reshape(-1)
    return frame
