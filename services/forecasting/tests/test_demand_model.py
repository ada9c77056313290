"""Known answers of the demand model: scenarios, drivers and substitutes on generated data."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from forecasting.engine import (
    FAMILIES,
    GLOBAL_MODEL,
    DemandModel,
    ForecastResult,
    forecast,
    predict_demand,
)

DAYS = 364
HORIZON = 28
STORES = 12
ITEMS = 4  # per store, all in one category
OWN_LIFT = 2.0
STOLEN = 0.45  # share of an item's sales lost on days another item of its store and category is promoted
ELASTICITY = -2.0


def _market(seed: int = 0) -> dict[str, pd.DataFrame]:
    """Daily sales of STORES x ITEMS items: own price and promotion effects, and cannibalisation.

    On a day any other item of the same store and category is promoted, an item sells STOLEN less.
    Off promotion, prices wander around the regular price (+-15%) with a constant elasticity.
    The future is held out as a plan with no promotion and regular prices.
    """
    rng = np.random.default_rng(seed)
    dates = pd.date_range("2023-01-02", periods=DAYS, freq="D")
    frames = []
    for store in range(STORES):
        promo = (rng.random((ITEMS, DAYS)) < 0.08).astype(float)
        others = (promo.sum(axis=0, keepdims=True) - promo) > 0
        for item in range(ITEMS):
            regular = 4.0 + item
            ratio = np.where(promo[item] > 0, 0.75, rng.uniform(0.85, 1.15, DAYS))
            rate = rng.uniform(8.0, 20.0) * ratio**ELASTICITY
            rate = rate * np.where(promo[item] > 0, OWN_LIFT, 1.0) * np.where(others[item], 1 - STOLEN, 1.0)
            frames.append(
                pd.DataFrame(
                    {
                        "store": f"S{store}",
                        "sku": f"P{item}",
                        "date": dates,
                        "quantity": rng.poisson(rate).astype(float),
                        "unit_price": regular * ratio,
                        "regular_price": regular,
                        "promotion": promo[item],
                    }
                )
            )
    history = pd.concat(frames, ignore_index=True)
    future = pd.date_range(dates[-1] + pd.Timedelta(days=1), periods=HORIZON, freq="D")
    keys = history[["store", "sku", "regular_price"]].drop_duplicates()
    plan = keys.merge(pd.DataFrame({"date": future}), how="cross")
    plan = plan.assign(unit_price=plan["regular_price"], promotion=0.0)
    products = keys[["store", "sku"]].assign(category="cereal")
    return {"history": history, "plan": plan, "products": products}


@pytest.fixture(scope="module")
def market() -> dict[str, pd.DataFrame]:
    return _market()


@pytest.fixture(scope="module")
def fitted(market: dict[str, pd.DataFrame]) -> ForecastResult:
    return forecast(market["history"], HORIZON, plan=market["plan"], products=market["products"])


def test_the_stored_model_reproduces_the_forecast_and_its_drivers_sum_to_p50(fitted: ForecastResult) -> None:
    assert fitted.demand_model is not None
    model = DemandModel.from_bytes(fitted.demand_model.to_bytes())
    assert (model.labels == GLOBAL_MODEL).any()
    out = predict_demand(model, drivers=True)
    assert list(out.columns) == ["store", "sku", "date", "p10", "p50", "p90", *FAMILIES]
    for column in ("p10", "p50", "p90"):
        np.testing.assert_allclose(out[column], fitted.points[column], rtol=0, atol=1e-9)
    total = out[list(FAMILIES)].sum(axis=1)
    assert np.all(np.abs(total - out["p50"]) <= 1e-6 * np.maximum(out["p50"].abs(), 1e-9))
    # The baseline plan is what the fit saw: regular prices, no promotion.
    baseline = model.baseline_plan()
    assert len(baseline) == len(out)
    np.testing.assert_allclose(baseline["price"], baseline["regular_price"])
    assert (baseline["promotion"] == 0).all()


def test_a_price_above_regular_lowers_demand_through_a_negative_price_driver(fitted: ForecastResult) -> None:
    assert fitted.demand_model is not None
    model = fitted.demand_model
    plan = model.baseline_plan()
    dearer = plan.assign(price=plan["regular_price"] * 1.15)
    base = predict_demand(model)
    out = predict_demand(model, dearer, drivers=True)
    assert (out["p50"] <= base["p50"] + 1e-9).all()  # demand never rises with the own price
    assert out["p50"].sum() < 0.9 * base["p50"].sum()
    assert (out["price"] < 0).mean() >= 0.95
    # Just above the regular price, where the trees have no split, demand still falls a little.
    nudged = predict_demand(model, plan.assign(price=plan["regular_price"] * 1.005), drivers=True)
    selling = nudged["p50"] > 0
    assert (nudged.loc[selling, "price"] < 0).all()
    assert (nudged.loc[selling, "p50"] < base.loc[selling, "p50"]).all()


def test_a_promotion_of_one_item_takes_sales_from_its_substitutes(fitted: ForecastResult) -> None:
    assert fitted.demand_model is not None
    model = fitted.demand_model
    plan = model.baseline_plan()
    promoted = plan.loc[plan["sku"] == "P0"].assign(promotion=1.0, price=lambda f: f["regular_price"] * 0.75)
    base = predict_demand(model, drivers=True).set_index(["store", "sku", "date"])
    out = predict_demand(model, promoted, drivers=True).set_index(["store", "sku", "date"])
    own = out.xs("P0", level="sku")["p50"].sum() / base.xs("P0", level="sku")["p50"].sum()
    assert own > 1.5  # the promoted item's own lift (true: 2 x 0.75^-2 = 3.6)
    others = out.drop(index="P0", level="sku")
    others_base = base.drop(index="P0", level="sku")
    # The true loss is STOLEN = 45%; a pooled tree model recovers most of it.
    assert others["p50"].sum() / others_base["p50"].sum() < 1 - 0.6 * STOLEN
    assert (others["substitutes"] < 0).mean() >= 0.95
    assert (others_base["substitutes"].abs() < 1e-9).all()  # at the reference: nothing promoted
