"""Forecast reads for one organization, through the Redis cache."""

from __future__ import annotations

import math
from typing import Any

from common.auth import Identity
from common.cache import cached
from forecasting.repository import ForecastRepository

DRIVERS = ("seasonality", "price", "promotion", "events", "substitutes")


def _num(value: float | None) -> float | None:
    return None if value is None or (isinstance(value, float) and math.isnan(value)) else round(value, 4)


def _point(point: Any, drivers: bool) -> dict[str, Any]:
    """One forecast point as served; with `drivers`, its drivers summing to the served p50.

    The drivers are rounded like p50 is, and base takes what rounding moved, so the served
    numbers add up (to float precision) rather than only the stored ones.
    """
    out = {
        "date": point.date.isoformat(),
        "p10": round(point.p10, 3),
        "p50": round(point.p50, 3),
        "p90": round(point.p90, 3),
    }
    if drivers and point.driver_base is not None:
        parts = {name: round(float(getattr(point, f"driver_{name}")), 6) for name in DRIVERS}
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
        """Forecasts summed per store, per category or in total.

        Quantiles are not summed (a sum of p10s is far below the p10 of a sum): the median is the
        sum of medians and each side of the band combines the series' half-widths in quadrature,
        the independent-errors approximation.
        """
        org = self.identity.organization_id

        async def load() -> dict[str, Any]:
            groups: dict[str, list[dict[str, Any]]] = {}
            for row in await self.repository.aggregate(org, level):
                groups.setdefault(row.key, []).append(
                    {
                        "date": row.date.isoformat(),
                        "p50": round(row.p50, 3),
                        "p10": round(max(row.p50 - row.lower, 0.0), 3),
                        "p90": round(row.p50 + row.upper, 3),
                    }
                )
            items = [
                {
                    "level": level,
                    "key": key,
                    "store": key if level == "store" else None,
                    "sku": None,
                    "model": "aggregate",
                    "points": points,
                }
                for key, points in groups.items()
            ]
            return {"items": items, "total": len(items)}

        return await cached(str(org), "forecast", {"level": level}, load)
