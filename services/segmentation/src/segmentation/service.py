"""Customer segments for one organization, through the Redis cache."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

from common import pii
from common.auth import Identity
from common.cache import cached
from common.csvsafe import CURRENCY_COLUMN, csv_line
from common.org_settings import OrganizationSettingsRepository
from segmentation.repository import CUSTOMER_COLUMNS, SegmentRepository

# A customer's stored columns a campaign tool can use (not the run, organization or feature vector).
EXPORT_COLUMNS = tuple(c for c in CUSTOMER_COLUMNS if c not in ("run_id", "organization_id", "features"))


class SegmentService:
    """Segments, customers, migration and exports of the latest run."""

    def __init__(
        self, repository: SegmentRepository, identity: Identity, settings: OrganizationSettingsRepository
    ) -> None:
        self.repository = repository
        self.identity = identity
        self.settings = settings

    async def segments(self) -> dict[str, Any]:
        """The latest run's segments."""
        org = self.identity.organization_id

        async def load() -> dict[str, Any]:
            runs = await self.repository.latest_runs(org)
            if not runs:
                return {"segments": [], "total_customers": 0, "run_at": None, "k": None, "silhouette": None}
            run = runs[0]
            return {
                "segments": run.segments,
                "total_customers": run.total_customers,
                "run_at": run.created_at.isoformat(),
                "k": run.k,
                "silhouette": run.silhouette,
            }

        return await cached(str(org), "segments", {"view": "segments"}, load)

    async def customers(self, segment: str | None, limit: int, offset: int) -> dict[str, Any]:
        """A page of customers of the latest run."""
        org = self.identity.organization_id

        async def load() -> dict[str, Any]:
            runs = await self.repository.latest_runs(org)
            if not runs:
                return {"items": [], "total": 0}
            rows, total = await self.repository.customers(runs[0].id, segment, limit, offset)
            return {
                "items": [
                    {
                        "customer_id": r.customer_id,
                        "segment": r.segment,
                        "recency_days": r.recency_days,
                        "frequency": r.frequency,
                        "monetary": round(r.monetary, 2),
                        "clv": r.clv,
                        "p_alive": r.p_alive,
                    }
                    for r in rows
                ],
                "total": total,
            }

        return await cached(
            str(org),
            "segments",
            {"view": "customers", "segment": segment, "limit": limit, "offset": offset},
            load,
        )

    async def migration(self) -> dict[str, Any]:
        """Customer moves between the two latest runs."""
        runs = await self.repository.latest_runs(self.identity.organization_id, 2)
        if len(runs) < 2:
            return {
                "items": [],
                "previous_run_at": None,
                "current_run_at": runs[0].created_at if runs else None,
            }
        rows = await self.repository.migration(runs[1].id, runs[0].id)
        return {
            "items": [
                {"from_segment": r.from_segment, "to_segment": r.to_segment, "customers": int(r.customers)}
                for r in rows
            ],
            "previous_run_at": runs[1].created_at,
            "current_run_at": runs[0].created_at,
        }

    async def export_csv(self, segment: str | None) -> AsyncIterator[str]:
        """Customers of the latest run as CSV for a campaign tool (`currency`: that of monetary and clv)."""
        currency = (await self.settings.get(self.identity.organization_id)).currency
        yield csv_line((*EXPORT_COLUMNS, CURRENCY_COLUMN))
        runs = await self.repository.latest_runs(self.identity.organization_id)
        if not runs:
            return
        # Exports map pseudonyms back to the retailer's own ids (only theirs: the run is theirs).
        async for r, encrypted_id in self.repository.stream_customers(runs[0].id, segment):
            customer_id = (pii.decrypt(encrypted_id) if encrypted_id else None) or r.customer_id
            yield csv_line(
                (customer_id, r.segment, r.recency_days, r.frequency, r.monetary, r.clv, r.p_alive, currency)
            )
