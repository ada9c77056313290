"""The reaper re-runs stages whose worker died, and fails them after repeated stalls."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select

from common import jobs
from common.cache import sync_redis
from common.db import sync_session
from common.models import Organization, UploadJob
from common.reaper import MAX_ATTEMPTS, reap_stalled


def _job(stages: dict[str, dict[str, Any]]) -> Any:
    with sync_session() as session:
        org = Organization(name="Shop")
        session.add(org)
        session.flush()
        job = UploadJob(organization_id=org.id, stages=stages, status="running")
        session.add(job)
        session.flush()
        return job.id


def _stages(**entries: tuple[str, float]) -> dict[str, dict[str, Any]]:
    now = datetime.now(UTC)
    stages = jobs.initial_stages()
    for name, (status, minutes_ago) in entries.items():
        stages[name].update(status=status, updated_at=(now - timedelta(minutes=minutes_ago)).isoformat())
    return stages


def _stored(job_id: Any) -> UploadJob:
    with sync_session() as session:
        return session.execute(select(UploadJob).where(UploadJob.id == job_id)).scalar_one()


def test_a_stage_whose_worker_died_is_enqueued_again_then_failed(servers: Any) -> None:
    job_id = _job(_stages(ingest=("succeeded", 20), forecasting=("running", 10), pricing=("running", 0.1)))
    queue = sync_redis()
    before = queue.llen("forecasting")
    reap_stalled()
    stored = _stored(job_id)
    assert stored.stages["forecasting"]["status"] == "queued"
    assert stored.stages["forecasting"]["attempts"] == 1
    assert queue.llen("forecasting") == before + 1
    assert stored.stages["pricing"]["status"] == "running"  # beating recently: left alone
    for attempt in range(2, MAX_ATTEMPTS + 2):
        later = datetime.now(UTC) + timedelta(minutes=10 * attempt)
        with sync_session() as session:
            job = session.execute(select(UploadJob).where(UploadJob.id == job_id)).scalar_one()
            job.stages = {**job.stages, "forecasting": {**job.stages["forecasting"], "status": "running"}}
        reap_stalled(now=later)
    stored = _stored(job_id)
    assert stored.stages["forecasting"]["status"] == "failed"
    assert "stopped responding" in stored.stages["forecasting"]["error"]
    assert stored.status == "failed"


def test_a_lost_hand_over_is_sent_again(servers: Any) -> None:
    job_id = _job(_stages(ingest=("succeeded", 30), forecasting=("succeeded", 10), inventory=("queued", 10)))
    before = sync_redis().llen("inventory")
    assert reap_stalled()["retried"] >= 1
    assert sync_redis().llen("inventory") == before + 1
    assert _stored(job_id).stages["inventory"]["attempts"] == 1


def test_healthy_jobs_are_left_alone(servers: Any) -> None:
    job_id = _job(_stages(ingest=("succeeded", 1), forecasting=("running", 0.5), inventory=("queued", 1)))
    reap_stalled()
    stages = _stored(job_id).stages
    assert stages["forecasting"]["status"] == "running" and "attempts" not in stages["forecasting"]
    assert "attempts" not in stages["inventory"]


def test_an_upload_whose_request_died_is_failed_with_a_reason(servers: Any) -> None:
    stages = _stages(ingest=("running", 10))
    stages["ingest"]["progress"] = 0.3
    job_id = _job(stages)
    reap_stalled()
    stored = _stored(job_id)
    assert stored.stages["ingest"]["status"] == "failed"
    assert "upload the file again" in stored.stages["ingest"]["error"]
