"""SQL of an organization's settings and of the jobs a settings change starts."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import update

from common.models import Organization, UploadJob
from common.org_settings import OrganizationSettingsRepository


class OrganizationRepository(OrganizationSettingsRepository):
    """Organization queries on one request's session: its settings (`get`, `save_settings`) and jobs."""

    async def save_settings(self, organization_id: uuid.UUID, settings: dict[str, Any]) -> None:
        """Replace the settings JSON."""
        await self.session.execute(
            update(Organization).where(Organization.id == organization_id).values(settings=settings)
        )

    async def add_job(self, organization_id: uuid.UUID, kind: str, stages: dict[str, Any]) -> UploadJob:
        """Insert a queued job of this kind (no file) with these stages; its id is set."""
        job = UploadJob(
            organization_id=organization_id, kind=kind, status="queued", stages=stages, filename=None
        )
        self.session.add(job)
        await self.session.flush()
        return job

    async def commit(self) -> None:
        """Commit now, before the request ends (see OrganizationService.save_settings)."""
        await self.session.commit()
