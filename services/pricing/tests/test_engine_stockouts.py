"""Pricing's regression leaves out the weeks a stock-out censored."""

from __future__ import annotations

import pandas as pd

from pricing.engine.data import drop_censored_weeks, to_weekly


def test_daily_sales_lose_the_whole_week_a_stockout_touched_and_only_for_that_item() -> None:
    dates = pd.date_range("2024-01-01", periods=21, freq="D")  # three Monday-starting weeks
    sales = pd.concat(
        [
            pd.DataFrame({"store": "S1", "sku": sku, "date": dates, "quantity": 4.0, "unit_price": 2.0})
            for sku in "AB"
        ],
        ignore_index=True,
    )
    # A's stock ran out on the Thursday and Friday of the second week.
    stockouts = pd.DataFrame(
        {"store": ["S1"], "sku": ["A"], "start": [dates[10].date()], "end": [dates[11].date()]}
    )
    kept = drop_censored_weeks(sales, stockouts)
    weeks = to_weekly(kept).groupby("sku")["week"].apply(list)
    assert weeks["A"] == [pd.Timestamp("2024-01-01"), pd.Timestamp("2024-01-15")]
    assert len(weeks["B"]) == 3
    assert len(kept) == len(sales) - 7
    assert drop_censored_weeks(sales, None) is sales


def test_weekly_sales_lose_exactly_the_censored_week() -> None:
    dates = pd.date_range("2024-01-06", periods=6, freq="7D")  # Saturdays: a week ends on each
    sales = pd.DataFrame({"store": "S1", "sku": "A", "date": dates, "quantity": 10.0, "unit_price": 2.0})
    # A stock-out run of one weekly period spans the six days before its week's date and the date.
    stockouts = pd.DataFrame(
        {"store": ["S1"], "sku": ["A"], "start": [dates[2] - pd.Timedelta(days=6)], "end": [dates[2]]}
    )
    kept = drop_censored_weeks(sales, stockouts)
    assert kept["date"].tolist() == [d for k, d in enumerate(dates) if k != 2]
