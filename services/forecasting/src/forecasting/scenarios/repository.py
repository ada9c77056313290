"""SQL of scenarios: the API's reads and writes, and the worker's inputs and results."""

from __future__ import annotations

import json
import uuid
from datetime import date
from typing import Any

import pandas as pd
import pyarrow as pa
from sqlalchemy import Connection, text
from sqlalchemy.ext.asyncio import AsyncSession

from common.frames import read_frame, write_frame
from common.models import UploadJob
from common.sales import LAST_SALE_SQL

FIGURES = ("units", "revenue", "gross_margin", "order_quantity", "stockout_risk")
ITEM_COLUMNS = (
    "scenario_id",
    "store",
    "sku",
    "category",
    "rank",
    "frequency",
    "wape",
    "unit_cost",
    "unit_cost_assumed",
    *(f"{side}_{name}" for side in ("baseline", "scenario") for name in FIGURES[:3]),
)
POINT_COLUMNS = (
    "scenario_id",
    "store",
    "sku",
    "date",
    "p10",
    "p50",
    "p90",
    "baseline_p10",
    "baseline_p50",
    "baseline_p90",
)
PLAN_COLUMNS = ("scenario_id", "store", "sku", "date", "unit_price", "promotion")
SUMMARY = """id, name, status, progress, error, created_at, horizon_start, horizon_end, totals"""


class ScenarioRepository:
    """Scenario reads and writes on one request's session."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def forecast_dates(self, organization_id: uuid.UUID) -> tuple[date | None, date | None]:
        """The organization's last sales date and its stored forecasts' last date."""
        last_sale = (await self.session.execute(text(LAST_SALE_SQL), {"org": organization_id})).scalar()
        last_forecast = (
            await self.session.execute(
                text("SELECT max(date) FROM predictions WHERE organization_id = :org"),
                {"org": organization_id},
            )
        ).scalar()
        return last_sale, last_forecast

    async def forecast_items(self, organization_id: uuid.UUID) -> pd.DataFrame:
        """store, sku and category of every forecast series (the items a scenario can change)."""
        rows = (
            await self.session.execute(
                text("SELECT store, sku, category FROM forecast_series WHERE organization_id = :org"),
                {"org": organization_id},
            )
        ).all()
        return pd.DataFrame([tuple(r) for r in rows], columns=["store", "sku", "category"])

    async def suggested_prices(self, organization_id: uuid.UUID) -> list[tuple[str, str, float]]:
        """store, sku and suggested price of every current pricing suggestion that has one."""
        rows = (
            await self.session.execute(
                text("""
            SELECT store, sku, (payload->>'suggested_price')::float AS price FROM recommendations
            WHERE organization_id = :org AND type = 'pricing'
              AND jsonb_typeof(payload->'suggested_price') = 'number'
            ORDER BY store, sku"""),
                {"org": organization_id},
            )
        ).all()
        return [(r.store, r.sku, float(r.price)) for r in rows]

    async def create(
        self,
        organization_id: uuid.UUID,
        name: str,
        changes: list[dict[str, Any]],
        from_pricing_suggestions: bool,
        horizon: tuple[date, date],
    ) -> uuid.UUID:
        """A new queued scenario; returns its id."""
        scenario_id = uuid.uuid4()
        await self.session.execute(
            text("""
            INSERT INTO scenarios (id, organization_id, name, changes, from_pricing_suggestions,
                                   horizon_start, horizon_end)
            VALUES (:id, :org, :name, CAST(:changes AS jsonb), :from_pricing, :start, :end)"""),
            {
                "id": scenario_id,
                "org": organization_id,
                "name": name,
                "changes": json.dumps(changes),
                "from_pricing": from_pricing_suggestions,
                "start": horizon[0],
                "end": horizon[1],
            },
        )
        return scenario_id

    async def page(self, organization_id: uuid.UUID, limit: int, offset: int) -> tuple[list[Any], int]:
        """A page of the organization's scenarios, newest first, with the total."""
        rows = (
            await self.session.execute(
                text(f"""SELECT {SUMMARY} FROM scenarios WHERE organization_id = :org
                ORDER BY created_at DESC, id LIMIT :limit OFFSET :offset"""),
                {"org": organization_id, "limit": limit, "offset": offset},
            )
        ).all()
        total = (
            await self.session.execute(
                text("SELECT count(*) FROM scenarios WHERE organization_id = :org"), {"org": organization_id}
            )
        ).scalar_one()
        return list(rows), int(total)

    async def get(self, organization_id: uuid.UUID, scenario_id: uuid.UUID) -> Any:
        """One scenario of the organization (None for anyone else's)."""
        return (
            await self.session.execute(
                text(f"""SELECT {SUMMARY}, changes, from_pricing_suggestions, assumptions
                FROM scenarios WHERE organization_id = :org AND id = :id"""),
                {"org": organization_id, "id": scenario_id},
            )
        ).one_or_none()

    async def items(self, scenario_id: uuid.UUID, limit: int, offset: int) -> tuple[list[Any], int]:
        """A page of a scenario's items: changed ones first, then those affected through substitutes."""
        rows = (
            await self.session.execute(
                text("""SELECT * FROM scenario_items WHERE scenario_id = :id
                ORDER BY rank, store, sku LIMIT :limit OFFSET :offset"""),
                {"id": scenario_id, "limit": limit, "offset": offset},
            )
        ).all()
        total = (
            await self.session.execute(
                text("SELECT count(*) FROM scenario_items WHERE scenario_id = :id"), {"id": scenario_id}
            )
        ).scalar_one()
        return list(rows), int(total)

    async def points(
        self, scenario_id: uuid.UUID, keys: list[tuple[str, str]]
    ) -> dict[tuple[str, str], list[Any]]:
        """The demand points of some of a scenario's items, in date order."""
        if not keys:
            return {}
        rows = (
            await self.session.execute(
                text("""
            SELECT p.store, p.sku, p.date, p.p10, p.p50, p.p90, p.baseline_p50
            FROM scenario_points p JOIN unnest(CAST(:stores AS text[]), CAST(:skus AS text[])) AS k(store, sku)
              ON p.store = k.store AND p.sku = k.sku
            WHERE p.scenario_id = :id ORDER BY p.store, p.sku, p.date"""),
                {"id": scenario_id, "stores": [k[0] for k in keys], "skus": [k[1] for k in keys]},
            )
        ).all()
        out: dict[tuple[str, str], list[Any]] = {}
        for row in rows:
            out.setdefault((row.store, row.sku), []).append(row)
        return out

    async def delete(self, organization_id: uuid.UUID, scenario_id: uuid.UUID) -> bool:
        """Delete a scenario with its rows; False when the organization has no such scenario."""
        result = await self.session.execute(
            text("DELETE FROM scenarios WHERE organization_id = :org AND id = :id"),
            {"org": organization_id, "id": scenario_id},
        )
        return bool(result.rowcount)  # type: ignore[attr-defined]

    async def adopt_plan(self, organization_id: uuid.UUID, scenario_id: uuid.UUID) -> int:
        """Write the scenario's changed plan cells into plan_lines (a planned cell is replaced)."""
        result = await self.session.execute(
            text("""
            INSERT INTO plan_lines AS p (organization_id, store, sku, date, unit_price, promotion)
            SELECT :org, store, sku, date, unit_price, promotion FROM scenario_plan WHERE scenario_id = :id
            ON CONFLICT (organization_id, store, sku, date) DO UPDATE
            SET unit_price = COALESCE(EXCLUDED.unit_price, p.unit_price),
                promotion = COALESCE(EXCLUDED.promotion, p.promotion)"""),
            {"org": organization_id, "id": scenario_id},
        )
        return int(result.rowcount or 0)  # type: ignore[attr-defined]

    async def add_job(self, job: UploadJob) -> uuid.UUID:
        """Store a new job; returns its id."""
        self.session.add(job)
        await self.session.flush()
        return job.id


def load_scenario(connection: Connection, scenario_id: str) -> Any:
    """A scenario's row for the worker (None when it was deleted)."""
    return connection.execute(
        text("""SELECT id, organization_id, status, changes, horizon_start, horizon_end
        FROM scenarios WHERE id = :id"""),
        {"id": scenario_id},
    ).one_or_none()


def set_status(
    connection: Connection, scenario_id: str, status: str, progress: float, error: str | None = None
) -> None:
    """Record a scenario's status and progress."""
    connection.execute(
        text("""UPDATE scenarios SET status = :status, progress = :progress, error = :error, updated_at = now()
        WHERE id = :id"""),
        {"id": scenario_id, "status": status, "progress": round(progress, 4), "error": error},
    )


def forecast_series_info(connection: Connection, organization_id: uuid.UUID) -> pd.DataFrame:
    """store, sku, category, frequency and backtest WAPE of the organization's forecast series."""
    return read_frame(
        connection,
        "SELECT store, sku, category, frequency, wape FROM forecast_series WHERE organization_id = %(org)s",
        {"org": str(organization_id)},
        {"store": pa.string(), "sku": pa.string(), "category": pa.string(), "frequency": pa.string()},
    )


def reconciled_points(
    connection: Connection, organization_id: uuid.UUID, stores: list[str] | None
) -> pd.DataFrame:
    """store, sku, date, p50 and the engine's own p50 of the forecast points reconciliation moved
    (of `stores`; None: every store)."""
    return read_frame(
        connection,
        "SELECT store, sku, date, p50, base_p50 FROM predictions WHERE organization_id = %(org)s"
        " AND base_p50 IS NOT NULL"
        " AND (CAST(%(stores)s AS text[]) IS NULL OR store = ANY(CAST(%(stores)s AS text[])))",
        {"org": str(organization_id), "stores": stores},
        {"store": pa.string(), "sku": pa.string()},
    )


def write_results(
    connection: Connection,
    scenario_id: str,
    items: pd.DataFrame,
    points: pd.DataFrame,
    plan: pd.DataFrame,
    assumptions: list[str],
    totals: dict[str, Any],
) -> None:
    """Replace a scenario's items, points and changed plan cells (a redelivered task writes them once)."""
    for table in ("scenario_items", "scenario_points", "scenario_plan"):
        connection.execute(text(f"DELETE FROM {table} WHERE scenario_id = :id"), {"id": scenario_id})
    write_frame(connection, "scenario_items", items.assign(scenario_id=scenario_id), ITEM_COLUMNS)
    write_frame(connection, "scenario_points", points.assign(scenario_id=scenario_id), POINT_COLUMNS)
    write_frame(connection, "scenario_plan", plan.assign(scenario_id=scenario_id), PLAN_COLUMNS)
    connection.execute(
        text("""UPDATE scenarios SET assumptions = CAST(:assumptions AS jsonb), totals = CAST(:totals AS jsonb)
        WHERE id = :id"""),
        {"id": scenario_id, "assumptions": json.dumps(assumptions), "totals": json.dumps(totals)},
    )
