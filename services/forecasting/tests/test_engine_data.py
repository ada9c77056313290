"""Slow engine tests: real data (Breakfast at the Frat, skipped when ../shared/data is absent), Prophet."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from common.testing.datasets import FRAT_FLAGS, frat_transactions_path, load_frat
from forecasting.engine import forecast

pytestmark = pytest.mark.slow
needs_data = pytest.mark.skipif(not frat_transactions_path().exists(), reason="shared data not available")


@needs_data
def test_frat_subset_beats_naive_and_is_calibrated() -> None:
    frame = load_frat()
    stores = np.sort(frame["store"].astype(int).unique())[:20].astype(str)
    frame = frame[frame["store"].isin(stores)]
    frame = frame.assign(promotion=frame[list(FRAT_FLAGS)].max(axis=1))
    cutoff = np.sort(frame["date"].unique())[-14]
    train, test = frame[frame["date"] <= cutoff], frame[frame["date"] > cutoff]
    plan = test.drop(columns=["quantity"])
    result = forecast(train, 91, plan=plan)
    assert (result.series["frequency"] == "W").all()
    merged = test.merge(result.points, on=["store", "sku", "date"])
    assert len(merged) == len(test)
    wape = (merged["quantity"] - merged["p50"]).abs().sum() / merged["quantity"].sum()
    # Naive (last value) scores about 0.46 on this data; price and promotion awareness must show.
    assert wape < 0.36, wape
    coverage = ((merged["quantity"] >= merged["p10"]) & (merged["quantity"] <= merged["p90"])).mean()
    assert 0.7 <= coverage <= 0.92, coverage


def test_prophet_competes_as_a_candidate() -> None:
    # Not shared data, but Prophet's Stan fits take seconds: slow-marked with the rest of this module.
    dates = pd.date_range("2024-01-01", periods=120, freq="D")
    pattern = np.array([5.0, 5.0, 6.0, 7.0, 9.0, 12.0, 3.0])[dates.day_of_week]
    history = pd.DataFrame({"store": "S", "sku": "A", "date": dates, "quantity": pattern, "promotion": 0.0})
    result = forecast(history, 7, candidates=["prophet", "moving_average"])
    assert result.series.loc[0, "model"] in {"prophet", "moving_average"}
    expected = pattern[:7][result.points["date"].dt.day_of_week.to_numpy()]
    np.testing.assert_allclose(result.points["p50"].to_numpy(), expected, rtol=0.15)
