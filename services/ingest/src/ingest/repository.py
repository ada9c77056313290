"""SQL of uploads: jobs, their errors, the staging table and the merge into sales."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Sequence
from typing import Any

from sqlalchemy import Connection, delete, func, insert, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from common.models import UploadError, UploadJob
from ingest.validation import STAGED_COLUMNS, RowError

# One statement merges an upload: lines with a transaction id keep their own key (their ordinal
# within the same transaction, store, sku and date tells repeated lines apart); lines without one
# are aggregates, summed per store, sku and date. A later upload of the same key replaces it.
MERGE_SQL = text("""
WITH src AS (
    SELECT organization_id, store, sku, date, transaction_id,
           (row_number() OVER (PARTITION BY store, sku, date, transaction_id ORDER BY row_no) - 1)::int
               AS line_no,
           quantity, unit_price, customer_id, product_name, category, promotion, regular_price,
           feature, display, tpr_only, is_product
    FROM staged_sales WHERE job_id = :job_id AND transaction_id <> ''
    UNION ALL
    SELECT organization_id, store, sku, date, '' AS transaction_id, 0 AS line_no,
           sum(quantity),
           CASE WHEN sum(abs(quantity)) > 0 THEN sum(unit_price * abs(quantity)) / sum(abs(quantity))
                ELSE avg(unit_price) END,
           max(customer_id), max(product_name), max(category), max(promotion), max(regular_price),
           max(feature), max(display), max(tpr_only), bool_and(is_product)
    FROM staged_sales WHERE job_id = :job_id AND transaction_id = ''
    GROUP BY organization_id, store, sku, date
), merged AS (
    INSERT INTO sales_lines AS s (organization_id, store, sku, date, transaction_id, line_no, quantity,
        unit_price, customer_id, product_name, category, promotion, regular_price, feature, display,
        tpr_only, is_product, job_id)
    SELECT src.*, CAST(:job_id AS uuid) FROM src
    ON CONFLICT ON CONSTRAINT uq_sales_lines_natural_key DO UPDATE SET
        quantity = EXCLUDED.quantity, unit_price = EXCLUDED.unit_price,
        customer_id = EXCLUDED.customer_id, product_name = EXCLUDED.product_name,
        category = EXCLUDED.category, promotion = EXCLUDED.promotion,
        regular_price = EXCLUDED.regular_price, feature = EXCLUDED.feature,
        display = EXCLUDED.display, tpr_only = EXCLUDED.tpr_only, is_product = EXCLUDED.is_product,
        job_id = EXCLUDED.job_id
    WHERE (s.quantity, s.unit_price, s.customer_id, s.promotion, s.regular_price, s.feature, s.display,
           s.tpr_only, s.is_product)
        IS DISTINCT FROM (EXCLUDED.quantity, EXCLUDED.unit_price, EXCLUDED.customer_id,
           EXCLUDED.promotion, EXCLUDED.regular_price, EXCLUDED.feature, EXCLUDED.display,
           EXCLUDED.tpr_only, EXCLUDED.is_product)
    RETURNING (xmax = 0) AS inserted
)
SELECT (SELECT count(*) FROM src) AS total,
       count(*) FILTER (WHERE inserted) AS new,
       count(*) FILTER (WHERE NOT inserted) AS updated
FROM merged
""")

UPSERT_CATALOG_SQL = (
    text("""
    INSERT INTO stores (organization_id, code)
    SELECT DISTINCT organization_id, store FROM staged_sales WHERE job_id = :job_id
    ON CONFLICT DO NOTHING
    """),
    text("""
    INSERT INTO products AS p (organization_id, store, sku, name, category, price, is_product, updated_at)
    SELECT DISTINCT ON (store, sku) organization_id, store, sku, product_name, category, unit_price,
           is_product, now()
    FROM staged_sales WHERE job_id = :job_id
    ORDER BY store, sku, date DESC, row_no DESC
    ON CONFLICT (organization_id, store, sku) DO UPDATE SET
        name = COALESCE(p.name, EXCLUDED.name),
        category = COALESCE(p.category, EXCLUDED.category),
        is_product = EXCLUDED.is_product,
        updated_at = now()
    """),
)


class IngestRepository:
    """Upload queries on one request's session (async)."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def add_job(self, job: UploadJob) -> UploadJob:
        """Insert a job."""
        self.session.add(job)
        await self.session.flush()
        return job

    async def get_job(self, organization_id: uuid.UUID, job_id: uuid.UUID) -> UploadJob | None:
        """A job of this organization (another organization's job does not exist for the caller)."""
        return (
            await self.session.execute(
                select(UploadJob).where(UploadJob.id == job_id, UploadJob.organization_id == organization_id)
            )
        ).scalar_one_or_none()

    async def find_job_by_hash(self, organization_id: uuid.UUID, sha256: str, kind: str) -> UploadJob | None:
        """The latest non-failed upload of a byte-identical file."""
        return (
            await self.session.execute(
                select(UploadJob)
                .where(
                    UploadJob.organization_id == organization_id,
                    UploadJob.file_sha256 == sha256,
                    UploadJob.kind == kind,
                    UploadJob.status != "failed",
                )
                .order_by(UploadJob.created_at.desc())
                .limit(1)
            )
        ).scalar_one_or_none()

    async def list_jobs(
        self, organization_id: uuid.UUID, limit: int, offset: int
    ) -> tuple[Sequence[UploadJob], int]:
        """A page of jobs, newest first, and the total."""
        jobs = (
            (
                await self.session.execute(
                    select(UploadJob)
                    .where(UploadJob.organization_id == organization_id)
                    .order_by(UploadJob.created_at.desc())
                    .limit(limit)
                    .offset(offset)
                )
            )
            .scalars()
            .all()
        )
        total = (
            await self.session.execute(
                select(func.count())
                .select_from(UploadJob)
                .where(UploadJob.organization_id == organization_id)
            )
        ).scalar_one()
        return jobs, int(total)

    async def add_errors(self, job_id: uuid.UUID, errors: list[RowError]) -> None:
        """Store rejected rows for the downloadable report."""
        if errors:
            await self.session.execute(
                insert(UploadError),
                [
                    {
                        "job_id": job_id,
                        "row": e.row,
                        "column": e.column,
                        "value": e.value,
                        "expected": e.expected,
                        "kind": e.kind,
                    }
                    for e in errors
                ],
            )

    async def stream_errors(self, job_id: uuid.UUID) -> AsyncIterator[UploadError]:
        """Every stored error of a job, in row order."""
        result = await self.session.stream_scalars(
            select(UploadError).where(UploadError.job_id == job_id).order_by(UploadError.row, UploadError.id)
        )
        async for error in result:
            yield error

    async def copy_staged(self, csv_chunks: AsyncIterator[bytes]) -> None:
        """COPY validated rows (CSV) into the staging table, inside the session's transaction."""
        connection = await self.session.connection()
        raw = await connection.get_raw_connection()
        await raw.driver_connection.copy_to_table(  # type: ignore[union-attr]
            "staged_sales", source=csv_chunks, columns=list(STAGED_COLUMNS), format="csv"
        )

    async def drop_staged(self, job_id: uuid.UUID) -> None:
        """Remove a job's staged rows."""
        await self.session.execute(
            text("DELETE FROM staged_sales WHERE job_id = :job_id"), {"job_id": job_id}
        )

    async def sales_timeseries(
        self, organization_id: uuid.UUID, store: str | None, sku: str | None, freq: str
    ) -> list[dict[str, Any]]:
        """Units and revenue of products per day or week, optionally for one store and/or sku."""
        bucket = "date_trunc('week', date)::date" if freq == "W" else "date"
        rows = (
            await self.session.execute(
                text(f"""
            SELECT {bucket} AS period, sum(quantity) AS units, sum(quantity * unit_price) AS revenue
            FROM sales_lines
            WHERE organization_id = :org AND is_product
              AND (CAST(:store AS text) IS NULL OR store = :store)
              AND (CAST(:sku AS text) IS NULL OR sku = :sku)
            GROUP BY 1 ORDER BY 1"""),
                {"org": organization_id, "store": store, "sku": sku},
            )
        ).all()
        return [
            {"date": r.period.isoformat(), "units": float(r.units or 0), "revenue": float(r.revenue or 0)}
            for r in rows
        ]

    async def delete_job(self, job_id: uuid.UUID) -> None:
        """Remove a job (used when its upload is abandoned before anything was stored)."""
        await self.session.execute(delete(UploadJob).where(UploadJob.id == job_id))


def merge_staged(connection: Connection, job_id: str) -> dict[str, int]:
    """Move a job's staged rows into sales_lines and the catalogue, in the caller's transaction."""
    for statement in UPSERT_CATALOG_SQL:
        connection.execute(statement, {"job_id": job_id})
    row = connection.execute(MERGE_SQL, {"job_id": job_id}).one()
    connection.execute(text("DELETE FROM staged_sales WHERE job_id = :job_id"), {"job_id": job_id})
    total, new, updated = int(row.total or 0), int(row.new or 0), int(row.updated or 0)
    return {"rows_new": new, "rows_updated": updated, "rows_unchanged": total - new - updated}


def staged_count(connection: Connection, job_id: str) -> int:
    """How many rows of a job wait in staging."""
    return int(
        connection.execute(
            text("SELECT count(*) FROM staged_sales WHERE job_id = :job_id"), {"job_id": job_id}
        ).scalar_one()
    )
