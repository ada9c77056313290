"""The forecasting worker and stock-outs on the real database: snapshots in, `stockouts` rows out."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import numpy as np
import pandas as pd
import pytest
from sqlalchemy import text

from common.db import sync_session
from common.frames import write_frame
from common.jobs import initial_stages, stage_entry
from common.models import UploadJob
from common.settings import get_settings
from common.testing.plugin import write_sales_lines
from forecasting import tasks
from forecasting.engine.stockouts import COLUMNS

END = pd.Timestamp("2026-10-31")
DAYS = 140
# P1 ran out of stock on these days (the snapshots say so); P2 sold nothing on these days, with no
# stock data: an inferred stock-out.
OUT_P1 = pd.date_range(END - pd.Timedelta(days=60), periods=5, freq="D")
ZERO_P2 = pd.date_range(END - pd.Timedelta(days=40), periods=6, freq="D")


def _sales(org: uuid.UUID) -> pd.DataFrame:
    """Daily units of S1's P0..P3 (about 25 a day), P1 cut by its stock-out and P2 zero on ZERO_P2."""
    rng = np.random.default_rng(4)
    dates = pd.date_range(end=END, periods=DAYS, freq="D")
    frames = []
    for k in range(4):
        units = rng.poisson(25.0, DAYS).astype(float)
        if k == 1:
            units[dates.isin(OUT_P1)] = 0.0
        if k == 2:
            units[dates.isin(ZERO_P2)] = 0.0
        frames.append(
            pd.DataFrame(
                {
                    "organization_id": str(org),
                    "store": "S1",
                    "sku": f"P{k}",
                    "date": dates.date,
                    "transaction_id": "",
                    "line_no": 0,
                    "quantity": units,
                    "unit_price": 3.0,
                }
            )
        )
    return pd.concat(frames, ignore_index=True)


def _snapshots(org: uuid.UUID, sku: str, out_days: pd.DatetimeIndex) -> None:
    """Daily snapshots of one item over the last DAYS days: 0 on hand on `out_days`, 40 otherwise."""
    dates = pd.date_range(end=END, periods=DAYS, freq="D")
    on_hand = np.where(dates.isin(out_days), 0.0, 40.0)
    frame = pd.DataFrame(
        {
            "organization_id": str(org),
            "store": "S1",
            "sku": sku,
            "date": dates.date,
            "on_hand": on_hand,
            "in_stock": on_hand > 0,
        }
    )
    with sync_session() as session:
        session.execute(
            text("DELETE FROM stock_snapshots WHERE organization_id = :org AND sku = :sku"),
            {"org": org, "sku": sku},
        )
        write_frame(session.connection(), "stock_snapshots", frame, list(frame.columns))


def _new_job(org: uuid.UUID) -> str:
    stages = initial_stages()
    stages["ingest"].update(status="succeeded", progress=1.0)
    with sync_session() as session:
        job = UploadJob(organization_id=org, stages=stages, status="running", options={})
        session.add(job)
        session.flush()
        return str(job.id)


def _stockouts(org: uuid.UUID) -> pd.DataFrame:
    columns = COLUMNS[1:]  # every column but the store
    select = ", ".join('"end"' if name == "end" else name for name in columns)
    with sync_session() as session:
        rows = session.execute(
            text(f"SELECT {select} FROM stockouts WHERE organization_id = :org ORDER BY sku, start"),
            {"org": org},
        ).all()
    return pd.DataFrame([tuple(row) for row in rows], columns=columns)


@pytest.fixture
def in_process(servers: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """One chunk per run, handed-on tasks captured instead of sent (the test runs the stage in process)."""
    monkeypatch.setattr(tasks, "enqueue", lambda *args: None)
    monkeypatch.setattr(get_settings(), "forecast_chunk_series", 1000)
    yield


def test_the_worker_writes_stock_and_inferred_stockouts_and_replaces_them_on_refit(
    make_identity: Any, in_process: None
) -> None:
    identity, _ = make_identity()
    org = identity.organization_id
    other, _ = make_identity()
    write_sales_lines(_sales(org))
    write_sales_lines(_sales(other.organization_id))
    _snapshots(org, "P1", OUT_P1)

    tasks.run(_new_job(org))
    found = _stockouts(org)
    stock = found[found["source"] == "stock"]
    assert stock["sku"].tolist() == ["P1"]
    row = stock.iloc[0]
    assert (row["start"], row["end"]) == (OUT_P1[0].date(), OUT_P1[-1].date())
    assert row["probability"] == 1.0 and row["corrected"] and row["sales"] == 0.0
    # Five days of about 25 units each were lost, at 3.00 a unit.
    assert 80 <= row["lost_units"] <= 170
    assert row["lost_revenue"] == pytest.approx(3.0 * row["lost_units"])
    assert row["estimated_demand"] == pytest.approx(row["lost_units"])
    inferred = found[(found["source"] == "inferred") & (found["sku"] == "P2")]
    assert len(inferred) == 1
    assert (inferred.iloc[0]["start"], inferred.iloc[0]["end"]) == (ZERO_P2[0].date(), ZERO_P2[-1].date())
    assert inferred.iloc[0]["probability"] > 0.99 and not inferred.iloc[0]["corrected"]
    # The other organisation has no stock data: its P1 sold normally, nothing was found for it.
    theirs = _stockouts(other.organization_id)
    assert "stock" not in set(theirs["source"]) and "P1" not in set(theirs["sku"])

    # A stock upload for P3 re-fits P3 alone and replaces only its rows.
    _snapshots(org, "P3", pd.date_range(END - pd.Timedelta(days=30), periods=3, freq="D"))
    job = _new_job(org)
    tasks.run(job)
    assert stage_entry(job, "forecasting")["series_refit"] == 1
    again = _stockouts(org)
    assert set(again.loc[again["source"] == "stock", "sku"]) == {"P1", "P3"}
    pd.testing.assert_frame_equal(
        again[again["sku"] != "P3"].reset_index(drop=True), found[found["sku"] != "P3"].reset_index(drop=True)
    )

    # Switching the organisation to "correct" re-fits every series; inferred stock-outs are corrected.
    with sync_session() as session:
        session.execute(
            text("UPDATE organizations SET settings = coalesce(settings, '{}'::jsonb) || :s WHERE id = :org"),
            {"org": org, "s": '{"stockouts": "correct"}'},
        )
    job = _new_job(org)
    tasks.run(job)
    assert stage_entry(job, "forecasting")["series_refit"] == 4
    corrected = _stockouts(org)
    assert corrected.loc[corrected["source"] == "inferred", "corrected"].all()
