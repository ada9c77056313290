"""SQL of forecast reconciliation: the items' base forecasts and backtest windows in, coherent levels out."""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING

import pandas as pd
import pyarrow as pa
from sqlalchemy import Connection, text

from common.frames import read_frame, write_frame

if TYPE_CHECKING:
    from forecasting.engine.reconcile import Reconciliation

_STR = pa.string()
BACKTEST_COLUMNS = ("organization_id", "store", "sku", "window_index", "date", "forecast", "actual")
LEVEL_COLUMNS = (
    "organization_id",
    "level",
    "key",
    "store",
    "category",
    "date",
    "p10",
    "p50",
    "p90",
    "base_p50",
    "model",
    "method",
    "job_id",
)


def replace_backtests(
    connection: Connection, organization_id: uuid.UUID, keys: pd.DataFrame, backtest: pd.DataFrame | None
) -> None:
    """Replace the backtest windows of these series (`keys` store, sku; in the caller's transaction)."""
    connection.execute(
        text("""
        DELETE FROM forecast_backtests b
        USING unnest(CAST(:stores AS text[]), CAST(:skus AS text[])) AS k(store, sku)
        WHERE b.organization_id = :org AND b.store = k.store AND b.sku = k.sku"""),
        {"org": organization_id, "stores": keys["store"].tolist(), "skus": keys["sku"].tolist()},
    )
    if backtest is None or backtest.empty:
        return
    rows = backtest.merge(keys[["store", "sku"]], on=["store", "sku"])
    rows = rows.assign(
        organization_id=str(organization_id),
        window_index=rows["window"].astype(int),
        date=pd.to_datetime(rows["date"]).dt.date,
    )
    write_frame(connection, "forecast_backtests", rows, BACKTEST_COLUMNS)


def remove_backtests_except(connection: Connection, organization_id: uuid.UUID) -> None:
    """Delete the backtest windows of series that no longer have a forecast."""
    connection.execute(
        text("""
        DELETE FROM forecast_backtests b WHERE b.organization_id = :org AND NOT EXISTS (
            SELECT 1 FROM forecast_series f
            WHERE f.organization_id = b.organization_id AND f.store = b.store AND f.sku = b.sku)"""),
        {"org": organization_id},
    )


def load_reconciliation_inputs(
    connection: Connection, organization_id: uuid.UUID
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Every item's base forecast, its backtest windows, and its category (forecast_series')."""
    params = {"org": str(organization_id)}
    keys = {"store": _STR, "sku": _STR}
    points = read_frame(
        connection,
        """SELECT store, sku, date, COALESCE(base_p10, p10) AS p10, COALESCE(base_p50, p50) AS p50,
                  COALESCE(base_p90, p90) AS p90
           FROM predictions WHERE organization_id = %(org)s""",
        params,
        keys,
    )
    backtest = read_frame(
        connection,
        """SELECT b.store, b.sku, b.window_index, b.date, b.forecast, b.actual
           FROM forecast_backtests b JOIN forecast_series f
             ON f.organization_id = b.organization_id AND f.store = b.store AND f.sku = b.sku
           WHERE b.organization_id = %(org)s""",
        params,
        keys,
    )
    items = read_frame(
        connection,
        "SELECT store, sku, category FROM forecast_series WHERE organization_id = %(org)s",
        params,
        {**keys, "category": _STR},
    )
    for frame in (points, backtest):
        if not frame.empty:
            frame["date"] = pd.to_datetime(frame["date"])
    return points, backtest.rename(columns={"window_index": "window"}), items


def write_reconciliation(
    connection: Connection, organization_id: uuid.UUID, job_id: str, result: Reconciliation
) -> None:
    """Rewrite the items' p10/p50/p90 with the reconciled ones (keeping the engine's as base_*) and
    replace the organisation's level forecasts."""
    connection.execute(
        text("""
        CREATE TEMP TABLE IF NOT EXISTS _reconciled
            (store text, sku text, date date, p10 double precision, p50 double precision,
             p90 double precision) ON COMMIT DROP""")
    )
    connection.execute(text("TRUNCATE _reconciled"))
    items = result.items.assign(date=pd.to_datetime(result.items["date"]).dt.date)
    write_frame(connection, "_reconciled", items, ("store", "sku", "date", "p10", "p50", "p90"))
    connection.execute(
        text("""
        UPDATE predictions p
        SET base_p10 = COALESCE(p.base_p10, p.p10), base_p50 = COALESCE(p.base_p50, p.p50),
            base_p90 = COALESCE(p.base_p90, p.p90), p10 = r.p10, p50 = r.p50, p90 = r.p90
        FROM _reconciled r
        WHERE p.organization_id = :org AND p.store = r.store AND p.sku = r.sku AND p.date = r.date"""),
        {"org": organization_id},
    )
    clear_levels(connection, organization_id)
    levels = result.levels.assign(
        organization_id=str(organization_id),
        date=pd.to_datetime(result.levels["date"]).dt.date,
        method=result.method,
        job_id=job_id,
    )
    write_frame(connection, "level_forecasts", levels, LEVEL_COLUMNS)


def clear_levels(connection: Connection, organization_id: uuid.UUID) -> None:
    """Delete the organisation's level forecasts (the API then sums the item forecasts)."""
    connection.execute(
        text("DELETE FROM level_forecasts WHERE organization_id = :org"), {"org": organization_id}
    )
