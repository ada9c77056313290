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
# The settings steer only pricing (guardrails) and inventory (policy); the rest is unaffected.
RERUN = (PRICING.name, INVENTORY.name)
# The default country moves the holidays and retail events of stores without one: the forecasts
# change, and pricing and inventory follow forecasting.
RERUN_WITH_FORECASTS = (FORECASTING.name, *RERUN)


def rerun_stages(rerun: tuple[str, ...] = RERUN) -> dict[str, dict[str, Any]]:
    """A settings job's stages: those in `rerun` queued, every other stage skipped."""
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
        """Replace the settings (owners only) and re-run the engines they steer."""
        require_user_owner(self.identity)
        org = self.identity.organization_id
        before = await self.repository.get(org)
        await self.repository.save_settings(org, data.model_dump(mode="json"))
        stages = rerun_stages(RERUN_WITH_FORECASTS if data.country != before.country else RERUN)
        job = await self.repository.add_job(org, "settings", stages)
        # Committed before the tasks are sent: a worker must find the new settings and the job.
        await self.repository.commit()
        for task in ready_tasks(stages):
            enqueue(task, str(job.id))
        return SettingsSaved(settings=data, job_id=str(job.id))
