"""Pricing suggestions and what-if simulations for one organization."""

from __future__ import annotations

import math
from typing import Any

from common.auth import Identity
from common.cache import cached
from common.errors import NotFound, Unprocessable
from common.recommendations import RecommendationRepository

SUGGESTION_FIELDS = (
    "n_price_changes",
    "unit_cost",
    "unit_cost_assumed",
    "expected_profit_change_low",
    "expected_profit_change_high",
    "current_price",
    "suggested_price",
    "elasticity",
    "expected_units_change",
    "expected_revenue_change",
    "expected_profit_change",
    "confidence",
    "elasticity_source",
    "cross_effects",
)


class PricingService:
    """Suggestions (stored by the pricing worker) and the simulator over their fitted demand models."""

    def __init__(self, repository: RecommendationRepository, identity: Identity) -> None:
        self.repository = repository
        self.identity = identity

    async def suggestions(
        self, store: str | None, sku: str | None, sort: str, limit: int, offset: int
    ) -> dict[str, Any]:
        """A page of suggestions; sort 'profit' puts the biggest expected profit gains first."""
        org = self.identity.organization_id

        async def load() -> dict[str, Any]:
            order = "expected_profit_change" if sort == "profit" else "store"
            rows, total = await self.repository.page(
                org, store=store, sku=sku, order=order, limit=limit, offset=offset
            )
            items = []
            for row in rows:
                payload = row.payload
                item = {
                    "store": row.store,
                    "sku": row.sku,
                    "explanation": row.explanation,
                    **{f: payload.get(f) for f in SUGGESTION_FIELDS},
                    "elasticity_ci": [payload.get("elasticity_ci_low"), payload.get("elasticity_ci_high")],
                }
                items.append(item)
            return {"items": items, "total": total}

        return await cached(
            str(org),
            "pricing",
            {"store": store, "sku": sku, "sort": sort, "limit": limit, "offset": offset},
            load,
        )

    async def simulate(self, store: str, sku: str, price: float) -> dict[str, Any]:
        """Expected weekly units, revenue and profit at a price, from the stored demand model."""
        from pricing.engine import simulate

        row = await self.repository.one(self.identity.organization_id, store, sku)
        if row is None:
            raise NotFound(f"no pricing model for store {store!r}, sku {sku!r}")
        model = row.payload.get("model")
        if not model or model.get("elasticity") is None:
            raise Unprocessable(f"no demand model for store {store!r}, sku {sku!r}: {row.explanation}")
        result = {k: float(v) for k, v in simulate(model, price).items()}
        if not all(math.isfinite(v) for v in result.values()):
            raise Unprocessable(f"price {price} is too far from the observed prices to simulate")
        return {"store": store, "sku": sku, **result}
