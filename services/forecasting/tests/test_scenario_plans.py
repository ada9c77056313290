"""Scenario arithmetic on known answers: baseline prices, changes in order, revenue and margin."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from forecasting.scenarios import plans

DATES = pd.date_range("2024-01-01", periods=4, freq="D")


def _history() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "store": ["S1", "S1", "S1", "S1"],
            "sku": ["A", "A", "B", "B"],
            "date": pd.to_datetime(["2023-12-30", "2023-12-31", "2023-12-30", "2023-12-31"]),
            "quantity": [1.0, 2.0, 3.0, 4.0],
            "unit_price": [2.0, 1.5, 4.0, 3.0],
            "promotion": [0.0, 1.0, 0.0, 0.0],
        }
    )


def _items() -> pd.DataFrame:
    return pd.DataFrame({"store": ["S1", "S1", "S2"], "sku": ["A", "B", "C"], "category": ["x", "x", "y"]})


def _baseline() -> pd.DataFrame:
    products = pd.DataFrame({"store": ["S2"], "sku": ["C"], "price": [9.0], "unit_cost": [np.nan]})
    plan = pd.DataFrame(
        {"store": ["S1"], "sku": ["B"], "date": [DATES[1]], "unit_price": [2.0], "promotion": [1.0]}
    )
    return plans.baseline_plan(_history(), plan, products, _items(), DATES)


def test_the_baseline_takes_the_plan_else_the_last_unpromoted_price_else_the_listed_price() -> None:
    baseline = _baseline().set_index(["store", "sku", "date"])
    assert baseline.loc[("S1", "A", DATES[0]), "price"] == 2.0  # 1.5 was a promotion
    assert baseline.loc[("S1", "B", DATES[0]), "price"] == 3.0
    assert tuple(baseline.loc[("S1", "B", DATES[1])]) == (2.0, 1.0)  # planned
    assert baseline.loc[("S2", "C", DATES[3]), "price"] == 9.0  # never sold: listed price
    assert baseline["promotion"].sum() == 1.0


def test_changes_apply_in_order_to_their_items_and_dates() -> None:
    baseline = _baseline()
    categories = baseline[["store", "sku"]].merge(_items(), on=["store", "sku"], how="left")["category"]
    changes = [
        {"start": "2024-01-01", "end": "2024-01-04", "price_change_pct": -10},  # every item
        {"category": "x", "start": "2024-01-03", "end": "2024-01-04", "promotion": 1},
        {"store": "S1", "sku": "A", "start": "2024-01-04", "end": "2024-01-04", "price": 1.0},
    ]
    scenario, changed = plans.apply_changes(baseline, changes, categories)
    assert changed.all()
    got = scenario.set_index(["store", "sku", "date"])
    assert got.loc[("S1", "B", DATES[1]), "price"] == pytest.approx(1.8)  # -10% of the planned 2.0
    assert got.loc[("S2", "C", DATES[0]), "price"] == pytest.approx(8.1)
    assert got.loc[("S1", "A", DATES[3]), "price"] == 1.0  # the later change wins
    assert got.loc[("S1", "A", DATES[2]), "price"] == pytest.approx(1.8)
    assert got.loc[("S1", "A", DATES[2]), "promotion"] == 1.0
    assert got.loc[("S2", "C", DATES[2]), "promotion"] == 0.0  # category y


def test_figures_use_each_period_mean_price_and_the_assumed_margin_where_cost_is_unknown() -> None:
    baseline = _baseline()
    products = pd.DataFrame({"store": ["S1", "S1"], "sku": ["A", "B"], "unit_cost": [1.0, None]})
    costs = plans.unit_costs(products, baseline, assumed_margin_pct=25.0)
    by_item = costs.set_index("sku")
    assert by_item.loc["A", "unit_cost"] == 1.0 and not by_item.loc["A", "unit_cost_assumed"]
    assert (
        by_item.loc["B", "unit_cost"] == pytest.approx(3.0 / 1.25) and by_item.loc["B", "unit_cost_assumed"]
    )
    assert plans.assumption_notes(costs, 25.0) == [
        "Unit cost unknown for 2 item(s): assumed a 25% margin over cost at the baseline price "
        "(the pricing guardrails' assumed_margin_pct)."
    ]
    # One weekly-style point for A covering all four days (prices 2, 2, 2, 2) and daily ones for B.
    points = pd.DataFrame(
        {
            "store": ["S1", "S1", "S1"],
            "sku": ["A", "B", "B"],
            "date": [DATES[3], DATES[0], DATES[1]],
            "p50": [10.0, 1.0, 2.0],
        }
    )
    figures = plans.item_figures(points, baseline, costs[["store", "sku", "unit_cost"]]).set_index("sku")
    assert figures.loc["A", "units"] == 10.0 and figures.loc["A", "revenue"] == pytest.approx(20.0)
    assert figures.loc["A", "gross_margin"] == pytest.approx(10.0)
    assert figures.loc["B", "revenue"] == pytest.approx(1 * 3.0 + 2 * 2.0)
    assert figures.loc["B", "gross_margin"] == pytest.approx(7.0 - 3 * 2.4)
