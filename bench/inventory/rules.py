"""The static rules the engine is compared with: min/max, min/max at the engine's service, the oracle."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from scipy.stats import norm

from bench.inventory.datasets import Dataset
from bench.inventory.simulator import OrderRule, Replay, replay

# The cycle service level both policies aim at.
TARGET = 0.95


def eoq(
    daily_demand: np.ndarray, unit_cost: np.ndarray, ordering_cost: float, holding_rate: float
) -> np.ndarray:
    """Economic order quantity per item."""
    return np.sqrt(2.0 * daily_demand * 365.0 * ordering_cost / (holding_rate * unit_cost))


def min_max_rule(
    data: Dataset, ordering_cost: float, holding_rate: float, safety_factor: float | None = None
) -> tuple[np.ndarray, OrderRule]:
    """Static min/max from the history before the replay; returns (max as starting stock, rule)."""
    periods = (data.lead_days + data.review_days) / data.period_days
    mean = data.before.mean(axis=1)
    sigma = data.before.std(axis=1, ddof=1)
    z = norm.ppf(TARGET) if safety_factor is None else safety_factor
    low = mean * periods + z * sigma * np.sqrt(periods)
    high = low + eoq(mean / data.period_days, data.unit_cost, ordering_cost, holding_rate)

    def rule(t: int, on_hand: np.ndarray, on_order: np.ndarray) -> np.ndarray:
        position = on_hand + on_order
        return np.where(position < low, np.ceil(high - position), 0.0)

    return np.ceil(high), rule


def matched_min_max(
    data: Dataset, ordering_cost: float, holding_rate: float, target: float
) -> tuple[float, Replay] | None:
    """The static rule with the smallest safety factor whose cycle service level reaches `target`.

    Compares stock at equal service: a rule that misses its own target holds less stock for a
    worse service, which says nothing about which policy is leaner.
    """

    def run(z: float) -> Replay:
        return replay(data, *min_max_rule(data, ordering_cost, holding_rate, z))

    return smallest_reaching(run, float(norm.ppf(TARGET)), 8.0, target)


def smallest_reaching(
    run: Callable[[float], Replay], low: float, high: float, target: float
) -> tuple[float, Replay] | None:
    """The smallest setting in [low, high] whose replay reaches `target` cycle service (bisection).

    None when even `high` does not. Service grows with the setting, so 12 halvings pin it to
    1/4096 of the range.
    """
    top = run(high)
    if top.cycle_service < target:
        return None
    best = (high, top)
    for _ in range(12):
        middle = 0.5 * (low + high)
        result = run(middle)
        if result.cycle_service >= target:
            high, best = middle, (middle, result)
        else:
            low = middle
    return best


def oracle_base_stock(data: Dataset, target: float) -> tuple[float, Replay] | None:
    """A static base-stock level per item told the replay window's own demand: a bound, not a policy.

    Each item's level is the q-quantile of its demand totals over lead time + review period in the
    replay window itself (future data), ordered up to at every review; q is the smallest reaching
    `target` cycle service. No policy that learns each item's level from the past can know more
    about that window's distribution, so its stock shows how lean a per-item level can be at that
    service unless the timing of demand within the window is foreseen.
    """
    window = data.protection_periods
    totals = np.lib.stride_tricks.sliding_window_view(data.demand, window, axis=1).sum(axis=2)

    def run(q: float) -> Replay:
        level = np.quantile(totals, q, axis=1)

        def rule(t: int, on_hand: np.ndarray, on_order: np.ndarray) -> np.ndarray:
            position = on_hand + on_order
            return np.where(position < level, np.ceil(level - position), 0.0)

        return replay(data, np.ceil(level), rule)

    return smallest_reaching(run, 0.5, 1.0, target)
