"""Organization settings: owners change them (validated), which re-runs pricing and inventory."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from sqlalchemy import text

from common.cache import sync_redis
from common.db import sync_session

pytestmark = pytest.mark.asyncio(loop_scope="session")


@pytest.fixture
async def gateway(servers: Any) -> AsyncIterator[httpx.AsyncClient]:
    from gateway.main import app

    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://gateway") as c:
        yield c


async def test_owner_saves_settings_and_the_engines_rerun(
    gateway: httpx.AsyncClient, make_identity: Any
) -> None:
    identity, owner = make_identity()
    defaults = (await gateway.get("/settings", headers=owner)).json()
    assert defaults["pseudonymise_customers"] is True and defaults["pricing"]["max_change_pct"] == 10.0
    assert defaults["inventory"]["service_level"] == 0.95
    wanted = {
        **defaults,
        "pricing": {**defaults["pricing"], "max_change_pct": 5.0, "objective": "revenue"},
        "pricing_categories": {"dairy": {"min_margin_pct": 20}},
        "inventory": {**defaults["inventory"], "service_level": 0.98},
    }
    queued = sync_redis().llen("pricing")
    saved = await gateway.put("/settings", headers=owner, json=wanted)
    assert saved.status_code == 200, saved.text
    assert sync_redis().llen("pricing") == queued + 1
    with sync_session() as session:
        stored = session.execute(
            text("SELECT settings FROM organizations WHERE id = :o"), {"o": identity.organization_id}
        ).scalar_one()
        job = session.execute(
            text("SELECT kind, stages FROM upload_jobs WHERE id = :j"),
            {"j": uuid.UUID(saved.json()["job_id"])},
        ).one()
    assert stored["pricing"]["max_change_pct"] == 5.0 and stored["inventory"]["service_level"] == 0.98
    assert stored["pricing_categories"]["dairy"]["min_margin_pct"] == 20
    assert job.kind == "settings" and job.stages["forecasting"]["status"] == "skipped"
    assert job.stages["pricing"]["status"] == "queued"


async def test_nonsense_and_non_owners_are_refused(gateway: httpx.AsyncClient, make_identity: Any) -> None:
    _, owner = make_identity()
    bad = await gateway.put("/settings", headers=owner, json={"inventory": {"service_level": 1.5}})
    assert bad.status_code == 422 and "service_level" in bad.json()["detail"]
    _, analyst = make_identity(role="analyst")
    assert (await gateway.get("/settings", headers=analyst)).status_code == 200
    assert (await gateway.put("/settings", headers=analyst, json={})).status_code == 403


async def test_the_currency_defaults_to_usd_and_takes_only_iso_4217_codes(
    gateway: httpx.AsyncClient, make_identity: Any
) -> None:
    _, owner = make_identity()
    assert (await gateway.get("/settings", headers=owner)).json()["currency"] == "USD"
    saved = await gateway.put("/settings", headers=owner, json={"currency": " eur "})
    assert saved.status_code == 200, saved.text
    assert saved.json()["settings"]["currency"] == "EUR"
    assert (await gateway.get("/settings", headers=owner)).json()["currency"] == "EUR"
    for wrong in ("XYZ", "euro", "", "XAU"):
        bad = await gateway.put("/settings", headers=owner, json={"currency": wrong})
        assert bad.status_code == 422, wrong
        assert "currency" in bad.json()["detail"] and "ISO 4217" in bad.json()["detail"], bad.json()
    assert (await gateway.get("/settings", headers=owner)).json()["currency"] == "EUR"  # unchanged


async def test_the_default_country_is_us_takes_iso_codes_holidays_knows_and_reruns_forecasts(
    gateway: httpx.AsyncClient, make_identity: Any
) -> None:
    _, owner = make_identity()
    settings = (await gateway.get("/settings", headers=owner)).json()
    assert settings["country"] == "US"
    same = await gateway.put("/settings", headers=owner, json=settings)
    assert same.status_code == 200, same.text
    # The country did not change: only pricing and inventory run again.
    assert _stage_statuses(same.json()["job_id"])["forecasting"] == "skipped"
    saved = await gateway.put("/settings", headers=owner, json={**settings, "country": " de "})
    assert saved.status_code == 200, saved.text
    assert saved.json()["settings"]["country"] == "DE"
    # Stores without a country of their own now keep German holidays: the forecasts are re-fitted.
    assert _stage_statuses(saved.json()["job_id"])["forecasting"] == "queued"
    for wrong, hint in (("ZZ", "ISO 3166-1"), ("DEU", "ISO 3166-1"), ("UK", "GB"), ("", "ISO 3166-1")):
        bad = await gateway.put("/settings", headers=owner, json={**settings, "country": wrong})
        assert bad.status_code == 422, wrong
        assert "country" in bad.json()["detail"] and hint in bad.json()["detail"], bad.json()
    assert (await gateway.get("/settings", headers=owner)).json()["country"] == "DE"  # unchanged


def _stage_statuses(job_id: str) -> dict[str, str]:
    with sync_session() as session:
        stages = session.execute(
            text("SELECT stages FROM upload_jobs WHERE id = :j"), {"j": uuid.UUID(job_id)}
        ).scalar_one()
    return {name: entry["status"] for name, entry in stages.items()}


async def test_the_stockouts_setting_is_flag_or_correct_and_a_change_reruns_forecasting(
    gateway: httpx.AsyncClient, make_identity: Any
) -> None:
    identity, owner = make_identity()
    defaults = (await gateway.get("/settings", headers=owner)).json()
    assert defaults["stockouts"] == "flag"

    def stages(job_id: str) -> dict[str, str]:
        with sync_session() as session:
            job = session.execute(
                text("SELECT stages FROM upload_jobs WHERE id = :j"), {"j": uuid.UUID(job_id)}
            ).scalar_one()
        return {name: entry["status"] for name, entry in job.items()}

    queued = sync_redis().llen("forecasting")
    saved = await gateway.put("/settings", headers=owner, json={**defaults, "stockouts": "correct"})
    assert saved.status_code == 200, saved.text
    assert saved.json()["settings"]["stockouts"] == "correct"
    assert (await gateway.get("/settings", headers=owner)).json()["stockouts"] == "correct"
    # Forecasting runs first; pricing and inventory wait for it.
    assert stages(saved.json()["job_id"]) == {
        "ingest": "skipped",
        "forecasting": "queued",
        "segmentation": "skipped",
        "pricing": "queued",
        "inventory": "queued",
    }
    assert sync_redis().llen("forecasting") == queued + 1
    # The same value again changes nothing the demand model learns from.
    again = await gateway.put("/settings", headers=owner, json={**defaults, "stockouts": "correct"})
    assert stages(again.json()["job_id"])["forecasting"] == "skipped"
    bad = await gateway.put("/settings", headers=owner, json={"stockouts": "ignore"})
    assert bad.status_code == 422 and "stockouts" in bad.json()["detail"], bad.json()
    with sync_session() as session:
        stored = session.execute(
            text("SELECT settings FROM organizations WHERE id = :o"), {"o": identity.organization_id}
        ).scalar_one()
    assert stored["stockouts"] == "correct"
