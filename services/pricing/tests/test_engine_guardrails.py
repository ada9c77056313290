"""Guardrails of the pricing engine: margin floor, step size, price endings, objective and confidence."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from pricing.engine import Guardrails, suggest_prices
from pricing.engine.guardrails import candidate_prices

PLANTED = {"inelastic": -0.6, "elastic": -2.5, "cheap": -1.5, "steady": -1.8}
LIST_PRICES = {"inelastic": 4.99, "elastic": 6.49, "cheap": 1.99, "steady": 3.29}


def known_demand(seed: int = 5, n_weeks: int = 104) -> pd.DataFrame:
    """Two stores x four skus of weekly sales whose price moves every two weeks around its list price."""
    rng = np.random.default_rng(seed)
    weeks = pd.date_range("2022-01-03", periods=n_weeks, freq="7D")
    frames = []
    for store in ("north", "south"):
        for sku, elasticity in PLANTED.items():
            moves = np.exp(rng.uniform(-0.15, 0.15, n_weeks // 2 + 1))[np.arange(n_weeks) // 2]
            price = np.round(LIST_PRICES[sku] * moves, 2)
            units = rng.poisson(
                400 * (price / LIST_PRICES[sku]) ** elasticity * np.exp(rng.normal(0, 0.03, n_weeks))
            )
            frames.append(
                pd.DataFrame(
                    {
                        "store": store,
                        "sku": sku,
                        "date": weeks,
                        "quantity": units.astype(float),
                        "unit_price": price,
                        "promotion": 0.0,
                        "category": "snacks" if sku in ("inelastic", "cheap") else "cereal",
                    }
                )
            )
    return pd.concat(frames, ignore_index=True)


@pytest.fixture(scope="module")
def sales() -> pd.DataFrame:
    return known_demand()


def products(unit_costs: dict[str, float]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "sku": list(LIST_PRICES),
            "unit_cost": [unit_costs.get(sku, np.nan) for sku in LIST_PRICES],
            "price": list(LIST_PRICES.values()),
        }
    )


def test_candidate_prices_follow_the_endings() -> None:
    assert list(candidate_prices(2.0, 1.8, 2.2, (0.99, 0.49))) == [1.99]
    assert list(candidate_prices(2.0, 1.8, 2.2, (0.09,))) == [1.89, 1.99, 2.09, 2.19]
    assert list(candidate_prices(10.0, 9.0, 11.0, (0.99, 0.49))) == [9.49, 9.99, 10.49, 10.99]
    every_cent = candidate_prices(2.0, 1.8, 2.2, ())
    assert (
        len(every_cent) == 41 and every_cent[0] == pytest.approx(1.8) and every_cent[-1] == pytest.approx(2.2)
    )
    assert candidate_prices(2.0, 2.3, 2.2, ()).size == 0


def test_suggestions_respect_floor_step_and_endings(sales: pd.DataFrame) -> None:
    # "steady" sells close to cost, so the floor binds; "elastic" would like a lower price.
    costs = {"inelastic": 2.50, "elastic": 2.0, "cheap": 1.0, "steady": 3.10}
    rules = Guardrails(min_margin_pct=8.0, max_change_pct=10.0)
    result = suggest_prices(sales, products(costs), rules)
    moved = result.dropna(subset=["suggested_price"])
    assert len(moved) >= 4
    for row in moved.itertuples():
        assert row.suggested_price >= costs[row.sku] * 1.08 - 1e-9
        assert abs(row.suggested_price / row.current_price - 1) <= 0.10 + 1e-9
        cents = round(row.suggested_price % 1, 2)
        assert cents in (0.99, 0.49) or row.suggested_price == row.current_price
    steady = result[result["sku"] == "steady"]
    assert (steady["suggested_price"] >= 3.10 * 1.08).all()
    assert not steady["unit_cost_assumed"].any()


def test_price_below_cost_floor_beyond_one_step_gets_no_suggestion(sales: pd.DataFrame) -> None:
    result = suggest_prices(sales, products({"cheap": 2.40}), Guardrails(price_endings=()))
    cheap = result[result["sku"] == "cheap"]
    assert cheap["suggested_price"].isna().all()
    assert cheap["explanation"].str.contains("below cost plus the 5% minimum margin", regex=False).all()


def test_profit_optimum_matches_the_inverse_elasticity_rule(sales: pd.DataFrame) -> None:
    rules = Guardrails(price_endings=(), max_change_pct=60.0, min_margin_pct=0.0)
    result = suggest_prices(sales, products({"elastic": 3.0, "steady": 1.2}), rules)
    for row in result[result["sku"].isin(["elastic", "steady"])].itertuples():
        optimum = row.unit_cost * row.elasticity / (1 + row.elasticity)  # p* = c e / (1 + e)
        assert row.suggested_price == pytest.approx(optimum, abs=0.006)
        assert row.expected_profit_change > 0
    elastic = result[result["sku"] == "elastic"]
    # Planted -2.5 and cost 3.0 put the optimum at 5.00: a cut from 6.49.
    assert elastic["suggested_price"].between(4.8, 5.2).all()


def test_revenue_objective_raises_inelastic_and_cuts_elastic_prices(sales: pd.DataFrame) -> None:
    result = suggest_prices(sales, guardrails=Guardrails(objective="revenue", price_endings=()))
    by_sku = result.groupby("sku")
    assert (by_sku.get_group("inelastic")["suggested_price"] > LIST_PRICES["inelastic"]).all()
    assert (by_sku.get_group("elastic")["suggested_price"] < LIST_PRICES["elastic"]).all()
    assert (result["objective"] == "revenue").all()
    assert (result.dropna(subset=["suggested_price"])["expected_revenue_change"] >= 0).all()


def test_endings_are_configurable(sales: pd.DataFrame) -> None:
    nines = suggest_prices(sales, guardrails=Guardrails(price_endings=(0.09,)))
    moved = nines[nines["suggested_price"] != nines["current_price"]].dropna(subset=["suggested_price"])
    assert len(moved) >= 4
    assert all(round(price * 100) % 10 == 9 for price in moved["suggested_price"])
    # 1.99 with .99/.49 endings and a 10% step has no other candidate: the price stays.
    default = suggest_prices(sales, products({})).set_index(["store", "sku"])
    assert (default.xs("cheap", level="sku")["suggested_price"] == 1.99).all()
    why = default.xs("cheap", level="sku")["explanation"]
    assert why.str.contains(
        "keep 1.99: a higher price (about 2.18) would earn more profit", regex=False
    ).all()
    assert why.str.contains("no price ending in .99/.49 lies within the 10% step", regex=False).all()


def test_unknown_cost_uses_the_assumed_margin_and_says_so(sales: pd.DataFrame) -> None:
    result = suggest_prices(sales, products({}), Guardrails(assumed_margin_pct=25.0))
    assert result["unit_cost_assumed"].all()
    assert np.allclose(result["unit_cost"], result["current_price"] / 1.25)
    assert result["explanation"].str.contains("assumed a 25% margin over cost", regex=False).all()


def test_min_confidence_high_blocks_medium_estimates(sales: pd.DataFrame) -> None:
    noisy = sales.copy()
    rng = np.random.default_rng(1)
    medium_rows = noisy["sku"] == "inelastic"
    noisy.loc[medium_rows, "quantity"] = np.round(
        noisy.loc[medium_rows, "quantity"] * np.exp(rng.normal(0, 0.5, medium_rows.sum()))
    )
    result = suggest_prices(noisy, guardrails=Guardrails(min_confidence="high"))
    blocked = result[result["confidence"].isin(["medium", "low"])]
    assert len(blocked) >= 1
    assert blocked["suggested_price"].isna().all()
    assert blocked["explanation"].str.contains("no suggestion", regex=False).all()
    medium = blocked[blocked["confidence"] == "medium"]
    assert len(medium) >= 1
    assert (
        medium["explanation"].str.contains("confidence medium is below the required high", regex=False).all()
    )
    assert result[result["confidence"] == "high"]["suggested_price"].notna().all()


def test_category_overrides_are_applied(sales: pd.DataFrame) -> None:
    overrides = {"Cereal": {"max_change_pct": 3.0, "price_endings": ()}}
    result = suggest_prices(sales, guardrails=Guardrails(price_endings=()), category_guardrails=overrides)
    change = (result["suggested_price"] / result["current_price"] - 1).abs()
    cereal = result["category"] == "cereal"
    assert (change[cereal] <= 0.03 + 1e-9).all()
    assert (change[~cereal] > 0.03).any()


def test_store_specific_product_rows_win_over_sku_rows(sales: pd.DataFrame) -> None:
    table = pd.DataFrame(
        {
            "store": [None, "south"],
            "sku": ["elastic", "elastic"],
            "unit_cost": [3.0, 4.0],
            "price": [6.29, 6.39],
            "category": ["breakfast", "breakfast"],
        }
    )
    result = suggest_prices(sales, table).set_index(["store", "sku"])
    assert result.loc[("north", "elastic"), "unit_cost"] == 3.0
    assert result.loc[("south", "elastic"), "unit_cost"] == 4.0
    assert result.loc[("south", "elastic"), "current_price"] == 6.39
    assert result.loc[("north", "elastic"), "category"] == "breakfast"


def test_invalid_guardrails_are_rejected() -> None:
    with pytest.raises(ValueError, match="objective"):
        Guardrails(objective="volume")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="min_confidence"):
        Guardrails(min_confidence="certain")
    with pytest.raises(ValueError, match="endings"):
        Guardrails(price_endings=(1.5,))
