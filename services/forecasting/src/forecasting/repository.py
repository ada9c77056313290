"""SQL of forecasts: reading history for the engine, writing and serving its results."""

from __future__ import annotations

import uuid
from typing import Any

import pandas as pd
from sqlalchemy import Connection, func, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from common.frames import write_frame
from common.models import ForecastSeries, Prediction

SERIES_COLUMNS = (
    "organization_id",
    "store",
    "sku",
    "model",
    "frequency",
    "wape",
    "mase",
    "bias",
    "coverage_80",
    "n_history",
    "category",
    "fingerprint",
    "job_id",
)
POINT_COLUMNS = ("organization_id", "store", "sku", "date", "p10", "p50", "p90", "model", "job_id")


def replace_forecasts(
    connection: Connection,
    organization_id: uuid.UUID,
    job_id: str,
    series: pd.DataFrame,
    points: pd.DataFrame,
) -> None:
    """Replace the organization's forecasts of these series (one transaction, the caller's)."""
    keys = series[["store", "sku"]].drop_duplicates()
    connection.execute(
        text("CREATE TEMP TABLE IF NOT EXISTS _series_keys (store text, sku text) ON COMMIT DROP")
    )
    connection.execute(text("TRUNCATE _series_keys"))
    write_frame(connection, "_series_keys", keys, ("store", "sku"))
    for table in ("predictions", "forecast_series"):
        connection.execute(
            text(f"""
            DELETE FROM {table} t USING _series_keys k
            WHERE t.organization_id = :org AND t.store = k.store AND t.sku = k.sku"""),
            {"org": organization_id},
        )
    series = series.assign(organization_id=str(organization_id), job_id=job_id)
    for column in SERIES_COLUMNS:
        if column not in series:
            series[column] = None
    write_frame(connection, "forecast_series", series, SERIES_COLUMNS)
    points = points.merge(series[["store", "sku", "model"]], on=["store", "sku"], how="left")
    points = points.assign(
        organization_id=str(organization_id), job_id=job_id, date=pd.to_datetime(points["date"]).dt.date
    )
    write_frame(connection, "predictions", points, POINT_COLUMNS)


def stored_fingerprints(connection: Connection, organization_id: uuid.UUID) -> dict[tuple[str, str], str]:
    """The history fingerprint each stored forecast was made from."""
    rows = connection.execute(
        text("SELECT store, sku, fingerprint FROM forecast_series WHERE organization_id = :org"),
        {"org": organization_id},
    ).all()
    return {(r.store, r.sku): r.fingerprint for r in rows if r.fingerprint}


class ForecastRepository:
    """Forecast reads on one request's session."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def page_series(
        self, organization_id: uuid.UUID, store: str | None, sku: str | None, limit: int, offset: int
    ) -> tuple[list[ForecastSeries], int]:
        """A page of forecast series (filtered), ordered by store and sku, with the total."""
        where = [ForecastSeries.organization_id == organization_id]
        if store is not None:
            where.append(ForecastSeries.store == store)
        if sku is not None:
            where.append(ForecastSeries.sku == sku)
        rows = (
            (
                await self.session.execute(
                    select(ForecastSeries)
                    .where(*where)
                    .order_by(ForecastSeries.store, ForecastSeries.sku)
                    .limit(limit)
                    .offset(offset)
                )
            )
            .scalars()
            .all()
        )
        total = (
            await self.session.execute(select(func.count()).select_from(ForecastSeries).where(*where))
        ).scalar_one()
        return list(rows), int(total)

    async def points_for(
        self, organization_id: uuid.UUID, keys: list[tuple[str, str]]
    ) -> dict[tuple[str, str], list[Prediction]]:
        """Forecast points of the given series, in date order."""
        if not keys:
            return {}
        stores = [k[0] for k in keys]
        skus = [k[1] for k in keys]
        rows = (
            await self.session.execute(
                text("""
            SELECT p.store, p.sku, p.date, p.p10, p.p50, p.p90
            FROM predictions p JOIN unnest(CAST(:stores AS text[]), CAST(:skus AS text[])) AS k(store, sku)
              ON p.store = k.store AND p.sku = k.sku
            WHERE p.organization_id = :org ORDER BY p.store, p.sku, p.date"""),
                {"org": organization_id, "stores": stores, "skus": skus},
            )
        ).all()
        out: dict[tuple[str, str], list[Any]] = {}
        for row in rows:
            out.setdefault((row.store, row.sku), []).append(row)
        return out

    async def aggregate(self, organization_id: uuid.UUID, level: str) -> list[Any]:
        """Per group and date: the sum of p50s and each series' band half-widths (for aggregation)."""
        group = {"store": "p.store", "category": "COALESCE(f.category, 'uncategorised')", "total": "'total'"}[
            level
        ]
        return list(
            (
                await self.session.execute(
                    text(f"""
            SELECT {group} AS key, p.date, sum(p.p50) AS p50,
                   sqrt(sum(power(p.p50 - p.p10, 2))) AS lower, sqrt(sum(power(p.p90 - p.p50, 2))) AS upper
            FROM predictions p JOIN forecast_series f
              ON f.organization_id = p.organization_id AND f.store = p.store AND f.sku = p.sku
            WHERE p.organization_id = :org
            GROUP BY 1, 2 ORDER BY 1, 2"""),
                    {"org": organization_id},
                )
            ).all()
        )
