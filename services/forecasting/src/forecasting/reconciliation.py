"""Reconciliation of an organisation's forecasts, run when the forecasting stage's last chunk ends.

Chunks re-fit only the stores whose data changed, but a coherent hierarchy needs every series: the
last chunk (or the coordinator, when nothing needed a re-fit) reads every item's base forecast and
backtest windows, reconciles them with the aggregate levels' own forecasts (engine/reconcile.py),
rewrites the items' p10/p50/p90 with the reconciled numbers (the engine's stay as base_*) and
stores each level's forecast, before pricing and inventory start. Pricing's demand curves and
scenarios keep reading the demand model, i.e. the base forecast: their expected units agree with
each other, and differ from a reconciled item forecast by the reconciliation's adjustment, which
`GET /forecast` serves (drivers scaled to it).
"""

from __future__ import annotations

import logging
import time
import uuid
from typing import Any

from common.db import sync_session
from common.sales import load_daily_sales
from forecasting.reconciliation_repository import (
    clear_levels,
    load_reconciliation_inputs,
    write_reconciliation,
)
from forecasting.repository import lock_forecasts, numeric_columns

log = logging.getLogger(__name__)


def reconcile_organization(job_id: str, organization_id: uuid.UUID) -> dict[str, Any]:
    """Reconcile every forecast of the organisation and store the levels; returns what was chosen."""
    from forecasting.engine.reconcile import reconcile

    started = time.perf_counter()
    with sync_session() as session:
        connection = session.connection()
        # Chunks of a later job wait: the reconciled numbers are written over the ones read here.
        lock_forecasts(connection, organization_id)
        points, backtest, items = load_reconciliation_inputs(connection, organization_id)
        if points.empty:
            clear_levels(connection, organization_id)
            return {"method": None, "series": 0}
        history = numeric_columns(load_daily_sales(connection, organization_id))
        result = reconcile(points, backtest, history, items)
        write_reconciliation(connection, organization_id, job_id, result)
    return {
        "method": result.method,
        "scores": {name: round(value, 4) for name, value in result.scores.items()},
        "coherence": result.coherence,
        "series": len(items),
        "seconds": round(time.perf_counter() - started, 2),
    }


def reconcile_or_sum(job_id: str, organization_id: uuid.UUID) -> dict[str, Any]:
    """Reconcile; on any failure drop the stored levels (the API then sums the item forecasts).

    Pricing and inventory must start either way: a failed reconciliation leaves the engine's
    forecasts, which add up bottom-up.
    """
    try:
        return reconcile_organization(job_id, organization_id)
    except Exception as error:
        log.exception("reconciling the forecasts of %s failed; serving bottom-up sums", organization_id)
        with sync_session() as session:
            clear_levels(session.connection(), organization_id)
        return {"method": None, "error": type(error).__name__}
