"""Inventory recommendations for one organization: lists, purchase orders, summary."""

from __future__ import annotations

import io
from typing import Any

import pandas as pd

from common.auth import Identity
from common.cache import cached
from common.csvsafe import CURRENCY_COLUMN, csv_line
from common.org_settings import OrganizationSettingsRepository
from common.recommendations import RecommendationRepository

FIELDS = (
    "on_hand",
    "on_order",
    "reorder_point",
    "safety_stock",
    "order_up_to",
    "order_quantity",
    "days_of_cover",
    "stockout_risk",
    "expected_stockout_date",
    "excess_units",
    "excess_value",
    "urgency",
    "supplier",
    "demand_source",
    "demand_class",
    "stockouts",
)
# "Urgent": an order is due now, or the chance of running out before a new order arrives is material.
URGENT_SQL = (
    "(COALESCE((payload->>'order_quantity')::float, 0) > 0 "
    "OR COALESCE((payload->>'stockout_risk')::float, 0) >= 0.2)"
)
AT_RISK_THRESHOLD = 0.2


class InventoryService:
    """Recommendations written by the inventory worker."""

    def __init__(
        self,
        repository: RecommendationRepository,
        identity: Identity,
        settings: OrganizationSettingsRepository,
    ) -> None:
        self.repository = repository
        self.identity = identity
        self.settings = settings

    async def recommendations(
        self, store: str | None, urgent_only: bool, sort: str, limit: int, offset: int
    ) -> dict[str, Any]:
        """A filtered, sorted page of recommendations."""
        org = self.identity.organization_id

        async def load() -> dict[str, Any]:
            rows, total = await self.repository.page(
                org,
                store=store,
                where_sql=URGENT_SQL if urgent_only else None,
                order="rank" if sort == "urgency" else "excess_value" if sort == "value" else "store",
                limit=limit,
                offset=offset,
            )
            return {
                "items": [
                    {
                        "store": r.store,
                        "sku": r.sku,
                        "explanation": r.explanation,
                        **{f: r.payload.get(f) for f in FIELDS},
                    }
                    for r in rows
                ],
                "total": total,
            }

        return await cached(
            str(org),
            "inventory",
            {"store": store, "urgent_only": urgent_only, "sort": sort, "limit": limit, "offset": offset},
            load,
        )

    async def purchase_orders_csv(self, store: str | None) -> str:
        """Purchase-order lines (items due for an order) grouped by supplier and store, as CSV.

        The last column, `currency`, names the currency of `unit_cost` and `line_value`.
        """
        from inventory.engine.purchase_order import PURCHASE_ORDER_COLUMNS, purchase_order_lines

        org = self.identity.organization_id
        currency = (await self.settings.get(org)).currency
        payloads = await self.repository.all_payloads(org)
        frame = pd.DataFrame(payloads)
        if store is not None and not frame.empty:
            frame = frame[frame["store"] == store]
        out = io.StringIO()
        out.write(csv_line([*PURCHASE_ORDER_COLUMNS, CURRENCY_COLUMN]))
        if frame.empty:
            return out.getvalue()
        for column in ("order_quantity", "unit_cost", "pack_size", "urgency", "stockout_risk"):
            if column in frame:
                frame[column] = pd.to_numeric(frame[column], errors="coerce")
        for line in purchase_order_lines(frame).itertuples(index=False):
            out.write(csv_line((*line, currency)))
        return out.getvalue()

    async def summary(self) -> dict[str, Any]:
        """Stock value, items at risk, excess value, and the spread calibration of the last run."""
        org = self.identity.organization_id

        async def load() -> dict[str, Any]:
            payloads = await self.repository.all_payloads(org)
            history = [p for p in payloads if p.get("demand_source") == "history"]
            forecast = [p for p in payloads if p.get("demand_source") != "history"]
            stock_value = sum((p.get("on_hand") or 0) * (p.get("unit_cost") or 0) for p in payloads)
            return {
                "stock_value": round(stock_value, 2),
                "items_at_risk": sum(
                    1 for p in payloads if (p.get("stockout_risk") or 0) >= AT_RISK_THRESHOLD
                ),
                "excess_value": round(sum(p.get("excess_value") or 0 for p in payloads), 2),
                "items": len(payloads),
                "orders_due": sum(1 for p in payloads if (p.get("order_quantity") or 0) > 0),
                # One factor per run and source: every recommendation of a source carries the same.
                **_calibration(forecast, ""),
                **_calibration(history, "history_"),
                "history_items": len(history),
            }

        return await cached(str(org), "inventory", {"view": "summary"}, load)


def _calibration(payloads: list[dict[str, Any]], prefix: str) -> dict[str, Any]:
    """The spread factor and its ended windows, as the last run's recommendations carry them."""
    return {
        f"{prefix}spread_factor": max((p.get("spread_factor") or 1.0 for p in payloads), default=1.0),
        f"{prefix}calibration_windows": max((p.get("calibration_windows") or 0 for p in payloads), default=0),
    }
