"""Celery tasks of the forecasting queue."""

from __future__ import annotations

import uuid
from collections.abc import Callable

import pandas as pd

from common import jobs
from common.cache import invalidate
from common.celery_app import celery_app, enqueue
from common.db import sync_session
from common.pipeline import StageError, stage_task
from common.sales import load_daily_sales, load_plan, load_products
from forecasting.repository import replace_forecasts

app = celery_app


@stage_task("forecasting.run", "forecasting")
def run(job_id: str, report: Callable[[float], None]) -> None:
    """Forecast every store x sku of the job's organization, then start inventory."""
    from forecasting.engine import forecast  # heavy imports stay out of the API process

    organization_id = jobs.job_organization(job_id)
    if organization_id is None:
        raise StageError("the job no longer exists")
    horizon_days = int(jobs.job_options(job_id).get("horizon_days") or 28)
    with sync_session() as session:
        connection = session.connection()
        history = load_daily_sales(connection, organization_id)
        products = load_products(connection, organization_id)
        plan = (
            load_plan(connection, organization_id, history["date"].max())
            if not history.empty
            else pd.DataFrame()
        )
    if history.empty:
        raise StageError("no product sales to forecast")
    report(0.1)
    result = forecast(
        history,
        horizon_days=horizon_days,
        plan=plan if not plan.empty else None,
        products=products if not products.empty else None,
    )
    report(0.85)
    series = result.series
    if not products.empty and "category" not in series:
        series = series.merge(products[["store", "sku", "category"]], on=["store", "sku"], how="left")
    with sync_session() as session:
        replace_forecasts(
            session.connection(), uuid.UUID(str(organization_id)), job_id, series, result.points
        )
    invalidate(str(organization_id), "forecast")
    enqueue("inventory.run", job_id)
