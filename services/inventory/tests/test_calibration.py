"""Calibration from ended windows and the windows themselves: known answers on small frames."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from inventory.engine import (
    MIN_CALIBRATION_WINDOWS,
    Calibration,
    InventoryPolicy,
    calibrate_sources,
    choose_history_classes,
    protection_windows,
    with_calibration,
)


def test_too_few_ended_windows_leave_the_spread_as_forecast() -> None:
    table = pd.DataFrame(
        {
            "explanation": ["Order 3.", "No forecast."],
            "has_forecast": [True, False],
            "demand_source": ["forecast", "forecast"],
        }
    )
    few = with_calibration(table, Calibration(1.0, MIN_CALIBRATION_WINDOWS - 1, 1.0, 0, ("lumpy",)))
    assert few["explanation"][0].endswith(
        f"({MIN_CALIBRATION_WINDOWS} are needed to calibrate the spread), so it is not scaled."
    )
    assert few["explanation"][1] == "No forecast."
    assert (few["spread_factor"] == 1.0).all() and (
        few["calibration_windows"] == MIN_CALIBRATION_WINDOWS - 1
    ).all()
    none = with_calibration(table, Calibration(1.0, 0, 1.0, 0, ("lumpy",)))
    assert none["explanation"].tolist() == table["explanation"].tolist()


def test_forecast_and_history_items_are_calibrated_apart() -> None:
    table = pd.DataFrame(
        {
            "explanation": ["Order 3.", "Order 5."],
            "has_forecast": [True, True],
            "demand_source": ["forecast", "history"],
        }
    )
    # The forecast's quantiles covered every window; the history's ran past theirs half the time.
    n = MIN_CALIBRATION_WINDOWS
    errors = pd.DataFrame(
        {
            "expected_protection_demand": 10.0,
            "protection_quantile": 20.0,
            "actual_protection_demand": np.tile([12.0, 19.0], n // 2),
            "history_expected_demand": 10.0,
            "history_quantile": np.tile([14.0, 11.0], n // 2),
            "demand_class": "lumpy",
        }
    )
    calibration = calibrate_sources(errors, 0.95, min_records=n)
    assert calibration.spread_factor == 1.0 and calibration.history_spread_factor == pytest.approx(9.0)
    assert (calibration.windows, calibration.history_windows) == (n, n)
    out = with_calibration(table, calibration)
    assert out["spread_factor"].tolist() == [1.0, pytest.approx(9.0)]
    assert "so it is not scaled" in out["explanation"][0]
    assert f"The spread factor 9.00 comes from {n} past" in out["explanation"][1]
    # A history without spread (quantile at the mean) says nothing about its band.
    flat = errors.assign(history_quantile=10.0)
    flat_calibration = calibrate_sources(flat, 0.95, min_records=n)
    assert (flat_calibration.history_spread_factor, flat_calibration.history_windows) == (1.0, 0)


def test_each_demand_class_takes_the_source_whose_past_quantiles_were_better() -> None:
    n = MIN_CALIBRATION_WINDOWS
    actual = np.tile([8.0, 12.0], n // 2)
    # Lumpy: the history's quantile sits nearer the demand that came; erratic: the forecast's does.
    records = pd.concat(
        [
            pd.DataFrame(
                {"demand_class": "lumpy", "protection_quantile": 40.0, "history_quantile": 14.0},
                index=range(n),
            ),
            pd.DataFrame(
                {"demand_class": "erratic", "protection_quantile": 14.0, "history_quantile": 40.0},
                index=range(n),
            ),
            pd.DataFrame(
                {"demand_class": "intermittent", "protection_quantile": 40.0, "history_quantile": 14.0},
                index=range(n - 1),
            ),
        ],
        ignore_index=True,
    )
    records["actual_protection_demand"] = np.r_[actual, actual, actual[: n - 1]]
    # Intermittent has one window too few to decide: it keeps the default (forecast).
    assert choose_history_classes(records, 0.95, min_records=n) == ("lumpy",)
    swapped = records.assign(
        protection_quantile=records["history_quantile"], history_quantile=records["protection_quantile"]
    )
    # Lumpy items go back to the forecast when it proves better; erratic ones move to the history.
    assert choose_history_classes(swapped, 0.95, min_records=n) == ("erratic",)


def test_weekly_window_with_a_part_week_spans_two_weeks() -> None:
    weeks = pd.date_range("2026-01-11", periods=8, freq="W-SUN")
    points = pd.DataFrame(
        {"store": "S1", "sku": "W1", "date": weeks, "p10": 60.0, "p50": 70.0, "p90": 80.0, "frequency": "W"}
    )
    products = pd.DataFrame({"store": ["S1"], "sku": ["W1"], "lead_time_days": [5.0]})
    windows = protection_windows(points, products, InventoryPolicy(review_period_days=7))
    row = windows.iloc[0]
    # Origin: one week before the first forecast week; 5 + 7 days = 12/7 weeks, ending two weeks on.
    assert row["origin_date"] == pd.Timestamp("2026-01-04")
    assert row["end_date"] == pd.Timestamp("2026-01-18")
    assert row["window_periods"] == pytest.approx(12 / 7)
    assert row["expected_protection_demand"] == pytest.approx(70.0 * 12 / 7, rel=0.03)
    assert row["protection_quantile"] > row["expected_protection_demand"]
