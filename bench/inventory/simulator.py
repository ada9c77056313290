"""The replay: walk through real demand, ordering what a rule says, with lost sales."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from bench.inventory.datasets import Dataset


@dataclass
class Replay:
    """Outcome of replaying one policy on one dataset."""

    cycles: int  # replenishment cycles: from one delivery (or the start) to the next delivery
    cycles_ok: int
    windows: int  # review windows: the days one review's order protects, [t + L, t + L + R)
    windows_ok: int
    demand: float
    sales: float
    average_stock: float  # units, summed over items, averaged over periods
    average_value: float
    orders: int

    @property
    def cycle_service(self) -> float:
        """Share of replenishment cycles without a lost sale."""
        return self.cycles_ok / self.cycles if self.cycles else float("nan")

    @property
    def window_service(self) -> float:
        """Share of review windows without a lost sale (higher than the cycle figure under batching)."""
        return self.windows_ok / self.windows if self.windows else float("nan")

    @property
    def fill_rate(self) -> float:
        """Share of demand served from stock."""
        return self.sales / self.demand if self.demand else float("nan")


# Order quantities (n,) at replay period t for the given on-hand and on-order stock.
OrderRule = Callable[[int, np.ndarray, np.ndarray], np.ndarray]


def replay(data: Dataset, initial_stock: np.ndarray, order_rule: OrderRule) -> Replay:
    """Walk through the replay window: receive, review and order, then serve demand (lost sales)."""
    n, periods = data.demand.shape
    lead, review = data.lead_periods, data.review_periods
    arrivals = np.zeros((n, periods + lead + 1))
    on_hand = initial_stock.astype(float).copy()
    stocked_out = np.zeros((n, periods), dtype=bool)
    average = np.zeros((n, periods))
    sales_total = 0.0
    orders = 0
    reviews = list(range(0, periods, review))
    for t in range(periods):
        on_hand += arrivals[:, t]
        opening = on_hand.copy()
        if t in reviews:
            on_order = arrivals[:, t + 1 :].sum(axis=1)
            quantity = np.maximum(np.nan_to_num(order_rule(t, on_hand.copy(), on_order)), 0.0)
            arrivals[:, t + lead] += quantity
            orders += int((quantity > 0).sum())
        sold = np.minimum(on_hand, data.demand[:, t])
        stocked_out[:, t] = data.demand[:, t] > sold + 1e-9
        on_hand -= sold
        sales_total += float(sold.sum())
        average[:, t] = 0.5 * (opening + on_hand)
    # A replenishment cycle runs from one delivery to the next; the starting stock (the policy's own
    # level) counts as a delivery at time 0. The last, unfinished cycle is not counted.
    cycles = cycles_ok = 0
    delivered = arrivals[:, :periods] > 0
    delivered[:, 0] = True
    for item in range(n):
        starts = [int(period) for period in np.flatnonzero(delivered[item])]
        for begin, finish in itertools.pairwise(starts):
            cycles += 1
            cycles_ok += int(not stocked_out[item, begin:finish].any())
    windows = windows_ok = 0
    for t in reviews:
        start, end = t + lead, t + lead + review
        if end <= periods:
            windows += n
            windows_ok += int((~stocked_out[:, start:end].any(axis=1)).sum())
    per_item = average.mean(axis=1)
    return Replay(
        cycles=cycles,
        cycles_ok=cycles_ok,
        windows=windows,
        windows_ok=windows_ok,
        demand=float(data.demand.sum()),
        sales=sales_total,
        average_stock=float(per_item.sum()),
        average_value=float(np.nansum(per_item * data.unit_cost)),
        orders=orders,
    )
