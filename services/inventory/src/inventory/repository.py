"""SQL of the inventory worker: the forecasts it plans from, its calibration history (protection windows) and a scenario's orders."""

from __future__ import annotations

import uuid

import pandas as pd
import pyarrow as pa
from sqlalchemy import Connection, text

from common.frames import read_frame, write_frame
from common.sales import STOCKOUT_DAY_DEMAND
from inventory.engine.records import WINDOW_COLUMNS

SCENARIO_KEYS = ["store", "sku"]
FORECAST_SQL = """
    SELECT p.store, p.sku, p.date, p.p10, p.p50, p.p90, f.frequency, f.wape
    FROM predictions p JOIN forecast_series f
      ON f.organization_id = p.organization_id AND f.store = p.store AND f.sku = p.sku
    WHERE p.organization_id = %(org)s ORDER BY p.store, p.sku, p.date
"""

# Demand over each window that has ended by its store's latest sales date: net units (returns
# count negative) of product lines, as common.sales.DAILY_SALES_SQL gives the forecasts, except on
# the days of a corrected stock-out, which count their share of the run's estimated demand
# (common.sales.STOCKOUT_DAY_DEMAND) in place of the capped sales. A store's own latest date, not
# the organization's: a store whose file arrives later has not had its window end yet. A day in
# the window's k-th period (0-based) counts with weight min(1, periods - k), as the engine counts
# a fractional last period of lead time + review.
_WEIGHT = "LEAST(1.0, w.window_periods - floor(({day} - w.origin_date - 1) / w.period_days))"
# The window's days of a run: each counts its share of the run's estimated demand.
_RUN_DAYS = """FROM stockouts o CROSS JOIN LATERAL generate_series(
            GREATEST(o.start, w.origin_date + 1), LEAST(o."end", w.end_date), interval '1 day') AS d(day)"""
# A corrected stock-out run `o` of the window's item.
_ITEM_RUN = "o.organization_id = w.organization_id AND o.store = w.store AND o.sku = w.sku AND o.corrected"
_WINDOW_DEMAND = f"""
    ((SELECT COALESCE(sum(s.quantity * {_WEIGHT.format(day="s.date")}), 0.0)
      FROM sales_lines s
      WHERE s.organization_id = w.organization_id AND s.store = w.store AND s.sku = w.sku
        AND s.is_product AND s.date > w.origin_date AND s.date <= w.end_date
        AND NOT EXISTS (SELECT 1 FROM stockouts o WHERE {_ITEM_RUN} AND s.date BETWEEN o.start AND o."end"))
     + (SELECT COALESCE(sum({STOCKOUT_DAY_DEMAND} * {_WEIGHT.format(day="CAST(d.day AS date)")}), 0.0)
        {_RUN_DAYS}
        WHERE {_ITEM_RUN} AND o."end" > w.origin_date AND o.start <= w.end_date))
"""
# A correlated subquery per window is always an index range scan of that item's days (natural
# key: organization, store, sku, date); a join would leave the plan to the statistics, which a
# young table lacks. It runs a second time only to skip rewriting unchanged windows.
_ACTUAL_DEMAND_SQL = f"""
    WITH latest AS MATERIALIZED (
        SELECT store, max(date) AS latest_date FROM sales_lines
        WHERE organization_id = :org AND is_product GROUP BY store
    )
    UPDATE inventory_protection_windows w
    SET actual_protection_demand = {_WINDOW_DEMAND}, updated_at = now()
    FROM latest l
    WHERE w.organization_id = :org AND l.store = w.store AND w.end_date <= l.latest_date
      AND w.actual_protection_demand IS DISTINCT FROM {_WINDOW_DEMAND}
"""

# A window planned for another service level has its quantiles elsewhere, so only the current
# target's windows are read.
_ENDED_WINDOWS_SQL = """
    SELECT expected_protection_demand, protection_quantile, actual_protection_demand,
           history_expected_demand, history_quantile, demand_class
    FROM inventory_protection_windows
    WHERE organization_id = %(org)s AND actual_protection_demand IS NOT NULL
      AND abs(service_level - %(service_level)s) < 1e-9
"""


def load_forecast_points(connection: Connection, organization_id: uuid.UUID) -> pd.DataFrame:
    """The organization's latest forecast points (p10/p50/p90 per date) with each series' frequency and WAPE."""
    points = read_frame(
        connection,
        FORECAST_SQL,
        {"org": str(organization_id)},
        {"store": pa.string(), "sku": pa.string(), "frequency": pa.string()},
    )
    points["date"] = pd.to_datetime(points["date"])
    return points


def record_windows(
    connection: Connection, organization_id: uuid.UUID, job_id: str, windows: pd.DataFrame
) -> int:
    """Upsert this run's protection windows; a window from the same origin replaces the old one."""
    if windows.empty:
        return 0
    connection.execute(
        text(
            "CREATE TEMP TABLE IF NOT EXISTS _protection_windows "
            "(LIKE inventory_protection_windows INCLUDING DEFAULTS) ON COMMIT DROP"
        )
    )
    connection.execute(text("TRUNCATE _protection_windows"))
    rows = windows.assign(
        organization_id=str(organization_id),
        job_id=job_id,
        origin_date=pd.to_datetime(windows["origin_date"]).dt.date,
        end_date=pd.to_datetime(windows["end_date"]).dt.date,
    )
    columns = ("organization_id", *WINDOW_COLUMNS, "job_id")
    write_frame(connection, "_protection_windows", rows, columns)
    updates = ", ".join(f"{c} = EXCLUDED.{c}" for c in (*WINDOW_COLUMNS[3:], "job_id"))
    listed = ", ".join(columns)
    connection.execute(
        text(f"""
        INSERT INTO inventory_protection_windows ({listed})
        SELECT {listed} FROM _protection_windows
        ON CONFLICT (organization_id, store, sku, origin_date) DO UPDATE SET
            {updates}, actual_protection_demand = NULL, updated_at = now()""")
    )
    return len(rows)


def refresh_actual_demand(connection: Connection, organization_id: uuid.UUID) -> int:
    """Fill in (or correct, after a re-upload) the actual demand of every window that has ended."""
    result = connection.execute(text(_ACTUAL_DEMAND_SQL), {"org": organization_id})
    return int(result.rowcount or 0)


def ended_windows(connection: Connection, organization_id: uuid.UUID, service_level: float) -> pd.DataFrame:
    """Both sources' expected mean and target quantile, and the actual demand, of the ended windows."""
    return read_frame(
        connection,
        _ENDED_WINDOWS_SQL,
        {"org": str(organization_id), "service_level": service_level},
    )


def prune_windows(connection: Connection, organization_id: uuid.UUID, keep_per_item: int) -> int:
    """Delete all but each store x sku's `keep_per_item` most recent windows (bounded history)."""
    result = connection.execute(
        text("""
        DELETE FROM inventory_protection_windows w USING (
            SELECT store, sku, origin_date,
                   row_number() OVER (PARTITION BY store, sku ORDER BY origin_date DESC) AS recency
            FROM inventory_protection_windows WHERE organization_id = :org
        ) r
        WHERE w.organization_id = :org AND w.store = r.store AND w.sku = r.sku
          AND w.origin_date = r.origin_date AND r.recency > :keep"""),
        {"org": organization_id, "keep": keep_per_item},
    )
    return int(result.rowcount or 0)


# A scenario's demand bands (scenario and baseline) with each item's forecast frequency and WAPE,
# as FORECAST_SQL gives the stored forecasts.
SCENARIO_POINTS_SQL = """
    SELECT p.store, p.sku, p.date, p.p10, p.p50, p.p90, p.baseline_p10, p.baseline_p50, p.baseline_p90,
           i.frequency, i.wape
    FROM scenario_points p JOIN scenario_items i
      ON i.scenario_id = p.scenario_id AND i.store = p.store AND i.sku = p.sku
    WHERE p.scenario_id = %(id)s ORDER BY p.store, p.sku, p.date
"""


def scenario_organization(connection: Connection, scenario_id: str) -> uuid.UUID | None:
    """The organization a scenario belongs to (None when it is gone)."""
    found = connection.execute(
        text("SELECT organization_id FROM scenarios WHERE id = :id"), {"id": scenario_id}
    )
    return found.scalar_one_or_none()  # type: ignore[no-any-return]


def load_scenario_points(connection: Connection, scenario_id: str) -> pd.DataFrame:
    """A scenario's points: both sides' p10/p50/p90 per store, sku and date, with frequency and wape."""
    return read_frame(
        connection, SCENARIO_POINTS_SQL, {"id": scenario_id}, {"store": pa.string(), "sku": pa.string()}
    )


def set_scenario_status(
    connection: Connection, scenario_id: str, status: str, error: str | None = None
) -> None:
    """End a scenario's computation with this status (and the reason when it failed)."""
    connection.execute(
        text("""UPDATE scenarios SET status = :status, progress = 1.0, error = :error, updated_at = now()
        WHERE id = :id"""),
        {"id": scenario_id, "status": status, "error": error},
    )


def write_scenario_orders(connection: Connection, scenario_id: str, figures: pd.DataFrame) -> None:
    """Set the scenario items' order quantities and stock-out risks from a frame keyed by store, sku."""
    columns = [c for c in figures.columns if c not in SCENARIO_KEYS]
    connection.execute(
        text(
            "CREATE TEMP TABLE IF NOT EXISTS _scenario_orders (store text, sku text, "
            + ", ".join(f"{c} double precision" for c in columns)
            + ") ON COMMIT DROP"
        )
    )
    connection.execute(text("TRUNCATE _scenario_orders"))
    write_frame(connection, "_scenario_orders", figures, [*SCENARIO_KEYS, *columns])
    connection.execute(
        text(f"""
        UPDATE scenario_items i SET {", ".join(f"{c} = o.{c}" for c in columns)}
        FROM _scenario_orders o WHERE i.scenario_id = :id AND i.store = o.store AND i.sku = o.sku"""),
        {"id": scenario_id},
    )
