"""Scenario arithmetic on known answers: changes in order over a baseline plan, revenue and margin."""

from __future__ import annotations

import pandas as pd
import pytest

from forecasting.scenarios import plans

DATES = pd.date_range("2024-01-01", periods=4, freq="D")
KEYS = [("S1", "A", 2.0), ("S1", "B", 3.0), ("S2", "C", 9.0)]


def _baseline() -> pd.DataFrame:
    """Every item on every day at its price, with a promotion planned for B on the second day."""
    rows = [(store, sku, day, price, 0.0) for store, sku, price in KEYS for day in DATES]
    frame = pd.DataFrame(rows, columns=plans.PLAN_COLUMNS)
    frame.loc[(frame["sku"] == "B") & (frame["date"] == DATES[1]), ["price", "promotion"]] = (2.0, 1.0)
    return frame


def _categories(frame: pd.DataFrame) -> pd.Series:
    return frame["sku"].map({"A": "x", "B": "x", "C": "y"})


def test_changes_apply_in_order_to_their_items_and_dates() -> None:
    baseline = _baseline()
    changes = [
        {"start": "2024-01-01", "end": "2024-01-04", "price_change_pct": -10},  # every item
        {"category": "x", "start": "2024-01-03", "end": "2024-01-04", "promotion": 1},
        {"store": "S1", "sku": "A", "start": "2024-01-04", "end": "2024-01-04", "price": 1.0},
    ]
    scenario, changed = plans.apply_changes(baseline, changes, _categories(baseline))
    assert changed.all()
    got = scenario.set_index(["store", "sku", "date"])
    assert got.loc[("S1", "B", DATES[1]), "price"] == pytest.approx(1.8)  # -10% of the planned 2.0
    assert got.loc[("S2", "C", DATES[0]), "price"] == pytest.approx(8.1)
    assert got.loc[("S1", "A", DATES[3]), "price"] == 1.0  # the later change wins
    assert got.loc[("S1", "A", DATES[2]), "price"] == pytest.approx(1.8)
    assert got.loc[("S1", "A", DATES[2]), "promotion"] == 1.0
    assert got.loc[("S2", "C", DATES[2]), "promotion"] == 0.0  # category y
    assert baseline.loc[0, "price"] == 2.0  # the baseline itself is left as it was


def test_a_change_covers_the_weekly_periods_its_days_overlap() -> None:
    weeks = pd.DataFrame(
        {
            "store": "S1",
            "sku": "A",
            "date": pd.to_datetime(["2024-01-07", "2024-01-14", "2024-01-21"]),
            "price": 2.0,
            "promotion": 0.0,
        }
    )
    change = {"start": "2024-01-10", "end": "2024-01-15", "promotion": 1}
    _, changed = plans.apply_changes(weeks, [change], pd.Series([None] * 3), period_days=7)
    assert changed.tolist() == [False, True, True]


def test_figures_use_each_point_s_price_and_the_assumed_margin_where_cost_is_unknown() -> None:
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
    points = pd.DataFrame(
        {
            "store": "S1",
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


def test_changed_items_come_first_then_same_store_and_category_items_whose_demand_moved() -> None:
    from forecasting.scenarios.tasks import _items

    series = pd.DataFrame(
        {
            "store": ["S1", "S1", "S1", "S1", "S2"],
            "sku": ["A", "B", "C", "D", "B"],
            "category": ["x", "x", "y", "x", "x"],
        }
    )
    base = pd.DataFrame({"store": series["store"], "sku": series["sku"], "p50": 10.0})
    new = base.assign(p50=[20.0, 8.0, 7.0, 10.0, 8.0])  # B and C moved; D did not; S2 is another store
    items = _items(series, pd.DataFrame({"store": ["S1"], "sku": ["A"]}), base, new)
    assert list(zip(items["sku"], items["store"], items["rank"], strict=True)) == [
        ("A", "S1", 0),
        ("B", "S1", 1),
    ]


def test_points_move_as_reconciliation_moved_the_served_forecast() -> None:
    dates = pd.to_datetime(["2026-01-05", "2026-01-12"])
    points = pd.DataFrame(
        {
            "store": ["S1"] * 4,
            "sku": ["a", "a", "b", "b"],
            "date": list(dates) * 2,
            "p10": [8.0, 8.0, 0.0, 1.0],
            "p50": [10.0, 10.0, 0.0, 2.0],
            "p90": [12.0, 12.0, 1.0, 3.0],
        }
    )
    # Reconciliation moved a's first week from 10 to 11 and b's first from 0 to 0.5; the rest stayed.
    reconciled = pd.DataFrame(
        {
            "store": ["S1", "S1"],
            "sku": ["a", "b"],
            "date": [dates[0], dates[0]],
            "p50": [11.0, 0.5],
            "base_p50": [10.0, 0.0],
        }
    )
    served = plans.as_served(points, reconciled)
    assert served["p50"].tolist() == pytest.approx([11.0, 10.0, 0.5, 2.0])
    assert served["p10"].tolist() == pytest.approx([8.8, 8.0, 0.5, 1.0])
    assert served["p90"].tolist() == pytest.approx([13.2, 12.0, 1.5, 3.0])
    assert served.columns.tolist() == points.columns.tolist()
    assert plans.as_served(points, reconciled.iloc[:0]) is points
