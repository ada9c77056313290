"""Partner API keys: created, listed and revoked by an organization's owner."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response, status

from common.auth import SCOPES, Identity, authenticate, new_api_key, require_user_owner
from common.db import SessionDep
from common.errors import NotFound
from common.models import ApiKey
from gateway.api_keys import schemas
from gateway.api_keys.repository import ApiKeyRepository

router = APIRouter(prefix="/api-keys", tags=["api keys"])


async def owner(request: Request) -> Identity:
    """The signed-in owner (API keys cannot manage API keys)."""
    identity = await authenticate(request)
    require_user_owner(identity)
    return identity


OwnerDep = Annotated[Identity, Depends(owner)]


@router.post("", status_code=status.HTTP_201_CREATED, response_model=schemas.ApiKeyCreated)
async def create_api_key(
    data: schemas.ApiKeyCreate, identity: OwnerDep, session: SessionDep
) -> schemas.ApiKeyCreated:
    """Create a key for a partner; the key is in this response only. Send it as `X-API-Key`."""
    key, prefix, key_hash = new_api_key()
    row = await ApiKeyRepository(session).add(
        ApiKey(
            organization_id=identity.organization_id,
            created_by=identity.user_id,
            name=data.name,
            prefix=prefix,
            key_hash=key_hash,
            scopes=data.scopes,
        )
    )
    return schemas.ApiKeyCreated(id=row.id, key=key, name=row.name, prefix=prefix, scopes=data.scopes)


@router.get("", response_model=schemas.ApiKeyList)
async def list_api_keys(identity: OwnerDep, session: SessionDep) -> schemas.ApiKeyList:
    """The organization's active keys (prefix only) and the scopes a key can have."""
    keys = await ApiKeyRepository(session).active(identity.organization_id)
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


@router.delete("/{key_id}", status_code=status.HTTP_204_NO_CONTENT)
async def revoke_api_key(key_id: uuid.UUID, identity: OwnerDep, session: SessionDep) -> Response:
    """Revoke a key at once; calls with it get 401 from then on."""
    if not await ApiKeyRepository(session).revoke(identity.organization_id, key_id, datetime.now(UTC)):
        raise NotFound("no such API key")
    return Response(status_code=status.HTTP_204_NO_CONTENT)
