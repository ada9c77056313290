"""Stock-outs of one organization: pages with their totals, and the CSV export."""

from __future__ import annotations

import io
from typing import Any

from common.auth import Identity
from common.csvsafe import CURRENCY_COLUMN, csv_line
from common.org_settings import OrganizationSettingsRepository
from common.stockouts import API_FIELDS
from inventory.stockouts.repository import StockoutFilter, StockoutRepository

# The fields of a stock-out, in the order of the JSON items and the CSV columns.
FIELDS = API_FIELDS


class StockoutService:
    """Stock-outs written by the forecasting worker, as the API shows them."""

    def __init__(
        self, repository: StockoutRepository, identity: Identity, settings: OrganizationSettingsRepository
    ) -> None:
        self.repository = repository
        self.identity = identity
        self.settings = settings

    async def page(self, where: StockoutFilter, limit: int, offset: int, sort: str) -> dict[str, Any]:
        """A page of matching runs in `sort` order, with the count and losses of all of them."""
        org = self.identity.organization_id
        rows = await self.repository.page(org, where, limit, offset, sort)
        total, lost_units, lost_revenue = await self.repository.totals(org, where)
        return {
            "items": [dict(zip(FIELDS, row, strict=True)) for row in rows],
            "total": total,
            "lost_units_total": lost_units,
            "lost_revenue_total": lost_revenue,
        }

    async def csv(self, where: StockoutFilter, sort: str) -> str:
        """Every matching run as CSV in `sort` order; the last column, `currency`, names the currency of `lost_revenue`."""
        org = self.identity.organization_id
        currency = (await self.settings.get(org)).currency
        out = io.StringIO()
        out.write(csv_line([*FIELDS, CURRENCY_COLUMN]))
        for row in await self.repository.page(org, where, None, 0, sort):
            out.write(
                csv_line((row.store, row.sku, row.start.isoformat(), row.end.isoformat(), *row[4:], currency))
            )
        return out.getvalue()
