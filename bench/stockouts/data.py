"""The bench's data: Breakfast at the Frat series with seeded stock-outs and the matching stock file."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from bench.shared import require
from common.testing.datasets import FRAT_FLAGS, frat_transactions_path, load_frat, load_frat_products

SERIES = 300
HOLDOUT_WEEKS = 13
CENSORED_SHARE = 0.15
# Weeks of a series' history a sample series must have sold in (of about 143), so that censoring
# 15% of them leaves a series worth forecasting.
MIN_WEEKS = 100
# On-hand units of an in-stock snapshot: any number above zero says the same.
ENOUGH = 1000.0


@dataclass
class StockoutData:
    """True and censored history, the stock file, the plan and the truth to score against."""

    history: pd.DataFrame  # the true history
    censored: pd.DataFrame  # the history as stock-outs leave it: zero weeks at 0 units, partial weeks cut
    stock: pd.DataFrame  # store, sku, date, on_hand: daily in censored weeks, weekly otherwise
    plan: pd.DataFrame
    products: pd.DataFrame
    scored: pd.DataFrame  # store, sku, date, quantity of the held-out weeks
    truth: pd.DataFrame  # store, sku, date, quantity, sold, out_all_week: the censored weeks
    horizon_days: int


def stockout_data(seed: int = 0, series: int = SERIES) -> StockoutData:
    """`series` Breakfast at the Frat series, 15% of their history weeks censored at random (seeded).

    Half of the censored weeks sell nothing (out all week: 0 on hand every day), half sell 30-80%
    of their true units (ran out mid-week: in stock for that share of the week's days, then 0).
    """
    require(frat_transactions_path())
    rng = np.random.default_rng(seed)
    frame = load_frat()
    frame["promotion"] = frame[list(FRAT_FLAGS)].max(axis=1)
    dates = np.sort(frame["date"].unique())
    cutoff = dates[-HOLDOUT_WEEKS - 1]
    train, test = frame[frame["date"] <= cutoff], frame[frame["date"] > cutoff]
    weeks = train.groupby(["store", "sku"]).size()
    eligible = weeks[weeks >= MIN_WEEKS].index.to_frame(index=False)
    chosen = eligible.iloc[np.sort(rng.choice(len(eligible), size=series, replace=False))]
    history = train.merge(chosen, on=["store", "sku"]).reset_index(drop=True)
    test = test.merge(chosen, on=["store", "sku"])
    censored, truth = _censor(history, rng)
    products = chosen.merge(load_frat_products(), on="sku", how="left")
    plan = test[["store", "sku", "date", "unit_price", "regular_price", "promotion", *FRAT_FLAGS]]
    return StockoutData(
        history=history,
        censored=censored,
        stock=_stock_file(history, truth),
        plan=plan,
        products=products,
        scored=test[["store", "sku", "date", "quantity"]].reset_index(drop=True),
        truth=truth,
        horizon_days=HOLDOUT_WEEKS * 7,
    )


def _censor(history: pd.DataFrame, rng: np.random.Generator) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The censored history and the censored weeks' truth (units, units sold, in-stock share)."""
    pick = rng.random(len(history)) < CENSORED_SHARE
    out_all_week = pick & (rng.random(len(history)) < 0.5)
    share = np.where(out_all_week, 0.0, rng.uniform(0.3, 0.8, len(history)))
    sold = np.where(pick, np.floor(history["quantity"].to_numpy() * share), history["quantity"].to_numpy())
    truth = history.loc[pick, ["store", "sku", "date", "quantity", "unit_price"]].assign(
        sold=sold[pick], out_all_week=out_all_week[pick], share=share[pick]
    )
    # A week out of stock all week keeps its row with 0 units: its price and promotion were the
    # retailer's plan whether or not the shelf was empty.
    censored = history.assign(quantity=sold)
    return censored, truth.reset_index(drop=True)


def _stock_file(history: pd.DataFrame, truth: pd.DataFrame) -> pd.DataFrame:
    """End-of-day snapshots: every day of a censored week (in stock for its share of days, then 0),
    one in-stock snapshot on the week's date otherwise."""
    keys = ["store", "sku", "date"]
    ok = history[keys].merge(truth[keys], on=keys, how="left", indicator=True)
    weekly = ok.loc[ok["_merge"] == "left_only", keys].assign(on_hand=ENOUGH)
    days_in = np.clip(np.round(truth["share"].to_numpy() * 7), 0, 6).astype(int)
    days_in = np.where(truth["out_all_week"].to_numpy(), 0, np.maximum(days_in, 1))
    offsets = np.tile(np.arange(7), len(truth))
    rows = np.repeat(np.arange(len(truth)), 7)
    daily = pd.DataFrame(
        {
            "store": truth["store"].to_numpy()[rows],
            "sku": truth["sku"].to_numpy()[rows],
            "date": truth["date"].to_numpy()[rows] - pd.to_timedelta(6 - offsets, unit="D"),
            "on_hand": np.where(offsets < days_in[rows], ENOUGH, 0.0),
        }
    )
    return pd.concat([weekly, daily], ignore_index=True)
