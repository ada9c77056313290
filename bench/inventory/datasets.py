"""The inventory bench's data sets: sales history to forecast from and the demand to replay."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from bench.shared import require
from common.testing.datasets import (
    FRAT_FLAGS,
    frat_transactions_path,
    load_frat,
    load_online_retail,
    online_retail_daily,
    online_retail_path,
)


@dataclass
class Dataset:
    """Sales history for forecasting plus the demand matrix of the replay window."""

    name: str
    history: pd.DataFrame  # store, sku, date, quantity, unit_price, promotion, ... (all dates)
    keys: pd.DataFrame  # store, sku: row i of every matrix
    dates: pd.DatetimeIndex  # the replay's periods (period end for weekly data, the day for daily)
    demand: np.ndarray  # (n, T) units demanded in each replay period
    before: np.ndarray  # (n, P) demand per period before the replay, for the static rule
    unit_cost: np.ndarray  # (n,)
    period_days: int
    lead_days: int
    review_days: int
    # Whether the forecaster gets the planned prices and promotions of the coming periods.
    plan_drivers: bool

    @property
    def protection_periods(self) -> int:
        """Lead time + review period in periods."""
        return (self.lead_days + self.review_days) // self.period_days

    def period_date(self, t: int) -> pd.Timestamp:
        """Date of replay period t; negative t counts back into the history before the replay."""
        return pd.Timestamp(self.dates[0] + pd.Timedelta(days=t * self.period_days))

    def window_demand(self, t: int, periods: int) -> np.ndarray:
        """Units demanded per item over replay periods [t, t + periods); t may be negative."""
        matrix = np.concatenate([self.before, self.demand], axis=1)
        start = self.before.shape[1] + t
        return matrix[:, start : start + periods].sum(axis=1)

    @property
    def lead_periods(self) -> int:
        """Lead time in periods."""
        return self.lead_days // self.period_days

    @property
    def review_periods(self) -> int:
        """Review interval in periods."""
        return self.review_days // self.period_days


def frat_dataset(n_series: int, seed: int, replay_weeks: int = 26, rule_weeks: int = 52) -> Dataset:
    """Breakfast at the Frat: `n_series` random store x product series with all 156 weeks."""
    require(frat_transactions_path())
    frame = load_frat()
    frame["promotion"] = frame[list(FRAT_FLAGS)].max(axis=1)
    weeks = np.sort(frame["date"].unique())
    counts = frame.groupby(["store", "sku"]).size()
    complete = counts[counts == len(weeks)].index
    rng = np.random.default_rng(seed)
    picked = complete[np.sort(rng.choice(len(complete), size=min(n_series, len(complete)), replace=False))]
    frame = frame.set_index(["store", "sku"]).loc[picked].reset_index()
    wide = frame.pivot_table(index=["store", "sku"], columns="date", values="quantity", aggfunc="sum")
    wide = wide.reindex(columns=weeks).fillna(0.0)
    unit_cost = frame.groupby(["store", "sku"])["regular_price"].median().reindex(wide.index)
    matrix = wide.to_numpy()
    return Dataset(
        name=f"breakfast_at_the_frat ({len(wide)} of {len(complete)} complete series, weekly)",
        history=frame,
        keys=wide.index.to_frame(index=False),
        dates=pd.DatetimeIndex(weeks[-replay_weeks:]),
        demand=matrix[:, -replay_weeks:],
        before=matrix[:, -replay_weeks - rule_weeks : -replay_weeks],
        unit_cost=unit_cost.to_numpy(dtype=float),
        period_days=7,
        lead_days=7,
        review_days=7,
        plan_drivers=True,
    )


def uci_dataset(min_days: int = 200, replay_days: int = 90, rule_days: int = 182) -> Dataset:
    """UCI Online Retail: daily units sold of every SKU sold on `min_days`+ days, one store."""
    require(online_retail_path())
    lines = load_online_retail()
    # Demand is what customers bought: cancellations (C invoices, negative lines) are not demand.
    lines = lines[
        (lines["unit_price"] > 0) & (lines["quantity"] > 0) & ~lines["transaction_id"].str.startswith("C")
    ]
    frame = online_retail_daily(lines, min_days)
    calendar = pd.date_range(frame["date"].min(), frame["date"].max(), freq="D")
    wide = frame.pivot_table(index=["store", "sku"], columns="date", values="quantity", aggfunc="sum")
    wide = wide.reindex(columns=calendar).fillna(0.0)
    unit_cost = frame.groupby(["store", "sku"])["unit_price"].median().reindex(wide.index)
    matrix = wide.to_numpy()
    return Dataset(
        name=f"online_retail ({len(wide)} SKUs sold on {min_days}+ days, daily)",
        history=frame,
        keys=wide.index.to_frame(index=False),
        dates=calendar[-replay_days:],
        demand=matrix[:, -replay_days:],
        before=matrix[:, -replay_days - rule_days : -replay_days],
        unit_cost=unit_cost.to_numpy(dtype=float),
        period_days=1,
        lead_days=5,
        review_days=7,
        # UCI has no price plan: its daily median unit price is known only after the sale, is set
        # only on days with sales and falls with order size (quantity discounts), so passing the
        # future rows as a plan would leak which days sell and how much.
        plan_drivers=False,
    )
