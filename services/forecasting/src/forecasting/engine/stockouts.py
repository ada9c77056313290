"""Stock-outs: censored periods from stock snapshots, inferred ones from improbable zero runs, lost sales.

A period the item was out of stock for (part of) sold what the shelf allowed, not what customers
wanted: its sales are a lower bound on demand. The demand model therefore learns only from
uncensored periods (their sales are NaN to it, see `Censoring.masked`) and the local candidates see
censored periods imputed from it (`corrected_history`): the sales of the in-stock part plus the
model's demand for the out-of-stock part. The model's lags and levels read censored periods as
unknown rather than imputed: a second fit on imputed lags cost a fit and scored no better. Without
stock data, a run of zero sales the item's own
predictive distribution makes improbable (P < INFERENCE_THRESHOLD under a negative binomial with
the model's mean) is an inferred stock-out; a run reaching the end of history (no sale since: a
dormant or discontinued item) never is. Organisation setting "flag" reports inferred stock-outs,
"correct" also treats them as censored.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import pandas as pd

from common.stockouts import COLUMNS as STOCKOUT_COLUMNS
from forecasting.engine.metrics import nanmean
from forecasting.engine.panel import WEEKLY, Panel, period_index, row_index

MODES = ("flag", "correct")
STOCK, INFERRED = "stock", "inferred"
# A zero run this improbable under the item's own demand is reported as a stock-out.
INFERENCE_THRESHOLD = 0.01
# Longer zero runs are a dormant item (delisted, seasonal), not an empty shelf.
MAX_RUN = {WEEKLY: 13, "D": 56}
# Floor on the negative-binomial dispersion: the model's in-sample fit understates its own error.
MIN_DISPERSION = 0.1
CALIBRATION_SAMPLE = 20_000
# A larger mean correction means a broken model, not a skewed loss.
CALIBRATION_BOUNDS = (0.8, 1.25)
COLUMNS = list(STOCKOUT_COLUMNS)

# Units the demand model expects at history period origin + step - 1 of (series, origin, step) rows.
Estimator = Callable[[np.ndarray, np.ndarray, np.ndarray], np.ndarray]


@dataclass
class Censoring:
    """Per series and history period: censored or not, the in-stock fraction, and why."""

    censored: np.ndarray  # (n, T) bool
    in_stock: np.ndarray  # (n, T) fraction of the period's snapshot days in stock; 1 without snapshots
    inferred: np.ndarray  # (n, T) bool: censored because inferred (not from the stock file)
    # (n, T) bool: a snapshot covers the period, so the stock file, not inference, says what happened.
    known: np.ndarray | None = None

    def masked(self, panel: Panel) -> Panel:
        """The panel with censored periods' sales unknown (NaN), for the demand model."""
        if not self.censored.any():
            return panel
        return replace(panel, y=np.where(self.censored, np.nan, panel.y))


def stock_censoring(panel: Panel, stock: pd.DataFrame | None) -> Censoring:
    """Censored periods and in-stock fractions from snapshots (store, sku, date, on_hand and/or in_stock).

    A snapshot is out of stock when `in_stock` is false, or without that column when `on_hand` <= 0.
    A period's in-stock fraction is the share of its snapshot days in stock (a weekly period is the
    seven days ending on its date); a period with an out-of-stock snapshot is censored.
    """
    n, t = panel.n_series, panel.n_hist
    in_stock = np.ones((n, t))
    empty = Censoring(np.zeros((n, t), dtype=bool), in_stock, np.zeros((n, t), dtype=bool))
    if stock is None or not len(stock) or t == 0:
        return empty
    rows = row_index(panel.keys, stock)
    weekly = panel.freq == WEEKLY
    dates = pd.to_datetime(stock["date"]).dt.normalize()
    cols = period_index(dates, panel.dates[0], 7 if weekly else 1, weekly)
    keep = (rows >= 0) & (cols >= 0) & (cols < t)
    if not keep.any():
        return empty
    flat = rows[keep] * t + cols[keep]
    stocked = _in_stock_flags(stock)[keep]
    days = np.bincount(flat, minlength=n * t)
    days_in = np.bincount(flat, weights=stocked, minlength=n * t)
    with np.errstate(invalid="ignore", divide="ignore"):
        fraction = np.where(days > 0, days_in / np.maximum(days, 1), 1.0).reshape(n, t)
    censored = (fraction < 1.0) & np.isfinite(panel.y)
    known = (days > 0).reshape(n, t)
    return Censoring(censored, np.where(censored, fraction, 1.0), np.zeros((n, t), dtype=bool), known)


def _in_stock_flags(stock: pd.DataFrame) -> np.ndarray:
    """1.0 where a snapshot says in stock, 0.0 where out (in_stock, else on_hand > 0)."""
    if "in_stock" in stock.columns:
        flag = pd.Series(stock["in_stock"], dtype="Float64").to_numpy(dtype=float, na_value=np.nan)
        flag = np.where(np.isfinite(flag), (flag > 0).astype(float), np.nan)
    else:
        flag = np.full(len(stock), np.nan)
    if "on_hand" in stock.columns:
        on_hand = pd.to_numeric(stock["on_hand"], errors="coerce").to_numpy(dtype=float)
        flag = np.where(np.isnan(flag) & np.isfinite(on_hand), (on_hand > 0).astype(float), flag)
    return np.nan_to_num(flag, nan=1.0)


def trailing_mean_estimator(masked: Panel) -> Estimator:
    """Demand as the mean of the observed periods before each origin (13 weeks or 28 days)."""
    width = 13 if masked.freq == WEEKLY else 28
    ok = np.isfinite(masked.y)
    cum_y = np.concatenate([np.zeros((masked.n_series, 1)), np.cumsum(np.where(ok, masked.y, 0.0), 1)], 1)
    cum_n = np.concatenate([np.zeros((masked.n_series, 1)), np.cumsum(ok, 1)], 1)

    def estimate(rows: np.ndarray, origin: np.ndarray, step: np.ndarray) -> np.ndarray:
        lo = np.maximum(origin - width, 0)
        count = cum_n[rows, origin] - cum_n[rows, lo]
        return (cum_y[rows, origin] - cum_y[rows, lo]) / np.maximum(count, 1)

    return estimate


def one_step_demand(estimate: Estimator, rows: np.ndarray, periods: np.ndarray) -> np.ndarray:
    """The model's demand at each (series, history period) cell, forecast from just before it."""
    if not len(rows):
        return np.zeros(0)
    return np.clip(estimate(rows, periods, np.ones(len(rows), dtype=np.int64)), 0.0, None)


def estimated_demand(sales: np.ndarray, in_stock: np.ndarray, demand: np.ndarray) -> np.ndarray:
    """Demand of censored cells: the in-stock part's sales plus the model's demand for the rest.

    A cell with sales but no in-stock snapshot day was in stock between snapshots: its demand is
    at least its sales and otherwise the model's.
    """
    missed = sales + (1.0 - in_stock) * demand
    unseen_stock = (in_stock <= 0) & (sales > 0)
    return np.where(unseen_stock, np.maximum(sales, demand), missed)


def corrected_history(panel: Panel, censoring: Censoring, estimate: Estimator) -> tuple[Panel, np.ndarray]:
    """The panel with censored periods imputed (see estimated_demand), and the (n, T) demand grid."""
    demand = np.array(panel.y, dtype=float)
    rows, periods = np.nonzero(censoring.censored)
    if len(rows):
        model = one_step_demand(estimate, rows, periods)
        sales = np.nan_to_num(panel.y[rows, periods], nan=0.0)
        demand[rows, periods] = estimated_demand(sales, censoring.in_stock[rows, periods], model)
        return replace(panel, y=demand), demand
    return panel, demand


def _runs_of(mask: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Series, first and last period of every run of True cells."""
    n, t = mask.shape
    padded = np.zeros((n, t + 2), dtype=np.int8)
    padded[:, 1:-1] = mask
    edges = np.diff(padded, axis=1)
    start_rows, starts = np.nonzero(edges == 1)
    _, ends = np.nonzero(edges == -1)
    # np.nonzero walks row by row, left to right: the k-th start and the k-th end belong together.
    return start_rows, starts, ends - 1


@dataclass
class ZeroRuns:
    """Candidate zero runs: series, first and last period (inclusive), and each run's P(all zero)."""

    rows: np.ndarray
    first: np.ndarray
    last: np.ndarray
    probability_zero: np.ndarray
    demand: np.ndarray  # the model's demand at every period of every run, run after run

    def run_demand(self) -> list[np.ndarray]:
        """The model's demand per period, one array per run."""
        return np.split(self.demand, np.cumsum(self.last - self.first + 1)[:-1])


def zero_runs(panel: Panel, censoring: Censoring) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Runs of zero-sales periods no snapshot covers, after a series' first sale and before a later one.

    A run reaching the end of history (no sale since) is a dormant or discontinued item, and one
    longer than MAX_RUN periods a dormant one: neither is a candidate stock-out.
    """
    zero = (np.nan_to_num(panel.y, nan=1.0) <= 0) & ~censoring.censored
    if censoring.known is not None:
        zero &= ~censoring.known
    rows, first, last = _runs_of(zero)
    longest = MAX_RUN.get(panel.freq, MAX_RUN["D"])
    keep = (last < panel.n_hist - 1) & (last - first + 1 <= longest)
    return rows[keep], first[keep], last[keep]


def _run_demand(
    estimate: Estimator, rows: np.ndarray, first: np.ndarray, last: np.ndarray, horizon: int
) -> tuple[np.ndarray, np.ndarray]:
    """The model's demand at every period of every run, forecast from the run's start (each cell's
    origin moves up only where the run is longer than the horizon), and each cell's run index."""
    lengths = last - first + 1
    run_of = np.repeat(np.arange(len(rows)), lengths)
    offset = np.arange(int(lengths.sum())) - np.repeat(np.cumsum(lengths) - lengths, lengths)
    period = first[run_of] + offset
    origin = np.maximum(first[run_of], period - horizon + 1)
    step = period - origin + 1
    return np.clip(estimate(rows[run_of], origin, step), 0.0, None), run_of


def calibrate(
    panel: Panel, censoring: Censoring, estimate: Estimator, seed: int = 0
) -> tuple[Estimator, float]:
    """The estimator scaled to the mean of observed demand, and its negative-binomial dispersion.

    The demand model's loss aims near the median, which is below the mean of right-skewed retail
    demand; lost units sum demand, so they need the mean. The dispersion alpha (var = mu + alpha
    mu^2) is the moments estimate on the same sample of observed (uncensored) periods.
    """
    observed = np.isfinite(panel.y) & ~censoring.censored
    observed[:, :1] = False
    rows, periods = np.nonzero(observed)
    if len(rows) > CALIBRATION_SAMPLE:
        pick = np.random.default_rng(seed).choice(len(rows), CALIBRATION_SAMPLE, replace=False)
        rows, periods = rows[pick], periods[pick]
    mu = one_step_demand(estimate, rows, periods)
    y = panel.y[rows, periods]
    if float(mu.sum()) <= 0:
        return estimate, MIN_DISPERSION
    factor = float(np.clip(y.sum() / mu.sum(), *CALIBRATION_BOUNDS))
    mu = mu * factor
    alpha = max(MIN_DISPERSION, float(np.sum((y - mu) ** 2 - mu) / np.sum(mu**2)))

    def scaled(rows: np.ndarray, origin: np.ndarray, step: np.ndarray) -> np.ndarray:
        return factor * estimate(rows, origin, step)

    return scaled, alpha


def score_zero_runs(panel: Panel, censoring: Censoring, estimate: Estimator, alpha: float) -> ZeroRuns:
    """Every candidate zero run with its probability under the item's negative-binomial demand."""
    rows, first, last = zero_runs(panel, censoring)
    # Even a Poisson (the least dispersed count model) at 3x the series' mean gives these runs more
    # than the threshold: skip predicting them.
    mean = np.nan_to_num(nanmean(np.where(censoring.censored, np.nan, panel.y), axis=1), nan=0.0)
    possible = 3.0 * mean[rows] * (last - first + 1) > -np.log(INFERENCE_THRESHOLD)
    rows, first, last = rows[possible], first[possible], last[possible]
    if not len(rows):
        empty = np.zeros(0, dtype=np.int64)
        return ZeroRuns(empty, empty, empty, np.zeros(0), np.zeros(0))
    mu, run_of = _run_demand(estimate, rows, first, last, panel.horizon)
    log_p0 = -np.log1p(alpha * mu) / alpha
    probability = np.exp(np.bincount(run_of, weights=log_p0, minlength=len(rows)))
    return ZeroRuns(rows, first, last, probability, mu)


def with_inferred(censoring: Censoring, runs: ZeroRuns) -> Censoring:
    """The censoring plus the inferred runs (out of stock all period)."""
    inferred = np.zeros_like(censoring.censored)
    for row, first, last in zip(runs.rows, runs.first, runs.last, strict=True):
        inferred[row, first : last + 1] = True
    return Censoring(
        censoring.censored | inferred,
        np.where(inferred, 0.0, censoring.in_stock),
        censoring.inferred | inferred,
        censoring.known,
    )


def improbable(runs: ZeroRuns) -> ZeroRuns:
    """The runs whose probability is below INFERENCE_THRESHOLD."""
    keep = runs.probability_zero < INFERENCE_THRESHOLD
    cells = np.repeat(keep, runs.last - runs.first + 1)
    return ZeroRuns(
        runs.rows[keep], runs.first[keep], runs.last[keep], runs.probability_zero[keep], runs.demand[cells]
    )


def infer_stockouts(panel: Panel, censoring: Censoring, estimate: Estimator, alpha: float) -> ZeroRuns:
    """Zero runs improbable under the item's own demand (the stock-file censoring left out)."""
    return improbable(score_zero_runs(panel, censoring, estimate, alpha))


def _unit_costs(panel: Panel, products: pd.DataFrame | None) -> np.ndarray:
    """Unit cost per series from the products (by store and sku), NaN when unknown."""
    cost = np.full(panel.n_series, np.nan)
    if products is None or not len(products) or "unit_cost" not in products.columns:
        return cost
    known = products.dropna(subset=["unit_cost"])
    if {"store", "sku"} <= set(known.columns):
        idx = row_index(panel.keys, known)
        ok = idx >= 0
        cost[idx[ok]] = pd.to_numeric(known["unit_cost"], errors="coerce").to_numpy(dtype=float)[ok]
    return cost


def lost_sales(
    panel: Panel,
    censoring: Censoring,
    demand: np.ndarray,
    inferred: ZeroRuns,
    products: pd.DataFrame | None,
    corrected_inferred: bool,
) -> pd.DataFrame:
    """One row per stock-out run (COLUMNS): sales, estimated demand and what was lost.

    Lost units are estimated demand minus sales; lost revenue at each period's price; lost margin
    from the unit cost where the products give one. Stock-file runs have probability 1.
    """
    weekly = panel.freq == WEEKLY
    sales = np.nan_to_num(panel.y, nan=0.0)
    price = panel.price[:, : panel.n_hist]
    cost = _unit_costs(panel, products)
    parts: list[dict[str, Any]] = []
    stock_mask = censoring.censored & ~censoring.inferred
    for row, first, last in zip(*_runs_of(stock_mask), strict=True):
        span = slice(first, last + 1)
        parts.append(_run_row(row, first, last, STOCK, 1.0, sales[row, span], demand[row, span], True))
    run_demand = inferred.run_demand()
    for k, (row, first, last) in enumerate(zip(inferred.rows, inferred.first, inferred.last, strict=True)):
        cells = run_demand[k]
        probability = 1.0 - float(inferred.probability_zero[k])
        parts.append(
            _run_row(row, first, last, INFERRED, probability, np.zeros(len(cells)), cells, corrected_inferred)
        )
    if not parts:
        return pd.DataFrame({name: [] for name in COLUMNS})
    frame = pd.DataFrame(parts)
    rows, first, last = (frame.pop(name).to_numpy(dtype=np.int64) for name in ("row", "first", "last"))
    lost = frame.pop("lost").tolist()
    frame["lost_revenue"] = [
        float(np.sum(cells * price[r, f : e + 1]))
        for cells, r, f, e in zip(lost, rows, first, last, strict=True)
    ]
    unit_cost = cost[rows]
    frame["lost_margin"] = np.where(
        np.isfinite(unit_cost), frame["lost_revenue"] - frame["lost_units"] * unit_cost, np.nan
    )
    frame.insert(0, "store", panel.keys["store"].to_numpy()[rows].astype(str))
    frame.insert(1, "sku", panel.keys["sku"].to_numpy()[rows].astype(str))
    first_dates = panel.dates[first] - pd.Timedelta(days=6 if weekly else 0)
    frame.insert(2, "start", first_dates.date)
    frame.insert(3, "end", panel.dates[last].date)
    return frame[COLUMNS]


def _run_row(
    row: int,
    first: int,
    last: int,
    source: str,
    probability: float,
    sales: np.ndarray,
    demand: np.ndarray,
    corrected: bool,
) -> dict[str, Any]:
    """One run's figures before its revenue, margin and dates are added."""
    lost = np.clip(demand - sales, 0.0, None)
    return {
        "row": row,
        "first": first,
        "last": last,
        "source": source,
        "probability": probability,
        "sales": float(sales.sum()),
        "estimated_demand": float(np.maximum(demand, sales).sum()),
        "lost_units": float(lost.sum()),
        "lost": lost,
        "corrected": corrected,
    }


@dataclass
class StockoutFit:
    """What `account_stockouts` leaves the forecast: the final censoring, fit, corrected panel, runs."""

    censoring: Censoring
    fit: Any  # whatever `fit` returned for the final masked panel
    corrected: Panel  # censored periods imputed, for the local candidates
    stockouts: pd.DataFrame  # COLUMNS


def account_stockouts(
    panel: Panel,
    stock: pd.DataFrame | None,
    mode: str,
    fit: Callable[[Panel], tuple[Any, Estimator]],
    products: pd.DataFrame | None = None,
) -> StockoutFit:
    """Fit the demand model on uncensored periods, infer stock-outs, refit with them under "correct".

    `fit(masked_panel)` fits the demand model on a panel whose censored sales are NaN and returns
    (its result, an Estimator reading demand from it). Stock-file censoring is always corrected;
    inferred stock-outs are reported, and under mode "correct" also censored and the model refitted.
    """
    if mode not in MODES:
        raise ValueError(f"stockouts mode must be one of {MODES}, got {mode!r}")
    censoring = stock_censoring(panel, stock)
    fitted, estimate = fit(censoring.masked(panel))
    estimate, alpha = calibrate(panel, censoring, estimate)
    inferred = infer_stockouts(panel, censoring, estimate, alpha)
    if mode == "correct" and len(inferred.rows):
        censoring = with_inferred(censoring, inferred)
        fitted, estimate = fit(censoring.masked(panel))
        estimate, _ = calibrate(panel, censoring, estimate)
    corrected, demand = corrected_history(panel, censoring, estimate)
    stockouts = lost_sales(panel, censoring, demand, inferred, products, mode == "correct")
    return StockoutFit(censoring, fitted, corrected, stockouts)
