"""Scenarios API: what-if prices and promotions carried through demand, orders and margin."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, BackgroundTasks, Depends, Query, Response

from common.auth import CurrentIdentity
from common.celery_app import enqueue
from common.db import SessionDep
from common.stages import FORECASTING
from forecasting.scenarios import schemas
from forecasting.scenarios.repository import ScenarioRepository
from forecasting.scenarios.service import ScenarioService

router = APIRouter(prefix="/scenarios", tags=["scenarios"])


def get_service(session: SessionDep, identity: CurrentIdentity) -> ScenarioService:
    """The scenario service for the caller's organization."""
    return ScenarioService(ScenarioRepository(session), identity)


ServiceDep = Annotated[ScenarioService, Depends(get_service)]


@router.post("", status_code=202, response_model=schemas.ScenarioAccepted)
async def create_scenario(
    data: schemas.ScenarioCreate, service: ServiceDep, background: BackgroundTasks
) -> Any:
    """Weigh prices and promotions: 202 with the scenario's id; `GET /scenarios/{id}` shows it computing.

    A change without store/sku/category applies to every item; a later change overrides an earlier
    one for the same item and date; `price_change_pct` is relative to the price the baseline assumes
    for that date; `from_pricing_suggestions` starts from the current suggested prices over the
    forecast horizon. The baseline forecasts, plan and recommendations stay as they are.
    """
    scenario_id = await service.create(data)
    # Enqueued after the response, so after the session has committed the scenario's row.
    background.add_task(enqueue, "forecasting.scenario", str(scenario_id))
    return {"id": scenario_id, "status": "queued"}


@router.get("", response_model=schemas.ScenarioList)
async def list_scenarios(
    service: ServiceDep,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Annotated[int, Query(ge=0, le=1_000_000_000)] = 0,
) -> Any:
    """The organization's scenarios, newest first, with their status and totals."""
    return await service.page(limit, offset)


@router.get("/{scenario_id}", response_model=schemas.Scenario)
async def get_scenario(
    scenario_id: uuid.UUID,
    service: ServiceDep,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Annotated[int, Query(ge=0, le=1_000_000_000)] = 0,
) -> Any:
    """A scenario against the baseline: totals, then per item (changed ones first) units, revenue,
    gross margin, order quantity and stock-out risk over the forecast horizon, with demand points.
    """
    return await service.get(scenario_id, limit, offset)


@router.delete("/{scenario_id}", status_code=204, response_class=Response)
async def delete_scenario(scenario_id: uuid.UUID, service: ServiceDep) -> Response:
    """Delete a scenario (the plan and forecasts are not touched)."""
    await service.delete(scenario_id)
    return Response(status_code=204)


@router.post("/{scenario_id}/adopt", status_code=202, response_model=schemas.AdoptAccepted)
async def adopt_scenario(scenario_id: uuid.UUID, service: ServiceDep, background: BackgroundTasks) -> Any:
    """Make the scenario's changes the plan; forecasting, pricing and inventory run again (`GET /jobs/{job_id}`)."""
    job_id = await service.adopt(scenario_id)
    background.add_task(enqueue, FORECASTING.task, str(job_id))
    return {"job_id": job_id}
