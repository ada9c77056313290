"""The inventory task on the real database: protection windows recorded, spread calibrated from them."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from typing import Any

import httpx
import numpy as np
import pandas as pd
import pytest
from sqlalchemy import text

from common.db import sync_session
from common.frames import write_frame
from common.jobs import initial_stages, stage_entry
from common.models import UploadJob
from common.sales import load_daily_units
from common.testing.plugin import write_sales_lines, write_stockouts
from inventory import tasks

END = pd.Timestamp("2026-10-31")
N_SKUS = 60  # above MIN_CALIBRATION_WINDOWS: one ended window per item calibrates the spread
SALES_COLUMNS = (
    "organization_id",
    "store",
    "sku",
    "date",
    "transaction_id",
    "line_no",
    "quantity",
    "unit_price",
    "is_product",
)


@pytest.fixture
async def client(servers: Any) -> AsyncIterator[httpx.AsyncClient]:
    from inventory.main import app

    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://inventory") as c:
        yield c


def _daily_sales(org: uuid.UUID, first: pd.Timestamp, last: pd.Timestamp, units: float) -> pd.DataFrame:
    dates = pd.date_range(first, last, freq="D")
    return pd.DataFrame(
        [
            (str(org), "S1", f"P{k:02d}", day.date(), "", 0, units, 3.5, True)
            for k in range(N_SKUS)
            for day in dates
        ],
        columns=list(SALES_COLUMNS),
    )


def _write_forecast(org: uuid.UUID, origin: pd.Timestamp) -> None:
    """28 daily points after `origin` per item: median 10 a day, 80% band 8..12."""
    dates = pd.date_range(origin + pd.Timedelta(days=1), periods=28, freq="D")
    keys = [f"P{k:02d}" for k in range(N_SKUS)]
    series = pd.DataFrame(
        {"organization_id": str(org), "store": "S1", "sku": keys, "model": "test", "frequency": "D"}
    )
    points = pd.DataFrame(
        [(str(org), "S1", sku, day.date(), 8.0, 10.0, 12.0, "test") for sku in keys for day in dates],
        columns=["organization_id", "store", "sku", "date", "p10", "p50", "p90", "model"],
    )
    with sync_session() as session:
        connection = session.connection()
        for table in ("predictions", "forecast_series"):
            connection.execute(text(f"DELETE FROM {table} WHERE organization_id = :org"), {"org": org})
        write_frame(connection, "forecast_series", series, tuple(series.columns))
        write_frame(connection, "predictions", points, tuple(points.columns))


def _run(org: uuid.UUID) -> str:
    with sync_session() as session:
        job = UploadJob(organization_id=org, stages=initial_stages(), status="running")
        session.add(job)
        session.flush()
        job_id = str(job.id)
    tasks.run(job_id)
    entry = stage_entry(job_id, "inventory")
    assert entry["status"] == "succeeded", entry
    return job_id


def _windows(org: uuid.UUID) -> pd.DataFrame:
    with sync_session() as session:
        rows = session.execute(
            text(
                "SELECT sku, origin_date, end_date, expected_protection_demand, protection_quantile,"
                " actual_protection_demand, demand_class, history_quantile FROM inventory_protection_windows"
                " WHERE organization_id = :org ORDER BY sku, origin_date"
            ),
            {"org": org},
        ).all()
    return pd.DataFrame(
        [tuple(r) for r in rows],
        columns=[
            "sku",
            "origin_date",
            "end_date",
            "expected",
            "quantile",
            "actual",
            "demand_class",
            "history",
        ],
    )


async def _item(client: httpx.AsyncClient, headers: dict[str, str], sku: str) -> dict[str, Any]:
    items = (await client.get("/inventory-recommendations", headers=headers, params={"limit": 500})).json()
    return next(i for i in items["items"] if i["sku"] == sku)


def _four_weeks_of_sales(make_identity: Any) -> tuple[uuid.UUID, dict[str, str]]:
    """A new organization that sold 10 a day of every item for four weeks up to END, forecast from END."""
    identity, headers = make_identity()
    write_sales_lines(_daily_sales(identity.organization_id, END - pd.Timedelta(days=27), END, 10.0))
    _write_forecast(identity.organization_id, END)
    return identity.organization_id, headers


@pytest.mark.asyncio(loop_scope="session")
async def test_windows_recorded_then_ended_windows_widen_the_spread(
    client: httpx.AsyncClient, make_identity: Any
) -> None:
    org, headers = _four_weeks_of_sales(make_identity)

    # First run: no history, so factor 1; one window per item from the origin over 7 + 7 days.
    _run(org)
    windows = _windows(org)
    assert len(windows) == N_SKUS
    assert set(windows["origin_date"]) == {END.date()}
    assert set(windows["end_date"]) == {(END + pd.Timedelta(days=14)).date()}
    assert windows["actual"].isna().all()
    assert windows["expected"].to_numpy() == pytest.approx(140.0, rel=0.03)
    assert (windows["quantile"] > windows["expected"]).all()
    summary = (await client.get("/inventory-recommendations/summary", headers=headers)).json()
    assert summary["spread_factor"] == 1.0 and summary["calibration_windows"] == 0
    before = await _item(client, headers, "P00")
    assert "spread" not in before["explanation"]

    # The two weeks then sell 20 a day, twice the forecast; P00 also has a return and a
    # non-product line, which the forecasts' demand definition nets out and leaves out.
    window_sales = _daily_sales(org, END + pd.Timedelta(days=1), END + pd.Timedelta(days=14), 20.0)
    extra = pd.DataFrame(
        [
            (str(org), "S1", "P00", (END + pd.Timedelta(days=3)).date(), "R1", 0, -5.0, 3.5, True),
            (str(org), "S1", "P00", (END + pd.Timedelta(days=4)).date(), "F1", 0, 1000.0, 3.5, False),
        ],
        columns=list(SALES_COLUMNS),
    )
    write_sales_lines(pd.concat([window_sales, extra], ignore_index=True))
    later = END + pd.Timedelta(days=14)
    _write_forecast(org, later)
    second_job = _run(org)
    windows = _windows(org)
    assert len(windows) == 2 * N_SKUS
    ended = windows[windows["origin_date"] == END.date()].set_index("sku")
    assert ended.loc["P00", "actual"] == pytest.approx(275.0)
    assert ended.drop(index="P00")["actual"].to_numpy() == pytest.approx(280.0)
    assert windows.loc[windows["origin_date"] == later.date(), "actual"].isna().all()
    summary = (await client.get("/inventory-recommendations/summary", headers=headers)).json()
    assert summary["calibration_windows"] == N_SKUS
    # Demand ran ~140 above a quantile only a few units above the mean: the band must widen a lot.
    assert summary["spread_factor"] > 2.0
    after = await _item(client, headers, "P00")
    assert after["safety_stock"] > 2.0 * before["safety_stock"]
    assert f"scaled by {summary['spread_factor']:.2f}" in after["explanation"]
    assert f"from {N_SKUS} past lead time + review windows" in after["explanation"]

    # A re-run from the same origin (a redelivered task, or a product upload) replaces its windows.
    with sync_session() as session:
        job = session.get(UploadJob, uuid.UUID(second_job))
        assert job is not None
        job.stages = initial_stages()
    tasks.run(second_job)
    assert stage_entry(second_job, "inventory")["status"] == "succeeded"
    again = _windows(org)
    assert len(again) == 2 * N_SKUS
    pd.testing.assert_frame_equal(again, windows)
    assert (await client.get("/inventory-recommendations/summary", headers=headers)).json() == summary


@pytest.mark.asyncio(loop_scope="session")
async def test_a_lumpy_item_takes_its_demand_from_its_own_sales_history(
    client: httpx.AsyncClient, make_identity: Any
) -> None:
    identity, headers = make_identity()
    org = identity.organization_id
    sales = _daily_sales(org, END - pd.Timedelta(days=181), END, 10.0)
    # P00 sells on every 4th day only, 20 and 200 units in turn: lumpy (ADI ~4, CV2 0.67).
    lumpy = sales["sku"] == "P00"
    days = pd.to_datetime(sales["date"])
    offset = (pd.Timestamp(END) - days).dt.days
    sales = sales[~lumpy | (offset % 4 == 0)].copy()
    lumpy = sales["sku"] == "P00"
    sales.loc[lumpy, "quantity"] = np.where(np.arange(lumpy.sum()) % 2 == 0, 20.0, 200.0)
    write_sales_lines(sales)
    _write_forecast(org, END)
    _run(org)

    item = await _item(client, headers, "P00")
    assert item["demand_source"] == "history" and item["demand_class"] == "lumpy"
    assert "Demand is lumpy (ADI 3.9, CV2 0.67; 168 windows of 182 days)" in item["explanation"]
    # 14-day windows (7-day lead time + 7-day review) hold 3 or 4 of its sales: at most 440 units.
    assert item["reorder_point"] == 440.0
    smooth = await _item(client, headers, "P01")
    assert smooth["demand_source"] == "forecast" and smooth["demand_class"] == "smooth"
    summary = (await client.get("/inventory-recommendations/summary", headers=headers)).json()
    assert summary["history_items"] == 1 and summary["items"] == N_SKUS
    recorded = _windows(org)
    assert len(recorded) == N_SKUS
    # Every item's record holds what its own history said, for the choice per class later.
    assert tuple(recorded.iloc[0][["sku", "demand_class", "history"]]) == ("P00", "lumpy", 440.0)
    rest = recorded.iloc[1:]
    assert (rest["demand_class"] == "smooth").all() and rest["history"].to_numpy() == pytest.approx(140.0)


@pytest.mark.asyncio(loop_scope="session")
async def test_the_purchase_order_csv_names_the_currency_in_a_last_column(
    client: httpx.AsyncClient, make_identity: Any
) -> None:
    from inventory.engine.purchase_order import PURCHASE_ORDER_COLUMNS

    _, headers = make_identity()
    answer = await client.get("/inventory-recommendations", headers=headers, params={"format": "csv"})
    assert answer.status_code == 200
    header = answer.text.splitlines()[0]
    # Partners read these columns by name or place: all of them stay, the currency comes last.
    assert header == ",".join(f'"{c}"' for c in [*PURCHASE_ORDER_COLUMNS, "currency"])


def _runs(org: uuid.UUID, *runs: tuple[str, pd.Timestamp, pd.Timestamp, str, float, float, bool]) -> None:
    """Stock-out runs of (sku, start, end, source, sales, estimated_demand, corrected) in S1, at 3.5 a unit."""
    frame = pd.DataFrame(
        runs, columns=["sku", "start", "end", "source", "sales", "estimated_demand", "corrected"]
    ).assign(organization_id=str(org), store="S1", probability=1.0)
    frame["start"], frame["end"] = frame["start"].dt.date, frame["end"].dt.date
    frame["lost_units"] = frame["estimated_demand"] - frame["sales"]
    frame["lost_revenue"] = 3.5 * frame["lost_units"]
    write_stockouts(frame)


@pytest.mark.asyncio(loop_scope="session")
async def test_corrected_stockouts_count_their_estimated_demand_and_items_say_what_running_out_cost(
    client: httpx.AsyncClient, make_identity: Any
) -> None:
    org, headers = _four_weeks_of_sales(make_identity)
    _run(org)

    # The next two weeks sell 20 a day. P00 ran out on days 3-7 and sold 2 units over them; the
    # forecasting worker estimated 110 units of demand for the run and corrected it. P01 sold
    # nothing on days 3-4, a stock-out inferred but only flagged (not corrected). P02 ran out
    # more than a year before the history ends.
    day = pd.Timedelta(days=1)
    window = _daily_sales(org, END + day, END + 14 * day, 20.0)
    offset = (pd.to_datetime(window["date"]) - END).dt.days
    window.loc[(window["sku"] == "P00") & offset.between(3, 7), "quantity"] = 0.4
    window = window[~((window["sku"] == "P01") & offset.between(3, 4))]
    write_sales_lines(window)
    _runs(
        org,
        ("P00", END + 3 * day, END + 7 * day, "stock", 2.0, 110.0, True),
        ("P01", END + 3 * day, END + 4 * day, "inferred", 0.0, 40.0, False),
        ("P02", END - 400 * day, END - 390 * day, "stock", 0.0, 50.0, True),
    )
    later = END + 14 * day
    _write_forecast(org, later)
    _run(org)

    # Calibration: P00's window counts 9 days of sales and the run's 110 in place of its 2 units.
    ended = _windows(org).query("origin_date == @END.date()").set_index("sku")["actual"]
    assert ended["P00"] == pytest.approx(9 * 20.0 + 110.0)
    assert ended["P01"] == pytest.approx(12 * 20.0)  # a flagged run leaves the sales as they were
    assert ended.drop(index=["P00", "P01"]).to_numpy() == pytest.approx(280.0)
    # The own-history input: each day of the corrected run carries its share of the estimate.
    with sync_session() as session:
        history = load_daily_units(session.connection(), org, END + day)
    p00 = history[history["sku"] == "P00"].set_index("date")["quantity"]
    assert len(p00) == 14 and p00.sum() == pytest.approx(290.0)
    assert p00[END + 3 * day] == pytest.approx(22.0) and p00[END + 8 * day] == 20.0
    assert (END + 3 * day) not in set(history.loc[history["sku"] == "P01", "date"])

    # Each recommendation says how often its item ran out over the last 365 days, and the cost.
    assert (await _item(client, headers, "P00"))["stockouts"] == {
        "count": 1,
        "lost_units": 108.0,
        "lost_revenue": 378.0,
    }
    assert (await _item(client, headers, "P01"))["stockouts"] == {
        "count": 1,
        "lost_units": 40.0,
        "lost_revenue": 140.0,
    }
    nothing = {"count": 0, "lost_units": 0.0, "lost_revenue": 0.0}
    assert (await _item(client, headers, "P02"))["stockouts"] == nothing
    assert (await _item(client, headers, "P03"))["stockouts"] == nothing
