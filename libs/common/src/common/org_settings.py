"""What a retailer can set for their organization: privacy, pricing guardrails, inventory policy,
what to do with inferred stock-outs.

Stored as JSON in `organizations.settings`; the workers read them before each run and hand them
to the engines as parameters (the engines validate the values again).
"""

from __future__ import annotations

import uuid
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, Field
from sqlalchemy import Connection, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from common.calendar import DEFAULT_COUNTRY, country_code
from common.currency import DEFAULT_CURRENCY, currency_code
from common.models import Organization


class PricingGuardrails(BaseModel):
    """Rules every suggested price obeys (see pricing.engine.Guardrails)."""

    objective: Literal["profit", "revenue"] = "profit"
    max_change_pct: float = Field(10.0, gt=0, lt=100)
    min_margin_pct: float = Field(5.0, ge=0, le=500)
    assumed_margin_pct: float = Field(30.0, gt=0, le=500)
    price_endings: list[float] = Field(default_factory=lambda: [0.99, 0.49], max_length=10)
    min_confidence: Literal["insufficient", "low", "medium", "high"] = "medium"


class CategoryGuardrails(BaseModel):
    """Per-category overrides: only the fields given replace the organization's."""

    objective: Literal["profit", "revenue"] | None = None
    max_change_pct: float | None = Field(None, gt=0, lt=100)
    min_margin_pct: float | None = Field(None, ge=0, le=500)
    assumed_margin_pct: float | None = Field(None, gt=0, le=500)
    price_endings: list[float] | None = Field(None, max_length=10)
    min_confidence: Literal["insufficient", "low", "medium", "high"] | None = None


class InventorySettings(BaseModel):
    """Targets and cost assumptions for stock levels (see inventory.engine.InventoryPolicy)."""

    service_level: float = Field(0.95, gt=0.5, lt=1.0)
    service_level_type: Literal["cycle", "fill_rate"] = "cycle"
    default_lead_time_days: int = Field(7, ge=0, le=365)
    review_period_days: int = Field(7, ge=1, le=365)
    holding_cost_rate: float = Field(0.25, gt=0, le=5)
    ordering_cost: float | None = Field(None, ge=0)
    excess_cover_days: int = Field(56, ge=1, le=3650)


class OrganizationSettings(BaseModel):
    """Everything a retailer can tune."""

    # The currency of every amount the retailer uploads and reads back (prices, revenue, values):
    # the platform never converts, it names the currency in the dashboard and the CSV exports.
    currency: Annotated[str, AfterValidator(currency_code)] = DEFAULT_CURRENCY
    # Where a store without a country of its own is (ISO 3166-1 alpha-2): its public holidays and
    # retail events are this country's (common.calendar).
    country: Annotated[str, AfterValidator(country_code)] = DEFAULT_COUNTRY
    pseudonymise_customers: bool = True
    pricing: PricingGuardrails = Field(default_factory=PricingGuardrails)
    pricing_categories: dict[str, CategoryGuardrails] = Field(default_factory=dict, max_length=500)
    inventory: InventorySettings = Field(default_factory=InventorySettings)
    # Stock-outs inferred from improbable runs of zero sales (no stock history says so) are
    # reported either way; "correct" also treats them as censored when the demand model learns.
    # Periods the stock history shows out of stock are always corrected.
    stockouts: Literal["flag", "correct"] = "flag"

    def pricing_category_overrides(self) -> dict[str, dict[str, Any]]:
        """Per-category guardrail overrides as plain dicts of the fields that were set."""
        return {name: rules.model_dump(exclude_none=True) for name, rules in self.pricing_categories.items()}


def load_settings(connection: Connection, organization_id: uuid.UUID) -> OrganizationSettings:
    """An organization's settings, defaults filled in."""
    raw = connection.execute(
        text("SELECT settings FROM organizations WHERE id = :org"), {"org": organization_id}
    ).scalar_one_or_none()
    return OrganizationSettings.model_validate(raw or {})


class OrganizationSettingsRepository:
    """An organization's settings on one request's session (what HTTP handlers read)."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(self, organization_id: uuid.UUID) -> OrganizationSettings:
        """The organization's settings, defaults filled in."""
        raw = (
            await self.session.execute(
                select(Organization.settings).where(Organization.id == organization_id)
            )
        ).scalar_one_or_none()
        return OrganizationSettings.model_validate(raw or {})
