"""Known-answer tests of stock-outs: censoring from snapshots, inference, correction and lost sales."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from forecasting.engine import forecast
from forecasting.engine.panel import build_panel
from forecasting.engine.stockouts import COLUMNS, stock_censoring

WEEKS = 104
HORIZON_WEEKS = 4
LEVEL = 30.0


def _weekly(series: int = 30, seed: int = 0, weeks: int = WEEKS) -> pd.DataFrame:
    """`series` weekly series of Poisson(LEVEL) units at a constant price, over `weeks` weeks."""
    rng = np.random.default_rng(seed)
    dates = pd.date_range("2022-01-02", periods=weeks, freq="7D")
    return pd.concat(
        [
            pd.DataFrame(
                {
                    "store": "S1",
                    "sku": f"P{i:02d}",
                    "date": dates,
                    "quantity": rng.poisson(LEVEL, weeks).astype(float),
                    "unit_price": 4.0,
                    "promotion": 0.0,
                }
            )
            for i in range(series)
        ],
        ignore_index=True,
    )


def test_censoring_from_on_hand_snapshots_and_in_stock_flags() -> None:
    history = _weekly(series=3, weeks=10)
    panel = build_panel(history, 7)
    week = pd.Timestamp(panel.dates[4])
    days = pd.date_range(week - pd.Timedelta(days=6), week)
    stock = pd.concat(
        [
            # P00: out of stock 2 of the week's 7 snapshot days (on hand 0), in stock otherwise.
            pd.DataFrame({"store": "S1", "sku": "P00", "date": days, "on_hand": [5, 5, 5, 0, 0, 5, 5]}),
            # P01: an in_stock flag of 0 on the week's one snapshot, no on_hand.
            pd.DataFrame({"store": "S1", "sku": "P01", "date": [week], "in_stock": [False]}),
            # P02: in stock on every snapshot, and a snapshot of an unknown item.
            pd.DataFrame(
                {"store": ["S1", "S9"], "sku": ["P02", "X"], "date": [week, week], "on_hand": [9, 0]}
            ),
        ],
        ignore_index=True,
    )
    censoring = stock_censoring(panel, stock)
    assert censoring.censored.sum() == 2
    assert censoring.censored[0, 4] and censoring.censored[1, 4]
    assert censoring.in_stock[0, 4] == pytest.approx(5 / 7)
    assert censoring.in_stock[1, 4] == 0.0
    assert not censoring.censored[2].any() and (censoring.in_stock[2] == 1.0).all()
    masked = censoring.masked(panel)
    assert np.isnan(masked.y[0, 4]) and np.isfinite(masked.y[0, 3])


def test_daily_zero_on_hand_censors_that_day() -> None:
    dates = pd.date_range("2023-01-01", periods=60, freq="D")
    history = pd.DataFrame({"store": "S1", "sku": "A", "date": dates, "quantity": 5.0, "unit_price": 2.0})
    panel = build_panel(history, 7)
    stock = pd.DataFrame({"store": "S1", "sku": "A", "date": [dates[10], dates[11]], "on_hand": [0.0, 3.0]})
    censoring = stock_censoring(panel, stock)
    assert censoring.censored[0].nonzero()[0].tolist() == [10]
    assert censoring.in_stock[0, 10] == 0.0


@pytest.fixture(scope="module")
def planted() -> tuple[pd.DataFrame, set[tuple[str, int]]]:
    """Weekly series with planted zero runs (stock-outs), one item discontinued for good and one dormant.

    Returns the history and the planted (sku, week index) cells.
    """
    history = _weekly(series=30, seed=1)
    rng = np.random.default_rng(2)
    cells: set[tuple[str, int]] = set()
    weeks = history["date"].drop_duplicates().sort_values().tolist()
    for i in range(0, 24, 2):
        start = int(rng.integers(20, WEEKS - 10))
        length = int(rng.integers(1, 4))
        sku = f"P{i:02d}"
        hit = (history["sku"] == sku) & history["date"].isin(weeks[start : start + length])
        history.loc[hit, "quantity"] = 0.0
        cells |= {(sku, week) for week in range(start, start + length)}
    # P25 is discontinued: no sale in its last 20 weeks. P27 was dormant for half a year.
    history.loc[(history["sku"] == "P25") & history["date"].isin(weeks[-20:]), "quantity"] = 0.0
    history.loc[(history["sku"] == "P27") & history["date"].isin(weeks[30:56]), "quantity"] = 0.0
    return history, cells


def _flagged_cells(stockouts: pd.DataFrame, dates: list[pd.Timestamp]) -> set[tuple[str, int]]:
    """(sku, week index) of every week an inferred stock-out covers."""
    index = {pd.Timestamp(d): k for k, d in enumerate(dates)}
    out = set()
    for row in stockouts[stockouts["source"] == "inferred"].itertuples():
        for date in pd.date_range(
            pd.Timestamp(row.start) + pd.Timedelta(days=6), pd.Timestamp(row.end), freq="7D"
        ):
            out.add((row.sku, index[date]))
    return out


def test_inference_finds_planted_stockouts_and_not_discontinued_items(
    planted: tuple[pd.DataFrame, set[tuple[str, int]]],
) -> None:
    history, cells = planted
    result = forecast(history, horizon_days=7 * HORIZON_WEEKS)
    stockouts = result.stockouts
    assert list(stockouts.columns) == COLUMNS
    dates = history["date"].drop_duplicates().sort_values().tolist()
    flagged = _flagged_cells(stockouts, dates)
    assert len(flagged & cells) >= 0.9 * len(cells)
    assert len(flagged - cells) <= 0.1 * len(flagged)
    assert not set(stockouts["sku"]) & {"P25", "P27"}
    inferred = stockouts[stockouts["source"] == "inferred"]
    assert (inferred["probability"] > 0.99).all()
    assert (inferred["sales"] == 0).all()
    # Lost units are the item's demand over the run: about LEVEL a week.
    weeks = len(flagged)
    assert inferred["lost_units"].sum() == pytest.approx(LEVEL * weeks, rel=0.15)
    assert inferred["lost_revenue"].sum() == pytest.approx(4.0 * inferred["lost_units"].sum())
    assert not inferred["corrected"].any()


def test_correct_mode_treats_inferred_stockouts_as_censored(
    planted: tuple[pd.DataFrame, set[tuple[str, int]]],
) -> None:
    history, _ = planted
    result = forecast(history, horizon_days=7 * HORIZON_WEEKS, stockouts="correct")
    inferred = result.stockouts[result.stockouts["source"] == "inferred"]
    assert len(inferred) and inferred["corrected"].all()
    with pytest.raises(ValueError, match="stockouts mode"):
        forecast(history, horizon_days=7, stockouts="ignore")


def _censored_with_stock_file(seed: int = 3) -> tuple[pd.DataFrame, pd.DataFrame, float]:
    """25% of weeks censored: half sell nothing (0 on hand all week), half sell 40% (in stock 3 of 7
    days). Returns the censored history, the stock file and the units the censoring removed."""
    history = _weekly(series=30, seed=seed)
    rng = np.random.default_rng(seed)
    pick = rng.random(len(history)) < 0.25
    out = pick & (rng.random(len(history)) < 0.5)
    sold = np.where(out, 0.0, np.where(pick, np.floor(0.4 * history["quantity"]), history["quantity"]))
    removed = float((history["quantity"] - sold).sum())
    censored = history.assign(quantity=sold)
    days_in = np.where(out, 0, 3)
    snapshots = []
    for offset in range(7):
        day = censored.loc[pick, ["store", "sku", "date"]].copy()
        day["date"] = day["date"] - pd.Timedelta(days=6 - offset)
        day["on_hand"] = np.where(offset < days_in[pick], 50.0, 0.0)
        snapshots.append(day)
    snapshots.append(censored.loc[~pick, ["store", "sku", "date"]].assign(on_hand=50.0))
    return censored, pd.concat(snapshots, ignore_index=True), removed


def test_correction_recovers_generated_demand() -> None:
    censored, stock, removed = _censored_with_stock_file()
    costs = censored[["store", "sku"]].drop_duplicates().assign(unit_cost=1.5)
    costs.loc[costs["sku"] == "P00", "unit_cost"] = np.nan
    corrected = forecast(censored, horizon_days=7 * HORIZON_WEEKS, stock=stock, products=costs)
    uncorrected = forecast(censored, horizon_days=7 * HORIZON_WEEKS)
    assert corrected.points["p50"].mean() == pytest.approx(LEVEL, rel=0.08)
    # Learning from the capped sales forecasts clearly low: 20% of the demand went unsold.
    assert uncorrected.points["p50"].mean() < 0.92 * LEVEL
    assert uncorrected.points["p50"].mean() < corrected.points["p50"].mean() - 0.05 * LEVEL
    found = corrected.stockouts[corrected.stockouts["source"] == "stock"]
    assert found["probability"].eq(1.0).all() and found["corrected"].all()
    assert found["lost_units"].sum() == pytest.approx(removed, rel=0.10)
    assert (found["estimated_demand"] >= found["sales"]).all()
    # Margin at the price of 4.00 less the unit cost of 1.50; unknown without a unit cost.
    costed = found[found["sku"] != "P00"]
    assert costed["lost_margin"].to_numpy() == pytest.approx(2.5 * costed["lost_units"].to_numpy())
    assert found.loc[found["sku"] == "P00", "lost_margin"].isna().all()
    # Accuracy is scored on uncensored weeks only: scoring a censored week's sales against a
    # forecast of the true level would show a large over-forecast.
    assert abs(corrected.series["bias"].mean()) < 0.1


def test_zero_sales_while_snapshots_say_in_stock_are_no_inferred_stockout(
    planted: tuple[pd.DataFrame, set[tuple[str, int]]],
) -> None:
    history, cells = planted
    dates = history["date"].drop_duplicates().sort_values().tolist()
    sku = sorted(cells)[0][0]
    weeks = [dates[week] for s, week in cells if s == sku]
    stock = pd.DataFrame({"store": "S1", "sku": sku, "date": weeks, "on_hand": 12.0})
    result = forecast(history, horizon_days=7 * HORIZON_WEEKS, stock=stock)
    flagged = _flagged_cells(result.stockouts, dates)
    assert not {cell for cell in flagged if cell[0] == sku}
    assert {cell for cell in flagged if cell[0] != sku}
    assert not len(result.stockouts[result.stockouts["source"] == "stock"])
