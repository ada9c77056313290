"""The organization's settings: customer-id pseudonymisation, pricing guardrails, inventory policy,
stock-out correction."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request

from common.auth import Identity, authenticate
from common.db import SessionDep
from common.org_settings import OrganizationSettings
from gateway.organization.repository import OrganizationRepository
from gateway.organization.schemas import SettingsSaved
from gateway.organization.service import OrganizationService

router = APIRouter(prefix="/settings", tags=["organization"])


async def signed_in(request: Request) -> Identity:
    """Any signed-in member or API key of the organization."""
    return await authenticate(request)


def get_organization_service(
    identity: Annotated[Identity, Depends(signed_in)], session: SessionDep
) -> OrganizationService:
    """The organization service for the caller, on this request's session."""
    return OrganizationService(OrganizationRepository(session), identity)


OrganizationServiceDep = Annotated[OrganizationService, Depends(get_organization_service)]


@router.get("", response_model=OrganizationSettings)
async def get_settings(service: OrganizationServiceDep) -> OrganizationSettings:
    """The organization's settings (defaults where nothing was set)."""
    return await service.settings()


@router.put("", response_model=SettingsSaved)
async def put_settings(data: OrganizationSettings, service: OrganizationServiceDep) -> SettingsSaved:
    """Replace the settings (owners only) and re-run pricing and inventory with them.

    `stockouts`: `"flag"` (default) reports stock-outs inferred from improbable runs of zero sales;
    `"correct"` also corrects the demand the model learns in those periods. Changing it re-runs
    forecasting first, then pricing and inventory."""
    return await service.save_settings(data)
