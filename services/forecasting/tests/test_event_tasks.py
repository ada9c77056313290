"""The forecasting task reads each store's calendar: opening dates bound points, a calendar change re-fits."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import numpy as np
import pandas as pd
import pytest
from sqlalchemy import text

from common.db import sync_session
from common.jobs import initial_stages, stage_entry
from common.models import UploadJob
from common.testing.plugin import write_sales_lines
from forecasting import tasks

END = pd.Timestamp("2026-10-31")
HORIZON_DAYS = 28


def _sales(org: uuid.UUID) -> pd.DataFrame:
    """Daily units of two items in stores S1 and S2 over 200 days ending on END."""
    rng = np.random.default_rng(3)
    dates = pd.date_range(end=END, periods=200, freq="D")
    return pd.DataFrame(
        [
            (str(org), store, f"P{k}", day.date(), "", 0, float(rng.poisson(12)), 4.0)
            for store in ("S1", "S2")
            for k in range(2)
            for day in dates
        ],
        columns=[
            "organization_id",
            "store",
            "sku",
            "date",
            "transaction_id",
            "line_no",
            "quantity",
            "unit_price",
        ],
    )


def _new_job(org: uuid.UUID) -> str:
    stages = initial_stages()
    stages["ingest"].update(status="succeeded", progress=1.0)
    with sync_session() as session:
        job = UploadJob(organization_id=org, stages=stages, status="running", options={})
        session.add(job)
        session.flush()
        return str(job.id)


def _execute(sql: str, **params: Any) -> None:
    with sync_session() as session:
        session.execute(text(sql), params)


def _last_points(org: uuid.UUID) -> dict[str, pd.Timestamp]:
    with sync_session() as session:
        rows = session.execute(
            text("SELECT store, max(date) FROM predictions WHERE organization_id = :org GROUP BY store"),
            {"org": org},
        ).all()
    return {store: pd.Timestamp(last) for store, last in rows}


@pytest.fixture
def sent(servers: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[list[tuple[Any, ...]]]:
    """Tasks the forecasting tasks enqueue, captured instead of sent (the test runs them in process)."""
    calls: list[tuple[Any, ...]] = []
    monkeypatch.setattr(tasks, "enqueue", lambda name, *args: calls.append((name, *args)))
    yield calls


def test_store_closing_bounds_the_points_and_a_store_event_refits_only_that_store(
    make_identity: Any, sent: list[tuple[Any, ...]]
) -> None:
    identity, _ = make_identity()
    org = identity.organization_id
    write_sales_lines(_sales(org))
    closing = END + pd.Timedelta(days=10)
    _execute(
        "INSERT INTO stores (organization_id, store, country, closed_on) VALUES (:org, 'S2', 'DE', :closed) "
        "ON CONFLICT (organization_id, store) DO UPDATE SET country = 'DE', closed_on = :closed",
        org=org,
        closed=closing.date(),
    )
    first = _new_job(org)
    tasks.run(first)
    last = _last_points(org)
    assert last["S1"] == END + pd.Timedelta(days=HORIZON_DAYS)
    assert last["S2"] == closing

    # An own event of store S1 only: its two series re-fit, S2's stay.
    _execute(
        'INSERT INTO events (organization_id, name, kind, start, "end", store) '
        "VALUES (:org, 'Street festival', 'festival', :day, :day, 'S1')",
        org=org,
        day=(END + pd.Timedelta(days=5)).date(),
    )
    second = _new_job(org)
    tasks.run(second)
    entry = stage_entry(second, "forecasting")
    assert (entry["series_refit"], entry["series_kept"]) == (2, 2)

    # Nothing changed: nothing re-fits.
    third = _new_job(org)
    tasks.run(third)
    assert stage_entry(third, "forecasting")["series_refit"] == 0
