"""SQL of segmentation: customer sales lines in, runs and customer segments out."""

from __future__ import annotations

import json
import math
import uuid
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Any

import pandas as pd
import pyarrow as pa
from sqlalchemy import Connection, func, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from common.frames import read_frame, write_frame
from common.models import CustomerIdentity, CustomerSegment, SegmentRun

if TYPE_CHECKING:
    from segmentation.engine import SegmentationResult

CUSTOMER_LINES_SQL = """
    SELECT s.customer_id, s.date, s.quantity, s.unit_price, NULLIF(s.transaction_id, '') AS transaction_id,
           s.sku, p.category
    FROM sales_lines s
    LEFT JOIN products p ON p.organization_id = s.organization_id AND p.store = s.store AND p.sku = s.sku
    WHERE s.organization_id = %(org)s AND s.customer_id IS NOT NULL AND s.is_product
"""
# The per-customer features kept (as JSON) with each customer's segment.
FEATURE_COLUMNS = ("tenure_days", "avg_basket", "inter_purchase_days", "return_rate", "expected_purchases")
CUSTOMER_COLUMNS = (
    "run_id",
    "customer_id",
    "organization_id",
    "segment",
    "recency_days",
    "frequency",
    "monetary",
    "clv",
    "p_alive",
    "features",
)


def load_customer_lines(connection: Connection, organization_id: uuid.UUID) -> pd.DataFrame:
    """Sales lines that carry a customer id (the segmentation engine's input)."""
    frame = read_frame(
        connection,
        CUSTOMER_LINES_SQL,
        {"org": str(organization_id)},
        {
            "customer_id": pa.string(),
            "transaction_id": pa.string(),
            "sku": pa.string(),
            "category": pa.string(),
        },
    )
    if not frame.empty:
        frame["date"] = pd.to_datetime(frame["date"])
    return frame


def save_run(
    connection: Connection, organization_id: uuid.UUID, job_id: str, result: SegmentationResult
) -> None:
    """Store a run and every customer's segment (COPY); a redelivered task replaces its own run."""
    run_id = uuid.uuid4()
    connection.execute(
        text("DELETE FROM segment_runs WHERE organization_id = :org AND job_id = :job"),
        {"org": organization_id, "job": uuid.UUID(job_id)},
    )
    segments = [{k: _clean(v) for k, v in row.items()} for row in result.segments.to_dict(orient="records")]
    connection.execute(
        text("""
        INSERT INTO segment_runs (id, organization_id, job_id, k, silhouette, total_customers, segments)
        VALUES (:id, :org, :job, :k, :silhouette, :total, CAST(:segments AS jsonb))"""),
        {
            "id": run_id,
            "org": organization_id,
            "job": uuid.UUID(job_id),
            "k": int(result.k),
            "silhouette": _clean(float(result.silhouette)),
            "total": len(result.customers),
            "segments": json.dumps(segments, default=_json_default),
        },
    )
    customers = result.customers.copy()
    present = [c for c in FEATURE_COLUMNS if c in customers]
    customers["features"] = [
        json.dumps({k: _clean(v) for k, v in row.items()})
        for row in customers[present].to_dict(orient="records")
    ]
    customers = customers.assign(run_id=str(run_id), organization_id=str(organization_id))
    write_frame(connection, "customer_segments", customers, CUSTOMER_COLUMNS)


def _clean(value: Any) -> Any:
    # NaN is not JSON; numpy scalars become Python numbers.
    if isinstance(value, float) and math.isnan(value):
        return None
    return value.item() if hasattr(value, "item") else value


def _json_default(value: Any) -> Any:
    number = float(value)
    return None if math.isnan(number) else number


class SegmentRepository:
    """Segment reads on one request's session."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def latest_runs(self, organization_id: uuid.UUID, count: int = 1) -> list[SegmentRun]:
        """The newest runs, newest first."""
        return list(
            (
                await self.session.execute(
                    select(SegmentRun)
                    .where(SegmentRun.organization_id == organization_id)
                    .order_by(SegmentRun.created_at.desc())
                    .limit(count)
                )
            )
            .scalars()
            .all()
        )

    async def customers(
        self, run_id: uuid.UUID, segment: str | None, limit: int, offset: int
    ) -> tuple[list[CustomerSegment], int]:
        """A page of a run's customers, most valuable first."""
        where = [CustomerSegment.run_id == run_id]
        if segment is not None:
            where.append(CustomerSegment.segment == segment)
        rows = (
            (
                await self.session.execute(
                    select(CustomerSegment)
                    .where(*where)
                    .order_by(CustomerSegment.monetary.desc(), CustomerSegment.customer_id)
                    .limit(limit)
                    .offset(offset)
                )
            )
            .scalars()
            .all()
        )
        total = (
            await self.session.execute(select(func.count()).select_from(CustomerSegment).where(*where))
        ).scalar_one()
        return list(rows), int(total)

    async def stream_customers(self, run_id: uuid.UUID, segment: str | None) -> AsyncIterator[Any]:
        """Every customer of a run (optionally one segment) with the encrypted original id, for exports."""
        where = [CustomerSegment.run_id == run_id]
        if segment is not None:
            where.append(CustomerSegment.segment == segment)
        result = await self.session.stream(
            select(CustomerSegment, CustomerIdentity.encrypted_id)
            .outerjoin(
                CustomerIdentity,
                (CustomerIdentity.organization_id == CustomerSegment.organization_id)
                & (CustomerIdentity.pseudonym == CustomerSegment.customer_id),
            )
            .where(*where)
            .order_by(CustomerSegment.customer_id)
        )
        async for row in result:
            yield row

    async def migration(self, previous: uuid.UUID, current: uuid.UUID) -> list[Any]:
        """Customer counts per (segment before, segment now); new and gone customers included."""
        return list(
            (
                await self.session.execute(
                    text("""
            SELECT COALESCE(a.segment, '(new)') AS from_segment, COALESCE(b.segment, '(gone)') AS to_segment,
                   count(*) AS customers
            FROM (SELECT customer_id, segment FROM customer_segments WHERE run_id = :previous) a
            FULL OUTER JOIN (SELECT customer_id, segment FROM customer_segments WHERE run_id = :current) b
              ON a.customer_id = b.customer_id
            GROUP BY 1, 2 ORDER BY 3 DESC"""),
                    {"previous": previous, "current": current},
                )
            ).all()
        )
