"""Known-answer tests of the forecasting engine on small generated data."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from forecasting.engine import (
    ForecastResult,
    aggregate_forecast,
    forecast,
    series_fingerprints,
)
from forecasting.engine.backtest import SCALE_BOUNDS, SCALE_MIN_CELLS, backtest_origins, wape_scale
from forecasting.engine.intervals import ConformalBands, fit_bands, isotonic_increasing, row_quantile
from forecasting.engine.local import croston, ets, seasonal_naive, tsb
from forecasting.engine.panel import build_panel, detect_frequency, horizon_periods, trailing_max

LOCAL_ONLY = ["seasonal_naive", "moving_average", "ets", "theta", "croston", "tsb", "adida"]
WEEK_PATTERN = np.array([10.0, 10.0, 12.0, 14.0, 20.0, 30.0, 4.0])
HISTORY_DAYS = 364
HORIZON = 28
PROMO_LIFT = 2.5


def _retail(seed: int = 0) -> dict[str, pd.DataFrame]:
    """40 daily series over a year + 28 days: weekly shape, Poisson noise, promotions at -20% price.

    Returns the history, the plan for the next 28 days, the true future units, and products; one
    extra item exists only in the plan and products (brand new).
    """
    rng = np.random.default_rng(seed)
    dates = pd.date_range("2023-01-02", periods=HISTORY_DAYS + HORIZON, freq="D")
    dow = np.array([1.0, 1.0, 1.1, 1.2, 1.5, 1.9, 0.5])[dates.day_of_week]
    frames = []
    for i in range(40):
        base = rng.uniform(3.0, 25.0)
        promo = (rng.random(len(dates)) < 0.06).astype(float)
        # Known future promotions on fixed days, so the test can look at them.
        promo[HISTORY_DAYS:] = 0.0
        promo[HISTORY_DAYS + np.array([5, 6, 19, 20])] = 1.0
        units = rng.poisson(base * dow * np.where(promo > 0, PROMO_LIFT, 1.0)).astype(float)
        frames.append(
            pd.DataFrame(
                {
                    "store": f"S{i % 4}",
                    "sku": f"P{i // 4:02d}",
                    "date": dates,
                    "quantity": units,
                    "unit_price": np.where(promo > 0, 8.0, 10.0),
                    "promotion": promo,
                }
            )
        )
    full = pd.concat(frames, ignore_index=True)
    cutoff = dates[HISTORY_DAYS - 1]
    history = full[(full["date"] <= cutoff) & (full["quantity"] != 0)]
    future = full[full["date"] > cutoff]
    plan = future[["store", "sku", "date", "unit_price", "promotion"]]
    new_item = pd.DataFrame(
        {
            "store": "S0",
            "sku": "NEW",
            "date": dates[HISTORY_DAYS:],
            "unit_price": 10.0,
            "promotion": 0.0,
        }
    )
    products = pd.DataFrame(
        {
            "store": [*(f"S{i % 4}" for i in range(40)), "S0"],
            "sku": [*(f"P{i // 4:02d}" for i in range(40)), "NEW"],
            "category": "snacks",
            "name": "item",
        }
    )
    return {
        "history": history,
        "plan": pd.concat([plan, new_item], ignore_index=True),
        "future": future,
        "products": products,
    }


@pytest.fixture(scope="module")
def retail() -> dict[str, pd.DataFrame]:
    """Generated retail data shared by the module."""
    return _retail()


@pytest.fixture(scope="module")
def retail_result(retail: dict[str, pd.DataFrame]) -> ForecastResult:
    """One full engine run (all default candidates, global model included) on the generated data."""
    return forecast(retail["history"], HORIZON, plan=retail["plan"], products=retail["products"])


def test_output_columns_and_types(retail_result: ForecastResult) -> None:
    points, series = retail_result.points, retail_result.series
    assert list(points.columns[:6]) == ["store", "sku", "date", "p10", "p50", "p90"]
    assert points["date"].dtype == "datetime64[ns]"
    assert set(series.columns) >= {
        "store",
        "sku",
        "model",
        "frequency",
        "wape",
        "mase",
        "bias",
        "coverage_80",
        "n_history",
    }
    assert len(series) == 41 and len(points) == 41 * HORIZON
    assert (series["frequency"] == "D").all()
    assert series["model"].str.len().gt(0).all()
    established = series[series["sku"] != "NEW"]
    assert established[["wape", "mase", "bias", "coverage_80"]].notna().all().all()
    assert (established["n_history"] == HISTORY_DAYS).all()


def test_quantiles_ordered_and_never_negative(retail_result: ForecastResult) -> None:
    p = retail_result.points
    assert (p[["p10", "p50", "p90"]] >= 0).all().all()
    assert (p["p10"] <= p["p50"]).all() and (p["p50"] <= p["p90"]).all()
    assert np.isfinite(p[["p10", "p50", "p90"]].to_numpy()).all()


def test_planted_promotion_lift_is_forecast(retail_result: ForecastResult) -> None:
    p = retail_result.points[retail_result.points["sku"] != "NEW"].copy()
    p["day"] = (p["date"] - p["date"].min()).dt.days
    promo_days = p[p["day"].isin([5, 6, 19, 20])]
    # Same weekdays one week away, without promotion.
    plain_days = p[p["day"].isin([12, 13, 26, 27])]
    lift = promo_days["p50"].sum() / plain_days["p50"].sum()
    assert lift > 0.7 * PROMO_LIFT, lift


def test_accuracy_and_calibration_on_held_out_days(
    retail: dict[str, pd.DataFrame], retail_result: ForecastResult
) -> None:
    merged = retail["future"].merge(retail_result.points, on=["store", "sku", "date"])
    assert len(merged) == 40 * HORIZON
    wape = (merged["quantity"] - merged["p50"]).abs().sum() / merged["quantity"].sum()
    # Poisson noise alone gives a WAPE of about 0.2 at these volumes.
    assert wape < 0.3, wape
    inside = (merged["quantity"] >= merged["p10"]) & (merged["quantity"] <= merged["p90"])
    assert 0.7 <= inside.mean() <= 0.9, inside.mean()


def test_brand_new_item_uses_category_peers(retail_result: ForecastResult) -> None:
    series = retail_result.series.set_index("sku")
    assert series.loc["NEW", "model"] == "cold_start(category)"
    assert series.loc["NEW", "n_history"] == 0
    new = retail_result.points[retail_result.points["sku"] == "NEW"]["p50"]
    peers = retail_result.points[
        (retail_result.points["store"] == "S0") & (retail_result.points["sku"] != "NEW")
    ]
    assert new.mean() > 0
    assert 0.3 * peers["p50"].mean() < new.mean() < 3.0 * peers["p50"].mean()


def _pure_seasonal(weeks: int = 30) -> pd.DataFrame:
    """One noise-free daily series repeating WEEK_PATTERN."""
    dates = pd.date_range("2024-01-01", periods=7 * weeks, freq="D")
    return pd.DataFrame(
        {
            "store": "S",
            "sku": "A",
            "date": dates,
            "quantity": WEEK_PATTERN[dates.day_of_week],
            "unit_price": 1.0,
            "promotion": 0.0,
        }
    )


def test_pure_seasonal_series_is_reproduced() -> None:
    history = _pure_seasonal()
    result = forecast(history, 14, candidates=LOCAL_ONLY)
    points = result.points
    expected = WEEK_PATTERN[points["date"].dt.day_of_week.to_numpy()]
    np.testing.assert_allclose(points["p50"].to_numpy(), expected, rtol=0.02)
    assert result.series.loc[0, "wape"] < 0.02
    # Dates continue the daily grid right after the last history day.
    assert points["date"].min() == history["date"].max() + pd.Timedelta(days=1)
    assert len(points) == 14


def test_weekly_data_is_detected_and_dated_on_its_weekday() -> None:
    dates = pd.date_range("2024-01-03", periods=60, freq="7D")  # Wednesdays
    history = pd.DataFrame({"store": "S", "sku": "A", "date": dates, "quantity": 50.0, "promotion": 0.0})
    result = forecast(history, 30, candidates=LOCAL_ONLY)
    assert (result.series["frequency"] == "W").all()
    assert len(result.points) == 5  # ceil(30 / 7)
    assert (result.points["date"].dt.day_of_week == 2).all()
    np.testing.assert_allclose(result.points["p50"], 50.0, rtol=1e-6)


def test_intermittent_series_forecasts_its_mean_rate() -> None:
    # 6 units every 5th day: a rate of 1.2 units/day, which intermittent methods recover.
    dates = pd.date_range("2024-01-01", periods=202, freq="D")
    sparse = pd.DataFrame({"store": "S", "sku": "A", "date": dates[:200:5], "quantity": 6.0})
    # A steady neighbour makes the upload end two days after the sparse item's last sale.
    steady = pd.DataFrame({"store": "S", "sku": "B", "date": dates, "quantity": 3.0})
    history = pd.concat([sparse, steady], ignore_index=True).assign(promotion=0.0)
    result = forecast(history, 28, candidates=LOCAL_ONLY)
    assert (result.series["frequency"] == "D").all()
    rate = result.points[result.points["sku"] == "A"]["p50"].mean()
    assert 0.9 < rate < 1.5, rate
    assert (result.points["p10"] >= 0).all()


def _sporadic_volume_priced(seed: int = 5) -> tuple[pd.DataFrame, float]:
    """30 daily series selling on ~60% of days at prices that fall with the order size; no plan.

    Returns the history (rows on sale days only, as in transactional data) and the true mean units
    per day. Paid prices always sit below the 5.00 list price, which no row ever shows.
    """
    rng = np.random.default_rng(seed)
    dates = pd.date_range("2024-01-01", periods=300, freq="D")
    frames = []
    for i in range(30):
        sells = rng.random(len(dates)) < 0.6
        units = rng.poisson(8.0, sells.sum()).astype(float) + 1.0
        # Volume discount: up to 15% off for large orders, plus a little noise.
        price = 5.0 * (0.97 - 0.15 * np.minimum(units / 16.0, 1.0)) * rng.uniform(0.97, 1.0, len(units))
        frames.append(
            pd.DataFrame(
                {
                    "store": "web",
                    "sku": f"K{i:02d}",
                    "date": dates[sells],
                    "quantity": units,
                    "unit_price": price,
                }
            )
        )
    return pd.concat(frames, ignore_index=True).assign(promotion=0.0), 0.6 * 9.0


def test_sporadic_sales_without_plan_are_not_forecast_as_no_sale_days() -> None:
    # Days without a sale have no observed price. Had the engine read them as "regular price" while
    # every sale day carries a lower paid price, the global model would learn "price at regular =
    # no sale" and forecast every unplanned future day as one (UCI Online Retail: 3x too low).
    history, true_rate = _sporadic_volume_priced()
    result = forecast(history, 28, candidates=["lightgbm_global"])
    rate = result.points["p50"].sum() / (30 * 28)
    assert 0.6 * true_rate < rate < 1.4 * true_rate, (rate, true_rate)


def test_weekday_a_store_is_closed_forecasts_zero() -> None:
    # A shop closed on Saturdays (no rows there, as in UCI Online Retail); another store is open daily.
    dates = pd.date_range("2024-01-01", periods=140, freq="D")
    rng = np.random.default_rng(3)
    frames = []
    for store, closed_day in (("shut_saturday", 5), ("open_daily", -1)):
        for sku in ("A", "B", "C"):
            open_days = dates[dates.day_of_week != closed_day]
            units = rng.poisson(8.0, len(open_days)).astype(float) + 1.0
            frames.append(pd.DataFrame({"store": store, "sku": sku, "date": open_days, "quantity": units}))
    history = pd.concat(frames, ignore_index=True).assign(promotion=0.0)
    points = forecast(history, 14).points
    saturday = points["date"].dt.day_of_week == 5
    shut = points["store"] == "shut_saturday"
    assert (points.loc[shut & saturday, ["p10", "p50", "p90"]] == 0.0).all().all()
    assert (points.loc[shut & ~saturday, "p50"] > 4.0).all()
    assert (points.loc[~shut & saturday, "p50"] > 4.0).all()


def test_trailing_max_matches_pandas_rolling() -> None:
    rng = np.random.default_rng(0)
    for width, window in ((40, 13), (30, 56), (9, 1), (25, 6)):
        x = rng.random((6, width))
        x[rng.random(x.shape) < 0.4] = np.nan
        expected = pd.DataFrame(x.T).rolling(window, min_periods=1).max().to_numpy().T
        np.testing.assert_array_equal(trailing_max(x, window), expected)


def test_negative_net_units_are_clipped() -> None:
    history = _pure_seasonal(10)
    history.loc[history.index[-3:], "quantity"] = -5.0
    panel = build_panel(history, 7)
    assert np.nanmin(panel.y) == 0.0
    result = forecast(history, 7, candidates=LOCAL_ONLY)
    assert (result.points[["p10", "p50", "p90"]] >= 0).all().all()


def test_missing_dates_are_zero_sales_and_regular_price_inferred() -> None:
    history = pd.DataFrame(
        {
            "store": "S",
            "sku": "A",
            "date": pd.to_datetime(["2024-01-01", "2024-01-02", "2024-01-05", "2024-01-06"]),
            "quantity": [3.0, 4.0, 5.0, 6.0],
            "unit_price": [10.0, 10.0, 7.0, 10.0],
            "promotion": [0.0, 0.0, 1.0, 0.0],
        }
    )
    panel = build_panel(history, 2)
    np.testing.assert_array_equal(panel.y[0], [3.0, 4.0, 0.0, 0.0, 5.0, 6.0])
    np.testing.assert_allclose(panel.regular[0], 10.0)
    # Future periods without a plan: regular price, no promotion.
    assert panel.price[0, -1] == 10.0 and panel.flags["promotion"][0, -1] == 0.0


def test_detect_frequency_and_horizon() -> None:
    assert detect_frequency(pd.date_range("2024-01-01", periods=10, freq="7D")) == "W"
    assert detect_frequency(pd.date_range("2024-01-01", periods=10, freq="D")) == "D"
    assert detect_frequency(pd.to_datetime(["2024-01-01", "2024-01-08", "2024-01-16"])) == "D"
    assert horizon_periods(28, "W") == 4 and horizon_periods(29, "W") == 5
    assert horizon_periods(28, "D") == 28


def test_backtest_origins_cover_three_windows() -> None:
    assert backtest_origins(100, 10, windows=3, min_train=8) == [70, 80, 90]
    # Short history: windows move closer together but still precede the end.
    assert backtest_origins(20, 10, windows=3, min_train=8) == [8, 12, 16]
    assert backtest_origins(5, 10, windows=3, min_train=8) == []


def test_wape_scale_is_the_weighted_median_ratio_per_group() -> None:
    # Group 0: forecasts of 10 against actuals of 9 in 60% of cells and 14 in 40%: the absolute
    # error of c * forecast is smallest at c = 0.9 (the weighted median of actual / forecast).
    cells = SCALE_MIN_CELLS
    actual = np.where(np.arange(cells) % 5 < 3, 9.0, 14.0).reshape(10, 1, -1)
    pred = np.full_like(actual, 10.0)
    # Group 1: actuals at half the forecast -> clamped; -1: left alone; 2: too few observed cells.
    few = np.full_like(pred[:1], np.nan)
    few[..., :5] = 5.0
    actual = np.concatenate([actual, 0.5 * pred, 0.5 * pred, few], axis=0)
    pred = np.concatenate([pred, pred, pred, pred[:1]], axis=0)
    groups = np.array([0] * 10 + [1] * 10 + [-1] * 10 + [2])
    scale = wape_scale(actual, pred, groups)
    np.testing.assert_allclose(scale[:10], 0.9)
    np.testing.assert_allclose(scale[10:20], SCALE_BOUNDS[0])
    np.testing.assert_allclose(scale[20:], 1.0)
    a, f = actual[:10], pred[:10]
    best = np.abs(a - 0.9 * f).sum()
    assert best < np.abs(a - 0.88 * f).sum() and best < np.abs(a - 0.92 * f).sum()


def test_local_models_known_answers() -> None:
    y = np.array([[5.0] * 30, [np.nan] * 10 + [2.0] * 20])
    np.testing.assert_allclose(ets(y, 3, 1), [[5.0] * 3, [2.0] * 3])
    pattern = np.tile([1.0, 2.0, 3.0], 5)[None, :]
    np.testing.assert_allclose(seasonal_naive(pattern, 4, 3), [[1.0, 2.0, 3.0, 1.0]])
    sparse = np.tile([0.0, 0.0, 0.0, 8.0], 25)[None, :]
    # Croston-SBA: 8 units every 4 periods -> 2 a period, times the (1 - alpha/2) correction.
    np.testing.assert_allclose(croston(sparse, 2, 1), [[2.0 * 0.95] * 2], rtol=0.01)
    assert 1.5 < tsb(sparse, 1, 1)[0, 0] < 2.5


def test_fingerprints_change_only_for_changed_series(retail: dict[str, pd.DataFrame]) -> None:
    history = retail["history"]
    before = series_fingerprints(history).set_index(["store", "sku"])["fingerprint"]
    changed = history.copy()
    row = changed.index[(changed["sku"] == "P03") & (changed["store"] == "S2")][0]
    changed.loc[row, "quantity"] += 1
    after = series_fingerprints(changed).set_index(["store", "sku"])["fingerprint"]
    differs = before[before != after.reindex(before.index)]
    assert list(differs.index) == [("S2", "P03")]
    # A plan for one series marks only that series as changed.
    plan = retail["plan"][retail["plan"]["sku"] == "P00"]
    with_plan = series_fingerprints(history, plan).set_index(["store", "sku"])["fingerprint"]
    assert set(before[before != with_plan.reindex(before.index)].index) == set(
        plan[["store", "sku"]].drop_duplicates().itertuples(index=False, name=None)
    )


def test_incremental_rerun_of_changed_series_matches_full_run() -> None:
    # Local models are per series: re-forecasting only the changed series gives the same answer.
    history = pd.concat([_pure_seasonal().assign(sku=s) for s in ("A", "B", "C")], ignore_index=True)
    history.loc[history["sku"] == "B", "quantity"] *= 2
    full = forecast(history, 7, candidates=["seasonal_naive", "ets"]).points
    part = forecast(history[history["sku"] == "B"], 7, candidates=["seasonal_naive", "ets"]).points
    np.testing.assert_allclose(full[full["sku"] == "B"]["p50"].to_numpy(), part["p50"].to_numpy())


def test_aggregate_sums_p50_and_narrows_relative_band() -> None:
    points = pd.DataFrame(
        {
            "store": ["S1", "S1", "S2", "S2"],
            "sku": ["A", "B", "A", "B"],
            "date": pd.Timestamp("2024-01-01"),
            "p10": [5.0, 5.0, 5.0, 5.0],
            "p50": [10.0, 10.0, 10.0, 10.0],
            "p90": [15.0, 15.0, 15.0, 15.0],
        }
    )
    total = aggregate_forecast(points, by=[])
    assert total.loc[0, "p50"] == 40.0
    # Independent items: spread grows with sqrt(4) = 2, not 4.
    np.testing.assert_allclose(total.loc[0, ["p10", "p90"]].to_numpy(dtype=float), [30.0, 50.0])
    same = aggregate_forecast(points, by=[], correlation=1.0)
    np.testing.assert_allclose(same.loc[0, ["p10", "p90"]].to_numpy(dtype=float), [20.0, 60.0])
    by_store = aggregate_forecast(points, by=["store"])
    assert list(by_store["p50"]) == [20.0, 20.0]
    products = pd.DataFrame({"sku": ["A", "B"], "category": ["x", "y"]})
    by_cat = aggregate_forecast(points, by=["category"], products=products)
    assert list(by_cat["category"]) == ["x", "y"] and list(by_cat["p50"]) == [20.0, 20.0]


def test_isotonic_and_row_quantile_helpers() -> None:
    np.testing.assert_allclose(isotonic_increasing(np.array([1.0, 3.0, 2.0, 4.0])), [1.0, 2.5, 2.5, 4.0])
    x = np.array([[1.0, 2.0, 3.0, 4.0, np.nan], [np.nan] * 5, [5.0, np.nan, np.nan, np.nan, np.nan]])
    np.testing.assert_allclose(row_quantile(x, 0.5), [2.5, np.nan, 5.0])
    np.testing.assert_allclose(row_quantile(x, 0.9)[0], np.quantile([1.0, 2.0, 3.0, 4.0], 0.9))


def test_a_dormant_series_restarting_does_not_blow_up_its_band() -> None:
    """A series forecast at ~0 in backtest (out of stock) that then sells hundreds gets a bounded p90.

    Without clipping its residuals to the pooled 1%..99% range, its own 90% residual quantile was
    hundreds of spreads, giving p90 ~ 200x p50 (UCI 21181); the other series' bands are unchanged.
    """
    rng = np.random.default_rng(0)
    n, windows, horizon = 200, 3, 12
    p50 = rng.uniform(5.0, 30.0, (n, windows, horizon))
    actual = rng.poisson(p50).astype(float)
    level = p50.mean(axis=2)
    p50[0], level[0] = 0.0, 0.0
    actual[0, 2, 6:] = 700.0  # sales restart inside the last window
    bands = fit_bands(actual, p50, level)
    typical = np.full((1, horizon), 25.0)
    _, p90_restarted = bands.apply(typical, np.array([25.0]))
    others = ConformalBands(bands.low, bands.high, bands.low_shift[1:], bands.high_shift[1:])
    _, p90_other = others.apply(np.full((n - 1, horizon), 25.0), np.full(n - 1, 25.0))
    assert bands.high_shift[0] > 0  # still wider than a typical series ...
    assert p90_restarted.max() < 4.0 * p90_other.max()  # ... but not by orders of magnitude
