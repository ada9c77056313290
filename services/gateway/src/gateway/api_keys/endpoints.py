"""Partner API keys: created, listed and revoked by an organization's owner."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response, status

from common.auth import Identity, authenticate, require_user_owner
from common.db import SessionDep
from gateway.api_keys import schemas
from gateway.api_keys.repository import ApiKeyRepository
from gateway.api_keys.service import ApiKeyService

router = APIRouter(prefix="/api-keys", tags=["api keys"])


async def owner(request: Request) -> Identity:
    """The signed-in owner (API keys cannot manage API keys)."""
    identity = await authenticate(request)
    require_user_owner(identity)
    return identity


def get_api_key_service(identity: Annotated[Identity, Depends(owner)], session: SessionDep) -> ApiKeyService:
    """The owner's API-key service, on this request's session."""
    return ApiKeyService(ApiKeyRepository(session), identity)


ApiKeyServiceDep = Annotated[ApiKeyService, Depends(get_api_key_service)]


@router.post("", status_code=status.HTTP_201_CREATED, response_model=schemas.ApiKeyCreated)
async def create_api_key(data: schemas.ApiKeyCreate, service: ApiKeyServiceDep) -> schemas.ApiKeyCreated:
    """Create a key for a partner; the key is in this response only. Send it as `X-API-Key`."""
    return await service.create(data)


@router.get("", response_model=schemas.ApiKeyList)
async def list_api_keys(service: ApiKeyServiceDep) -> schemas.ApiKeyList:
    """The organization's active keys (prefix only) and the scopes a key can have."""
    return await service.active()


@router.delete("/{key_id}", status_code=status.HTTP_204_NO_CONTENT)
async def revoke_api_key(key_id: uuid.UUID, service: ApiKeyServiceDep) -> Response:
    """Revoke a key at once; calls with it get 401 from then on."""
    await service.revoke(key_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
