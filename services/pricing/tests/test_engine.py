"""Known-answer tests of the pricing engine on generated sales with planted elasticities."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from common.testing.datasets import frat_transactions_path, load_frat
from pricing.engine import (
    EstimationSettings,
    Guardrails,
    estimate_elasticities,
    predict_units,
    simulate,
    suggest_prices,
)
from pricing.engine.data import to_weekly


def planted_sales(
    n_series: int = 40,
    n_weeks: int = 104,
    seed: int = 7,
    noise_sd: float = 0.05,
    base_units: float = 300.0,
    regular_price_sd: float = 0.15,
) -> tuple[pd.DataFrame, dict[tuple[str, str], float]]:
    """Weekly sales with planted elasticities in [-3, -0.5], promotion lifts and annual seasonality."""
    rng = np.random.default_rng(seed)
    weeks = pd.date_range("2022-01-03", periods=n_weeks, freq="7D")
    season = 0.25 * np.sin(2 * np.pi * np.arange(n_weeks) / 52.18)
    frames, truth = [], {}
    for index in range(n_series):
        store, sku = f"store-{index % 4}", f"sku-{index}"
        elasticity = rng.uniform(-3.0, -0.5)
        promotion_lift = rng.uniform(0.3, 0.8)  # log-units lift of a promoted week
        list_price = rng.uniform(2.0, 10.0)
        # Regular price moves every 4 weeks; promotions cut it by 10-30% on a fifth of the weeks.
        steps = rng.normal(0.0, regular_price_sd, size=n_weeks // 4 + 1)
        regular = list_price * np.exp(steps)[np.arange(n_weeks) // 4]
        promoted = (rng.random(n_weeks) < 0.2).astype(float)
        price = np.round(regular * (1 - promoted * rng.uniform(0.1, 0.3, size=n_weeks)), 2)
        mean_units = (
            base_units
            * (price / list_price) ** elasticity
            * np.exp(promotion_lift * promoted + season + rng.normal(0.0, noise_sd, size=n_weeks))
        )
        frames.append(
            pd.DataFrame(
                {
                    "store": store,
                    "sku": sku,
                    "date": weeks,
                    "quantity": rng.poisson(mean_units).astype(float),
                    "unit_price": price,
                    "promotion": promoted,
                    "category": f"category-{index % 2}",
                }
            )
        )
        truth[(store, sku)] = elasticity
    return pd.concat(frames, ignore_index=True), truth


@pytest.fixture(scope="module")
def planted() -> tuple[pd.DataFrame, dict[tuple[str, str], float]]:
    return planted_sales()


@pytest.fixture(scope="module")
def suggestions(planted: tuple[pd.DataFrame, dict[tuple[str, str], float]]) -> pd.DataFrame:
    return suggest_prices(planted[0])


def _errors(frame: pd.DataFrame, truth: dict[tuple[str, str], float], column: str) -> np.ndarray:
    planted_values = np.array(
        [truth[(store, sku)] for store, sku in zip(frame["store"], frame["sku"], strict=True)]
    )
    return frame[column].to_numpy() - planted_values


def test_planted_elasticities_are_recovered_within_0_15(suggestions: pd.DataFrame, planted) -> None:
    errors = _errors(suggestions, planted[1], "elasticity")
    assert len(errors) == 40
    assert np.abs(errors).max() < 0.15
    assert np.abs(errors).mean() < 0.07


def test_intervals_cover_the_planted_elasticity(suggestions: pd.DataFrame, planted) -> None:
    truth = np.array([planted[1][key] for key in zip(suggestions["store"], suggestions["sku"], strict=True)])
    covered = (suggestions["elasticity_ci_low"] <= truth) & (truth <= suggestions["elasticity_ci_high"])
    assert covered.mean() >= 0.75  # nominal 90%, allowing for 40 draws


def test_promotion_lift_does_not_leak_into_the_price_effect(planted) -> None:
    sales, truth = planted
    controlled = estimate_elasticities(sales)
    ignored = estimate_elasticities(sales.drop(columns="promotion"))
    # Without the promotion flag the lift of promoted (discounted) weeks is credited to price.
    assert _errors(ignored, truth, "elasticity_own").mean() < -0.4
    assert abs(_errors(controlled, truth, "elasticity_own").mean()) < 0.05


def test_flat_and_rarely_changed_prices_get_no_suggestion() -> None:
    sales, _ = planted_sales(n_series=6, n_weeks=60, seed=3)
    flat = sales["sku"] == "sku-0"
    sales.loc[flat, "unit_price"] = 4.99
    sales.loc[flat, "promotion"] = 0.0
    twice = sales["sku"] == "sku-1"
    prices = np.full(twice.sum(), 3.49)
    prices[20:30] = 2.99  # one temporary cut: two price changes
    sales.loc[twice, "unit_price"] = prices
    result = suggest_prices(sales).set_index("sku")
    for sku, expected_changes, text in (("sku-0", 0, "price never changed"), ("sku-1", 2, "only 2 weeks")):
        row = result.loc[sku]
        assert row["confidence"] == "insufficient"
        assert np.isnan(row["suggested_price"])
        assert row["n_price_changes"] == expected_changes
        assert text in row["explanation"].lower()
        assert np.isnan(row["expected_profit_change"])
    assert result.drop(index=["sku-0", "sku-1"])["confidence"].isin(["high", "medium"]).all()


def test_simulate_at_the_suggested_price_reproduces_the_suggestion(suggestions: pd.DataFrame) -> None:
    moved = suggestions.dropna(subset=["suggested_price"])
    assert len(moved) >= 30
    for row in moved.to_dict("records"):
        model = json.loads(json.dumps(row["model"], allow_nan=False))  # what the service stores
        now, then = simulate(model, row["current_price"]), simulate(model, row["suggested_price"])
        assert then["price"] == row["suggested_price"]
        assert then["expected_units"] / now["expected_units"] - 1 == pytest.approx(
            row["expected_units_change"]
        )
        revenue_change = then["expected_revenue"] - now["expected_revenue"]
        assert revenue_change == pytest.approx(row["expected_revenue_change"])
        assert then["expected_profit"] - now["expected_profit"] == pytest.approx(
            row["expected_profit_change"]
        )
        for measure in ("units", "profit"):
            low, point, high = (row[f"expected_{measure}_change{end}"] for end in ("_low", "", "_high"))
            assert low <= point <= high


def test_simulate_follows_the_constant_elasticity_curve() -> None:
    model = {
        "reference_price": 2.0,
        "base_units": 100.0,
        "elasticity": -2.0,
        "elasticity_ci_low": -2.5,
        "elasticity_ci_high": -1.5,
        "unit_cost": 1.0,
    }
    outcome = simulate(model, 4.0)
    assert outcome["expected_units"] == pytest.approx(25.0)
    assert outcome["expected_revenue"] == pytest.approx(100.0)
    assert outcome["expected_profit"] == pytest.approx(75.0)
    assert outcome["expected_units_low"] == pytest.approx(100 * 2**-2.5)
    assert outcome["expected_units_high"] == pytest.approx(100 * 2**-1.5)
    with pytest.raises(ValueError, match="positive"):
        simulate(model, 0.0)


def test_base_units_match_the_planted_demand_at_the_current_price(planted) -> None:
    sales, _ = planted
    result = suggest_prices(sales, guardrails=Guardrails(min_confidence="high"))
    # Planted level 300 units at list price, so units at the reference price follow the curve.
    weekly = to_weekly(sales)
    for row in result.head(8).itertuples():
        rows = weekly[
            (weekly["store"] == row.store) & (weekly["sku"] == row.sku) & (weekly["promotion"] == 0)
        ]
        observed = rows["quantity"] * (row.current_price / rows["unit_price"]) ** row.elasticity
        assert row.base_weekly_units == pytest.approx(observed.mean(), rel=0.15)


def test_predict_units_tracks_held_out_weeks(planted) -> None:
    sales, _ = planted
    cut = sales["date"].max() - pd.Timedelta(weeks=13)
    train, test = sales[sales["date"] <= cut], sales[sales["date"] > cut]
    result = suggest_prices(train).set_index(["store", "sku"])
    errors, total = 0.0, 0.0
    for key, rows in test.groupby(["store", "sku"]):
        predicted = predict_units(result.loc[key, "model"], rows)
        errors += float(np.abs(rows["quantity"] - predicted).sum())
        total += float(rows["quantity"].sum())
    assert errors / total < 0.15


def test_thin_series_borrow_strength_from_other_stores() -> None:
    rng = np.random.default_rng(11)
    frames = []
    weeks = pd.date_range("2023-01-02", periods=80, freq="7D")
    for store in range(8):
        n_weeks = 12 if store == 0 else 80  # store 0 has a short, noisy history
        price = np.round(3.0 * np.exp(rng.normal(0, 0.1, n_weeks)), 2)
        units = rng.poisson(20 * (price / 3.0) ** -2.0 * np.exp(rng.normal(0, 0.3, n_weeks)))
        frames.append(
            pd.DataFrame(
                {
                    "store": f"s{store}",
                    "sku": "cereal",
                    "date": weeks[:n_weeks],
                    "quantity": units,
                    "unit_price": price,
                    "promotion": 0.0,
                }
            )
        )
    estimates = estimate_elasticities(pd.concat(frames)).set_index("store")
    thin = estimates.loc["s0"]
    assert thin["elasticity_sd"] < thin["elasticity_own_se"] / 2
    assert abs(thin["elasticity"] + 2.0) < 0.3
    assert abs(thin["elasticity_product"] + 2.0) < 0.2


def test_daily_rows_are_aggregated_to_whole_weeks() -> None:
    days = pd.date_range("2024-01-03", "2024-01-30", freq="D")  # Wednesday to Tuesday
    sales = pd.DataFrame(
        {
            "store": 1,
            "sku": 42,
            "date": days,
            "quantity": 1.0,
            "unit_price": np.where(days.day_of_week == 5, 2.0, 1.0),
            "promotion": (days.day_of_week == 5).astype(float),
        }
    )
    weekly = to_weekly(sales)
    # Partial first (from Wed) and last (to Tue) weeks are dropped: three Monday weeks remain.
    assert list(weekly["week"]) == list(pd.to_datetime(["2024-01-08", "2024-01-15", "2024-01-22"]))
    assert (weekly["quantity"] == 7).all()
    assert weekly["unit_price"].to_numpy() == pytest.approx(8 / 7)
    assert weekly["promotion"].to_numpy() == pytest.approx(1 / 7)
    assert weekly["store"].iloc[0] == "1"


def test_missing_columns_are_reported_by_name() -> None:
    with pytest.raises(ValueError, match="unit_price"):
        suggest_prices(
            pd.DataFrame({"store": ["a"], "sku": ["b"], "date": ["2024-01-01"], "quantity": [1.0]})
        )


def test_no_price_model_reports_zero_elasticity(planted) -> None:
    estimates = estimate_elasticities(planted[0], settings=EstimationSettings(use_price=False))
    assert (estimates["elasticity"] == 0).all()


@pytest.mark.slow
@pytest.mark.skipif(not frat_transactions_path().exists(), reason="shared data not available")
def test_breakfast_at_the_frat_elasticities_are_mostly_negative() -> None:
    result = suggest_prices(load_frat(nrows=60_000))
    confident = result[result["confidence"].isin(["high", "medium"])]
    assert len(confident) > 100
    assert (confident["elasticity"] < 0).mean() >= 0.9
    assert result["model"].map(lambda model: json.dumps(model, allow_nan=False)).str.len().min() > 0


def test_outlier_weeks_do_not_drag_the_elasticity(planted) -> None:
    sales, truth = planted
    noisy = sales[sales["sku"].isin([f"sku-{index}" for index in range(8)])].copy()
    # A bulk order (or a typo) now and then at the highest prices: 20x the usual units.
    for _, rows in noisy.groupby("sku"):
        top = rows["unit_price"].nlargest(3).index
        noisy.loc[top, "quantity"] *= 20
    robust = estimate_elasticities(noisy)
    plain = estimate_elasticities(noisy, settings=EstimationSettings(robust=False))
    assert np.abs(_errors(robust, truth, "elasticity_own")).max() < 0.2
    assert (
        np.abs(_errors(plain, truth, "elasticity_own")).mean()
        > 2 * np.abs(_errors(robust, truth, "elasticity_own")).mean()
    )


def test_short_series_take_their_category_seasonality(planted) -> None:
    sales, _ = planted
    recent = sales["date"] >= sales["date"].max() - pd.Timedelta(weeks=20)
    short = sales[(sales["sku"] != "sku-0") | recent]  # sku-0 has only its last 21 weeks
    model = suggest_prices(short).set_index("sku").loc["sku-0", "model"]
    weeks = pd.DataFrame(
        {"date": pd.date_range("2024-01-01", periods=52, freq="7D"), "unit_price": model["reference_price"]}
    )
    seasonal = np.log(predict_units(model, weeks))
    # Planted: 0.25 * sin(annual), so the log-units swing peak to trough by about 0.5.
    assert seasonal.max() - seasonal.min() == pytest.approx(0.5, abs=0.1)


def _stepped_curves(suggestions: pd.DataFrame) -> pd.DataFrame:
    """A forecast-like demand curve per item: a step function of price (as a tree model gives)
    on x.49/x.99 prices and a relative grid, unlike the engine's constant-elasticity curve."""
    rows = []
    for row in suggestions.itertuples():
        current = float(row.current_price)
        grid = np.unique(np.round(np.r_[current * np.arange(0.6, 1.41, 0.05), current], 6))
        endings = np.round(
            np.arange(np.floor(current * 0.6), np.ceil(current * 1.4) + 1)[:, None] + [0.49, 0.99], 2
        )
        grid = np.unique(
            np.r_[grid, endings.ravel()[(endings.ravel() >= grid[0]) & (endings.ravel() <= grid[-1])]]
        )
        units = 50.0 * np.where(grid > current * 1.03, 0.7, 1.0) * (grid / current) ** -1.5
        rows.append((row.store, row.sku, list(grid), list(units)))
    return pd.DataFrame(rows, columns=["store", "sku", "prices", "weekly_units"])


def test_with_the_forecasts_curve_expected_units_at_every_suggestion_are_the_curves(
    planted: tuple[pd.DataFrame, dict[tuple[str, str], float]], suggestions: pd.DataFrame
) -> None:
    curves = _stepped_curves(suggestions)
    priced = suggest_prices(planted[0], curves=curves)
    moved = priced.dropna(subset=["suggested_price"])
    assert len(moved) >= 30
    by_item = curves.set_index(["store", "sku"])
    for row in moved.to_dict("records"):
        curve = by_item.loc[(row["store"], row["sku"])]
        model = json.loads(json.dumps(row["model"], allow_nan=False))  # what the service stores
        units = simulate(model, row["suggested_price"])["expected_units"]
        matches = np.nonzero(np.isclose(curve["prices"], row["suggested_price"], rtol=0, atol=1e-9))[0]
        assert len(matches) == 1, "a suggestion with the default endings is a price on the curve"
        at = int(matches[0])
        assert units == pytest.approx(curve["weekly_units"][at], rel=1e-12)
        low, point, high = (row[f"expected_units_change{end}"] for end in ("_low", "", "_high"))
        assert low <= point <= high
    # The step above 3% over the current price is the forecast's, not the constant elasticity's.
    model = json.loads(json.dumps(moved.iloc[0]["model"], allow_nan=False))
    current = float(moved.iloc[0]["current_price"])
    assert simulate(model, current * 1.2)["expected_units"] == pytest.approx(50.0 * 0.7 * 1.2**-1.5, rel=0.02)


def test_without_a_curve_pricing_keeps_its_constant_elasticity(suggestions: pd.DataFrame) -> None:
    row = suggestions.dropna(subset=["suggested_price"]).iloc[0]
    assert "curve" not in row["model"]
    base = simulate(row["model"], row["current_price"])["expected_units"]
    assert simulate(row["model"], row["current_price"] * 1.1)["expected_units"] == pytest.approx(
        base * 1.1 ** row["elasticity"]
    )


def test_elasticities_come_from_the_curve_when_it_carries_them(
    planted: tuple[pd.DataFrame, dict[tuple[str, str], float]], suggestions: pd.DataFrame
) -> None:
    curves = _stepped_curves(suggestions)
    # The demand model's figures on every other item; the rest have a curve without them.
    carried = np.arange(len(curves)) % 2 == 0
    cross = [{"sku": "sku-x", "elasticity": 0.3, "low": 0.1, "high": 0.5}]
    curves["elasticity"] = np.where(carried, -1.7, np.nan)
    curves["elasticity_low"] = np.where(carried, -2.0, np.nan)
    curves["elasticity_high"] = np.where(carried, -1.4, np.nan)
    curves["cross_effects"] = [cross if flag else None for flag in carried]
    priced = suggest_prices(planted[0], curves=curves).set_index(["store", "sku"])
    by_regression = suggestions.set_index(["store", "sku"])
    for store, sku, flag in zip(curves["store"], curves["sku"], carried, strict=True):
        row = priced.loc[(store, sku)]
        if flag:
            assert row["elasticity_source"] == "demand_model"
            assert (row["elasticity"], row["elasticity_ci_low"], row["elasticity_ci_high"]) == (
                -1.7,
                -2.0,
                -1.4,
            )
            assert row["cross_effects"] == cross
            assert row["model"]["elasticity"] == -1.7
            # A 90% interval 0.6 wide: sd 0.18, and it excludes zero.
            assert row["confidence"] == "high"
            assert "from the demand model" in row["explanation"]
        else:
            assert row["elasticity_source"] == "regression"
            assert row["cross_effects"] == []
            assert row["elasticity"] == by_regression.loc[(store, sku), "elasticity"]
        # The regression's own figure is kept beside whichever is reported.
        assert row["elasticity_own"] == by_regression.loc[(store, sku), "elasticity_own"]
    # Not switched: the regression's elasticities, the model's cross effects.
    unswitched = suggest_prices(planted[0], curves=curves, model_elasticities=False)
    assert (unswitched["elasticity_source"] == "regression").all()
    np.testing.assert_allclose(unswitched["elasticity"], suggestions["elasticity"])
    assert list(unswitched["cross_effects"]) == [cross if flag else [] for flag in carried]
