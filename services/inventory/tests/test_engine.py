"""Known-answer tests of the inventory engine on small generated forecasts."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd
import pytest
from scipy.optimize import brentq
from scipy.stats import norm

from inventory.engine import (
    ERROR_COLUMNS,
    OUTPUT_COLUMNS,
    PURCHASE_ORDER_COLUMNS,
    InventoryPolicy,
    calibrate_spread,
    purchase_order_lines,
    recommend_inventory,
)
from inventory.engine.levels import round_order

START = pd.Timestamp("2024-03-01")
Z10 = norm.ppf(0.1)


def daily_forecast(
    p50: float,
    p10: float | None = None,
    p90: float | None = None,
    days: int = 28,
    sku: str = "A",
    store: str = "S1",
) -> pd.DataFrame:
    """A flat daily forecast of one item starting on START."""
    return pd.DataFrame(
        {
            "store": store,
            "sku": sku,
            "date": pd.date_range(START, periods=days, freq="D"),
            "p10": p50 if p10 is None else p10,
            "p50": p50,
            "p90": p50 if p90 is None else p90,
        }
    )


def normal_forecast(mean: float, sd: float, days: int = 28, sku: str = "A") -> pd.DataFrame:
    """Daily quantiles of N(mean, sd)."""
    return daily_forecast(mean, mean + Z10 * sd, mean - Z10 * sd, days=days, sku=sku)


def products(**columns: object) -> pd.DataFrame:
    """One product row for store S1, sku A."""
    return pd.DataFrame([{"store": "S1", "sku": "A", **columns}])


def one(frame: pd.DataFrame, sku: str = "A") -> pd.Series:
    """The recommendation row of one sku."""
    rows = frame[frame["sku"] == sku]
    assert len(rows) == 1
    return rows.iloc[0]


def test_output_has_the_contract_columns_one_row_per_item() -> None:
    forecast = pd.concat([normal_forecast(20, 5, sku="A"), normal_forecast(3, 1, sku="B")])
    result = recommend_inventory(forecast)
    assert list(result.columns[:20]) == OUTPUT_COLUMNS[:20]
    assert sorted(result["sku"]) == ["A", "B"]


def test_normal_demand_cycle_service_level_matches_the_textbook_formula() -> None:
    # Independent normal days: S = 14 mu + z_0.95 sigma sqrt(14).
    policy = InventoryPolicy(
        default_lead_time_days=7, review_period_days=7, n_samples=40_000, period_correlation=0.0
    )
    row = one(recommend_inventory(normal_forecast(20, 5), products(on_hand=0), policy))
    expected_safety = norm.ppf(0.95) * 5 * np.sqrt(14)
    assert row["expected_protection_demand"] == pytest.approx(280, abs=0.5)
    assert row["reorder_point"] == pytest.approx(280 + expected_safety, abs=1.0)
    assert row["safety_stock"] == pytest.approx(expected_safety, abs=1.0)
    # Lead-time demand is N(140, 5 sqrt 7); with 150 units the chance of running out is known.
    row = one(recommend_inventory(normal_forecast(20, 5), products(on_hand=150), policy))
    assert row["stockout_risk"] == pytest.approx(1 - norm.cdf(10 / (5 * np.sqrt(7))), abs=0.01)


def test_correlated_periods_widen_the_sum_as_the_variance_formula_says() -> None:
    # Equicorrelated normal days: Var(sum of k) = sigma^2 (k + k (k - 1) rho).
    k, rho = 14, 0.3
    policy = InventoryPolicy(n_samples=40_000, period_correlation=rho)
    row = one(recommend_inventory(normal_forecast(20, 5), None, policy))
    expected_safety = norm.ppf(0.95) * 5 * np.sqrt(k + k * (k - 1) * rho)
    assert row["safety_stock"] == pytest.approx(expected_safety, rel=0.03)


def test_fill_rate_target_matches_the_normal_loss_function_answer() -> None:
    # Periodic review: shortage per cycle = s_LR G((S - m_LR)/s_LR) - s_L G((S - m_L)/s_L).
    mean, sd, lead, review, beta = 20.0, 6.0, 5, 7, 0.98
    m_lr, s_lr = mean * (lead + review), sd * np.sqrt(lead + review)
    m_l, s_l = mean * lead, sd * np.sqrt(lead)

    def loss(k: float) -> float:
        return float(norm.pdf(k) - k * (1 - norm.cdf(k)))

    def shortage(level: float) -> float:
        return (
            s_lr * loss((level - m_lr) / s_lr) - s_l * loss((level - m_l) / s_l) - (1 - beta) * mean * review
        )

    expected = brentq(shortage, m_l, m_lr + 6 * s_lr)
    policy = InventoryPolicy(
        service_level=beta,
        service_level_type="fill_rate",
        default_lead_time_days=lead,
        review_period_days=review,
        n_samples=40_000,
        period_correlation=0.0,
    )
    row = one(recommend_inventory(normal_forecast(mean, sd), products(on_hand=0), policy))
    assert row["reorder_point"] == pytest.approx(expected, abs=1.5)
    # A fill rate target is met with less stock than the same cycle service level.
    cycle_policy = InventoryPolicy(
        service_level=beta,
        default_lead_time_days=lead,
        review_period_days=review,
        n_samples=40_000,
        period_correlation=0.0,
    )
    cycle = one(recommend_inventory(normal_forecast(mean, sd), None, cycle_policy))
    assert row["reorder_point"] < cycle["reorder_point"]


def test_zero_variance_demand_needs_no_safety_stock_and_orders_the_gap() -> None:
    policy = InventoryPolicy(default_lead_time_days=5, review_period_days=7)
    row = one(recommend_inventory(daily_forecast(10), products(on_hand=50, on_order=20), policy))
    assert row["reorder_point"] == pytest.approx(120)
    assert row["safety_stock"] == pytest.approx(0, abs=1e-9)
    assert row["order_quantity"] == 50  # 120 - (50 + 20)
    assert row["stockout_risk"] == 0  # 70 units cover the 50 units of lead-time demand
    assert row["days_of_cover"] == pytest.approx(5.0)


def test_on_order_is_counted_in_the_order_and_the_risk() -> None:
    forecast = normal_forecast(20, 5)
    without = one(recommend_inventory(forecast, products(on_hand=40, on_order=0)))
    with_order = one(recommend_inventory(forecast, products(on_hand=40, on_order=100)))
    assert without["order_quantity"] - with_order["order_quantity"] == 100
    assert with_order["stockout_risk"] < without["stockout_risk"]
    assert with_order["inventory_position"] == 140


def test_pack_size_and_minimum_order_rounding() -> None:
    policy = InventoryPolicy(default_lead_time_days=5, review_period_days=7)
    forecast = daily_forecast(10)  # reorder point and order-up-to exactly 120
    assert (
        one(recommend_inventory(forecast, products(on_hand=70, pack_size=12), policy))["order_quantity"] == 60
    )
    assert (
        one(recommend_inventory(forecast, products(on_hand=71, pack_size=12), policy))["order_quantity"] == 60
    )
    assert (
        one(recommend_inventory(forecast, products(on_hand=70, min_order_qty=100), policy))["order_quantity"]
        == 100
    )
    row = one(recommend_inventory(forecast, products(on_hand=70, min_order_qty=100, pack_size=12), policy))
    assert row["order_quantity"] == 108  # the minimum of 100 rounded up to whole packs of 12
    assert "packs of 12" in row["explanation"] and "minimum order of 100" in row["explanation"]


def test_round_order_never_orders_for_a_non_positive_need() -> None:
    raw = np.array([-5.0, 0.0, 0.2, 7.0, 13.0])
    rounded = round_order(raw, np.array([0.0, 0.0, 0.0, 10.0, 10.0]), np.array([1.0, 4.0, 4.0, 4.0, 4.0]))
    assert rounded.tolist() == [0.0, 0.0, 4.0, 12.0, 16.0]


def test_no_negative_orders_and_no_order_when_stock_is_ample() -> None:
    rng = np.random.default_rng(3)
    forecasts, stock = [], []
    for index in range(30):
        mean = float(rng.gamma(2.0, 4.0))
        forecasts.append(normal_forecast(mean, mean * 0.4, sku=f"K{index}"))
        stock.append(
            {
                "store": "S1",
                "sku": f"K{index}",
                "on_hand": float(rng.integers(-5, 600)),
                "on_order": float(rng.integers(0, 50)),
                "pack_size": float(rng.integers(1, 13)),
            }
        )
    result = recommend_inventory(pd.concat(forecasts), pd.DataFrame(stock))
    assert (result["order_quantity"] >= 0).all()
    ample = result["inventory_position"] >= result["reorder_point"]
    assert ample.any() and (~ample).any()
    assert (result.loc[ample, "order_quantity"] == 0).all()
    assert (result.loc[~ample, "order_quantity"] > 0).all()
    # An order lifts the position to at least the order-up-to level.
    ordered = result[~ample]
    assert (ordered["inventory_position"] + ordered["order_quantity"] >= ordered["order_up_to"] - 1e-9).all()


def test_intermittent_demand_uses_the_point_mass_at_zero_not_a_normal_guess() -> None:
    # One weekly period of lead time + review: the level at the forecast's own 90% point is p90,
    # and with p50 = 0 half the weeks sell nothing, so 0 units on hand runs out with chance 0.5.
    forecast = pd.DataFrame(
        {
            "store": "S1",
            "sku": "A",
            "date": pd.date_range(START, periods=8, freq="W"),
            "p10": 0.0,
            "p50": 0.0,
            "p90": 4.0,
        }
    )
    policy = InventoryPolicy(
        service_level=0.9, default_lead_time_days=0, review_period_days=7, n_samples=40_000
    )
    row = one(recommend_inventory(forecast, products(on_hand=0, lead_time_days=7), policy))
    assert row["period_days"] == 7
    assert row["stockout_risk"] == pytest.approx(0.5, abs=0.01)
    policy = InventoryPolicy(
        service_level=0.9, default_lead_time_days=7, review_period_days=0, n_samples=40_000
    )
    row = one(recommend_inventory(forecast, products(on_hand=0), policy))
    assert row["reorder_point"] == pytest.approx(4.0, rel=0.02)
    # A normal approximation from the same quantiles (sigma = p90 / 1.28 around a mean near 0)
    # would give no stock at all at the median; the fitted distribution keeps P(D = 0) = 0.5.
    policy = InventoryPolicy(
        service_level=0.5, default_lead_time_days=7, review_period_days=0, n_samples=40_000
    )
    assert one(recommend_inventory(forecast, None, policy))["reorder_point"] == pytest.approx(0.0, abs=1e-9)


def test_skewed_demand_needs_more_than_the_symmetric_normal_guess() -> None:
    # Right-skewed quantiles (lognormal sigma 0.8, median 10): over one day the 95% level is the
    # lognormal's own 95% quantile, 10 e^(0.8 * 1.645), well above a normal fitted to p10..p90.
    sigma = 0.8
    p10, p90 = 10 * np.exp(sigma * Z10), 10 * np.exp(-sigma * Z10)
    policy = InventoryPolicy(default_lead_time_days=1, review_period_days=0, n_samples=40_000)
    row = one(recommend_inventory(daily_forecast(10, p10, p90), None, policy))
    lognormal_95 = 10 * np.exp(sigma * norm.ppf(0.95))
    normal_95 = 10 + norm.ppf(0.95) * (p90 - p10) / (2 * -Z10)
    assert row["reorder_point"] == pytest.approx(lognormal_95, rel=0.03)
    assert row["reorder_point"] > normal_95 * 1.1


def test_weekly_periods_are_inferred_from_date_steps_and_single_periods_from_frequency() -> None:
    weekly = pd.DataFrame(
        {
            "store": "S1",
            "sku": "A",
            "date": pd.date_range(START, periods=4, freq="W"),
            "p10": 70.0,
            "p50": 70.0,
            "p90": 70.0,
        }
    )
    row = one(recommend_inventory(weekly))  # 7 + 7 days = two weeks
    assert row["period_days"] == 7 and row["reorder_point"] == pytest.approx(140)
    single = weekly.head(1).assign(frequency="W")
    assert one(recommend_inventory(single))["reorder_point"] == pytest.approx(140)
    # Without the label a lone period is taken as a day, and the horizon extends it.
    assert one(recommend_inventory(weekly.head(1)))["reorder_point"] == pytest.approx(70 * 14)
    # Five days of lead time and seven of review over weekly periods: 12/7 of a week.
    policy = InventoryPolicy(default_lead_time_days=5)
    assert one(recommend_inventory(weekly, None, policy))["reorder_point"] == pytest.approx(120)


def test_without_on_hand_it_gives_levels_but_no_order_quantity() -> None:
    row = one(recommend_inventory(normal_forecast(20, 5)))
    assert np.isnan(row["on_hand"]) and np.isnan(row["order_quantity"])
    assert row["reorder_point"] > 280 and row["order_up_to"] >= row["reorder_point"]
    assert np.isnan(row["stockout_risk"]) and pd.isna(row["expected_stockout_date"])
    assert "needs on-hand quantities" in row["explanation"]
    assert "to give an order quantity" in row["explanation"]


def test_explanation_names_the_defaults_used() -> None:
    forecast = daily_forecast(10)
    row = one(recommend_inventory(forecast, products(on_hand=5)))
    assert set(row["defaults_used"]) == {
        "on_order",
        "lead_time_days",
        "min_order_qty",
        "pack_size",
        "unit_cost",
    }
    assert "lead time 7 days" in row["explanation"] and "Defaults used" in row["explanation"]
    assert "pack size 1" in row["explanation"]
    given = products(on_hand=5, on_order=0, lead_time_days=3, min_order_qty=0, pack_size=6, unit_cost=1.5)
    row = one(recommend_inventory(forecast, given))
    assert row["defaults_used"] == []
    assert "Defaults used" not in row["explanation"]
    assert row["lead_time_days"] == 3


def test_eoq_sets_the_batch_when_the_ordering_cost_is_known() -> None:
    # D = 3,650 a year, K = 50, h = 0.25 x 4: EOQ = sqrt(2 x 3650 x 50 / 1).
    policy = InventoryPolicy(ordering_cost=50.0, default_lead_time_days=5, review_period_days=7)
    row = one(recommend_inventory(daily_forecast(10), products(on_hand=0, unit_cost=4.0), policy))
    eoq = np.sqrt(2 * 3650 * 50 / 1.0)
    assert row["eoq"] == pytest.approx(eoq)
    # The batch allows for the review's average undershoot of half its 70 units.
    assert row["order_up_to"] - row["reorder_point"] == pytest.approx(eoq - 35)
    # With batches, a cycle's risk is taken at the last review that did not order, where the
    # position is above s by U x 70 (steady demand): P(120 > s + 70 U) = 5% gives s = 120 - 3.5.
    assert row["reorder_point"] == pytest.approx(116.5, abs=0.3)
    assert row["order_quantity"] == np.ceil(row["order_up_to"])
    assert np.isnan(one(recommend_inventory(daily_forecast(10), products(on_hand=0, unit_cost=4.0)))["eoq"])


def test_cover_stockout_date_and_excess() -> None:
    as_of = START - pd.Timedelta(days=1)
    policy = InventoryPolicy(default_lead_time_days=5, review_period_days=7, excess_cover_days=56)
    row = one(recommend_inventory(daily_forecast(10), products(on_hand=35, on_order=10), policy, as_of=as_of))
    assert row["days_of_cover"] == pytest.approx(3.5)
    assert row["expected_stockout_date"] == as_of + pd.Timedelta(days=4)  # 45 units last 4.5 days
    assert row["excess_units"] == 0
    row = one(
        recommend_inventory(daily_forecast(10), products(on_hand=1000, unit_cost=2.0), policy, as_of=as_of)
    )
    # 28 forecast days then the same daily rate: 56 days need 560 units.
    assert row["excess_units"] == pytest.approx(440)
    assert row["excess_value"] == pytest.approx(880)
    assert row["order_quantity"] == 0
    assert row["days_of_cover"] == pytest.approx(100)
    assert pd.isna(one(recommend_inventory(daily_forecast(0), products(on_hand=3)))["expected_stockout_date"])


def test_urgency_is_a_dense_rank_most_urgent_first() -> None:
    forecast = pd.concat([normal_forecast(20, 5, sku=sku) for sku in "ABCD"])
    stock = pd.DataFrame({"store": "S1", "sku": list("ABCD"), "on_hand": [0.0, 500.0, 0.0, 150.0]})
    result = recommend_inventory(forecast, stock).set_index("sku")
    assert result.loc["A", "urgency"] == result.loc["C", "urgency"] == 1
    assert result.loc["D", "urgency"] == 2
    assert result.loc["B", "urgency"] == 3
    assert result["urgency"].iloc[0] == 1  # sorted most urgent first


def test_backtest_error_widens_an_overconfident_band() -> None:
    narrow = normal_forecast(20, 1)
    plain = one(recommend_inventory(narrow))
    widened = one(recommend_inventory(narrow.assign(wape=0.4)))
    # Widening is capped (3x by default) so one bad backtest cannot explode the stock.
    assert widened["safety_stock"] == pytest.approx(3 * plain["safety_stock"], rel=0.02)
    # Uncapped, WAPE 0.4 on 20 a day means a MAD of 8, i.e. sigma 8 sqrt(pi / 2) per day.
    policy = InventoryPolicy(max_wape_widening=20, n_samples=40_000, period_correlation=0.0)
    calibrated = one(recommend_inventory(narrow.assign(wape=0.4), None, policy))
    sigma = 0.4 * 20 * np.sqrt(np.pi / 2)
    assert calibrated["safety_stock"] == pytest.approx(norm.ppf(0.95) * sigma * np.sqrt(14), rel=0.05)
    assert one(recommend_inventory(narrow.assign(wape=0.01)))["safety_stock"] == pytest.approx(
        plain["safety_stock"]
    )


def test_results_are_reproducible_and_independent_of_the_other_items() -> None:
    alone = one(recommend_inventory(normal_forecast(20, 5, sku="A")))
    forecast = pd.concat([normal_forecast(20, 5, sku="A"), normal_forecast(50, 30, sku="B")])
    together = one(recommend_inventory(forecast))
    assert alone["reorder_point"] == together["reorder_point"]
    other_seed = one(recommend_inventory(normal_forecast(20, 5), policy=InventoryPolicy(seed=1)))
    assert other_seed["reorder_point"] != alone["reorder_point"]


def test_products_match_across_key_types_and_stock_without_forecast_is_excess() -> None:
    forecast = daily_forecast(10, store="7", sku="101").assign(store=7, sku=101)
    stock = pd.DataFrame(
        {"store": ["7", "7"], "sku": ["101", "999"], "on_hand": [30.0, 12.0], "unit_cost": [1.0, 2.5]}
    )
    result = recommend_inventory(forecast, stock)
    matched = result[result["sku"].astype(str) == "101"].iloc[0]
    assert matched["on_hand"] == 30
    dead = result[result["sku"].astype(str) == "999"].iloc[0]
    assert dead["reorder_point"] == 0 and dead["order_quantity"] == 0
    assert dead["excess_units"] == 12 and dead["excess_value"] == pytest.approx(30)
    assert "No demand forecast" in dead["explanation"]


def test_purchase_order_lines_columns_and_grouping() -> None:
    forecast = pd.concat([daily_forecast(10, sku=sku) for sku in "ABC"])
    stock = pd.DataFrame(
        {
            "store": "S1",
            "sku": list("ABC"),
            "on_hand": [0.0, 0.0, 10_000.0],
            "pack_size": [6.0, np.nan, 1.0],
            "unit_cost": [2.0, 1.0, 1.0],
            "supplier": ["Zeta", None, "Zeta"],
            "name": ["Apples", "Bread", "Corn"],
        }
    )
    lines = purchase_order_lines(recommend_inventory(forecast, stock))
    assert list(lines.columns) == PURCHASE_ORDER_COLUMNS
    assert lines["sku"].tolist() == ["B", "A"]  # '(no supplier)' sorts before 'Zeta'; C needs nothing
    apples = lines[lines["sku"] == "A"].iloc[0]
    assert apples["order_quantity"] == 144 and apples["packs"] == 24 and apples["line_value"] == 288
    assert lines[lines["sku"] == "B"].iloc[0]["supplier"] == "(no supplier)"


def test_spread_factor_scales_the_safety_stock_of_normal_demand() -> None:
    # Scaling a normal period's spread by k scales sigma, hence the safety stock, by k.
    policy = InventoryPolicy(n_samples=40_000, period_correlation=0.0)
    plain = one(recommend_inventory(normal_forecast(20, 5), None, policy))
    wider = one(recommend_inventory(normal_forecast(20, 5), None, replace(policy, spread_factor=2.0)))
    assert wider["expected_protection_demand"] == pytest.approx(plain["expected_protection_demand"], rel=0.01)
    assert wider["safety_stock"] == pytest.approx(2 * plain["safety_stock"], rel=0.02)
    assert "spread is scaled by 2.00" in wider["explanation"]
    assert "spread is scaled" not in plain["explanation"]


def past_errors(actual_sd: float, model_sd: float, n: int = 4000, seed: int = 1) -> pd.DataFrame:
    """Past reviews whose actual totals are N(100, actual_sd) but whose model said N(100, model_sd)."""
    rng = np.random.default_rng(seed)
    return pd.DataFrame(
        {
            "expected_protection_demand": 100.0,
            "protection_quantile": 100.0 + norm.ppf(0.95) * model_sd,
            "actual_protection_demand": 100.0 + actual_sd * rng.standard_normal(n),
        }
    )


def test_calibrate_spread_recovers_how_much_too_narrow_the_band_was() -> None:
    # Actual errors twice as wide as the model's: the 95% quantile must move out by 2.
    assert calibrate_spread(past_errors(20, 10), 0.95) == pytest.approx(2.0, rel=0.08)
    # A calibrated band needs no change; one too wide is not narrowed (noisy windows).
    assert calibrate_spread(past_errors(10, 10), 0.95) == pytest.approx(1.0, abs=0.08)
    assert calibrate_spread(past_errors(5, 10), 0.95) == 1.0
    # Too few records, or none with spread, leave the band as it is.
    assert calibrate_spread(past_errors(20, 10, n=20), 0.95) == 1.0
    assert calibrate_spread(past_errors(20, 0), 0.95) == 1.0
    assert calibrate_spread(pd.DataFrame(columns=ERROR_COLUMNS), 0.95) == 1.0
    # An under-forecast shows up as errors beyond the quantile too: the band widens to cover it.
    biased = past_errors(10, 10).assign(
        actual_protection_demand=lambda f: f["actual_protection_demand"] + 16.45
    )
    assert calibrate_spread(biased, 0.95) == pytest.approx(2.0, rel=0.08)
    with pytest.raises(ValueError):
        calibrate_spread(pd.DataFrame({"expected_protection_demand": [1.0]}), 0.95)


def test_policy_rejects_meaningless_settings() -> None:
    with pytest.raises(ValueError):
        InventoryPolicy(service_level=1.0)
    with pytest.raises(ValueError):
        InventoryPolicy(service_level_type="best")  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        InventoryPolicy(spread_factor=0.0)
    with pytest.raises(ValueError):
        recommend_inventory(pd.DataFrame({"store": ["a"], "sku": ["b"], "date": [START]}))


def test_periods_without_a_median_are_ignored_not_read_as_zero_demand() -> None:
    forecast = daily_forecast(10)
    gap = forecast.copy()
    gap.loc[3, "p50"] = np.nan
    full = one(recommend_inventory(forecast, products(on_hand=0)))
    assert one(recommend_inventory(gap, products(on_hand=0)))["reorder_point"] == pytest.approx(
        full["reorder_point"]
    )
    result = one(recommend_inventory(forecast, products(on_hand=0)))
    assert result["supplier"] is None and result["name"] is None


def lumpy_history(days: int = 182, sku: str = "A", every: int = 4) -> pd.DataFrame:
    """Sales on every `every`-th day before START, alternating 20 and 200 units (lumpy)."""
    dates = pd.date_range(end=START - pd.Timedelta(days=1), periods=days, freq="D")[::-1][::every][::-1]
    sizes = np.where(np.arange(len(dates)) % 2 == 0, 20.0, 200.0)
    return pd.DataFrame({"store": "S1", "sku": sku, "date": dates, "quantity": sizes})


def test_lumpy_item_takes_its_demand_from_its_own_past_windows() -> None:
    # Lead time 5 + review 7 = 12 days: every 12-day window holds 3 sales, 20+200+20 or 200+20+200.
    policy = InventoryPolicy(default_lead_time_days=5, review_period_days=7)
    forecast = daily_forecast(27.5, 0.0, 120.0)
    table = recommend_inventory(forecast, products(on_hand=0.0), policy, history=lumpy_history())
    row = one(table)
    assert row["demand_source"] == "history"
    assert row["reorder_point"] == 420.0
    assert row["expected_protection_demand"] == pytest.approx(330.0, rel=0.05)
    assert "Demand is lumpy (ADI 3.9, CV2 0.67; 170 windows of 182 days)" in row["explanation"]
    without = one(recommend_inventory(forecast, products(on_hand=0.0), policy))
    assert without["demand_source"] == "forecast" and without["reorder_point"] != 420.0
    off = replace(policy, history_classes=())
    assert (
        one(recommend_inventory(forecast, products(on_hand=0.0), off, history=lumpy_history()))[
            "demand_source"
        ]
        == "forecast"
    )


def test_smooth_items_and_items_with_few_windows_keep_their_forecast() -> None:
    policy = InventoryPolicy(default_lead_time_days=5, review_period_days=7)
    smooth_dates = pd.date_range(end=START - pd.Timedelta(days=1), periods=182, freq="D")
    history = pd.concat(
        [
            pd.DataFrame({"store": "S1", "sku": "A", "date": smooth_dates, "quantity": 10.0}),
            lumpy_history(days=18, sku="B"),  # 18 - 12 + 1 = 7 windows, fewer than 8
        ]
    )
    forecast = pd.concat([normal_forecast(10.0, 2.0), normal_forecast(27.5, 20.0, sku="B")])
    table = recommend_inventory(forecast, None, policy, history=history)
    assert one(table, "A")["demand_source"] == "forecast"
    assert one(table, "B")["demand_source"] == "forecast"


def test_windows_before_an_items_first_sale_are_not_read_as_zero_demand() -> None:
    policy = InventoryPolicy(default_lead_time_days=5, review_period_days=7)
    young = lumpy_history(days=40)  # first sale 37 days back: 26 windows, all after it
    row = one(recommend_inventory(daily_forecast(27.5, 0.0, 120.0), None, policy, history=young))
    assert row["demand_source"] == "history"
    assert row["reorder_point"] == 420.0
    assert row["expected_protection_demand"] == pytest.approx(330.0, rel=0.05)


def test_history_spread_factor_widens_history_items_around_their_median() -> None:
    policy = InventoryPolicy(default_lead_time_days=5, review_period_days=7)
    args = (daily_forecast(27.5, 0.0, 120.0), None)
    base = one(recommend_inventory(*args, policy, history=lumpy_history()))
    wide = one(
        recommend_inventory(*args, replace(policy, history_spread_factor=2.0), history=lumpy_history())
    )
    # The samples are 240 or 420 and the median one of them: doubling their distance from it moves
    # the level to 600 (median 240) or the mean down to 240 (median 420); safety stock grows either way.
    assert base["reorder_point"] == 420.0 and wide["reorder_point"] in (420.0, 600.0)
    assert wide["safety_stock"] > base["safety_stock"] + 50.0
    assert "That demand's spread is scaled by 2.00" in wide["explanation"]


def test_weekly_lumpy_history_uses_whole_weeks() -> None:
    weeks = pd.date_range("2025-01-05", periods=26, freq="W-SUN")
    history = pd.DataFrame(
        {"store": "S1", "sku": "A", "date": weeks[::2], "quantity": np.tile([10.0, 100.0], 7)[:13]}
    )
    forecast = pd.DataFrame(
        {
            "store": "S1",
            "sku": "A",
            "date": pd.date_range(weeks[-1] + pd.Timedelta(days=7), periods=8, freq="W-SUN"),
            "p10": 0.0,
            "p50": 20.0,
            "p90": 90.0,
            "frequency": "W",
        }
    )
    policy = InventoryPolicy(default_lead_time_days=7, review_period_days=7)
    row = one(recommend_inventory(forecast, None, policy, history=history))
    # Two-week windows hold exactly one sale of 10 or 100 units.
    assert row["demand_source"] == "history"
    assert row["reorder_point"] == 100.0
    assert row["expected_protection_demand"] == pytest.approx(55.0, rel=0.1)
