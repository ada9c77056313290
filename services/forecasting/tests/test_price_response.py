"""Known answers of the demand model's smooth price responses (price_response.py) on generated panels."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from forecasting.engine import price_response
from forecasting.engine.panel import WEEKLY, Panel
from forecasting.engine.price_response import MAX_ELASTICITY, fit_price_response, substitute_drivers

WEEKS = 120
ITEMS = 4


def _panel(
    stores: int,
    categories: int,
    own: dict[int, float],
    cross_price: float = 0.0,
    stolen: float = 0.0,
    seed: int = 0,
    persistence: float = 0.0,
) -> Panel:
    """Weekly panel: `stores` x `categories` x ITEMS items; category c has own elasticity own[c],
    every item responds to its category's other items' mean relative price with `cross_price` and
    loses `stolen` (log units) per unit of their promoted share; a store's weekly traffic moves all.
    With `persistence` (an AR(1) coefficient) shelf prices drift slowly and every series carries a
    slowly wandering level of its own, as real weekly sales do."""
    rng = np.random.default_rng(seed)
    n = stores * categories * ITEMS
    store = np.repeat(np.arange(stores), categories * ITEMS)
    category = np.tile(np.repeat(np.arange(categories), ITEMS), stores)
    promoted = (rng.random((n, WEEKS)) < 0.1).astype(float)
    shelf = rng.uniform(0.9, 1.15, (n, WEEKS))
    wander = np.zeros((n, WEEKS))
    for week in range(1, WEEKS):
        shelf[:, week] = (
            1.025 + persistence * (shelf[:, week - 1] - 1.025) + (1 - persistence) * (shelf[:, week] - 1.025)
        )
        wander[:, week] = persistence * wander[:, week - 1] + rng.normal(0.0, 0.15, n)
    ratio = np.where(promoted > 0, 0.8, shelf)
    keys = pd.DataFrame(
        {"store": store.astype(str), "sku": np.arange(n).astype(str), "category": category.astype(str)}
    )
    panel = Panel(
        keys=keys,
        freq=WEEKLY,
        dates=pd.date_range("2022-01-03", periods=WEEKS, freq="W-MON"),
        n_hist=WEEKS,
        horizon=0,
        season=1,
        y=np.zeros((n, WEEKS)),
        start=np.zeros(n, dtype=int),
        price=3.0 * ratio,
        regular=np.full((n, WEEKS), 3.0),
        flags={"promotion": promoted},
        planned=np.zeros((n, 0), dtype=bool),
    )
    others = substitute_drivers(panel)
    traffic = rng.normal(0.0, 0.3, (stores, WEEKS))[store]
    log_rate = (
        np.log(rng.uniform(20.0, 60.0, (n, 1)))
        + np.array([own[c] for c in category])[:, None] * np.log(ratio)
        + 0.5 * promoted
        + cross_price * np.log(others["sub_price_ratio"])
        - stolen * others["sub_promo_share"]
        + traffic
        + wander * (persistence > 0)
    )
    panel.y = rng.poisson(np.exp(log_rate)).astype(float)
    return panel


def test_planted_elasticities_are_recovered_per_category_and_never_above_the_ceiling() -> None:
    panel = _panel(stores=10, categories=3, own={0: -2.5, 1: -1.0, 2: 0.8})
    response = fit_price_response(panel, substitute_drivers(panel))
    by_category = pd.Series(response.own).groupby(panel.keys["category"].to_numpy()).first()
    assert by_category["0"] == pytest.approx(-2.5, abs=0.4)
    assert by_category["1"] == pytest.approx(-1.0, abs=0.4)
    # A category whose data says demand rises with price still loses demand above the regular price.
    assert by_category["2"] <= MAX_ELASTICITY
    assert (response.own <= MAX_ELASTICITY).all()


def test_a_planted_substitute_effect_is_recovered_and_none_where_there_is_none() -> None:
    planted = _panel(stores=12, categories=2, own={0: -1.5, 1: -1.5}, cross_price=1.2, stolen=0.6)
    response = fit_price_response(planted, substitute_drivers(planted))
    assert np.median(response.cross_price) == pytest.approx(1.2, abs=0.5)
    assert np.median(response.cross_promotion) == pytest.approx(-0.6, abs=0.25)
    plain = _panel(stores=12, categories=2, own={0: -1.5, 1: -1.5}, seed=1)
    response = fit_price_response(plain, substitute_drivers(plain))
    # No effect planted: the terms are not significant and stay exactly 0 (store traffic is absorbed).
    assert (response.cross_price == 0).mean() >= 0.5
    assert (response.cross_promotion == 0).mean() >= 0.5


def test_wandering_series_without_substitutes_do_not_make_a_substitute_effect_significant() -> None:
    # Slow price drifts beside slowly wandering sales: counted as independent weeks, their chance
    # correlation looks significant; counted per series (the clustered variance), it does not.
    kept = []
    for seed in range(3):
        panel = _panel(stores=12, categories=2, own={0: -1.5, 1: -1.5}, seed=seed, persistence=0.95)
        response = fit_price_response(panel, substitute_drivers(panel))
        kept.append(np.mean(response.cross_price != 0))
    assert np.mean(kept) <= 0.2


def test_a_store_of_one_category_still_identifies_its_substitutes_and_factors_are_one_at_reference() -> None:
    panel = _panel(stores=12, categories=1, own={0: -1.5}, cross_price=1.2, stolen=0.6)
    substitutes = substitute_drivers(panel)
    response = fit_price_response(panel, substitutes)
    assert np.isfinite(response.cross_price).all() and np.isfinite(response.cross_promotion).all()
    assert np.median(response.cross_promotion) < 0
    at_reference = Panel(
        **{**panel.__dict__, "price": panel.regular.copy(), "flags": {"promotion": np.zeros_like(panel.y)}}
    )
    rows = np.repeat(np.arange(panel.n_series), WEEKS)
    target = np.tile(np.arange(WEEKS), panel.n_series)
    own, cross = response.factors(at_reference, substitute_drivers(at_reference), rows, target)
    np.testing.assert_allclose(own, 1.0)
    np.testing.assert_allclose(cross, 1.0)


def test_substitutes_of_a_category_held_by_one_store_are_not_identified_and_stay_zero() -> None:
    # Within a period the other items' mean price is the group's total less the item's own: with a
    # single store there is no second group to tell the two apart, whatever the data planted.
    panel = _panel(stores=1, categories=1, own={0: -1.5}, cross_price=1.2, stolen=0.6)
    # Items that start selling at different times (unobserved before): the period's mean over the
    # observed items no longer equals the group's total, so the repetition is no longer exact.
    for item, start in enumerate(np.random.default_rng(2).integers(0, 60, panel.n_series)):
        panel.y[item, :start] = np.nan
    response = fit_price_response(panel, substitute_drivers(panel))
    assert (response.cross_price == 0).all() and (response.cross_promotion == 0).all()
    assert (response.own < 0).all()


def test_a_panel_over_the_cell_cap_is_estimated_on_a_fixed_subset_of_series(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    panel = _panel(stores=12, categories=2, own={0: -2.0, 1: -1.0}, cross_price=1.2, stolen=0.6)
    whole = fit_price_response(panel, substitute_drivers(panel))
    monkeypatch.setattr(price_response, "MAX_CELLS", panel.y.size // 2)
    first = fit_price_response(panel, substitute_drivers(panel))
    again = fit_price_response(panel, substitute_drivers(panel))
    np.testing.assert_array_equal(first.own, again.own)  # the stored model reads what the fit read
    assert not np.array_equal(first.own, whole.own)  # a subset was read
    by_category = pd.Series(first.own).groupby(panel.keys["category"].to_numpy()).first()
    assert by_category["0"] == pytest.approx(-2.0, abs=0.4)
    assert by_category["1"] == pytest.approx(-1.0, abs=0.4)


def test_a_category_held_by_one_store_takes_the_pooled_substitute_effect() -> None:
    # Category 0 spans twelve stores, category 1 only the first: its items' substitutes repeat their
    # own prices within a period, so it shows nothing itself and takes what the pooled fit found.
    panel = _panel(stores=12, categories=2, own={0: -1.5, 1: -1.5}, cross_price=1.2, stolen=0.6)
    single = (panel.keys["category"] == "1") & (panel.keys["store"] != "0")
    panel.keys.loc[single, "category"] = "0"
    response = fit_price_response(panel, substitute_drivers(panel))
    one_store = (panel.keys["category"] == "1").to_numpy()
    assert np.isfinite(response.cross_price).all()
    np.testing.assert_allclose(
        response.cross_price[one_store], np.median(response.cross_price[~one_store]), rtol=0.5
    )
    assert abs(response.cross_price).max() < 3.0
