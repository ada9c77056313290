"""Monte-Carlo lead-time demand and the stock levels derived from it."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from inventory.engine.distribution import FloatArray, PeriodShape, demand_at

# Cap on the sample cells held at once (series x paths x periods) to bound memory at ~100 MB.
_CELLS_PER_CHUNK = 3_000_000


@dataclass
class ProtectionDemand:
    """Per-series summary of demand over the lead time and over lead time + review period."""

    mean_lead: FloatArray
    mean_protection: FloatArray
    level: FloatArray  # order-up-to quantity that meets the service target
    stockout_risk: FloatArray  # P(lead-time demand > inventory position); NaN if position unknown


def normal_scores(n_samples: int, n_periods: int, correlation: float, seed: int) -> FloatArray:
    """Return correlated standard normal scores, shape (n_samples, n_periods), reproducible by seed.

    A shared factor gives every pair of periods the same correlation (a Gaussian copula), because
    a forecast's level error carries over from one period to the next.
    """
    rng = np.random.default_rng(seed)
    common = rng.standard_normal((n_samples, 1))
    own = rng.standard_normal((n_samples, max(n_periods, 1)))
    return np.sqrt(correlation) * common + np.sqrt(1.0 - correlation) * own


def _fill_rate_level(lead_total: FloatArray, protection_total: FloatArray, fill_rate: float) -> FloatArray:
    """Smallest level S with expected shortage per review cycle <= (1 - fill rate) x cycle demand.

    Shortage per cycle = E[(D(L+R) - S)+] - E[(D(L) - S)+], which decreases in S.
    Ref: Silver, Pyke & Thomas (2017), Inventory and Production Management in Supply Chains,
    4th ed., the (R, S) system under a fill-rate criterion.
    """
    cycle_demand = protection_total.mean(axis=1) - lead_total.mean(axis=1)
    allowed = (1.0 - fill_rate) * cycle_demand
    low = np.zeros(len(cycle_demand))
    high = protection_total.max(axis=1)
    for _ in range(40):
        mid = 0.5 * (low + high)
        shortage = np.maximum(protection_total - mid[:, None], 0.0).mean(axis=1) - np.maximum(
            lead_total - mid[:, None], 0.0
        ).mean(axis=1)
        too_short = shortage > allowed
        low = np.where(too_short, mid, low)
        high = np.where(too_short, high, mid)
    return np.where(cycle_demand > 0, high, 0.0)


def overshoot_uniforms(n_samples: int, seed: int) -> FloatArray:
    """Two rows of uniforms, reproducible by seed, for sampling the overshoot above the reorder point."""
    return np.random.default_rng([seed, 1]).random((2, n_samples))


def _overshoot(review_total: FloatArray, batch: FloatArray, uniforms: FloatArray) -> FloatArray:
    """Sample how far the position sits above s at the last review before an order, per series.

    The position falls by one review period's demand per review, so where it stands above s when
    it last clears s follows the renewal-theory residual of that demand: a size-biased draw times
    a uniform. It cannot exceed S - s (the batch); with no batch every review orders up to s.
    Ref: Silver, Pyke & Thomas (2017), Inventory and Production Management in Supply Chains,
    4th ed., the undershoot of (R, s, S) systems; Ross (1996), Stochastic Processes, 2nd ed.,
    the equilibrium distribution of a renewal process.
    """
    n_rows, n_samples = review_total.shape
    totals = review_total.sum(axis=1)
    active = (batch > 0) & (totals > 0)
    if not active.any():
        return np.zeros_like(review_total)
    # One search over all rows: each row's cumulative weights are scaled to [0, 1] and shifted by
    # the row number, so row r's targets r + u land inside row r.
    offsets = np.arange(n_rows, dtype=np.float64)[:, None]
    cumulative = np.cumsum(review_total, axis=1) / np.where(totals > 0, totals, 1.0)[:, None] + offsets
    picked = np.searchsorted(cumulative.ravel(), (uniforms[0][None, :] + offsets).ravel(), side="right")
    picked = np.minimum(picked, n_rows * n_samples - 1).reshape(n_rows, n_samples)
    size_biased = review_total.ravel()[picked]
    overshoot = np.minimum(uniforms[1][None, :] * size_biased, batch[:, None])
    return np.where(active[:, None], overshoot, 0.0)


def protection_demand(
    shape: PeriodShape,
    lead_weight: FloatArray,
    protection_weight: FloatArray,
    inventory_position: FloatArray,
    scores: FloatArray,
    service_level: float,
    fill_rate: bool,
    batch: FloatArray | None = None,
    uniforms: FloatArray | None = None,
) -> ProtectionDemand:
    """Simulate demand summed over lead time and lead time + review period, per series.

    `shape` arrays and the weights have shape (series, periods); a weight is the fraction of that
    forecast period inside the window. Every series uses the same normal scores (common random
    numbers), so an item's result does not depend on which other items are in the batch.
    `batch` is S - s per series: with a batch, a replenishment cycle's risk is taken at the last
    review that did not order, where the position stands above s by the sampled overshoot.
    """
    n_series, n_periods = protection_weight.shape
    n_samples = scores.shape[0]
    # Single precision halves the memory traffic of the (series, samples, periods) draws, which
    # dominate the run time; sums of a few dozen periods keep ~7 significant digits.
    z = scores[None, :, :n_periods].astype(np.float32)
    chunk = max(1, _CELLS_PER_CHUNK // max(1, n_samples * n_periods))
    mean_lead = np.zeros(n_series)
    mean_protection = np.zeros(n_series)
    level = np.zeros(n_series)
    risk = np.full(n_series, np.nan)
    for start in range(0, n_series, chunk):
        rows = slice(start, min(start + chunk, n_series))
        part = PeriodShape(
            p50=shape.p50[rows, None, :].astype(np.float32),
            g=shape.g[rows, None, :].astype(np.float32),
            b_low=shape.b_low[rows, None, :].astype(np.float32),
            b_high=shape.b_high[rows, None, :].astype(np.float32),
        )
        draws = demand_at(z, part)  # (series, samples, periods)
        lead_total = np.einsum("snp,sp->sn", draws, lead_weight[rows].astype(np.float32)).astype(np.float64)
        protection_total = np.einsum("snp,sp->sn", draws, protection_weight[rows].astype(np.float32)).astype(
            np.float64
        )
        part_demand = summarise_samples(
            lead_total,
            protection_total,
            inventory_position[rows],
            service_level,
            fill_rate,
            None if batch is None else batch[rows],
            uniforms,
        )
        mean_lead[rows] = part_demand.mean_lead
        mean_protection[rows] = part_demand.mean_protection
        level[rows] = part_demand.level
        risk[rows] = part_demand.stockout_risk
    return ProtectionDemand(
        mean_lead=mean_lead, mean_protection=mean_protection, level=level, stockout_risk=risk
    )


def summarise_samples(
    lead_total: FloatArray,
    protection_total: FloatArray,
    inventory_position: FloatArray,
    service_level: float,
    fill_rate: bool,
    batch: FloatArray | None = None,
    uniforms: FloatArray | None = None,
) -> ProtectionDemand:
    """Means, the service level's stock level and the stock-out risk from demand samples per series.

    `lead_total` and `protection_total` are (series, samples): demand over the lead time and over
    lead time + review period on the same sample paths.
    """
    if fill_rate:
        level = _fill_rate_level(lead_total, protection_total, service_level)
    else:
        exposed = protection_total
        if batch is not None and uniforms is not None:
            exposed = protection_total - _overshoot(protection_total - lead_total, batch, uniforms)
        # 'higher' keeps the level at an attained sample value, so P(D <= level) >= target.
        level = np.maximum(np.quantile(exposed, service_level, axis=1, method="higher"), 0.0)
    known = np.isfinite(inventory_position)
    exceeds = (lead_total > np.where(known, inventory_position, 0.0)[:, None]).mean(axis=1)
    return ProtectionDemand(
        mean_lead=lead_total.mean(axis=1),
        mean_protection=protection_total.mean(axis=1),
        level=level,
        stockout_risk=np.where(known, exceeds, np.nan),
    )


def economic_order_quantity(
    annual_demand: FloatArray, ordering_cost: FloatArray, unit_cost: FloatArray, holding_cost_rate: float
) -> FloatArray:
    """Return the EOQ sqrt(2 D K / h), NaN where ordering cost, unit cost or holding cost is unknown.

    Ref: Harris (1913), "How many parts to make at once", Factory, The Magazine of Management 10(2).
    """
    holding = holding_cost_rate * unit_cost
    defined = np.isfinite(ordering_cost) & np.isfinite(holding) & (holding > 0)
    with np.errstate(invalid="ignore", divide="ignore"):
        eoq = np.sqrt(2.0 * annual_demand * ordering_cost / holding)
    return np.where(defined, eoq, np.nan)


def round_order(raw: FloatArray, min_order_qty: FloatArray, pack_size: FloatArray) -> FloatArray:
    """Round a positive need up to whole units, then to the MOQ, then up to whole packs."""
    units = np.ceil(np.maximum(raw, 0.0) - 1e-9)
    units = np.maximum(units, min_order_qty)
    packs = np.ceil(units / pack_size - 1e-9)
    return np.where(raw > 0, packs * pack_size, 0.0)


def days_until_depleted(
    stock: FloatArray, period_means: FloatArray, period_days: FloatArray, n_periods: npt.NDArray[np.intp]
) -> FloatArray:
    """Days until cumulative expected demand uses up `stock`, per series; NaN if never.

    `period_means` is (series, periods) padded with zeros past each series' `n_periods`; past the
    forecast horizon demand continues at the horizon's average daily rate.
    """
    cumulative = np.cumsum(period_means, axis=1)
    total = cumulative[np.arange(len(stock)), np.maximum(n_periods - 1, 0)]
    total = np.where(n_periods > 0, total, 0.0)
    safe_stock = np.where(np.isfinite(stock), stock, 0.0)
    # Index of the first period whose cumulative demand reaches the stock.
    reached = cumulative >= safe_stock[:, None]
    reached &= np.arange(period_means.shape[1])[None, :] < n_periods[:, None]
    first = np.argmax(reached, axis=1)
    within = reached.any(axis=1)
    before = np.where(first > 0, cumulative[np.arange(len(stock)), np.maximum(first - 1, 0)], 0.0)
    this_period = period_means[np.arange(len(stock)), first]
    with np.errstate(divide="ignore", invalid="ignore"):
        within_days = period_days * (first + (safe_stock - before) / this_period)
        horizon_days = period_days * n_periods
        rate = total / horizon_days
        beyond_days = horizon_days + (safe_stock - total) / rate
    days = np.where(within, within_days, np.where(rate > 0, beyond_days, np.nan))
    days = np.where(safe_stock <= 0, 0.0, days)
    return np.where(np.isfinite(stock), days, np.nan)
