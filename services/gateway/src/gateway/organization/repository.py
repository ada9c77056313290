"""SQL of an organization's settings and of the jobs a settings change starts."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from common.models import Organization, UploadJob


class OrganizationRepository:
    """Organization queries on one request's session."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def settings(self, organization_id: uuid.UUID) -> dict[str, Any] | None:
        """The stored settings JSON (None when nothing was ever saved)."""
        return (
            await self.session.execute(
                select(Organization.settings).where(Organization.id == organization_id)
            )
        ).scalar_one_or_none()

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
