"""Celery tasks of the pricing queue."""

from __future__ import annotations

import uuid
from collections.abc import Callable

from common.cache import invalidate
from common.celery_app import celery_app
from common.db import sync_session
from common.org_settings import load_settings
from common.pipeline import StageError, stage_task
from common.recommendations import replace_recommendations
from common.sales import load_daily_sales, load_products
from common.stages import PRICING
from pricing.repository import load_censored_runs, load_demand_curves

app = celery_app


@stage_task(PRICING.task, PRICING.name)
def run(job_id: str, organization_id: uuid.UUID, report: Callable[[float], None]) -> None:
    """Estimate elasticities and suggest prices for every store x sku, on the forecast's demand curves."""
    from pricing.engine import Guardrails, suggest_prices
    from pricing.engine.data import drop_censored_weeks

    with sync_session() as session:
        sales = load_daily_sales(session.connection(), organization_id)
        products = load_products(session.connection(), organization_id)
        settings = load_settings(session.connection(), organization_id)
        # The forecast's demand curves (absent until a forecasting run stored them).
        curves = load_demand_curves(session.connection(), organization_id)
        censored = load_censored_runs(session.connection(), organization_id)
    if sales.empty:
        raise StageError("no product sales to price")
    sales = drop_censored_weeks(sales, censored)
    report(0.2)
    # Guardrails take the settings' lists as tuples (its own __post_init__), overrides included.
    suggestions = suggest_prices(
        sales,
        products if not products.empty else None,
        guardrails=Guardrails(**settings.pricing.model_dump()),
        category_guardrails=settings.pricing_category_overrides() or None,
        curves=curves if not curves.empty else None,
    )
    report(0.8)
    with sync_session() as session:
        replace_recommendations(session.connection(), organization_id, "pricing", job_id, suggestions)
    invalidate(str(organization_id), "pricing")
