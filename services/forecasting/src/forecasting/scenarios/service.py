"""Scenario rules for one organization: checking the changes, reading results, adopting a plan."""

from __future__ import annotations

import uuid
from datetime import date, timedelta
from typing import Any

import pandas as pd

from common.auth import Identity, require_owner
from common.errors import AppError, NotFound, Unprocessable
from common.jobs import initial_stages, overall_status
from common.models import UploadJob
from forecasting.scenarios import schemas
from forecasting.scenarios.repository import FIGURES, ScenarioRepository


def _field(index: int, name: str) -> str:
    return f"changes.{index}.{name}"


def _number(value: float | None) -> float | None:
    return None if value is None or pd.isna(value) else round(float(value), 4)


class ScenarioService:
    """Scenarios of the caller's organization."""

    def __init__(self, repository: ScenarioRepository, identity: Identity) -> None:
        self.repository = repository
        self.identity = identity

    async def horizon(self) -> tuple[date, date]:
        """The forecast horizon a scenario covers: the day after the last sale to the last forecast date."""
        last_sale, last_forecast = await self.repository.forecast_dates(self.identity.organization_id)
        if last_sale is None or last_forecast is None or last_forecast <= last_sale:
            raise AppError("no forecasts yet: upload sales and wait for forecasting before a scenario", 409)
        return last_sale + timedelta(days=1), last_forecast

    async def create(self, data: schemas.ScenarioCreate) -> uuid.UUID:
        """Check a scenario's changes against the organization's items and horizon, and store it queued."""
        org = self.identity.organization_id
        start, end = await self.horizon()
        changes = [c.model_dump(mode="json", exclude_none=True) for c in data.changes]
        self._check_items(changes, await self.repository.forecast_items(org))
        for index, change in enumerate(changes):
            if date.fromisoformat(change["end"]) < start or date.fromisoformat(change["start"]) > end:
                raise Unprocessable(
                    f"{_field(index, 'start')}: the change from {change['start']} to {change['end']} lies "
                    f"outside the forecast horizon {start.isoformat()}..{end.isoformat()}",
                    field=_field(index, "start"),
                )
        if data.from_pricing_suggestions:
            suggested = await self.repository.suggested_prices(org)
            if not suggested:
                raise Unprocessable(
                    "from_pricing_suggestions: there are no pricing suggestions with a suggested price yet",
                    field="from_pricing_suggestions",
                )
            # The user's own changes come after, so they override a suggestion for the same item and day.
            changes = [
                {
                    "store": store,
                    "sku": sku,
                    "start": start.isoformat(),
                    "end": end.isoformat(),
                    "price": price,
                }
                for store, sku, price in suggested
            ] + changes
        if not changes:
            raise Unprocessable(
                "changes: no change given (add a change or set from_pricing_suggestions)", field="changes"
            )
        return await self.repository.create(
            org, data.name, changes, data.from_pricing_suggestions, (start, end)
        )

    @staticmethod
    def _check_items(changes: list[dict[str, Any]], items: pd.DataFrame) -> None:
        """422 naming the first change whose store, sku or category the forecasts do not hold."""
        for index, change in enumerate(changes):
            rows = items
            for name in ("store", "sku", "category"):
                if name not in change:
                    continue
                rows = rows.loc[rows[name].astype(str) == change[name]]
                if rows.empty:
                    within = " with the change's other filters" if name != "store" else ""
                    raise Unprocessable(
                        f"{_field(index, name)}: '{change[name]}' is not a known {name}{within} "
                        "(items are the forecast's store x sku series)",
                        field=_field(index, name),
                    )

    async def page(self, limit: int, offset: int) -> dict[str, Any]:
        """A page of the organization's scenarios, newest first."""
        rows, total = await self.repository.page(self.identity.organization_id, limit, offset)
        return {"items": [self._summary(r) for r in rows], "total": total}

    async def _row(self, scenario_id: uuid.UUID) -> Any:
        row = await self.repository.get(self.identity.organization_id, scenario_id)
        if row is None:
            raise NotFound(f"scenario {scenario_id} not found")
        return row

    async def get(self, scenario_id: uuid.UUID, limit: int, offset: int) -> dict[str, Any]:
        """A scenario with its changes, totals and a page of items (changed first) with their points."""
        row = await self._row(scenario_id)
        items, total = await self.repository.items(scenario_id, limit, offset)
        points = await self.repository.points(scenario_id, [(i.store, i.sku) for i in items])
        return {
            **self._summary(row),
            "changes": row.changes,
            "from_pricing_suggestions": row.from_pricing_suggestions,
            "assumptions": row.assumptions,
            "items": [self._item(i, points.get((i.store, i.sku), [])) for i in items],
            "total": total,
        }

    @staticmethod
    def _summary(row: Any) -> dict[str, Any]:
        return {
            "id": row.id,
            "name": row.name,
            "status": row.status,
            "progress": row.progress,
            "error": row.error,
            "created_at": row.created_at.isoformat(),
            "horizon_start": row.horizon_start,
            "horizon_end": row.horizon_end,
            "totals": row.totals,
        }

    @staticmethod
    def _item(item: Any, points: list[Any]) -> dict[str, Any]:
        sides = {
            side: {name: _number(getattr(item, f"{side}_{name}")) for name in FIGURES}
            for side in ("baseline", "scenario")
        }
        return {
            "store": item.store,
            "sku": item.sku,
            "category": item.category,
            "changed": item.rank == 0,
            "unit_cost_assumed": item.unit_cost_assumed,
            **sides,
            "points": [
                {
                    "date": p.date,
                    "p10": round(p.p10, 3),
                    "p50": round(p.p50, 3),
                    "p90": round(p.p90, 3),
                    "baseline_p50": round(p.baseline_p50, 3),
                }
                for p in points
            ],
        }

    async def delete(self, scenario_id: uuid.UUID) -> None:
        """Delete a scenario of the organization (404 for anyone else's)."""
        if not await self.repository.delete(self.identity.organization_id, scenario_id):
            raise NotFound(f"scenario {scenario_id} not found")

    async def adopt(self, scenario_id: uuid.UUID) -> uuid.UUID:
        """Make a computed scenario's changed cells the plan and open the job that re-forecasts.

        The job's ingest stage is the plan write (done here), segmentation is skipped, and
        forecasting then pricing and inventory run again, as after `POST /upload-plan`.
        """
        require_owner(self.identity)  # adopting writes the plan, as an upload of one would
        row = await self._row(scenario_id)
        if row.status != "succeeded":
            raise AppError(
                f"scenario {scenario_id} is {row.status}; only a succeeded scenario can be adopted", 409
            )
        org = self.identity.organization_id
        cells = await self.repository.adopt_plan(org, scenario_id)
        stages = initial_stages()
        stages["ingest"].update(status="succeeded", progress=1.0)
        stages["segmentation"].update(status="skipped", progress=1.0)
        last_sale = row.horizon_start - timedelta(days=1)
        job = UploadJob(
            organization_id=org,
            kind="scenario",
            filename=f"scenario: {row.name}"[:500],
            stages=stages,
            status=overall_status(stages),
            options={"scenario_id": str(scenario_id), "horizon_days": (row.horizon_end - last_sale).days},
            rows_total=cells,
            rows_accepted=cells,
        )
        return await self.repository.add_job(job)
