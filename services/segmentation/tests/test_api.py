"""Segmentation task and API on the real database: runs are kept, migration is counted, exports are safe."""

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
from common.jobs import initial_stages
from common.models import UploadJob

pytestmark = pytest.mark.asyncio(loop_scope="session")


@pytest.fixture
async def client(servers: Any) -> AsyncIterator[httpx.AsyncClient]:
    from segmentation.main import app

    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://segmentation") as c:
        yield c


def _lines(organization_id: uuid.UUID, customers: int, days: int, seed: int, end: str) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    dates = pd.date_range(end=end, periods=days, freq="D")
    rows = []
    for c in range(customers):
        # A spread of behaviour: some buy weekly, some rarely; some stopped long ago.
        every = [3, 7, 30, 90][c % 4]
        stop = days - (c % 5) * 40
        for d in range(c % every, max(stop, 1), every):
            rows.append(
                {
                    "customer_id": f"=CUST{c:03d}" if c == 0 else f"CUST{c:03d}",
                    "date": dates[d],
                    "quantity": float(rng.integers(1, 5)),
                    "unit_price": float(rng.uniform(2, 30)),
                    "transaction_id": f"T{c}-{d}",
                }
            )
    frame = pd.DataFrame(rows)
    return frame.assign(
        organization_id=str(organization_id), store="S1", sku="A", line_no=0, date=frame["date"].dt.date
    )


def _store_and_run(organization_id: uuid.UUID, lines: pd.DataFrame) -> str:
    from segmentation.tasks import run

    with sync_session() as session:
        connection = session.connection()
        connection.exec_driver_sql(
            "DELETE FROM sales_lines WHERE organization_id = %s", (str(organization_id),)
        )
        write_frame(
            connection,
            "sales_lines",
            lines,
            (
                "organization_id",
                "store",
                "sku",
                "date",
                "transaction_id",
                "line_no",
                "quantity",
                "unit_price",
                "customer_id",
            ),
        )
        job = UploadJob(organization_id=organization_id, stages=initial_stages(), status="running")
        session.add(job)
        session.flush()
        job_id = str(job.id)
    run(job_id)
    return job_id


async def test_segments_migration_and_export(client: httpx.AsyncClient, make_identity: Any) -> None:
    identity, headers = make_identity()
    org = identity.organization_id
    first = _lines(org, 60, 400, seed=1, end="2024-06-30")
    _store_and_run(org, first)
    segments = (await client.get("/customer-segments", headers=headers)).json()
    assert segments["total_customers"] == 60
    assert sum(s["customers"] for s in segments["segments"]) == 60
    assert all(s["description"] and s["action"] for s in segments["segments"])
    assert (await client.get("/customer-segments/migration", headers=headers)).json()["items"] == []

    # Ninety days later, with ten new customers: everyone is counted once, moved or not.
    later = pd.concat(
        [first, _lines(org, 70, 490, seed=2, end="2024-09-28").query("customer_id >= 'CUST060'")]
    )
    _store_and_run(org, later)
    migration = (await client.get("/customer-segments/migration", headers=headers)).json()
    moved = {(m["from_segment"], m["to_segment"]): m["customers"] for m in migration["items"]}
    assert sum(n for (src, _), n in moved.items() if src != "(new)") == 60
    assert sum(n for (src, _), n in moved.items() if src == "(new)") == 10
    assert migration["previous_run_at"] < migration["current_run_at"]

    page = (await client.get("/customer-segments/customers", headers=headers, params={"limit": 5})).json()
    assert page["total"] == 70 and len(page["items"]) == 5
    assert page["items"][0]["monetary"] >= page["items"][-1]["monetary"]
    export = (await client.get("/customer-segments/export.csv", headers=headers)).text
    assert export.splitlines()[0].startswith('"customer_id","segment"')
    assert '"\'=CUST000"' in export  # a formula-looking id is neutralised for spreadsheets
    assert len(export.splitlines()) == 71
    # The amounts' currency is a column of its own at the end: earlier columns keep their places.
    assert export.splitlines()[0].endswith('"p_alive","currency"')
    assert all(line.endswith(',"USD"') for line in export.splitlines()[1:])
    with sync_session() as session:
        session.execute(
            text("UPDATE organizations SET settings = CAST(:s AS jsonb) WHERE id = :o"),
            {"s": '{"currency": "EUR"}', "o": org},
        )
    export = (await client.get("/customer-segments/export.csv", headers=headers)).text
    assert all(line.endswith(',"EUR"') for line in export.splitlines()[1:])
