"""Forecast reads for one organization, through the Redis cache."""

from __future__ import annotations

import math
from types import SimpleNamespace
from typing import Any

from common.auth import Identity
from common.cache import cached
from forecasting.repository import ForecastRepository

DRIVERS = ("seasonality", "price", "promotion", "events", "substitutes")


def _num(value: float | None) -> float | None:
    return None if value is None or (isinstance(value, float) and math.isnan(value)) else round(value, 4)


def _point(point: Any, drivers: bool) -> dict[str, Any]:
    """One forecast point as served; with `drivers`, its drivers summing to the served p50.

    The stored drivers explain the engine's p50 (base_p50 once reconciliation moved p50): each is
    scaled by p50 / base_p50, so every family keeps its share of the reconciled forecast (where the
    engine said 0 and reconciliation did not, the whole p50 is base). The drivers are rounded like
    p50 is, and base takes what rounding moved, so the served numbers add up (to float precision)
    rather than only the stored ones.
    """
    out = {
        "date": point.date.isoformat(),
        "p10": round(point.p10, 3),
        "p50": round(point.p50, 3),
        "p90": round(point.p90, 3),
    }
    if drivers and point.driver_base is not None:
        engine_p50 = point.p50 if point.base_p50 is None else point.base_p50
        factor = point.p50 / engine_p50 if engine_p50 > 0 else 0.0
        parts = {name: round(float(getattr(point, f"driver_{name}")) * factor, 6) for name in DRIVERS}
        out["drivers"] = {"base": out["p50"] - sum(parts.values()), **parts}
    return out


class ForecastService:
    """Forecasts per series and aggregated."""

    def __init__(self, repository: ForecastRepository, identity: Identity) -> None:
        self.repository = repository
        self.identity = identity

    async def series_page(
        self, store: str | None, sku: str | None, limit: int, offset: int, drivers: bool = False
    ) -> dict[str, Any]:
        """A page of store x sku forecasts with model and accuracy (and each point's drivers)."""
        org = self.identity.organization_id

        async def load() -> dict[str, Any]:
            series, total = await self.repository.page_series(org, store, sku, limit, offset)
            points = await self.repository.points_for(org, [(s.store, s.sku) for s in series])
            items = [
                {
                    "store": s.store,
                    "sku": s.sku,
                    "model": s.model,
                    "frequency": s.frequency,
                    "accuracy": {
                        "wape": _num(s.wape),
                        "mase": _num(s.mase),
                        "bias": _num(s.bias),
                        "coverage_80": _num(s.coverage_80),
                    },
                    "points": [_point(p, drivers) for p in points.get((s.store, s.sku), [])],
                }
                for s in series
            ]
            return {"items": items, "total": total}

        return await cached(
            str(org),
            "forecast",
            {"store": store, "sku": sku, "limit": limit, "offset": offset, "drivers": drivers},
            load,
        )

    async def aggregate(self, level: str) -> dict[str, Any]:
        """Reconciled forecasts per store, category, store x category or in total.

        They are the stored reconciliation (forecasting.reconciliation), whose levels add up and
        whose items are the served item forecasts. Until one is stored, the items' forecasts are
        summed: the median is the sum of medians and each side of the band combines the series'
        half-widths in quadrature, the independent-errors approximation (a sum of p10s is far
        below the p10 of a sum).
        """
        org = self.identity.organization_id

        async def load() -> dict[str, Any]:
            rows = await self.repository.reconciled_levels(org, level)
            method = rows[0].method if rows else None
            if not rows:
                rows = [
                    SimpleNamespace(
                        key=row.key,
                        store=row.store,
                        category=row.category,
                        date=row.date,
                        p50=row.p50,
                        p10=max(row.p50 - row.lower, 0.0),
                        p90=row.p50 + row.upper,
                    )
                    for row in await self.repository.aggregate(org, level)
                ]
            groups: dict[str, list[Any]] = {}
            for row in rows:
                groups.setdefault(row.key, []).append(row)
            items = [
                {
                    "level": level,
                    "key": key,
                    "store": points[0].store if level in ("store", "store_category") else None,
                    "category": points[0].category if level in ("category", "store_category") else None,
                    "sku": None,
                    "model": "aggregate",
                    "reconciliation": method,
                    "points": [
                        {
                            "date": p.date.isoformat(),
                            "p10": round(p.p10, 3),
                            "p50": round(p.p50, 3),
                            "p90": round(p.p90, 3),
                        }
                        for p in points
                    ],
                }
                for key, points in groups.items()
            ]
            return {"items": items, "total": len(items)}

        return await cached(str(org), "forecast", {"level": level}, load)
