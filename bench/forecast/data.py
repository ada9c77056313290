"""The forecast bench's data sets: engine input, the known future drivers and the held-out rows."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from bench.shared import require
from common.testing.datasets import (
    FRAT_FLAGS,
    frat_transactions_path,
    load_frat,
    load_frat_products,
    load_online_retail,
    online_retail_daily,
    online_retail_path,
)


@dataclass
class Dataset:
    """Engine input for one bench run and the held-out rows it is scored on."""

    history: pd.DataFrame
    plan: pd.DataFrame | None  # known future drivers; None where a retailer would not know them
    products: pd.DataFrame | None
    scored: pd.DataFrame  # store, sku, date, quantity: held-out rows with a sale
    horizon_days: int
    freq: str
    label: str

    @property
    def scored_keys(self) -> pd.DataFrame:
        """The (store, sku) pairs that are scored."""
        return self.scored[["store", "sku"]].drop_duplicates(ignore_index=True)


def frat_dataset(holdout: int = 13, min_weeks: int = 60, years_back: int = 0) -> Dataset:
    """Breakfast at the Frat as engine input, with the last `holdout` weeks held out.

    `years_back` ends the data that many years (52 weeks each) before its last week, so the same
    season of an earlier year is held out.
    """
    require(frat_transactions_path())
    frame = load_frat()
    frame["promotion"] = frame[list(FRAT_FLAGS)].max(axis=1)
    dates = np.sort(frame["date"].unique())
    if years_back:
        dates = dates[: len(dates) - 52 * years_back]
        frame = frame[frame["date"] <= dates[-1]]
    cutoff = dates[-holdout - 1]
    train = frame[frame["date"] <= cutoff]
    test = frame[frame["date"] > cutoff]
    plan = test[["store", "sku", "date", "unit_price", "regular_price", "promotion", *FRAT_FLAGS]]
    weeks = train.groupby(["store", "sku"]).size()
    eligible = weeks[weeks >= min_weeks].index
    scored = test.set_index(["store", "sku"])
    scored = scored[scored.index.isin(eligible)].reset_index()[["store", "sku", "date", "quantity"]]
    stores = frame[["store", "sku"]].drop_duplicates()
    products = stores.merge(load_frat_products(), on="sku", how="left")
    return Dataset(
        history=train,
        plan=plan,
        products=products,
        scored=scored,
        horizon_days=holdout * 7,
        freq="W",
        label=f"breakfast_at_the_frat: {len(weeks)} series, {holdout} weeks to {str(dates[-1])[:10]} held out",
    )


def uci_dataset(holdout: int = 28, min_days: int = 200) -> Dataset:
    """UCI Online Retail daily SKU series selling on `min_days`+ days, last `holdout` days held out."""
    require(online_retail_path())
    lines = load_online_retail()
    lines = lines[lines["unit_price"] > 0]
    frame = online_retail_daily(lines, min_days)
    last = frame["date"].max()
    cutoff = last - pd.Timedelta(days=holdout)
    train = frame[frame["date"] <= cutoff]
    test = frame[frame["date"] > cutoff]
    # No plan: UCI has no shelf price or promotion calendar, only the prices of the lines sold (which
    # fall with order size), so a "plan" built from the held-out rows would tell the forecast which
    # days sell and how much. Daily data: every held-out day counts, days without sales are zeros.
    keys = train[["store", "sku"]].drop_duplicates(ignore_index=True)
    scored = dense(keys, pd.DataFrame({"date": pd.date_range(cutoff, last)[1:]}), test)
    return Dataset(
        history=train,
        plan=None,
        products=None,
        scored=scored,
        horizon_days=holdout,
        freq="D",
        label=f"online_retail daily: {len(keys)} SKUs, last {holdout} days held out, no plan",
    )


def dense(keys: pd.DataFrame, dates: pd.DataFrame, rows: pd.DataFrame) -> pd.DataFrame:
    """Every (store, sku) of `keys` on every date of `dates`, quantity 0 where `rows` has no sale."""
    grid = keys.merge(dates, how="cross")
    out = grid.merge(rows[["store", "sku", "date", "quantity"]], on=["store", "sku", "date"], how="left")
    out["quantity"] = out["quantity"].fillna(0.0).clip(lower=0.0)
    return out


def every_period(data: Dataset) -> pd.DataFrame:
    """The scored series on every held-out period of the grid, a missing period as zero sales."""
    dates = pd.DataFrame({"date": np.sort(data.scored["date"].unique())})
    return dense(data.scored_keys, dates, data.scored)
