"""Accounts and tokens: the only gateway routes that do not need a bearer token."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response, status

from common.auth import CurrentIdentity
from common.db import SessionDep
from gateway.auth import schemas
from gateway.auth.repository import AuthRepository
from gateway.auth.service import AuthService

router = APIRouter(prefix="/auth", tags=["auth"])


def get_auth_service(session: SessionDep) -> AuthService:
    """The auth service on this request's session."""
    return AuthService(AuthRepository(session))


AuthServiceDep = Annotated[AuthService, Depends(get_auth_service)]


@router.post("/register", status_code=status.HTTP_201_CREATED, response_model=schemas.User)
async def register(data: schemas.UserCreate, service: AuthServiceDep) -> schemas.User:
    """Create an organization and its owner account."""
    return await service.register(data)


@router.post("/login", response_model=schemas.TokenPair)
async def login(data: schemas.Login, request: Request, service: AuthServiceDep) -> schemas.TokenPair:
    """Exchange email and password for an access token and a refresh token (failures are throttled)."""
    return await service.login(data, request.client.host if request.client else "unknown")


@router.post("/refresh", response_model=schemas.TokenPair)
async def refresh(data: schemas.RefreshRequest, service: AuthServiceDep) -> schemas.TokenPair:
    """Rotate a refresh token into a new token pair."""
    return await service.refresh(data.refresh_token)


@router.post("/logout", status_code=status.HTTP_204_NO_CONTENT)
async def logout(data: schemas.RefreshRequest, service: AuthServiceDep) -> Response:
    """End the session the refresh token belongs to."""
    await service.logout(data.refresh_token)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/me", response_model=schemas.Me)
async def me(identity: CurrentIdentity, service: AuthServiceDep) -> schemas.Me:
    """The signed-in user and organization."""
    return await service.me(identity)


members_router = APIRouter(prefix="/users", tags=["auth"])


@members_router.post("", status_code=status.HTTP_201_CREATED, response_model=schemas.Member)
async def add_member(
    data: schemas.MemberCreate, identity: CurrentIdentity, service: AuthServiceDep
) -> schemas.Member:
    """Add a person to the organization (owners only); analysts get read-only access."""
    return await service.add_member(identity, data)


@members_router.get("", response_model=list[schemas.Member])
async def list_members(identity: CurrentIdentity, service: AuthServiceDep) -> list[schemas.Member]:
    """Everyone in the organization."""
    return await service.members(identity)
