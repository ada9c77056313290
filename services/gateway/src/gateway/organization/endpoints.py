"""The organization's settings: customer-id pseudonymisation, pricing guardrails, inventory policy."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel
from sqlalchemy import update

from common.auth import Identity, authenticate, require_user_owner
from common.celery_app import enqueue
from common.db import SessionDep
from common.jobs import initial_stages
from common.models import Organization, UploadJob
from common.org_settings import OrganizationSettings
from common.stages import INVENTORY, PRICING, ready_tasks

router = APIRouter(prefix="/settings", tags=["organization"])
# Stages a settings change re-runs; the others are marked skipped.
RERUN = (PRICING.name, INVENTORY.name)


class SettingsSaved(BaseModel):
    """The saved settings and the job re-running the engines they affect."""

    settings: OrganizationSettings
    job_id: str


async def signed_in(request: Request) -> Identity:
    """Any signed-in member or API key of the organization."""
    return await authenticate(request)


@router.get("", response_model=OrganizationSettings)
async def get_settings(identity: Annotated[Identity, Depends(signed_in)], session: SessionDep) -> Any:
    """The organization's settings (defaults where nothing was set)."""
    org = await session.get(Organization, identity.organization_id)
    return OrganizationSettings.model_validate((org.settings if org else None) or {})


@router.put("", response_model=SettingsSaved)
async def put_settings(
    data: OrganizationSettings, identity: Annotated[Identity, Depends(signed_in)], session: SessionDep
) -> Any:
    """Replace the settings (owners only) and re-run pricing and inventory with them."""
    require_user_owner(identity)
    await session.execute(
        update(Organization)
        .where(Organization.id == identity.organization_id)
        .values(settings=data.model_dump(mode="json"))
    )
    stages = initial_stages()
    for name, entry in stages.items():
        if name not in RERUN:
            entry.update(status="skipped", progress=1.0)
    job = UploadJob(
        organization_id=identity.organization_id,
        kind="settings",
        status="queued",
        stages=stages,
        filename=None,
    )
    session.add(job)
    await session.flush()
    await session.commit()  # the workers must see the settings and the job before the tasks arrive
    for task in ready_tasks(stages):
        enqueue(task, str(job.id))
    return SettingsSaved(settings=data, job_id=str(job.id))
