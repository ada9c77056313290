"""Celery tasks of the pricing queue."""

from __future__ import annotations

from collections.abc import Callable

from common import jobs
from common.cache import invalidate
from common.celery_app import celery_app
from common.db import sync_session
from common.org_settings import load_settings
from common.pipeline import StageError, stage_task
from common.recommendations import replace_recommendations
from common.sales import load_daily_sales, load_products
from pricing.repository import load_demand_curves

app = celery_app


@stage_task("pricing.run", "pricing")
def run(job_id: str, report: Callable[[float], None]) -> None:
    """Estimate elasticities and suggest prices for every store x sku of the organization."""
    from pricing.engine import Guardrails, suggest_prices

    organization_id = jobs.job_organization(job_id)
    if organization_id is None:
        raise StageError("the job no longer exists")
    with sync_session() as session:
        sales = load_daily_sales(session.connection(), organization_id)
        products = load_products(session.connection(), organization_id)
        settings = load_settings(session.connection(), organization_id)
        # The forecast's demand curves (absent until a forecasting run stored them).
        curves = load_demand_curves(session.connection(), organization_id)
    if sales.empty:
        raise StageError("no product sales to price")
    report(0.2)
    rules = settings.pricing.model_dump()
    rules["price_endings"] = tuple(rules["price_endings"])
    overrides = settings.pricing_category_overrides()
    for override in overrides.values():
        if "price_endings" in override:
            override["price_endings"] = tuple(override["price_endings"])
    suggestions = suggest_prices(
        sales,
        products if not products.empty else None,
        guardrails=Guardrails(**rules),
        category_guardrails=overrides or None,
        curves=curves if not curves.empty else None,
    )
    report(0.8)
    with sync_session() as session:
        replace_recommendations(session.connection(), organization_id, "pricing", job_id, suggestions)
    invalidate(str(organization_id), "pricing")
