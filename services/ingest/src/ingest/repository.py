"""SQL of uploaded rows: the staging table, the merge into sales, products and plan upserts.

The upload jobs and their errors are job_repository's."""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import Connection, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from common import pii
from common.frames import write_frame
from common.models import UploadJob
from common.org_settings import load_settings
from common.sales import LAST_SALE_SQL
from ingest.stock import LOADED_STOCK_COLUMNS
from ingest.validation import PRODUCT_NUMBERS, STAGED_COLUMNS

# Settings the staging table's job_id / organization_id defaults read (see migration 0003).
STAGING_SETTINGS_SQL = text(
    "SELECT set_config('smartretail.job_id', :job_id, true), "
    "set_config('smartretail.organization_id', :organization_id, true)"
)
log = logging.getLogger("smartretail.ingest")
# The merge transaction's raw customer id -> pseudonym map (pseudonymise_staged fills it).
PII_MAP_SQL = (
    "CREATE TEMP TABLE IF NOT EXISTS _pii_map (raw_id text PRIMARY KEY, pseudonym text, "
    "encrypted_id text) ON COMMIT DROP"
)
# A product's attributes a products file may set (its numbers are the ones validation checks).
PRODUCT_COLUMNS = ("name", "category", "supplier", *PRODUCT_NUMBERS)
PLAN_COLUMNS = ("unit_price", "promotion", "feature", "display")

# The temporary tables a products or plan file is loaded into before its upsert.
LOADED_PRODUCTS_DEFINITION = """row_no bigint, store text, sku text, name text, category text, supplier text,
    unit_cost double precision, price double precision, on_hand double precision,
    on_order double precision, lead_time_days double precision, min_order_qty double precision,
    pack_size double precision, is_product boolean"""
LOADED_PRODUCTS_COLUMNS = ("row_no", "store", "sku", *PRODUCT_COLUMNS, "is_product")
LOADED_PLAN_DEFINITION = """row_no bigint, store text, sku text, date date, unit_price double precision,
    promotion double precision, feature double precision, display double precision"""
LOADED_PLAN_COLUMNS = ("row_no", "store", "sku", "date", *PLAN_COLUMNS)
LOADED_STOCK_DEFINITION = (
    "row_no bigint, store text, sku text, date date, on_hand double precision, in_stock boolean"
)


@dataclass(frozen=True)
class LoadedTable:
    """The temporary table a products, plan or stock file is loaded into: its name, definition, COPY columns."""

    name: str
    definition: str
    columns: tuple[str, ...]


# By upload kind (ingest.service.UploadKind.name).
LOADED = {
    "products": LoadedTable("loaded_products", LOADED_PRODUCTS_DEFINITION, LOADED_PRODUCTS_COLUMNS),
    "plan": LoadedTable("loaded_plan", LOADED_PLAN_DEFINITION, LOADED_PLAN_COLUMNS),
    "stock": LoadedTable("loaded_stock", LOADED_STOCK_DEFINITION, LOADED_STOCK_COLUMNS),
}

LINE_COLUMNS = """organization_id, store, sku, date, transaction_id, line_no, quantity, unit_price,
    customer_id, product_name, category, promotion, regular_price, feature, display, tpr_only, is_product"""

# The rows of one upload in sales_lines form: lines with a transaction id keep their own key (their
# ordinal within the same transaction, store, sku and date tells repeated lines apart); lines
# without one are aggregates, summed per store, sku and date, their price the unit-weighted price
# of the priced lines (a free line does not drag it). Customer ids go through the job's pseudonym
# map (_pii_map, empty when the retailer turned pseudonymisation off). Both halves come out
# (almost) in natural-key order from their sort, so the unique index is filled in order without a
# second sort of every row.
MERGE_SOURCE_SQL = """
    SELECT s.organization_id, s.store, s.sku, s.date, s.transaction_id,
           (row_number() OVER (PARTITION BY s.store, s.sku, s.date, s.transaction_id ORDER BY s.row_no)
               - 1)::int AS line_no,
           s.quantity, s.unit_price, COALESCE(m.pseudonym, s.customer_id) AS customer_id, s.product_name,
           s.category, s.promotion, s.regular_price, s.feature, s.display, s.tpr_only, s.is_product
    FROM staged_sales s LEFT JOIN _pii_map m ON m.raw_id = s.customer_id
    WHERE s.job_id = :job_id AND s.transaction_id <> ''
    UNION ALL
    SELECT s.organization_id, s.store, s.sku, s.date, '' AS transaction_id, 0 AS line_no,
           sum(s.quantity),
           COALESCE(
               sum(s.unit_price * abs(s.quantity)) FILTER (WHERE s.unit_price <> 0)
                   / NULLIF(sum(abs(s.quantity)) FILTER (WHERE s.unit_price <> 0), 0),
               avg(s.unit_price) FILTER (WHERE s.unit_price <> 0), 0),
           max(COALESCE(m.pseudonym, s.customer_id)), max(s.product_name), max(s.category),
           max(s.promotion), max(s.regular_price), max(s.feature), max(s.display), max(s.tpr_only),
           bool_and(s.is_product)
    FROM staged_sales s LEFT JOIN _pii_map m ON m.raw_id = s.customer_id
    WHERE s.job_id = :job_id AND s.transaction_id = ''
    GROUP BY s.organization_id, s.store, s.sku, s.date
"""

# An organization's first upload has no key in common with what is stored: plain INSERT, no
# conflict handling and no per-row RETURNING. The unique index still guards the key.
INSERT_NEW_SQL = text(f"""
INSERT INTO sales_lines ({LINE_COLUMNS}, job_id)
SELECT src.*, CAST(:job_id AS uuid) FROM ({MERGE_SOURCE_SQL}) src
""")

# Otherwise one statement merges: new keys are inserted, changed ones updated (a later upload of a
# key replaces it), identical ones left alone, and the three are counted.
MERGE_SQL = text(f"""
WITH src AS ({MERGE_SOURCE_SQL}), merged AS (
    INSERT INTO sales_lines AS s ({LINE_COLUMNS}, job_id)
    SELECT src.*, CAST(:job_id AS uuid) FROM src
    ON CONFLICT ON CONSTRAINT pk_sales_lines DO UPDATE SET
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
    INSERT INTO stores (organization_id, store)
    SELECT DISTINCT organization_id, store FROM staged_sales WHERE job_id = :job_id
    ON CONFLICT DO NOTHING
    """),
    # Each product's attributes from its last line (latest date, then latest row). Only the lines
    # of each product's latest date are sorted, not every line of the upload: the latest date
    # per product comes from a hash aggregate (a sort of every line of a big upload is far slower).
    text("""
    INSERT INTO products AS p (organization_id, store, sku, name, category, price, is_product, updated_at)
    SELECT DISTINCT ON (s.store, s.sku) s.organization_id, s.store, s.sku, s.product_name, s.category,
           s.unit_price, s.is_product, now()
    FROM staged_sales s
    JOIN (SELECT store, sku, max(date) AS date FROM staged_sales WHERE job_id = :job_id GROUP BY store, sku) last
        ON last.store = s.store AND last.sku = s.sku AND last.date = s.date
    WHERE s.job_id = :job_id
    ORDER BY s.store, s.sku, s.row_no DESC
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

    async def organization_has(self, organization_id: uuid.UUID, table: str) -> bool:
        """Whether the organization has any row in sales_lines or forecast_series."""
        assert table in ("sales_lines", "forecast_series")
        found = await self.session.execute(
            text(f"SELECT EXISTS (SELECT 1 FROM {table} WHERE organization_id = :org)"),
            {"org": organization_id},
        )
        return bool(found.scalar_one())

    async def last_sales_date(self, organization_id: uuid.UUID) -> date | None:
        """The organization's last sales date of a product (None before any sales)."""
        found = await self.session.execute(text(LAST_SALE_SQL), {"org": organization_id})
        return found.scalar()  # type: ignore[no-any-return]

    async def copy_staged(
        self, job_id: uuid.UUID, organization_id: uuid.UUID, csv_chunks: AsyncIterator[bytes]
    ) -> None:
        """COPY validated rows (CSV) into the staging table, inside the session's transaction."""
        await self.session.execute(
            STAGING_SETTINGS_SQL, {"job_id": str(job_id), "organization_id": str(organization_id)}
        )
        raw = await raw_connection(self.session)
        await raw.copy_to_table("staged_sales", source=csv_chunks, columns=list(STAGED_COLUMNS), format="csv")

    async def copy_loaded(self, kind: str, csv_chunks: AsyncIterator[bytes]) -> None:
        """COPY a products, plan or stock file's rows (LOADED[kind].columns) into its temporary table."""
        table = LOADED[kind]
        await self._copy_into_temporary(table.name, table.definition, table.columns, csv_chunks)

    async def _copy_into_temporary(
        self, table: str, definition: str, columns: Sequence[str], csv_chunks: AsyncIterator[bytes]
    ) -> None:
        # A temporary table lives until the session's transaction ends.
        await self.session.execute(text(f"CREATE TEMPORARY TABLE {table} ({definition}) ON COMMIT DROP"))
        raw = await raw_connection(self.session)
        await raw.copy_to_table(table, source=csv_chunks, columns=list(columns), format="csv")

    async def upsert_products(self, organization_id: uuid.UUID, mapped: Sequence[str]) -> dict[str, int]:
        """Products from the loaded temporary table: new ones inserted, the given attributes updated.

        Only the file's columns are written, and an empty cell keeps what is stored, so a stock
        file does not erase costs. A (store, sku) repeated in the file: its last row counts.
        """
        await self.session.execute(
            text(
                "INSERT INTO stores (organization_id, store) SELECT DISTINCT CAST(:org AS uuid), store FROM loaded_products "
                "ON CONFLICT DO NOTHING"
            ),
            {"org": organization_id},
        )
        columns = [c for c in PRODUCT_COLUMNS if c in mapped]
        counts = await self._upsert_loaded(
            organization_id,
            "loaded_products",
            "products",
            ("store", "sku"),
            columns,
            {"is_product": "is_product", "updated_at": "now()"},
            updated_at=True,
        )
        if "on_hand" in columns:
            # The stock the file gave is the current one until a stock snapshot uploaded later.
            await self.session.execute(
                text("""
                UPDATE products p SET on_hand_updated_at = now() FROM loaded_products l
                WHERE p.organization_id = :org AND p.store = l.store AND p.sku = l.sku
                  AND l.on_hand IS NOT NULL"""),
                {"org": organization_id},
            )
        return counts

    async def upsert_plan(self, organization_id: uuid.UUID, mapped: Sequence[str]) -> dict[str, int]:
        """Plan lines from the loaded temporary table; a later plan of a store, sku and date replaces it."""
        columns = [c for c in PLAN_COLUMNS if c in mapped]
        return await self._upsert_loaded(
            organization_id,
            "loaded_plan",
            "plan_lines",
            ("store", "sku", "date"),
            columns,
            {},
            updated_at=False,
        )

    async def upsert_stock(self, organization_id: uuid.UUID, job_id: uuid.UUID) -> dict[str, int]:
        """Stock snapshots from the loaded temporary table; a later snapshot of an item and date replaces it."""
        return await self._upsert_loaded(
            organization_id,
            "loaded_stock",
            "stock_snapshots",
            ("store", "sku", "date"),
            ("on_hand", "in_stock"),
            {"job_id": "CAST(:job_id AS uuid)", "updated_at": "now()"},
            updated_at=False,
            replace=True,
            params={"job_id": str(job_id)},
        )

    async def _upsert_loaded(
        self,
        organization_id: uuid.UUID,
        loaded: str,
        target: str,
        key: Sequence[str],
        columns: Sequence[str],
        extra: dict[str, str],
        *,
        updated_at: bool,
        replace: bool = False,
        params: dict[str, Any] | None = None,
    ) -> dict[str, int]:
        # One statement: the loaded rows (the last of a repeated key) inserted or, where `columns`
        # differ, updated (an empty cell keeps the stored value, unless `replace`: then the row is
        # the file's, `extra` included); `extra` are further inserted columns and their values
        # (SQL, with `params`); the lines, keys, new and updated rows counted.
        keys = ", ".join(key)
        inserted = ", ".join([*key, *columns, *extra])
        values = ", ".join([*key, *columns, *extra.values()])
        if replace:
            updates = [f"{c} = EXCLUDED.{c}" for c in [*columns, *extra]]
        else:
            updates = [f"{c} = COALESCE(EXCLUDED.{c}, p.{c})" for c in columns]
        if updated_at:
            updates.append("updated_at = now()")
        sets = ", ".join(updates)
        changed = _replaced(columns) if replace else _changed(columns)
        row = (
            await self.session.execute(
                text(f"""
            WITH src AS (
                SELECT DISTINCT ON ({keys}) * FROM {loaded} ORDER BY {keys}, row_no DESC
            ), merged AS (
                INSERT INTO {target} AS p (organization_id, {inserted})
                SELECT CAST(:org AS uuid), {values} FROM src
                ON CONFLICT (organization_id, {keys}) DO UPDATE SET {sets}
                WHERE {changed}
                RETURNING (xmax = 0) AS inserted
            )
            SELECT (SELECT count(*) FROM {loaded}) AS lines, (SELECT count(*) FROM src) AS total,
                   count(*) FILTER (WHERE inserted) AS new, count(*) FILTER (WHERE NOT inserted) AS updated
            FROM merged"""),
                {"org": organization_id, **(params or {})},
            )
        ).one()
        return _counts(row)

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


async def raw_connection(session: AsyncSession) -> Any:
    """The driver's (asyncpg) connection under a session, for COPY and its connection state."""
    connection = await session.connection()
    raw = await connection.get_raw_connection()
    return raw.driver_connection


def _changed(columns: Sequence[str]) -> str:
    # An upsert's WHERE: the given columns differ from what is stored (an empty cell keeps it).
    if not columns:
        return "false"
    stored = ", ".join(f"p.{c}" for c in columns)
    given = ", ".join(f"COALESCE(EXCLUDED.{c}, p.{c})" for c in columns)
    return f"({stored}) IS DISTINCT FROM ({given})"


def _replaced(columns: Sequence[str]) -> str:
    # A replacing upsert's WHERE: the file's values differ from what is stored.
    stored = ", ".join(f"p.{c}" for c in columns)
    given = ", ".join(f"EXCLUDED.{c}" for c in columns)
    return f"({stored}) IS DISTINCT FROM ({given})"


def _counts(row: Any) -> dict[str, int]:
    lines, total = int(row.lines or 0), int(row.total or 0)
    new, updated = int(row.new or 0), int(row.updated or 0)
    return {
        "rows_new": new,
        "rows_updated": updated,
        "rows_unchanged": total - new - updated,
        "duplicate_keys": lines - total,
    }


def analyze_staging(connection: Connection) -> None:
    """Refresh the staging table's statistics (its own short transaction: ANALYZE locks out others).

    Without them the planner takes a 10-million-row upload for a few hundred rows and sorts where
    a hash aggregate is several times cheaper.
    """
    connection.execute(text("ANALYZE staged_sales"))


def lock_job(connection: Connection, job_id: str) -> None:
    """Serialise merges of one job (a redelivered task waits for, then sees, the first one's outcome)."""
    connection.execute(text("SELECT pg_advisory_xact_lock(hashtextextended(:job_id, 0))"), {"job_id": job_id})
    # A merge whose worker died keeps its lock until PostgreSQL notices the lost client: let it
    # check every few seconds rather than at the end of a long statement.
    connection.execute(text("SET LOCAL client_connection_check_interval = '2s'"))


@dataclass(frozen=True)
class MergeState:
    """What the merge task needs to know of its job before merging."""

    stages: dict[str, Any]
    rows_accepted: int
    merged: int  # rows the merge recorded (new + updated + unchanged); 0 before it ran


def merge_state(connection: Connection, job_id: str) -> MergeState | None:
    """The job's stages and counts as the merge sees them (None when the job no longer exists)."""
    row = connection.execute(
        select(
            UploadJob.stages,
            UploadJob.rows_accepted,
            (UploadJob.rows_new + UploadJob.rows_updated + UploadJob.rows_unchanged).label("merged"),
        ).where(UploadJob.id == uuid.UUID(job_id))
    ).one_or_none()
    if row is None:
        return None
    return MergeState(dict(row.stages or {}), int(row.rows_accepted or 0), int(row.merged or 0))


def merge_staged(connection: Connection, job_id: str, organization_id: uuid.UUID) -> dict[str, int]:
    """Move a job's staged rows into sales_lines and the catalogue, in the caller's transaction."""
    steps: dict[str, float] = {}
    clock = [time.perf_counter()]

    def done(step: str) -> None:
        now = time.perf_counter()
        steps[step] = now - clock[0]
        clock[0] = now

    pseudonymise_staged(connection, job_id, organization_id)
    done("pseudonyms")
    # Sorting a big upload by its key in memory rather than in many small spill files.
    connection.execute(text("SET LOCAL work_mem = '256MB'"))
    for statement in UPSERT_CATALOG_SQL:
        connection.execute(statement, {"job_id": job_id})
    done("catalogue")
    first_upload = not connection.execute(
        text("SELECT EXISTS (SELECT 1 FROM sales_lines WHERE organization_id = :org)"),
        {"org": organization_id},
    ).scalar_one()
    if first_upload:
        new = connection.execute(INSERT_NEW_SQL, {"job_id": job_id}).rowcount
        total, updated = new, 0
    else:
        row = connection.execute(MERGE_SQL, {"job_id": job_id}).one()
        total, new, updated = int(row.total or 0), int(row.new or 0), int(row.updated or 0)
    done("insert" if first_upload else "merge")
    connection.execute(text("DELETE FROM staged_sales WHERE job_id = :job_id"), {"job_id": job_id})
    done("unstage")
    # Where a long merge spends its time (bench.ingest prints this line).
    log.info("merge of job %s: %s", job_id, " ".join(f"{k}={v:.1f}s" for k, v in steps.items()))
    return {"rows_new": new, "rows_updated": updated, "rows_unchanged": total - new - updated}


def pseudonymise_staged(connection: Connection, job_id: str, organization_id: uuid.UUID) -> int:
    """Map the staged customer ids to pseudonyms, keeping the originals encrypted (common.pii).

    Fills the transaction's _pii_map (raw id -> pseudonym), which the merge joins, so no original
    id reaches sales_lines; the map stays empty when the organization turned pseudonymisation
    off. (A join rather than an UPDATE of the staged rows: a 10-million-row upload is not
    rewritten once more.) Returns how many distinct customers were mapped.
    """
    connection.execute(text(PII_MAP_SQL))
    connection.execute(text("TRUNCATE _pii_map"))
    if not load_settings(connection, organization_id).pseudonymise_customers:
        return 0
    raw = (
        connection.execute(
            text(
                "SELECT DISTINCT customer_id FROM staged_sales WHERE job_id = :job_id AND customer_id IS NOT NULL "
                "AND customer_id !~ '^c_[0-9a-f]{32}$'"
            ),
            {"job_id": job_id},
        )
        .scalars()
        .all()
    )
    if not raw:
        return 0
    table = pii.identity_table(organization_id, raw)
    write_frame(connection, "_pii_map", table, ("raw_id", "pseudonym", "encrypted_id"))
    connection.execute(text("ANALYZE _pii_map"))
    connection.execute(
        text(
            "INSERT INTO customer_identities (organization_id, pseudonym, encrypted_id) "
            "SELECT :org, pseudonym, encrypted_id FROM _pii_map ON CONFLICT DO NOTHING"
        ),
        {"org": organization_id},
    )
    return len(table)
