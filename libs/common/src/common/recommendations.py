"""SQL of recommendations (pricing and inventory share one table, told apart by `type`)."""

from __future__ import annotations

import json
import math
import uuid
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import Connection, func, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from common.frames import write_frame
from common.models import Recommendation

COLUMNS = ("organization_id", "type", "store", "sku", "payload", "explanation", "rank", "job_id")


def jsonable(value: Any) -> Any:
    """Plain JSON value of a pandas/numpy cell (NaN/NaT -> None, timestamps -> ISO dates)."""
    if value is None:
        return None
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | np.ndarray):
        return [jsonable(v) for v in value]
    if isinstance(value, pd.Timestamp):
        return None if pd.isna(value) else value.date().isoformat()
    if value is pd.NaT:
        return None
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and (math.isnan(value) or math.isinf(value)):
        return None
    return value


def replace_recommendations(
    connection: Connection,
    organization_id: uuid.UUID,
    kind: str,
    job_id: str,
    frame: pd.DataFrame,
    rank_column: str | None = None,
) -> int:
    """Replace an organization's recommendations of one type with these rows (one transaction)."""
    connection.execute(
        text("DELETE FROM recommendations WHERE organization_id = :org AND type = :type"),
        {"org": organization_id, "type": kind},
    )
    if frame.empty:
        return 0
    records = frame.to_dict(orient="records")
    rows = pd.DataFrame(
        {
            "organization_id": str(organization_id),
            "type": kind,
            "store": frame["store"].astype(str).to_numpy(),
            "sku": frame["sku"].astype(str).to_numpy(),
            "payload": [json.dumps(jsonable(r)) for r in records],
            "explanation": frame["explanation"].fillna("").astype(str).to_numpy(),
            "rank": frame[rank_column].to_numpy() if rank_column else None,
            "job_id": job_id,
        }
    )
    return write_frame(connection, "recommendations", rows, COLUMNS)


class RecommendationRepository:
    """Recommendation reads on one request's session."""

    def __init__(self, session: AsyncSession, kind: str) -> None:
        self.session = session
        self.kind = kind

    async def page(
        self,
        organization_id: uuid.UUID,
        *,
        store: str | None = None,
        sku: str | None = None,
        where_sql: str | None = None,
        order: str = "store",
        limit: int = 50,
        offset: int = 0,
    ) -> tuple[list[Recommendation], int]:
        """A filtered page; `order` is 'store' (store, sku), 'rank' or a payload number descending."""
        conditions = [Recommendation.organization_id == organization_id, Recommendation.type == self.kind]
        if store is not None:
            conditions.append(Recommendation.store == store)
        if sku is not None:
            conditions.append(Recommendation.sku == sku)
        if where_sql:
            conditions.append(text(where_sql))
        ordering: list[Any]
        if order == "rank":
            ordering = [Recommendation.rank.asc().nulls_last(), Recommendation.store, Recommendation.sku]
        elif order == "store":
            ordering = [Recommendation.store, Recommendation.sku]
        else:
            ordering = [
                Recommendation.payload[order].as_float().desc().nulls_last(),
                Recommendation.store,
                Recommendation.sku,
            ]
        rows = (
            (
                await self.session.execute(
                    select(Recommendation).where(*conditions).order_by(*ordering).limit(limit).offset(offset)
                )
            )
            .scalars()
            .all()
        )
        total = (
            await self.session.execute(select(func.count()).select_from(Recommendation).where(*conditions))
        ).scalar_one()
        return list(rows), int(total)

    async def one(self, organization_id: uuid.UUID, store: str, sku: str) -> Recommendation | None:
        """The recommendation for one store x sku."""
        return (
            await self.session.execute(
                select(Recommendation).where(
                    Recommendation.organization_id == organization_id,
                    Recommendation.type == self.kind,
                    Recommendation.store == store,
                    Recommendation.sku == sku,
                )
            )
        ).scalar_one_or_none()

    async def all_payloads(self, organization_id: uuid.UUID) -> list[dict[str, Any]]:
        """Every payload of this type (for summaries)."""
        return [
            r
            for (r,) in (
                await self.session.execute(
                    select(Recommendation.payload).where(
                        Recommendation.organization_id == organization_id, Recommendation.type == self.kind
                    )
                )
            ).all()
        ]
