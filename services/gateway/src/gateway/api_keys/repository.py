"""SQL of API keys."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from common.models import ApiKey


class ApiKeyRepository:
    """API key queries on one request's session."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def add(self, key: ApiKey) -> ApiKey:
        """Insert a key."""
        self.session.add(key)
        await self.session.flush()
        return key

    async def active(self, organization_id: uuid.UUID) -> list[ApiKey]:
        """The organization's keys that are not revoked, newest first."""
        return list(
            (
                await self.session.execute(
                    select(ApiKey)
                    .where(ApiKey.organization_id == organization_id, ApiKey.revoked_at.is_(None))
                    .order_by(ApiKey.created_at.desc())
                )
            )
            .scalars()
            .all()
        )

    async def revoke(self, organization_id: uuid.UUID, key_id: uuid.UUID, when: datetime) -> bool:
        """Revoke a key of this organization; False when there is no such active key."""
        key = (
            await self.session.execute(
                select(ApiKey).where(
                    ApiKey.id == key_id,
                    ApiKey.organization_id == organization_id,
                    ApiKey.revoked_at.is_(None),
                )
            )
        ).scalar_one_or_none()
        if key is None:
            return False
        key.revoked_at = when
        return True
