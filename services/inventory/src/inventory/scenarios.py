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
from celery import Task
from sqlalchemy import Connection
from sqlalchemy.exc import OperationalError

from common.celery_app import celery_app
from common.db import sync_session
from common.org_settings import load_settings
from common.sales import load_daily_units, load_products
from inventory.repository import (
    ended_windows,
    load_scenario_points,
    scenario_organization,
    set_scenario_status,
    write_scenario_orders,
)

if TYPE_CHECKING:
    from inventory.engine import InventoryPolicy

log = logging.getLogger("smartretail.inventory.scenarios")
KEYS = ["store", "sku"]
TRANSIENT = (OperationalError, ConnectionError, TimeoutError)


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
        organization_id = scenario_organization(connection, scenario_id)
        if organization_id is None:
            return False
        points = load_scenario_points(connection, scenario_id)
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
        write_scenario_orders(session.connection(), scenario_id, figures)
        set_scenario_status(session.connection(), scenario_id, "succeeded")
    return True


@celery_app.task(name="inventory.scenario", bind=True, acks_late=True, max_retries=4)
def scenario(self: Task, scenario_id: str) -> None:
    """Plan stock on a scenario's demand and its baseline's; the scenario then succeeds."""
    try:
        scenario_orders(scenario_id)
    except TRANSIENT as exc:
        if self.request.retries < self.max_retries:
            raise self.retry(exc=exc, countdown=2 ** (self.request.retries + 1)) from exc
        with sync_session() as session:
            set_scenario_status(session.connection(), scenario_id, "failed", "the database was unavailable")
        raise
    except Exception as exc:
        log.exception("inventory of scenario %s failed", scenario_id)
        with sync_session() as session:
            set_scenario_status(
                session.connection(),
                scenario_id,
                "failed",
                f"inventory: {type(exc).__name__}: {str(exc)[:300]}",
            )
