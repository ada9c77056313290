"""Business rules of partner API keys: owners create, list and revoke them; a key is shown once."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from common.auth import SCOPES, Identity, new_api_key
from common.errors import NotFound
from common.models import ApiKey
from gateway.api_keys import schemas
from gateway.api_keys.repository import ApiKeyRepository


class ApiKeyService:
    """An organization owner's API keys."""

    def __init__(self, repository: ApiKeyRepository, identity: Identity) -> None:
        self.repository = repository
        self.identity = identity

    async def create(self, data: schemas.ApiKeyCreate) -> schemas.ApiKeyCreated:
        """A new key with the scopes asked for; only its hash is stored."""
        key, prefix, key_hash = new_api_key()
        row = await self.repository.add(
            ApiKey(
                organization_id=self.identity.organization_id,
                created_by=self.identity.user_id,
                name=data.name,
                prefix=prefix,
                key_hash=key_hash,
                scopes=data.scopes,
            )
        )
        return schemas.ApiKeyCreated(id=row.id, key=key, name=row.name, prefix=prefix, scopes=data.scopes)

    async def active(self) -> schemas.ApiKeyList:
        """The organization's keys that are not revoked, and the scopes a key can have."""
        keys = await self.repository.active(self.identity.organization_id)
        return schemas.ApiKeyList(
            items=[
                schemas.ApiKey(
                    id=k.id,
                    name=k.name,
                    prefix=k.prefix,
                    scopes=k.scopes,
                    created_at=k.created_at,
                    last_used_at=k.last_used_at,
                )
                for k in keys
            ],
            scopes=SCOPES,
        )

    async def revoke(self, key_id: uuid.UUID) -> None:
        """Revoke a key of this organization at once; NotFound when there is no such active key."""
        if not await self.repository.revoke(self.identity.organization_id, key_id, datetime.now(UTC)):
            raise NotFound("no such API key")
