"""SQL of forecasts: reading history for the engine, writing and serving its results."""

from __future__ import annotations

import json
import math
import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

import pandas as pd
import pyarrow as pa
from sqlalchemy import Connection, func, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from common.frames import read_frame, write_frame
from common.models import ForecastSeries, Prediction
from common.sales import DAILY_SALES_SQL, PLAN_SQL, PRODUCTS_SQL
from forecasting.chunks import ChunkSpec

ELASTICITY_COLUMNS = ("elasticity", "elasticity_low", "elasticity_high")

if TYPE_CHECKING:
    from forecasting.engine import DemandModel

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
DRIVERS = ("base", "seasonality", "price", "promotion", "events", "substitutes")


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
    columns: tuple[str, ...] = POINT_COLUMNS
    if set(DRIVERS) <= set(points.columns):
        points = points.rename(columns={name: f"driver_{name}" for name in DRIVERS})
        columns = (*POINT_COLUMNS, *(f"driver_{name}" for name in DRIVERS))
    write_frame(connection, "predictions", points, columns)


# The sku bucket of a store split over several chunks: the first 28 bits of md5(sku), mod parts.
# forecasting.chunks.sku_bucket computes the same in Python, so SQL and pandas agree on membership.
_IN_CHUNK = """
    store = ANY(%(stores)s)
    AND (%(parts)s = 1 OR mod(('x' || substr(md5(sku), 1, 7))::bit(28)::int, %(parts)s) = %(part)s)
"""
_STR = pa.string()
# Numbers the engine and the fingerprints read; cast to float so a chunk whose column is all NULL
# (typed differently by the CSV reader) hashes exactly as the same rows do in the whole history.
NUMERIC_COLUMNS = (
    "quantity",
    "unit_price",
    "promotion",
    "regular_price",
    "feature",
    "display",
    "tpr_only",
    "price",
)


def numeric_columns(frame: pd.DataFrame) -> pd.DataFrame:
    """The frame with its engine number columns as float64 and dates as datetime64."""
    for column in NUMERIC_COLUMNS:
        if column in frame:
            frame[column] = pd.to_numeric(frame[column], errors="coerce").astype(float)
    if "date" in frame and len(frame):
        # One unit everywhere: the fingerprints hash the dates' integer values.
        frame["date"] = pd.to_datetime(frame["date"]).astype("datetime64[ns]")
    return frame


def load_chunk_inputs(
    connection: Connection,
    organization_id: uuid.UUID,
    stores: Sequence[str],
    part: int,
    parts: int,
    as_of: pd.Timestamp,
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """History up to `as_of`, plan after it and products of one chunk's series only."""
    params = {
        "org": str(organization_id),
        "stores": list(stores),
        "part": part,
        "parts": parts,
        "as_of": as_of.date(),
    }
    keys = {"store": _STR, "sku": _STR}
    history = read_frame(
        connection,
        f"SELECT * FROM ({DAILY_SALES_SQL}) d WHERE {_IN_CHUNK} AND date <= %(as_of)s",
        params,
        keys,
    )
    plan = read_frame(
        connection,
        f"SELECT * FROM ({PLAN_SQL.replace('%(after)s', '%(as_of)s')}) p WHERE {_IN_CHUNK}",
        params,
        keys,
    )
    products = read_frame(
        connection,
        f"SELECT * FROM ({PRODUCTS_SQL}) p WHERE {_IN_CHUNK}",
        params,
        {**keys, "name": _STR, "category": _STR, "supplier": _STR},
    )
    return numeric_columns(history), numeric_columns(plan), products


def load_calendar(connection: Connection, organization_id: uuid.UUID) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The organisation's stores (country, subdivision, opening dates) and its own events."""
    params = {"org": str(organization_id)}
    text_columns = {name: _STR for name in ("store", "country", "subdivision", "name", "kind", "category")}
    dates = {name: pa.date32() for name in ("opened_on", "closed_on", "start", "end")}
    stores = read_frame(
        connection,
        "SELECT store, country, subdivision, opened_on, closed_on FROM stores "
        "WHERE organization_id = %(org)s ORDER BY store",
        params,
        {**text_columns, **dates},
    )
    events = read_frame(
        connection,
        'SELECT id, name, kind, start, "end", store, category FROM events '
        "WHERE organization_id = %(org)s ORDER BY id",
        params,
        {**text_columns, **dates},
    )
    return stores, events


def stored_series(
    connection: Connection, organization_id: uuid.UUID, stores: Sequence[str] | None = None
) -> pd.DataFrame:
    """store, sku, fingerprint and updated_at of the stored forecasts (of some stores only)."""
    query = "SELECT store, sku, fingerprint, updated_at FROM forecast_series WHERE organization_id = :org"
    params: dict[str, Any] = {"org": organization_id}
    if stores is not None:
        query += " AND store = ANY(:stores)"
        params["stores"] = list(stores)
    rows = connection.execute(text(query), params).all()
    return pd.DataFrame(
        [tuple(row) for row in rows], columns=["store", "sku", "fingerprint", "updated_at"]
    ).astype({"store": str, "sku": str})


def lock_forecasts(connection: Connection, organization_id: uuid.UUID) -> None:
    """Serialise forecast writes of one organization until the transaction ends."""
    connection.execute(
        text("SELECT pg_advisory_xact_lock(hashtext('forecast:' || :org))"), {"org": str(organization_id)}
    )


def database_now(connection: Connection) -> datetime:
    """The database's clock (forecast_series.updated_at is stamped with it)."""
    return connection.execute(text("SELECT now()")).scalar_one()  # type: ignore[no-any-return]


def write_new_forecasts(
    connection: Connection,
    organization_id: uuid.UUID,
    job_id: str,
    series: pd.DataFrame,
    points: pd.DataFrame,
    since: datetime,
) -> int:
    """Replace the forecasts of these series unless written since `since` with the same fingerprint.

    Returns how many series were written. Two deliveries of one chunk at once (serialised by the
    lock) compute the same rows: the second finds them written after it started and writes nothing.
    """
    lock_forecasts(connection, organization_id)
    stored = stored_series(connection, organization_id, series["store"].unique().tolist())
    same = series.merge(stored, on=["store", "sku"], how="left", suffixes=("", "_stored"))
    written = (same["fingerprint_stored"].to_numpy() == same["fingerprint"].to_numpy()) & (
        pd.to_datetime(same["updated_at"], utc=True) >= pd.Timestamp(since)
    ).to_numpy(dtype=bool)
    series = series.loc[~written]
    if series.empty:
        return 0
    keep = points.merge(series[["store", "sku"]], on=["store", "sku"])
    replace_forecasts(connection, organization_id, job_id, series, keep)
    return len(series)


def remove_series_except(connection: Connection, organization_id: uuid.UUID, keys: pd.DataFrame) -> int:
    """Delete the forecasts of series not in `keys` (no longer sold, planned or listed)."""
    lock_forecasts(connection, organization_id)
    connection.execute(
        text("CREATE TEMP TABLE IF NOT EXISTS _live_keys (store text, sku text) ON COMMIT DROP")
    )
    connection.execute(text("TRUNCATE _live_keys"))
    write_frame(connection, "_live_keys", keys[["store", "sku"]].drop_duplicates(), ("store", "sku"))
    connection.execute(
        text("""
        DELETE FROM predictions p WHERE p.organization_id = :org AND NOT EXISTS (
            SELECT 1 FROM _live_keys k WHERE k.store = p.store AND k.sku = p.sku)"""),
        {"org": organization_id},
    )
    connection.execute(
        text("""
        DELETE FROM demand_curves c WHERE c.organization_id = :org AND NOT EXISTS (
            SELECT 1 FROM _live_keys k WHERE k.store = c.store AND k.sku = c.sku)"""),
        {"org": organization_id},
    )
    removed = connection.execute(
        text("""
        DELETE FROM forecast_series f WHERE f.organization_id = :org AND NOT EXISTS (
            SELECT 1 FROM _live_keys k WHERE k.store = f.store AND k.sku = f.sku)"""),
        {"org": organization_id},
    )
    return int(removed.rowcount or 0)


def save_demand_model(
    connection: Connection,
    organization_id: uuid.UUID,
    chunk: ChunkSpec,
    job_id: str,
    model: DemandModel | None,
    plan_chunks: Sequence[str],
) -> None:
    """Store (replace) the demand model fitted on one chunk; None removes the chunk's old one.

    Models of other chunks over the same stores that the current plan (`plan_chunks`, every chunk
    name) no longer has are removed too, so a series is never in two models.
    """
    params = {
        "org": organization_id,
        "chunk": chunk.name,
        "stores": list(chunk.stores),
        "plan": list(plan_chunks),
    }
    connection.execute(
        text("""
        DELETE FROM demand_models WHERE organization_id = :org
          AND (chunk = :chunk OR (stores && CAST(:stores AS text[]) AND NOT (chunk = ANY(:plan))))"""),
        params,
    )
    if model is None:
        return
    connection.execute(
        text("""
        INSERT INTO demand_models (organization_id, chunk, stores, job_id, model)
        VALUES (:org, :chunk, :stores, :job, :model)"""),
        {**params, "job": job_id, "model": model.to_bytes()},
    )


def load_demand_models(
    connection: Connection, organization_id: uuid.UUID, stores: Sequence[str] | None = None
) -> list[DemandModel]:
    """The organization's stored demand models (those covering any of `stores` only), chunk order.

    A series is in at most one model: its chunk's from the run that last fitted that chunk.
    """
    from forecasting.engine.demand_model import DemandModel, StaleDemandModel

    query = "SELECT model FROM demand_models WHERE organization_id = :org"
    params: dict[str, Any] = {"org": organization_id}
    if stores is not None:
        query += " AND stores && CAST(:stores AS text[])"
        params["stores"] = list(stores)
    rows = connection.execute(text(query + " ORDER BY chunk"), params).scalars().all()
    models = []
    for row in rows:
        # A model of an older engine is as good as none: the forecasting run it triggers refits it.
        try:
            models.append(DemandModel.from_bytes(bytes(row)))
        except StaleDemandModel:
            continue
    return models


def replace_demand_curves(
    connection: Connection, organization_id: uuid.UUID, job_id: str, curves: pd.DataFrame
) -> None:
    """Replace the demand curves of these items and their price elasticities (pricing reads them)."""
    rows = [
        {
            "org": organization_id,
            "store": row["store"],
            "sku": row["sku"],
            "prices": [float(x) for x in row["prices"]],
            "units": [float(x) for x in row["weekly_units"]],
            "job": job_id,
            **{name: _finite(row.get(name)) for name in ELASTICITY_COLUMNS},
            "cross": json.dumps(row["cross_effects"]) if row.get("cross_effects") is not None else None,
        }
        for row in curves.to_dict("records")
    ]
    if not rows:
        return
    connection.execute(
        text("""
        INSERT INTO demand_curves (organization_id, store, sku, prices, weekly_units, job_id,
                                   elasticity, elasticity_low, elasticity_high, cross_effects)
        VALUES (:org, :store, :sku, :prices, :units, :job,
                :elasticity, :elasticity_low, :elasticity_high, CAST(:cross AS jsonb))
        ON CONFLICT (organization_id, store, sku) DO UPDATE
        SET prices = excluded.prices, weekly_units = excluded.weekly_units, job_id = excluded.job_id,
            elasticity = excluded.elasticity, elasticity_low = excluded.elasticity_low,
            elasticity_high = excluded.elasticity_high, cross_effects = excluded.cross_effects"""),
        rows,
    )


def _finite(value: Any) -> float | None:
    """A float for a finite number, else None (SQL NULL)."""
    return float(value) if value is not None and math.isfinite(float(value)) else None


def remove_demand_models_except(
    connection: Connection, organization_id: uuid.UUID, stores: Sequence[str]
) -> int:
    """Delete the demand models none of whose stores has a series any more; returns how many."""
    removed = connection.execute(
        text(
            "DELETE FROM demand_models WHERE organization_id = :org AND NOT (stores && CAST(:stores AS text[]))"
        ),
        {"org": organization_id, "stores": list(stores)},
    )
    return int(removed.rowcount or 0)


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
            SELECT p.store, p.sku, p.date, p.p10, p.p50, p.p90, p.base_p50, p.driver_base, p.driver_seasonality,
                   p.driver_price, p.driver_promotion, p.driver_events, p.driver_substitutes
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
        category = "COALESCE(f.category, 'uncategorised')"
        group = {
            "store": "p.store",
            "category": category,
            "store_category": f"p.store || '|' || {category}",
            "total": "'total'",
        }[level]
        return list(
            (
                await self.session.execute(
                    text(f"""
            SELECT {group} AS key, min(p.store) AS store, min({category}) AS category, p.date,
                   sum(p.p50) AS p50,
                   sqrt(sum(power(p.p50 - p.p10, 2))) AS lower, sqrt(sum(power(p.p90 - p.p50, 2))) AS upper
            FROM predictions p JOIN forecast_series f
              ON f.organization_id = p.organization_id AND f.store = p.store AND f.sku = p.sku
            WHERE p.organization_id = :org
            GROUP BY 1, p.date ORDER BY 1, p.date"""),
                    {"org": organization_id},
                )
            ).all()
        )

    async def reconciled_levels(self, organization_id: uuid.UUID, level: str) -> list[Any]:
        """The stored reconciled forecast of every node of one level, by key and date."""
        return list(
            (
                await self.session.execute(
                    text("""
            SELECT key, store, category, date, p10, p50, p90, method FROM level_forecasts
            WHERE organization_id = :org AND level = :level ORDER BY key, date"""),
                    {"org": organization_id, "level": level},
                )
            ).all()
        )
