"""The pipeline, defined once: its stages, the task that runs each, and what each waits for.

An upload job walks these stages. `ingest` stores the rows; forecasting and segmentation then run
in parallel; pricing and inventory follow forecasting, because both read the demand model's output
(pricing its demand curves, so that its expected units agree with the forecast; inventory the
forecasts). A stage
hands on by task name (services never import each other): when it ends, it enqueues the tasks of
the stages waiting for it (`tasks_after`). The reaper re-runs a stage by the same names.

The names are the strings stored in `upload_jobs.stages` and the Celery task names on the queue
named after each service, so they never change without a migration.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

# How often celery beat runs the reaper's sweep (common.reaper).
REAP_EVERY_S = 60.0


@dataclass(frozen=True)
class Stage:
    """One stage of the pipeline: its name on the job, its task, the stage it waits for."""

    name: str
    task: str
    waits_for: str | None = None
    # A stage split into parts runs this task once per chunk (see ChunkPlan); "" for none.
    chunk_task: str = ""


INGEST = Stage("ingest", "ingest.merge")
FORECASTING = Stage("forecasting", "forecasting.run", waits_for="ingest", chunk_task="forecasting.chunk")
SEGMENTATION = Stage("segmentation", "segmentation.run", waits_for="ingest")
PRICING = Stage("pricing", "pricing.run", waits_for="forecasting")
INVENTORY = Stage("inventory", "inventory.run", waits_for="forecasting")

PIPELINE = (INGEST, FORECASTING, SEGMENTATION, PRICING, INVENTORY)
STAGES = tuple(stage.name for stage in PIPELINE)
# Stage -> the task that runs it, and the stage it waits for.
STAGE_TASKS = {stage.name: stage.task for stage in PIPELINE}
WAITS_FOR = {stage.name: stage.waits_for for stage in PIPELINE if stage.waits_for}

# A stage's status on the job: queued, running, then one of FINISHED.
DONE = ("succeeded", "skipped")
FINISHED = (*DONE, "failed")


def followers(stage: str) -> tuple[Stage, ...]:
    """The stages waiting for `stage`."""
    return tuple(s for s in PIPELINE if s.waits_for == stage)


def tasks_after(stage: str) -> tuple[str, ...]:
    """The tasks to enqueue when `stage` ends: those of the stages waiting for it."""
    return tuple(s.task for s in followers(stage))


def ready_tasks(stages: Mapping[str, Mapping[str, Any]]) -> list[str]:
    """The tasks of a job's queued stages whose awaited stage is done (or that wait for none).

    A queued stage behind another queued stage is started by that one when it ends.
    """
    ready = []
    for stage in PIPELINE:
        if stages.get(stage.name, {}).get("status") != "queued":
            continue
        before = stages.get(stage.waits_for, {}) if stage.waits_for else {}
        if stage.waits_for is None or before.get("status") in DONE:
            ready.append(stage.task)
    return ready


@dataclass(frozen=True)
class ChunkPlan:
    """A stage split into chunks, as its job entry records it: the chunk task, how many, which are done.

    Stored in the stage's entry (`fields`); the entry may hold more (e.g. forecasting's
    `chunks` specs), which belongs to the stage that planned it.
    """

    task: str
    total: int
    done: frozenset[int] = field(default_factory=frozenset)

    @classmethod
    def of(cls, entry: Mapping[str, Any]) -> ChunkPlan:
        """The plan in a stage entry (with no task and no chunks when the stage is not split)."""
        done = frozenset(int(index) for index in entry.get("chunks_done_ids") or ())
        return cls(str(entry.get("chunk_task") or ""), int(entry.get("chunks_total") or 0), done)

    @property
    def chunked(self) -> bool:
        """Whether the stage runs as chunks (a chunk task and at least one chunk)."""
        return bool(self.task and self.total)

    def missing(self) -> list[int]:
        """The chunks not done yet, in order."""
        return [index for index in range(self.total) if index not in self.done]

    def with_done(self, index: int) -> ChunkPlan:
        """The plan once chunk `index` is done (a chunk done twice counts once)."""
        return ChunkPlan(self.task, self.total, self.done | {index})

    @property
    def finished(self) -> bool:
        """Whether every chunk is done."""
        return len(self.done) >= self.total

    def fields(self) -> dict[str, Any]:
        """The plan as stored in the stage entry (JSON)."""
        return {"chunk_task": self.task, "chunks_total": self.total, **self.done_fields()}

    def done_fields(self) -> dict[str, Any]:
        """The entry's record of the chunks done (JSON)."""
        return {"chunks_done": len(self.done), "chunks_done_ids": sorted(self.done)}
