"""Known answers of the demand model's elasticities: a planted own and cross elasticity on generated data."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from forecasting.engine import demand_curves, forecast, price_elasticities
from forecasting.engine.demand_model import DemandModel

WEEKS = 156
HORIZON_DAYS = 56
STORES = 16
ITEMS = 4  # per store, all in one category
OWN = -2.0
CROSS = 1.2  # elasticity of an item's units to the mean relative price of the other items


def _market(seed: int = 0) -> dict[str, pd.DataFrame]:
    """Weekly sales: each price wanders +-20% around its regular price; units follow a constant own
    elasticity OWN and a constant elasticity CROSS to the mean relative price of the store's other items."""
    rng = np.random.default_rng(seed)
    dates = pd.date_range("2022-01-03", periods=WEEKS, freq="W-MON")
    ratio = rng.uniform(0.8, 1.2, (STORES, ITEMS, WEEKS))
    others = (ratio.sum(axis=1, keepdims=True) - ratio) / (ITEMS - 1)
    regular = np.broadcast_to((3.0 + np.arange(ITEMS))[None, :, None], ratio.shape)
    level = rng.uniform(40.0, 80.0, (STORES, ITEMS, 1))
    rate = level * ratio**OWN * others**CROSS
    history = pd.DataFrame(
        {
            "store": np.repeat([f"S{store}" for store in range(STORES)], ITEMS * WEEKS),
            "sku": np.tile(np.repeat([f"P{item}" for item in range(ITEMS)], WEEKS), STORES),
            "date": np.tile(dates, STORES * ITEMS),
            "quantity": rng.poisson(rate).astype(float).ravel(),
            "unit_price": np.round(regular * ratio, 2).ravel(),
            "regular_price": regular.ravel(),
            "promotion": 0.0,
        }
    )
    keys = history[["store", "sku", "regular_price"]].drop_duplicates()
    future = pd.date_range(dates[-1] + pd.Timedelta(weeks=1), periods=HORIZON_DAYS // 7, freq="W-MON")
    plan = keys.merge(pd.DataFrame({"date": future}), how="cross")
    plan = plan.assign(unit_price=plan["regular_price"], promotion=0.0)
    products = keys[["store", "sku"]].assign(category="cereal")
    return {"history": history, "plan": plan, "products": products}


@pytest.fixture(scope="module")
def model() -> DemandModel:
    market = _market()
    result = forecast(market["history"], HORIZON_DAYS, plan=market["plan"], products=market["products"])
    assert result.demand_model is not None
    return result.demand_model


@pytest.fixture(scope="module")
def elasticities(model: DemandModel) -> pd.DataFrame:
    return price_elasticities(model)


def test_the_planted_own_elasticity_is_recovered_in_sign_and_rough_size(elasticities: pd.DataFrame) -> None:
    own = elasticities["elasticity"]
    assert own.notna().all()
    assert (own < 0).all()
    assert own.median() == pytest.approx(OWN, abs=0.8)
    assert (elasticities["elasticity_low"] <= own).all() and (own <= elasticities["elasticity_high"]).all()
    # Confident (interval excludes zero) for most items: prices moved every week.
    assert (elasticities["elasticity_high"] < 0).mean() >= 0.75


def test_the_planted_cross_effect_is_recovered_in_sign_and_rough_size(elasticities: pd.DataFrame) -> None:
    effects = elasticities["cross_effects"]
    assert all(len(listed) == ITEMS - 1 for listed in effects)
    per_substitute = np.array([listed[0]["elasticity"] for listed in effects])
    # Each of the three substitutes carries a third of the planted effect of their mean price.
    assert np.median(per_substitute) > 0
    assert np.median(per_substitute) * (ITEMS - 1) == pytest.approx(CROSS, abs=0.7)
    for item, listed in zip(elasticities.itertuples(), effects, strict=True):
        assert item.sku not in {effect["sku"] for effect in listed}, "an item is no substitute of itself"
        assert all(effect["low"] <= effect["elasticity"] <= effect["high"] for effect in listed)


def test_the_demand_curves_carry_the_elasticities(model: DemandModel, elasticities: pd.DataFrame) -> None:
    curves = demand_curves(model)
    for column in ("elasticity", "elasticity_low", "elasticity_high"):
        np.testing.assert_allclose(curves[column], elasticities[column])
    assert list(curves["cross_effects"]) == list(elasticities["cross_effects"])
