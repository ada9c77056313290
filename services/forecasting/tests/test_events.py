"""Known answers of the event features: each store's calendar, own events, pooling and store bounds."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from forecasting.chunks import calendar_fingerprints
from forecasting.engine import DemandModel, ForecastResult, forecast, predict_demand
from forecasting.engine.events import OTHER_EVENT, bound_history, event_features
from forecasting.engine.panel import build_panel

WEEKS = 156
HORIZON_WEEKS = 13
SERIES = 40
LIFT = 2.0
# The retailer's fair every 11 weeks (out of step with the year), once more inside the horizon.
FAIR_EVERY = 11
FIRST_DAY = pd.Timestamp("2021-01-06")  # a Wednesday: weekly rows dated on Wednesdays


def _fair_weeks() -> pd.DatetimeIndex:
    """Week dates of the fair: history and the horizon's occurrence."""
    weeks = pd.date_range(FIRST_DAY, periods=WEEKS + HORIZON_WEEKS, freq="7D")
    return weeks[np.arange(3, len(weeks), FAIR_EVERY)]


def _fair_market(seed: int = 0) -> dict[str, pd.DataFrame]:
    """Weekly sales of SERIES items in 4 stores that double in the week of the retailer's fair."""
    rng = np.random.default_rng(seed)
    weeks = pd.date_range(FIRST_DAY, periods=WEEKS, freq="7D")
    fair = weeks.isin(_fair_weeks())
    frames = []
    for item in range(SERIES):
        rate = rng.uniform(10.0, 30.0) * np.where(fair, LIFT, 1.0)
        frames.append(
            pd.DataFrame(
                {
                    "store": f"S{item % 4}",
                    "sku": f"P{item}",
                    "date": weeks,
                    "quantity": rng.poisson(rate).astype(float),
                    "unit_price": 3.0,
                    "regular_price": 3.0,
                    "promotion": 0.0,
                }
            )
        )
    # Each fair runs Thursday to Saturday of its week (a week is the 7 days ending on its date).
    starts = _fair_weeks() - pd.Timedelta(days=6)
    events = pd.DataFrame(
        {"name": "Harvest fair", "kind": "festival", "start": starts, "end": starts + pd.Timedelta(days=2)}
    )
    return {"history": pd.concat(frames, ignore_index=True), "events": events}


@pytest.fixture(scope="module")
def fair() -> dict[str, pd.DataFrame]:
    return _fair_market()


@pytest.fixture(scope="module")
def with_fair(fair: dict[str, pd.DataFrame]) -> ForecastResult:
    return forecast(fair["history"], HORIZON_WEEKS * 7, holiday_country=None, own_events=fair["events"])


def _fair_lift(points: pd.DataFrame) -> float:
    """Forecast units in the horizon's fair week over the mean of the horizon's other weeks."""
    in_fair = points["date"].isin(_fair_weeks())
    assert in_fair.any()
    per_week = points.groupby("date")["p50"].sum()
    return float(
        per_week[per_week.index.isin(_fair_weeks())].mean()
        / per_week[~per_week.index.isin(_fair_weeks())].mean()
    )


def test_an_own_events_past_lift_is_forecast_for_its_next_occurrence(
    fair: dict[str, pd.DataFrame], with_fair: ForecastResult
) -> None:
    without = forecast(fair["history"], HORIZON_WEEKS * 7, holiday_country=None)
    assert with_fair.demand_model is not None
    # Thirteen past fairs: the family has a level of its own rather than the pooled one.
    assert with_fair.demand_model.events.families == ["own:festival"]
    assert _fair_lift(with_fair.points) > 1.6
    assert _fair_lift(without.points) < 1.2


def test_the_events_driver_carries_the_event_and_drivers_still_sum_to_p50(with_fair: ForecastResult) -> None:
    assert with_fair.demand_model is not None
    model = DemandModel.from_bytes(with_fair.demand_model.to_bytes())
    out = predict_demand(model, drivers=True)
    families = ["base", "seasonality", "price", "promotion", "events", "substitutes"]
    assert np.abs(out[families].sum(axis=1) - out["p50"]).max() < 1e-6
    in_fair = out["date"].isin(_fair_weeks())
    # In the fair's week the events driver holds about half of p50 (a doubling); elsewhere little.
    assert out.loc[in_fair, "events"].sum() > 0.3 * out.loc[in_fair, "p50"].sum()
    assert abs(out.loc[~in_fair, "events"].sum()) < 0.1 * out.loc[~in_fair, "p50"].sum()
    stored = with_fair.points.set_index(["store", "sku", "date"])["p50"]
    again = out.set_index(["store", "sku", "date"])["p50"]
    assert np.allclose(again.loc[stored.index], stored, atol=1e-9)


def _daily_panel(stores: list[str], start: str = "2023-01-01", days: int = 600, horizon: int = 28):
    dates = pd.date_range(start, periods=days, freq="D")
    history = pd.DataFrame(
        [(store, "P1", day, 5.0) for store in stores for day in dates],
        columns=["store", "sku", "date", "quantity"],
    )
    return build_panel(history, horizon)


def _holidays_on(features, panel, series: int, day: str) -> float:
    period = int(np.nonzero(panel.dates == pd.Timestamp(day))[0][0])
    return float(features.grids["event_holidays"][features.location[series], period])


def test_each_store_reads_the_holidays_of_its_country_and_subdivision() -> None:
    panel = _daily_panel(["berlin", "munich", "ohio"])
    stores = pd.DataFrame(
        {"store": ["berlin", "munich"], "country": ["DE", "DE"], "subdivision": [None, "BY"]}
    )
    features = event_features(panel, stores, None, "US")
    row = {
        store: int(np.nonzero(panel.keys["store"] == store)[0][0]) for store in ("berlin", "munich", "ohio")
    }
    # German Unity Day is German, Independence Day American; Epiphany a holiday in Bavaria only.
    assert _holidays_on(features, panel, row["berlin"], "2023-10-03") == 1
    assert _holidays_on(features, panel, row["ohio"], "2023-10-03") == 0
    assert _holidays_on(features, panel, row["ohio"], "2023-07-04") == 1
    assert _holidays_on(features, panel, row["berlin"], "2023-07-04") == 0
    assert _holidays_on(features, panel, row["munich"], "2024-01-06") == 1
    assert _holidays_on(features, panel, row["berlin"], "2024-01-06") == 0


def test_a_family_seen_once_is_pooled_as_other_event() -> None:
    panel = _daily_panel(["a", "b"], days=200)
    once = pd.DataFrame(
        {
            "name": ["Opening party"],
            "start": [pd.Timestamp("2023-03-01")],
            "end": [pd.Timestamp("2023-03-01")],
        }
    )
    features = event_features(panel, None, once, None)
    period = int(np.nonzero(panel.dates == pd.Timestamp("2023-03-01"))[0][0])
    assert features.grids["event_family"][features.location[0], period] == OTHER_EVENT
    assert features.grids["event_own"][features.location[0], period] == 1
    assert features.families == []


def test_store_opening_and_closing_dates_bound_the_series() -> None:
    days = pd.date_range("2023-01-01", periods=400, freq="D")
    rng = np.random.default_rng(1)
    rows = [
        (store, f"P{item}", day, float(rng.poisson(6)))
        for store in ("old", "closing", "new")
        for item in range(3)
        for day in days
        # The new store sold nothing before it opened; the files still list zero rows for it.
        if not (store == "new" and day < pd.Timestamp("2023-09-01"))
    ]
    history = pd.DataFrame(rows, columns=["store", "sku", "date", "quantity"])
    # After closing the file keeps listing zeros: not demand, the store was shut.
    history.loc[
        (history["store"] == "closing") & (history["date"] > pd.Timestamp("2023-12-31")), "quantity"
    ] = 0.0
    stores = pd.DataFrame(
        {
            "store": ["closing", "new", "future"],
            "closed_on": [pd.Timestamp("2023-12-31"), None, None],
            "opened_on": [None, pd.Timestamp("2023-09-01"), pd.Timestamp("2024-02-20")],
        }
    )
    plan = pd.DataFrame(
        {"store": "future", "sku": "P0", "date": pd.date_range("2024-02-05", periods=28), "unit_price": 2.0}
    )
    result = forecast(history, 28, plan=plan, stores=stores, holiday_country=None)
    points = result.points
    assert not (points["store"] == "closing").any()
    assert (points["store"] == "old").sum() == 3 * 28
    assert points.loc[points["store"] == "future", "date"].min() == pd.Timestamp("2024-02-20")
    panel = build_panel(history, 28)
    bound_history(panel, event_features(panel, stores, None, None))
    closing = np.nonzero(panel.keys["store"] == "closing")[0]
    after = panel.dates[: panel.n_hist] > pd.Timestamp("2023-12-31")
    assert np.isnan(panel.y[np.ix_(closing, np.nonzero(after)[0])]).all()
    assert np.isfinite(panel.y[np.ix_(closing, np.nonzero(~after)[0])]).all()


def test_a_calendar_change_changes_only_its_stores_fingerprints() -> None:
    keys = pd.DataFrame({"store": ["a", "a", "b"], "sku": ["1", "2", "1"]})
    stores = pd.DataFrame({"store": ["a", "b"], "country": ["US", "US"], "subdivision": [None, None]})
    none = pd.DataFrame()
    before = calendar_fingerprints(keys, stores, none, "US")
    moved = calendar_fingerprints(keys, stores.assign(country=["DE", "US"]), none, "US")
    assert moved[0] != before[0] and moved[1] != before[1] and moved[2] == before[2]
    everywhere = pd.DataFrame(
        {"name": ["Sale"], "start": ["2024-01-01"], "end": ["2024-01-02"], "store": [None]}
    )
    with_sale = calendar_fingerprints(keys, stores, everywhere, "US")
    assert (with_sale != before).all()
    assert (calendar_fingerprints(keys, stores, none, "GB") != before).all()


def test_own_events_apply_to_their_store_and_category_only() -> None:
    dates = pd.date_range("2023-01-01", periods=120, freq="D")
    history = pd.DataFrame(
        [(store, sku, day, 4.0) for store in ("north", "south") for sku in ("milk", "soap") for day in dates],
        columns=["store", "sku", "date", "quantity"],
    )
    products = pd.DataFrame({"sku": ["milk", "soap"], "category": ["dairy", "hygiene"]})
    panel = build_panel(history, 14, products=products)
    day = pd.Timestamp("2023-05-05")
    events = pd.DataFrame(
        {
            "name": ["Dairy week", "North fair"],
            "kind": ["campaign", None],
            "start": [day, day],
            "end": [day, day],
            "store": [None, "north"],
            "category": ["dairy", None],
        }
    )
    features = event_features(panel, None, events, None)
    period = int(np.nonzero(panel.dates == day)[0][0])
    own = {
        (store, sku): features.grids["event_own"][features.location[i], period]
        for i, (store, sku) in enumerate(zip(panel.keys["store"], panel.keys["sku"], strict=True))
    }
    assert own == {("north", "milk"): 1, ("north", "soap"): 1, ("south", "milk"): 1, ("south", "soap"): 0}


def test_a_model_stored_before_event_features_reads_as_stale(with_fair: ForecastResult) -> None:
    import io
    import json

    from forecasting.engine.demand_model import StaleDemandModel

    assert with_fair.demand_model is not None
    with np.load(io.BytesIO(with_fair.demand_model.to_bytes()), allow_pickle=False) as archive:
        arrays = {name: archive[name] for name in archive.files}
    meta = json.loads(arrays["meta"].tobytes().decode()) | {"format": 1}
    arrays["meta"] = np.frombuffer(json.dumps(meta).encode(), dtype=np.uint8)
    buffer = io.BytesIO()
    np.savez_compressed(buffer, **arrays)
    with pytest.raises(StaleDemandModel):
        DemandModel.from_bytes(buffer.getvalue())
