"""Business rules of an organization's settings: who may change them and what a change re-runs."""

from __future__ import annotations

from typing import Any

from common.auth import Identity, require_user_owner
from common.celery_app import enqueue
from common.jobs import initial_stages
from common.org_settings import OrganizationSettings
from common.stages import FORECASTING, INVENTORY, PRICING, ready_tasks
from gateway.organization.repository import OrganizationRepository
from gateway.organization.schemas import SettingsSaved

# The stages a settings change re-runs; the job's other stages are marked skipped.
# The settings steer pricing (guardrails) and inventory (policy); the rest is unaffected, except
# what the demand model learns from, whose change re-runs forecasting first.
RERUN = (PRICING.name, INVENTORY.name)
# `country`: the holidays and retail events of stores without a country of their own.
FORECAST_SETTINGS = ("stockouts", "country")


def rerun_stages(forecasting: bool = False) -> dict[str, dict[str, Any]]:
    """A settings job's stages: RERUN (and forecasting when asked) queued, every other stage skipped."""
    rerun = (*RERUN, FORECASTING.name) if forecasting else RERUN
    stages = initial_stages()
    for name, entry in stages.items():
        if name not in rerun:
            entry.update(status="skipped", progress=1.0)
    return stages


class OrganizationService:
    """Reads and changes an organization's settings."""

    def __init__(self, repository: OrganizationRepository, identity: Identity) -> None:
        self.repository = repository
        self.identity = identity

    async def settings(self) -> OrganizationSettings:
        """The organization's settings, defaults where nothing was set."""
        return await self.repository.get(self.identity.organization_id)

    async def save_settings(self, data: OrganizationSettings) -> SettingsSaved:
        """Replace the settings (owners only) and re-run the engines they steer (forecasting when
        what the demand model learns from changed, pricing and inventory after it)."""
        require_user_owner(self.identity)
        org = self.identity.organization_id
        before = await self.repository.get(org)
        await self.repository.save_settings(org, data.model_dump(mode="json"))
        stages = rerun_stages(any(getattr(before, f) != getattr(data, f) for f in FORECAST_SETTINGS))
        job = await self.repository.add_job(org, "settings", stages)
        # Committed before the tasks are sent: a worker must find the new settings and the job.
        await self.repository.commit()
        for task in ready_tasks(stages):
            enqueue(task, str(job.id))
        return SettingsSaved(settings=data, job_id=str(job.id))
