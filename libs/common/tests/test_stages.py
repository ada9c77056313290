"""The pipeline's one definition: stage order, hand-overs, chunk plans, and the stage task around them."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import delete, select

from common import jobs, models, stages
from common.db import sync_session
from common.models import Organization, UploadJob
from common.pipeline import SKIPPED, stage_task
from common.settings import SERVICES
from common.stages import PIPELINE, ChunkPlan, ready_tasks, tasks_after


def test_every_stage_has_a_task_on_its_services_queue_and_waits_for_an_earlier_stage() -> None:
    assert models.STAGES == stages.STAGES == ("ingest", "forecasting", "segmentation", "pricing", "inventory")
    seen: set[str] = set()
    for stage in PIPELINE:
        service, _, verb = stage.task.partition(".")
        assert service in SERVICES and verb, stage.task
        assert stage.waits_for is None or stage.waits_for in seen, f"{stage.name} waits for a later stage"
        seen.add(stage.name)
    assert stages.WAITS_FOR == {
        "forecasting": "ingest",
        "segmentation": "ingest",
        "pricing": "forecasting",
        "inventory": "forecasting",
    }


def test_a_stage_hands_on_to_the_stages_waiting_for_it() -> None:
    assert tasks_after("ingest") == ("forecasting.run", "segmentation.run")
    assert tasks_after("forecasting") == ("pricing.run", "inventory.run")
    assert tasks_after("inventory") == ()


def _job(**states: str) -> dict[str, dict[str, Any]]:
    entries = jobs.initial_stages()
    for name, state in states.items():
        entries[name]["status"] = state
    return entries


def test_ready_tasks_start_only_what_does_not_wait_for_a_queued_stage() -> None:
    # A plan upload: forecasting re-runs, and inventory follows it rather than starting now.
    plan = _job(ingest="succeeded", segmentation="skipped", pricing="skipped")
    assert ready_tasks(plan) == ["forecasting.run"]
    # A products upload or a settings change: forecasting is skipped, so inventory starts at once.
    products = _job(ingest="succeeded", forecasting="skipped", segmentation="skipped")
    assert ready_tasks(products) == ["pricing.run", "inventory.run"]
    assert ready_tasks(_job(ingest="running")) == []
    assert ready_tasks(_job()) == ["ingest.merge"]


def test_a_chunk_plan_counts_each_chunk_once_and_lists_the_missing() -> None:
    entry = {
        "status": "running",
        "chunk_task": "forecasting.chunk",
        "chunks_total": 4,
        "chunks_done_ids": [2],
    }
    plan = ChunkPlan.of(entry)
    assert plan.chunked and plan.missing() == [0, 1, 3] and not plan.finished
    done = plan.with_done(0).with_done(0).with_done(1).with_done(3)
    assert done.finished and done.missing() == []
    assert done.fields() == {
        "chunk_task": "forecasting.chunk",
        "chunks_total": 4,
        "chunks_done": 4,
        "chunks_done_ids": [0, 1, 2, 3],
    }
    assert not ChunkPlan.of({"status": "running"}).chunked


calls: list[tuple[str, uuid.UUID]] = []


@stage_task("pricing.stage_probe", "pricing")
def _probe(job_id: str, organization_id: uuid.UUID, report: Any, outcome: str) -> str | None:
    calls.append((job_id, organization_id))
    return SKIPPED if outcome == "skip" else None


def _stored_job() -> tuple[str, uuid.UUID]:
    with sync_session() as session:
        org = Organization(name="Shop")
        session.add(org)
        session.flush()
        job = UploadJob(organization_id=org.id, stages=jobs.initial_stages(), status="running")
        session.add(job)
        session.flush()
        return str(job.id), org.id


def test_stage_task_hands_the_organization_over_and_records_the_outcome(servers: Any) -> None:
    job_id, organization_id = _stored_job()
    calls.clear()
    _probe(job_id, "run")
    assert calls == [(job_id, organization_id)]
    assert jobs.stage_entry(job_id, "pricing")["status"] == "succeeded"
    _probe(job_id, "skip")
    assert jobs.stage_entry(job_id, "pricing")["status"] == "skipped"


def test_stage_task_of_a_job_that_no_longer_exists_runs_nothing(servers: Any) -> None:
    job_id, _ = _stored_job()
    with sync_session() as session:
        session.execute(delete(UploadJob).where(UploadJob.id == uuid.UUID(job_id)))
    calls.clear()
    assert _probe(job_id, "run") is None
    assert calls == []
    with sync_session() as session:
        assert session.execute(select(UploadJob).where(UploadJob.id == uuid.UUID(job_id))).first() is None
