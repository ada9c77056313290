"""`forecasting.scenario`: demand, revenue and margin of a scenario against the baseline.

The scenario's orders and stock-out risk come from the inventory policy, which lives in the
inventory service; services never import each other, so this task hands over by name on the queue:
when the demand points are stored it enqueues `inventory.scenario`, which reads them, runs the
inventory engine on the baseline's and the scenario's demand and writes both items' order quantity
and stock-out risk to the scenario's rows, then marks the scenario succeeded. A scenario never
touches the baseline forecasts, plan or recommendations: it writes only its own tables.
"""

from __future__ import annotations

import logging
import uuid
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from celery import Task
from sqlalchemy.exc import OperationalError

from common.celery_app import celery_app, enqueue
from common.db import sync_session
from common.org_settings import load_settings
from common.sales import load_products
from forecasting.scenarios import plans
from forecasting.scenarios.repository import (
    forecast_series_info,
    load_scenario,
    reconciled_points,
    set_status,
    write_results,
)

if TYPE_CHECKING:
    from forecasting.engine import DemandModel

log = logging.getLogger("smartretail.scenarios")
KEYS = ["store", "sku"]
TRANSIENT = (OperationalError, ConnectionError, TimeoutError)


class ScenarioError(Exception):
    """An expected failure of a scenario, with a reason a person can read."""


# A substitute counts as affected when its units move by more than this share (or 0.01 unit).
AFFECTED_SHARE = 1e-4
MONEY = ("units", "revenue", "gross_margin")


def _record(scenario_id: str, status: str, progress: float, error: str | None = None) -> None:
    with sync_session() as session:
        set_status(session.connection(), scenario_id, status, progress, error)


def _stores(changes: list[dict[str, Any]]) -> list[str] | None:
    """The stores the changes name (None: a change without a store touches every store)."""
    if any(change.get("store") is None for change in changes):
        return None
    return sorted({str(change["store"]) for change in changes})


def scenario_demand(
    models: list[DemandModel], changes: list[dict[str, Any]], series: pd.DataFrame
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame, pd.DataFrame, np.ndarray]:
    """Baseline and scenario demand of the models' series whose plan the changes touch.

    The fitted models are reused as stored: only their inputs change. Returns the baseline points,
    the scenario points, the baseline plan and the scenario plan (store, sku, date, price,
    promotion) of those models, and which plan rows the changes touched.
    """
    from forecasting.engine import predict_demand  # heavy imports stay out of the API process
    from forecasting.engine.panel import WEEKLY

    parts: list[tuple[pd.DataFrame, ...]] = []
    touched: list[np.ndarray] = []
    categories_of = series[[*KEYS, "category"]]
    for model in models:
        baseline = model.baseline_plan()[plans.PLAN_COLUMNS]
        categories = baseline[KEYS].merge(categories_of, on=KEYS, how="left")["category"]
        period_days = 7 if model.panel.freq == WEEKLY else 1
        scenario, changed = plans.apply_changes(baseline, changes, categories, period_days)
        if not changed.any():
            continue
        parts.append(
            (predict_demand(model), predict_demand(model, scenario.loc[changed]), baseline, scenario)
        )
        touched.append(changed)
    if not parts:
        raise ScenarioError("no forecast period of any item falls within the changes' dates")
    frames = [pd.concat(column, ignore_index=True) for column in zip(*parts, strict=True)]
    return frames[0], frames[1], frames[2], frames[3], np.concatenate(touched)


def _items(
    series: pd.DataFrame, changed_keys: pd.DataFrame, base: pd.DataFrame, new: pd.DataFrame
) -> pd.DataFrame:
    """Changed items (rank 0), then their same-store, same-category peers whose demand moved (rank 1)."""
    category = series["category"].fillna("")
    peers_of = changed_keys.merge(series, on=KEYS).assign(category=lambda f: f["category"].fillna(""))
    groups = set(zip(peers_of["store"], peers_of["category"], strict=True))
    peer = np.array([(s, c) in groups for s, c in zip(series["store"], category, strict=True)], dtype=bool)
    units = (
        base.groupby(KEYS)["p50"]
        .sum()
        .rename("base")
        .to_frame()
        .join(new.groupby(KEYS)["p50"].sum().rename("new"))
    )
    moved = (units["new"] - units["base"]).abs() > np.maximum(AFFECTED_SHARE * units["base"].abs(), 0.01)
    moved_keys = set(units.index[moved.to_numpy()])
    changed = set(zip(changed_keys["store"], changed_keys["sku"], strict=True))
    rank = np.full(len(series), -1)
    keys = list(zip(series["store"], series["sku"], strict=True))
    for i, key in enumerate(keys):
        if key in changed:
            rank[i] = 0
        elif peer[i] and key in moved_keys:
            rank[i] = 1
    return series.assign(rank=rank).loc[rank >= 0].reset_index(drop=True)


def compute(scenario_id: str) -> bool:
    """Compute and store a scenario's demand and money figures; False when it no longer exists."""
    from forecasting.repository import load_demand_models

    with sync_session() as session:
        connection = session.connection()
        row = load_scenario(connection, scenario_id)
        if row is None:
            return False
        organization_id: uuid.UUID = row.organization_id
        changes = list(row.changes)
        models = load_demand_models(connection, organization_id, _stores(changes))
        products = load_products(connection, organization_id)
        series = forecast_series_info(connection, organization_id)
        margin_pct = load_settings(connection, organization_id).pricing.assumed_margin_pct
        reconciled = reconciled_points(connection, organization_id, _stores(changes))
    if not models:
        raise ScenarioError("no demand model is stored yet: wait for forecasting to finish, then try again")
    _record(scenario_id, "running", 0.2)
    base_points, new_points, baseline, scenario_plan, changed = scenario_demand(models, changes, series)
    # Both sides as served: the baseline is the forecast the retailer sees (reconciled across levels).
    base_points, new_points = (
        plans.as_served(base_points, reconciled),
        plans.as_served(new_points, reconciled),
    )
    _record(scenario_id, "running", 0.6)
    changed_keys = baseline.loc[changed, KEYS].drop_duplicates()
    items = _items(series, changed_keys, base_points, new_points)
    _store(
        scenario_id, items, base_points, new_points, baseline, scenario_plan, changed, products, margin_pct
    )
    return True


def _store(
    scenario_id: str,
    items: pd.DataFrame,
    base_points: pd.DataFrame,
    new_points: pd.DataFrame,
    baseline: pd.DataFrame,
    scenario_plan: pd.DataFrame,
    changed: np.ndarray,
    products: pd.DataFrame,
    margin_pct: float,
) -> None:
    """Figures per item and the points of the listed items, written in one transaction."""
    keys = items[KEYS]
    base_points, new_points = base_points.merge(keys, on=KEYS), new_points.merge(keys, on=KEYS)
    costs = plans.unit_costs(products, baseline.merge(keys, on=KEYS), margin_pct)
    base = plans.item_figures(base_points, baseline.merge(keys, on=KEYS), costs[[*KEYS, "unit_cost"]])
    new = plans.item_figures(new_points, scenario_plan.merge(keys, on=KEYS), costs[[*KEYS, "unit_cost"]])
    table = items.merge(costs, on=KEYS, how="left")
    for side, figures in (("baseline", base), ("scenario", new)):
        named = figures.rename(columns={c: f"{side}_{c}" for c in MONEY})
        table = table.merge(named, on=KEYS, how="left")
    points = new_points.merge(
        base_points.rename(columns={"p10": "baseline_p10", "p50": "baseline_p50", "p90": "baseline_p90"}),
        on=[*KEYS, "date"],
    )
    points["date"] = pd.to_datetime(points["date"]).dt.date
    cells = scenario_plan.loc[changed].rename(columns={"price": "unit_price"})
    cells = cells.assign(date=pd.to_datetime(cells["date"]).dt.date)
    notes = plans.assumption_notes(costs, margin_pct)
    with sync_session() as session:
        write_results(session.connection(), scenario_id, table, points, cells, notes, _totals(table))
        set_status(session.connection(), scenario_id, "running", 0.8)


def _totals(table: pd.DataFrame) -> dict[str, Any]:
    """Units, revenue and gross margin summed over the scenario's items, per side."""
    return {
        side: {name: round(float(table[f"{side}_{name}"].sum()), 4) for name in MONEY}
        for side in ("baseline", "scenario")
    }


@celery_app.task(name="forecasting.scenario", bind=True, acks_late=True, max_retries=4)
def scenario(self: Task, scenario_id: str) -> None:
    """Compute a scenario's demand, revenue and margin, then hand it to inventory for its orders."""
    try:
        _record(scenario_id, "running", 0.05)
        if not compute(scenario_id):
            return
    except TRANSIENT as exc:
        if self.request.retries < self.max_retries:
            raise self.retry(exc=exc, countdown=2 ** (self.request.retries + 1)) from exc
        _record(scenario_id, "failed", 1.0, f"the database or queue was unavailable ({type(exc).__name__})")
        raise
    except ScenarioError as exc:
        _record(scenario_id, "failed", 1.0, str(exc))
        return
    except Exception as exc:
        log.exception("scenario %s failed", scenario_id)
        reason = str(exc).splitlines()[0][:300] if str(exc) else type(exc).__name__
        _record(scenario_id, "failed", 1.0, f"unexpected error ({type(exc).__name__}: {reason})")
        return
    enqueue("inventory.scenario", scenario_id)
