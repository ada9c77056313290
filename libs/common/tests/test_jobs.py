"""Job status is derived from its stages, and stage updates land on the real database."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import select

from common import jobs
from common.db import sync_session
from common.models import Organization, UploadJob


def _stages(**states: str) -> dict[str, dict[str, object]]:
    stages = jobs.initial_stages()
    for name, state in states.items():
        stages[name]["status"] = state
    return stages


@pytest.mark.parametrize(
    "states, expected",
    [
        ({}, "queued"),
        ({"ingest": "running"}, "running"),
        ({"ingest": "succeeded"}, "running"),
        ({"ingest": "succeeded", "forecasting": "failed"}, "failed"),
        (
            {s: "succeeded" for s in ("ingest", "forecasting", "segmentation", "pricing", "inventory")},
            "succeeded",
        ),
        (
            {
                "ingest": "succeeded",
                "forecasting": "succeeded",
                "segmentation": "skipped",
                "pricing": "succeeded",
                "inventory": "succeeded",
            },
            "succeeded",
        ),
    ],
)
def test_overall_status(states: dict[str, str], expected: str) -> None:
    assert jobs.overall_status(_stages(**states)) == expected


def test_update_stage_records_progress_failure_and_reason(servers: object) -> None:
    with sync_session() as session:
        org = Organization(name="Shop")
        session.add(org)
        session.flush()
        job = UploadJob(organization_id=org.id, stages=jobs.initial_stages(), status="queued")
        session.add(job)
        session.flush()
        job_id = job.id
    assert jobs.update_stage(job_id, "ingest", status="succeeded", rows_new=5) == "running"
    assert jobs.update_stage(job_id, "pricing", progress=0.4) == "running"
    assert jobs.update_stage(job_id, "forecasting", status="failed", error="no product sales") == "failed"
    with sync_session() as session:
        stored = session.execute(select(UploadJob).where(UploadJob.id == job_id)).scalar_one()
    assert stored.rows_new == 5
    assert stored.stages["ingest"]["progress"] == 1.0
    assert stored.stages["pricing"]["progress"] == 0.4
    assert stored.error == "forecasting: no product sales"
    assert stored.finished_at is not None
    assert jobs.update_stage(uuid.uuid4(), "ingest", status="running") is None
