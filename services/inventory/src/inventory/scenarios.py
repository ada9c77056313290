"""`inventory.scenario`: the inventory policy's orders and stock-out risk on a scenario's demand.

The forecasting worker computes a scenario's demand under the baseline plan and under the
scenario's and stores both bands in `scenario_points`, then enqueues this task by name (services
never import each other). Here the inventory engine runs on each band exactly as `inventory.run`
does on the stored forecasts (the organization's policy, its calibrated spread, each item's
on-hand, on-order and lead time, its own recent history), and the two sides' order quantity and
stock-out risk go to the scenario's items. Nothing of the baseline recommendations is touched.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

import pandas as pd
import pyarrow as pa
from celery import Task
from sqlalchemy import Connection, text
from sqlalchemy.exc import OperationalError

from common.celery_app import celery_app
from common.db import sync_session
from common.frames import read_frame, write_frame
from common.org_settings import load_settings
from common.sales import load_daily_units, load_products
from inventory.repository import ended_windows

if TYPE_CHECKING:
    from inventory.engine import InventoryPolicy

log = logging.getLogger("smartretail.inventory.scenarios")
KEYS = ["store", "sku"]
TRANSIENT = (OperationalError, ConnectionError, TimeoutError)
POINTS_SQL = """
    SELECT p.store, p.sku, p.date, p.p10, p.p50, p.p90, p.baseline_p10, p.baseline_p50, p.baseline_p90,
           i.frequency, i.wape
    FROM scenario_points p JOIN scenario_items i
      ON i.scenario_id = p.scenario_id AND i.store = p.store AND i.sku = p.sku
    WHERE p.scenario_id = %(id)s ORDER BY p.store, p.sku, p.date
"""


def _set_status(connection: Connection, scenario_id: str, status: str, error: str | None = None) -> None:
    connection.execute(
        text("""UPDATE scenarios SET status = :status, progress = 1.0, error = :error, updated_at = now()
        WHERE id = :id"""),
        {"id": scenario_id, "status": status, "error": error},
    )


def _policy(connection: Connection, organization_id: Any) -> InventoryPolicy:
    """The organization's inventory policy with the spread calibrated as inventory.run calibrates it."""
    from inventory.engine import InventoryPolicy, calibrated_policy

    settings = load_settings(connection, organization_id)
    policy = InventoryPolicy(**settings.inventory.model_dump())
    errors = ended_windows(connection, organization_id, settings.inventory.service_level)
    return calibrated_policy(policy, errors)[0]


def scenario_orders(scenario_id: str) -> bool:
    """Order quantity and stock-out risk of both sides of a scenario; False when it is gone."""
    from inventory.engine import recommend_inventory

    with sync_session() as session:
        connection = session.connection()
        organization_id = connection.execute(
            text("SELECT organization_id FROM scenarios WHERE id = :id"), {"id": scenario_id}
        ).scalar_one_or_none()
        if organization_id is None:
            return False
        points = read_frame(
            connection, POINTS_SQL, {"id": scenario_id}, {"store": pa.string(), "sku": pa.string()}
        )
        products = load_products(connection, organization_id)
        policy = _policy(connection, organization_id)
        history = None
        if not points.empty:
            points["date"] = pd.to_datetime(points["date"])
            since = points["date"].min() - pd.Timedelta(days=policy.history_window_days + 7)
            history = load_daily_units(connection, organization_id, since)
    products_or_none = products if not products.empty else None
    sides = []
    for side, prefix in (("baseline", "baseline_"), ("scenario", "")):
        quantiles = [f"{prefix}{q}" for q in ("p10", "p50", "p90")]
        band = points[[*KEYS, "date", *quantiles, "frequency", "wape"]]
        band = band.rename(columns={f"{prefix}{q}": q for q in ("p10", "p50", "p90")})
        table = recommend_inventory(band, products_or_none, policy=policy, history=history)
        sides.append(
            table[[*KEYS, "order_quantity", "stockout_risk"]].rename(
                columns={"order_quantity": f"{side}_order_quantity", "stockout_risk": f"{side}_stockout_risk"}
            )
        )
    figures = sides[0].merge(sides[1], on=KEYS)
    with sync_session() as session:
        _write(session.connection(), scenario_id, figures)
        _set_status(session.connection(), scenario_id, "succeeded")
    return True


def _write(connection: Connection, scenario_id: str, figures: pd.DataFrame) -> None:
    """Set the scenario items' order quantities and stock-out risks from a frame keyed by store, sku."""
    columns = [c for c in figures.columns if c not in KEYS]
    connection.execute(
        text(
            "CREATE TEMP TABLE IF NOT EXISTS _scenario_orders (store text, sku text, "
            + ", ".join(f"{c} double precision" for c in columns)
            + ") ON COMMIT DROP"
        )
    )
    connection.execute(text("TRUNCATE _scenario_orders"))
    write_frame(connection, "_scenario_orders", figures, [*KEYS, *columns])
    connection.execute(
        text(f"""
        UPDATE scenario_items i SET {", ".join(f"{c} = o.{c}" for c in columns)}
        FROM _scenario_orders o WHERE i.scenario_id = :id AND i.store = o.store AND i.sku = o.sku"""),
        {"id": scenario_id},
    )


@celery_app.task(name="inventory.scenario", bind=True, acks_late=True, max_retries=4)
def scenario(self: Task, scenario_id: str) -> None:
    """Plan stock on a scenario's demand and its baseline's; the scenario then succeeds."""
    try:
        scenario_orders(scenario_id)
    except TRANSIENT as exc:
        if self.request.retries < self.max_retries:
            raise self.retry(exc=exc, countdown=2 ** (self.request.retries + 1)) from exc
        with sync_session() as session:
            _set_status(session.connection(), scenario_id, "failed", "the database was unavailable")
        raise
    except Exception as exc:
        log.exception("inventory of scenario %s failed", scenario_id)
        with sync_session() as session:
            _set_status(
                session.connection(),
                scenario_id,
                "failed",
                f"inventory: {type(exc).__name__}: {str(exc)[:300]}",
            )
