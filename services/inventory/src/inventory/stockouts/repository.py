"""SQL of stock-outs: the API's filtered pages and totals, and each item's losses for the inventory worker."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

import pandas as pd
import pyarrow as pa
from sqlalchemy import ColumnElement, Connection, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from common.frames import read_frame
from common.models import Stockout

# How far back from the forecast's origin (the end of the sales history) an item's stock-outs count
# in its recommendation.
ITEM_HISTORY_DAYS = 365
API_COLUMNS = (
    Stockout.store,
    Stockout.sku,
    Stockout.start,
    Stockout.end,
    Stockout.source,
    Stockout.probability,
    Stockout.sales,
    Stockout.estimated_demand,
    Stockout.lost_units,
    Stockout.lost_revenue,
)
# ORDER BY of each `sort`; ties go to the latest run, and the id makes the order total so pages never overlap.
_LATEST = (Stockout.start.desc(), Stockout.store, Stockout.sku, Stockout.id)
ORDERS: dict[str, tuple[ColumnElement[Any], ...]] = {
    "start": _LATEST,
    "lost_units": (Stockout.lost_units.desc(), *_LATEST),
    "lost_revenue": (Stockout.lost_revenue.desc(), *_LATEST),
    "store": (Stockout.store, Stockout.sku, Stockout.start.desc(), Stockout.id),
    "sku": (Stockout.sku, Stockout.store, Stockout.start.desc(), Stockout.id),
}
ITEM_TOTALS_SQL = """
    SELECT store, sku, count(*) AS stockout_count, sum(lost_units) AS lost_units,
           sum(lost_revenue) AS lost_revenue
    FROM stockouts WHERE organization_id = %(org)s AND "end" > %(since)s AND start <= %(until)s
    GROUP BY store, sku
"""


@dataclass(frozen=True)
class StockoutFilter:
    """Which stock-outs a request asks for; `since`: runs that ended on or after it."""

    store: str | None = None
    sku: str | None = None
    source: str | None = None
    since: date | None = None

    def conditions(self, organization_id: uuid.UUID) -> list[ColumnElement[bool]]:
        """The WHERE conditions, always within the organization."""
        conditions = [Stockout.organization_id == organization_id]
        if self.store is not None:
            conditions.append(Stockout.store == self.store)
        if self.sku is not None:
            conditions.append(Stockout.sku == self.sku)
        if self.source is not None:
            conditions.append(Stockout.source == self.source)
        if self.since is not None:
            conditions.append(Stockout.end >= self.since)
        return conditions


class StockoutRepository:
    """Stock-out reads on one request's session."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def page(
        self,
        organization_id: uuid.UUID,
        where: StockoutFilter,
        limit: int | None,
        offset: int,
        sort: str,
    ) -> Sequence[Any]:
        """Matching runs in the order ORDERS gives `sort` (every one when `limit` is None)."""
        query = (
            select(*API_COLUMNS)
            .where(*where.conditions(organization_id))
            .order_by(*ORDERS[sort])
            .limit(limit)
            .offset(offset)
        )
        return (await self.session.execute(query)).all()

    async def totals(self, organization_id: uuid.UUID, where: StockoutFilter) -> tuple[int, float, float]:
        """How many runs match, and their lost units and revenue."""
        row = (
            await self.session.execute(
                select(
                    func.count(),
                    func.coalesce(func.sum(Stockout.lost_units), 0.0),
                    func.coalesce(func.sum(Stockout.lost_revenue), 0.0),
                ).where(*where.conditions(organization_id))
            )
        ).one()
        return int(row[0]), float(row[1]), float(row[2])


def item_stockout_totals(
    connection: Connection, organization_id: uuid.UUID, history_end: pd.Timestamp
) -> pd.DataFrame:
    """Per store x sku: stock-outs that ended in the ITEM_HISTORY_DAYS up to `history_end`, lost units and revenue."""
    since = (pd.Timestamp(history_end) - pd.Timedelta(days=ITEM_HISTORY_DAYS)).date()
    return read_frame(
        connection,
        ITEM_TOTALS_SQL,
        {"org": str(organization_id), "since": since, "until": pd.Timestamp(history_end).date()},
        {"store": pa.string(), "sku": pa.string()},
    )
