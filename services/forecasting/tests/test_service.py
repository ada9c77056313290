"""How the forecast service serves a point's drivers once reconciliation moved its p50."""

from __future__ import annotations

from datetime import date
from types import SimpleNamespace

import pytest

from forecasting.service import _point

ENGINE_DRIVERS = {
    "base": 4.0,
    "seasonality": 1.5,
    "price": -0.5,
    "promotion": 3.0,
    "events": 0.0,
    "substitutes": 2.0,
}


def _stored(p50: float, base_p50: float | None, drivers: dict[str, float]) -> SimpleNamespace:
    return SimpleNamespace(
        date=date(2026, 12, 7),
        p10=0.5 * p50,
        p50=p50,
        p90=1.5 * p50,
        base_p50=base_p50,
        **{f"driver_{name}": value for name, value in drivers.items()},
    )


def test_drivers_are_scaled_to_the_reconciled_p50() -> None:
    served = _point(_stored(12.0, 10.0, ENGINE_DRIVERS), drivers=True)
    assert served["p50"] == 12.0
    assert sum(served["drivers"].values()) == pytest.approx(12.0, abs=1e-9)
    for name in ("seasonality", "price", "promotion", "events", "substitutes"):
        assert served["drivers"][name] == pytest.approx(1.2 * ENGINE_DRIVERS[name], abs=1e-6)


def test_unreconciled_points_keep_the_engines_drivers() -> None:
    served = _point(_stored(10.0, None, ENGINE_DRIVERS), drivers=True)
    assert served["drivers"] == pytest.approx(ENGINE_DRIVERS, abs=1e-6)


def test_a_p50_the_engine_had_at_zero_is_all_base() -> None:
    zeros = dict.fromkeys(ENGINE_DRIVERS, 0.0)
    served = _point(_stored(3.0, 0.0, zeros), drivers=True)
    assert served["drivers"]["base"] == pytest.approx(3.0) and sum(
        served["drivers"].values()
    ) == pytest.approx(3.0)
