"""Forecasting in chunks: the grouping, per-chunk progress, exactly-once completion, incremental re-runs."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import numpy as np
import pandas as pd
import pytest
from sqlalchemy import text

from common.db import sync_session
from common.frames import write_frame
from common.jobs import initial_stages, stage_entry
from common.models import UploadJob
from common.reaper import reap_stalled, stage_restarts
from common.settings import get_settings
from common.testing.plugin import write_sales_lines
from forecasting import tasks
from forecasting.chunks import ChunkSpec, chunk_labels, plan_chunks, sku_bucket

END = pd.Timestamp("2026-10-31")


def _keys(sizes: dict[str, int]) -> pd.DataFrame:
    return pd.DataFrame(
        [(store, f"SKU{i:04d}") for store, n in sizes.items() for i in range(n)], columns=["store", "sku"]
    )


def test_small_stores_are_packed_whole_in_name_order() -> None:
    chunks = plan_chunks(_keys({"B": 300, "A": 400, "C": 350, "D": 900}), 1000)
    assert chunks == [ChunkSpec(("A", "B")), ChunkSpec(("C",)), ChunkSpec(("D",))]


def test_a_big_store_is_split_by_sku_hash_and_every_series_lands_in_one_chunk() -> None:
    keys = _keys({"BIG": 2500, "S1": 10})
    chunks = plan_chunks(keys, 1000)
    assert chunks[:3] == [ChunkSpec(("BIG",), part, 3) for part in range(3)]
    assert chunks[3] == ChunkSpec(("S1",))
    labels = chunk_labels(keys, chunks)
    assert (labels >= 0).all()
    sizes = np.bincount(labels)
    assert sizes[3] == 10 and sizes[:3].sum() == 2500
    # The hash spreads the big store evenly enough: every part near 2500 / 3.
    assert all(700 < size < 970 for size in sizes[:3])
    # The grouping depends on the series only, not on their order.
    assert plan_chunks(keys.sample(frac=1.0, random_state=1), 1000) == chunks


def test_reaper_restarts_only_the_chunks_not_done() -> None:
    entry = {"chunk_task": "forecasting.chunk", "chunks_total": 4, "chunks_done_ids": [0, 2]}
    assert stage_restarts("forecasting", entry) == [("forecasting.chunk", (1,)), ("forecasting.chunk", (3,))]
    assert stage_restarts("forecasting", {"status": "running"}) == [("forecasting.run", ())]


# ---- on the real database ------------------------------------------------------------------------


def _sales(org: uuid.UUID, stores: dict[str, int], days: int = 120, seed: int = 0) -> pd.DataFrame:
    """Daily units with a weekend lift per store x sku, ending on END."""
    rng = np.random.default_rng(seed)
    dates = pd.date_range(end=END, periods=days, freq="D")
    frames = []
    for store, n_skus in stores.items():
        for k in range(n_skus):
            level = rng.uniform(5, 30)
            units = rng.poisson(level * np.where(dates.day_of_week >= 5, 1.4, 1.0))
            frames.append(
                pd.DataFrame(
                    {
                        "organization_id": str(org),
                        "store": store,
                        "sku": f"P{k}",
                        "date": dates.date,
                        "transaction_id": "",
                        "line_no": 0,
                        "quantity": units.astype(float),
                        "unit_price": round(float(rng.uniform(2, 9)), 2),
                    }
                )
            )
    return pd.concat(frames, ignore_index=True)


def _new_job(org: uuid.UUID, options: dict[str, Any] | None = None) -> str:
    stages = initial_stages()
    stages["ingest"].update(status="succeeded", progress=1.0)
    with sync_session() as session:
        job = UploadJob(organization_id=org, stages=stages, status="running", options=options or {})
        session.add(job)
        session.flush()
        return str(job.id)


def _stored(org: uuid.UUID) -> pd.DataFrame:
    with sync_session() as session:
        rows = session.execute(
            text(
                "SELECT store, sku, fingerprint, updated_at, job_id::text AS job_id, model"
                " FROM forecast_series WHERE organization_id = :org ORDER BY store, sku"
            ),
            {"org": org},
        ).all()
    return pd.DataFrame(
        [tuple(r) for r in rows], columns=["store", "sku", "fingerprint", "updated_at", "job_id", "model"]
    )


@pytest.fixture
def sent(servers: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[list[tuple[Any, ...]]]:
    """Tasks the forecasting tasks enqueue, captured instead of sent (the test runs them in process)."""
    calls: list[tuple[Any, ...]] = []
    monkeypatch.setattr(tasks, "enqueue", lambda name, *args: calls.append((name, *args)))
    yield calls


@pytest.fixture
def chunk_size(servers: Any, monkeypatch: pytest.MonkeyPatch) -> Any:
    """Set FORECAST_CHUNK_SERIES for the tasks run in this test."""

    def set_size(size: int) -> None:
        monkeypatch.setattr(get_settings(), "forecast_chunk_series", size)

    return set_size


@pytest.fixture
async def ingest_client(servers: Any) -> AsyncIterator[httpx.AsyncClient]:
    from ingest.main import app

    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://ingest") as c:
        yield c


@pytest.mark.asyncio(loop_scope="session")
async def test_chunks_report_progress_count_once_and_write_what_one_big_run_writes(
    make_identity: Any, sent: list[tuple[Any, ...]], chunk_size: Any, ingest_client: httpx.AsyncClient
) -> None:
    identity, headers = make_identity()
    org = identity.organization_id
    write_sales_lines(_sales(org, {"S1": 3, "S2": 3, "S3": 3}))
    chunk_size(3)
    job_id = _new_job(org)

    tasks.run(job_id)
    assert sent == [("forecasting.chunk", job_id, i) for i in range(3)]
    entry = stage_entry(job_id, "forecasting")
    assert entry["chunks"] == [{"stores": [s], "part": 0, "parts": 1} for s in ("S1", "S2", "S3")]
    stage = (await ingest_client.get(f"/jobs/{job_id}", headers=headers)).json()["stages"]["forecasting"]
    assert (stage["status"], stage["chunks_total"], stage["chunks_done"], stage["progress"]) == (
        "running",
        3,
        0,
        0.0,
    )
    assert (stage["series_refit"], stage["series_kept"]) == (9, 0)

    sent.clear()
    tasks.chunk(job_id, 1)
    tasks.chunk(job_id, 1)  # redelivered: counted once, written once
    job = (await ingest_client.get(f"/jobs/{job_id}", headers=headers)).json()
    stage = job["stages"]["forecasting"]
    assert (stage["status"], stage["chunks_done"], stage["progress"]) == (
        "running",
        1,
        pytest.approx(1 / 3, abs=1e-3),
    )
    assert set(_stored(org)["store"]) == {"S2"} and len(_stored(org)) == 3
    assert sent == []

    tasks.chunk(job_id, 0)
    tasks.chunk(job_id, 2)
    tasks.chunk(job_id, 2)
    tasks.chunk(job_id, 0)
    assert sent == [("pricing.run", job_id), ("inventory.run", job_id)]  # the stage ended exactly once
    stage = (await ingest_client.get(f"/jobs/{job_id}", headers=headers)).json()["stages"]["forecasting"]
    assert (stage["status"], stage["chunks_done"], stage["progress"]) == ("succeeded", 3, 1.0)
    chunked = _stored(org)
    assert chunked["job_id"].eq(job_id).all() and chunked["fingerprint"].str.len().eq(32).all()

    # The same data forecast in one call (one chunk, run inside the coordinator).
    other, _ = make_identity()
    write_sales_lines(_sales(other.organization_id, {"S1": 3, "S2": 3, "S3": 3}))
    chunk_size(1000)
    sent.clear()
    single_job = _new_job(other.organization_id)
    tasks.run(single_job)
    assert sent == [("pricing.run", single_job), ("inventory.run", single_job)]
    single = _stored(other.organization_id)
    pd.testing.assert_frame_equal(single[["store", "sku"]], chunked[["store", "sku"]])
    # The fingerprints depend on the data, not on how the series were grouped.
    assert single["fingerprint"].tolist() == chunked["fingerprint"].tolist()


def test_a_rerun_refits_only_the_changed_store_and_keeps_the_rest(
    make_identity: Any, sent: list[tuple[Any, ...]], chunk_size: Any
) -> None:
    identity, _ = make_identity()
    org = identity.organization_id
    write_sales_lines(_sales(org, {"S1": 3, "S2": 3}))
    chunk_size(3)
    first = _new_job(org)
    tasks.run(first)
    for _, job_id, index in list(sent):
        tasks.chunk(job_id, index)
    before = _stored(org)
    assert len(before) == 6

    # Upload B: corrected units for store S2 only (same dates, so the forecast origin stays).
    with sync_session() as session:
        session.execute(
            text(
                "UPDATE sales_lines SET quantity = quantity + 3 WHERE organization_id = :org AND store = 'S2'"
            ),
            {"org": org},
        )
    sent.clear()
    second = _new_job(org)
    tasks.run(second)
    # One chunk to run (S2's), so the coordinator ran it itself and handed on to inventory.
    assert sent == [("pricing.run", second), ("inventory.run", second)]
    entry = stage_entry(second, "forecasting")
    assert (entry["status"], entry["chunks_total"], entry["series_refit"], entry["series_kept"]) == (
        "succeeded",
        1,
        3,
        3,
    )
    after = _stored(org)
    kept, refit = after[after["store"] == "S1"], after[after["store"] == "S2"]
    pd.testing.assert_frame_equal(
        kept.reset_index(drop=True), before[before["store"] == "S1"].reset_index(drop=True)
    )
    assert refit["job_id"].eq(second).all()
    assert not set(refit["fingerprint"]) & set(before["fingerprint"])

    # Nothing changed: no chunk runs and every forecast stays.
    sent.clear()
    third = _new_job(org)
    tasks.run(third)
    entry = stage_entry(third, "forecasting")
    assert (entry["status"], entry["chunks_total"], entry["series_refit"], entry["series_kept"]) == (
        "succeeded",
        0,
        0,
        6,
    )
    assert sent == [("pricing.run", third), ("inventory.run", third)]
    pd.testing.assert_frame_equal(_stored(org), after)


def test_a_plan_a_new_horizon_a_stale_forecast_and_a_vanished_series_each_refit_what_they_touch(
    make_identity: Any, sent: list[tuple[Any, ...]], chunk_size: Any
) -> None:
    identity, _ = make_identity()
    org = identity.organization_id
    write_sales_lines(_sales(org, {"S1": 4}, seed=3))
    chunk_size(1000)
    tasks.run(_new_job(org))
    before = _stored(org).set_index("sku")

    # A plan for P1 changes P1's fingerprint only; the chunk trains on all four series.
    plan = pd.DataFrame(
        {
            "organization_id": str(org),
            "store": "S1",
            "sku": "P1",
            "date": pd.date_range(END + timedelta(days=1), periods=7).date,
            "unit_price": 1.0,
            "promotion": 1.0,
        }
    )
    with sync_session() as session:
        write_frame(
            session.connection(),
            "plan_lines",
            plan,
            ("organization_id", "store", "sku", "date", "unit_price", "promotion"),
        )
    planned = _new_job(org)
    tasks.run(planned)
    after = _stored(org).set_index("sku")
    assert after.loc["P1", "job_id"] == planned
    assert (after.drop(index="P1")["job_id"] == before.drop(index="P1")["job_id"]).all()
    assert stage_entry(planned, "forecasting")["series_refit"] == 1

    # Forecasts older than FORECAST_MAX_AGE_DAYS are refit although nothing changed.
    with sync_session() as session:
        session.execute(
            text("UPDATE forecast_series SET updated_at = :old WHERE organization_id = :org AND sku = 'P2'"),
            {"org": org, "old": datetime.now(UTC) - timedelta(days=get_settings().forecast_max_age_days + 1)},
        )
    aged = _new_job(org)
    tasks.run(aged)
    assert stage_entry(aged, "forecasting")["series_refit"] == 1
    assert _stored(org).set_index("sku").loc["P2", "job_id"] == aged

    # Another horizon changes every series; P3's sales deleted: its forecast goes.
    with sync_session() as session:
        session.execute(
            text("DELETE FROM sales_lines WHERE organization_id = :org AND sku = 'P3'"), {"org": org}
        )
    longer = _new_job(org, {"horizon_days": 14})
    tasks.run(longer)
    entry = stage_entry(longer, "forecasting")
    assert (entry["series_refit"], entry["series_removed"]) == (3, 1)
    final = _stored(org)
    assert final["sku"].tolist() == ["P0", "P1", "P2"] and final["job_id"].eq(longer).all()
    with sync_session() as session:
        points = session.execute(
            text(
                "SELECT sku, count(*) FROM predictions WHERE organization_id = :org GROUP BY sku ORDER BY sku"
            ),
            {"org": org},
        ).all()
    assert [tuple(p) for p in points] == [("P0", 14), ("P1", 14), ("P2", 14)]


def test_sql_and_python_agree_on_the_sku_buckets_of_a_split_store(make_identity: Any) -> None:
    from forecasting.repository import load_chunk_inputs

    identity, _ = make_identity()
    org = identity.organization_id
    write_sales_lines(_sales(org, {"BIG": 12}, days=10))
    loaded = set()
    with sync_session() as session:
        for part in range(3):
            history, _, _ = load_chunk_inputs(session.connection(), org, ["BIG"], part, 3, END)
            skus = history["sku"].drop_duplicates()
            assert (sku_bucket(skus, 3) == part).all()
            loaded |= set(skus)
    assert loaded == {f"P{k}" for k in range(12)}


def test_the_reaper_reenqueues_only_missing_chunks_of_a_stalled_stage(
    make_identity: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    import common.reaper

    identity, _ = make_identity()
    job_id = _new_job(identity.organization_id)
    stale = (datetime.now(UTC) - timedelta(minutes=10)).isoformat()
    with sync_session() as session:
        job = session.get(UploadJob, uuid.UUID(job_id))
        assert job is not None
        stages = {k: dict(v) for k, v in job.stages.items()}
        stages["forecasting"].update(
            status="running",
            updated_at=stale,
            chunk_task="forecasting.chunk",
            chunks_total=3,
            chunks_done=1,
            chunks_done_ids=[1],
        )
        job.stages = stages
    sent: list[tuple[Any, ...]] = []
    monkeypatch.setattr(common.reaper, "enqueue", lambda name, *args: sent.append((name, *args)))
    reap_stalled()
    assert [s for s in sent if s[1] == job_id and s[0].startswith("forecasting.")] == [
        ("forecasting.chunk", job_id, 0),
        ("forecasting.chunk", job_id, 2),
    ]
    entry = stage_entry(job_id, "forecasting")
    assert (entry["attempts"], entry["chunks_done_ids"]) == (1, [1])


def test_letting_prophet_compete_refits_every_series_with_prophet_among_the_candidates(
    make_identity: Any, sent: list[tuple[Any, ...]], chunk_size: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    import forecasting.engine as engine

    identity, _ = make_identity()
    org = identity.organization_id
    write_sales_lines(_sales(org, {"S1": 2}))
    chunk_size(10)
    seen: list[Any] = []
    real_forecast = engine.forecast

    def recording_forecast(*args: Any, **kwargs: Any) -> Any:
        seen.append(kwargs.get("candidates"))
        return real_forecast(*args, **kwargs)

    monkeypatch.setattr(engine, "forecast", recording_forecast)
    tasks.run(_new_job(org))
    assert seen == [None]  # the engine's default candidates
    before = _stored(org)

    monkeypatch.setattr(get_settings(), "forecast_include_prophet", True)
    job = _new_job(org)
    tasks.run(job)
    assert len(seen) == 2 and seen[1] is not None
    assert "prophet" in seen[1] and set(engine.DEFAULT_CANDIDATES) <= set(seen[1])
    entry = stage_entry(job, "forecasting")
    assert (entry["series_refit"], entry["series_kept"]) == (2, 0)  # a new candidate set re-fits all
    assert not set(_stored(org)["fingerprint"]) & set(before["fingerprint"])


def test_each_chunk_stores_its_demand_model_drivers_and_curves(
    make_identity: Any, sent: list[tuple[Any, ...]], chunk_size: Any
) -> None:
    from forecasting.engine import FAMILIES, predict_demand, price_elasticities
    from forecasting.repository import load_demand_models

    identity, _ = make_identity()
    org = identity.organization_id
    write_sales_lines(_sales(org, {"S1": 3, "S2": 3}))
    chunk_size(3)
    tasks.run(_new_job(org))
    for _, job_id, index in list(sent):
        tasks.chunk(job_id, index)
    drivers = ", ".join(f"driver_{name}" for name in FAMILIES)
    with sync_session() as session:
        models = load_demand_models(session.connection(), org)
        only_s2 = load_demand_models(session.connection(), org, ["S2"])
        points = pd.DataFrame(
            session.execute(
                text(
                    f"SELECT store, sku, date, COALESCE(base_p50, p50) AS p50, {drivers}"
                    " FROM predictions WHERE organization_id = :org"
                ),
                {"org": org},
            ).all()
        )
        curves = session.execute(
            text("SELECT store, sku, prices, weekly_units FROM demand_curves WHERE organization_id = :org"),
            {"org": org},
        ).all()
        stored_elasticities = pd.DataFrame(
            session.execute(
                text(
                    "SELECT store, sku, elasticity, elasticity_low, elasticity_high, cross_effects"
                    " FROM demand_curves WHERE organization_id = :org"
                ),
                {"org": org},
            ).all()
        )
    assert len(models) == 2 and len(only_s2) == 1
    assert set(only_s2[0].keys["store"]) == {"S2"}
    covered = pd.concat([m.keys[["store", "sku"]] for m in models])
    assert len(covered) == len(covered.drop_duplicates()) == 6
    # The stored drivers sum to the engine's p50 (reconciliation keeps it as base_p50), and the
    # stored model reproduces that p50.
    total = points[[f"driver_{name}" for name in FAMILIES]].sum(axis=1)
    assert np.all(np.abs(total - points["p50"]) <= 1e-6 * np.maximum(points["p50"].abs(), 1e-9))
    again = pd.concat([predict_demand(m) for m in models])
    merged = points.assign(date=pd.to_datetime(points["date"])).merge(again, on=["store", "sku", "date"])
    assert len(merged) == len(points) == 6 * 28
    np.testing.assert_allclose(merged["p50_x"], merged["p50_y"], rtol=1e-12, atol=1e-12)
    # Every series has a demand curve for pricing: prices ascending, units never negative.
    assert len(curves) == 6
    for _, _, prices, units in curves:
        assert len(prices) == len(units) > 10 and prices == sorted(prices) and min(units) >= 0
    # Beside each curve, the stored model's elasticities (NULL where the model gives none).
    expected = pd.concat([price_elasticities(m) for m in models]).merge(
        stored_elasticities, on=["store", "sku"], suffixes=("", "_stored")
    )
    assert len(expected) == 6
    for name in ("elasticity", "elasticity_low", "elasticity_high"):
        np.testing.assert_allclose(expected[f"{name}_stored"].astype(float), expected[name], rtol=1e-9)
    assert [list(c) for c in expected["cross_effects_stored"]] == [list(c) for c in expected["cross_effects"]]

    # A new chunking (one chunk for both stores) replaces the two models by one when it runs.
    sent.clear()
    chunk_size(6)
    with sync_session() as session:
        session.execute(
            text(
                "UPDATE sales_lines SET quantity = quantity + 1 WHERE organization_id = :org AND store = 'S1'"
            ),
            {"org": org},
        )
    tasks.run(_new_job(org))
    with sync_session() as session:
        models = load_demand_models(session.connection(), org)
    assert len(models) == 1 and len(models[0].keys) == 6


@pytest.fixture
async def forecast_client(servers: Any) -> AsyncIterator[httpx.AsyncClient]:
    from forecasting.main import app

    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://forecasting") as c:
        yield c


def _levels_and_items(org: uuid.UUID) -> tuple[pd.DataFrame, pd.DataFrame]:
    with sync_session() as session:
        levels = pd.DataFrame(
            session.execute(
                text(
                    "SELECT level, key, date, p10, p50, p90, job_id::text AS job_id FROM level_forecasts"
                    " WHERE organization_id = :org"
                ),
                {"org": org},
            ).all()
        )
        items = pd.DataFrame(
            session.execute(
                text(
                    "SELECT store, sku, date, p10, p50, p90, base_p50 FROM predictions WHERE organization_id = :org"
                ),
                {"org": org},
            ).all()
        )
    return levels, items


def _assert_levels_add_up(levels: pd.DataFrame, items: pd.DataFrame) -> None:
    sums = {
        "total": items.groupby("date")["p50"].sum(),
        "store": items.groupby(["store", "date"])["p50"].sum(),
        "category": items.groupby("date")["p50"].sum(),  # no products listed: one category
    }
    for level, expected in sums.items():
        stored = levels[levels["level"] == level]
        index = ["key", "date"] if level == "store" else ["date"]
        got = stored.set_index(index)["p50"].sort_index()
        np.testing.assert_allclose(got.to_numpy(), expected.sort_index().to_numpy(), rtol=1e-9)


@pytest.mark.asyncio(loop_scope="session")
async def test_the_last_chunk_reconciles_every_series_before_pricing_and_inventory(
    make_identity: Any, sent: list[tuple[Any, ...]], chunk_size: Any, forecast_client: httpx.AsyncClient
) -> None:
    identity, headers = make_identity()
    org = identity.organization_id
    write_sales_lines(_sales(org, {"S1": 3, "S2": 3}))
    chunk_size(3)
    job_id = _new_job(org)
    tasks.run(job_id)
    tasks.chunk(job_id, 0)
    assert _levels_and_items(org)[0].empty  # not before every chunk is in
    tasks.chunk(job_id, 1)
    assert sent[-2:] == [("pricing.run", job_id), ("inventory.run", job_id)]
    summary = stage_entry(job_id, "forecasting")["reconciliation"]
    assert summary["method"] in {"bottom_up", "ols", "wls_struct", "wls_var", "mint_shrink"}, summary
    assert summary["series"] == 6 and summary["coherence"] <= 1e-6
    levels, items = _levels_and_items(org)
    assert set(levels["level"]) == {"total", "store", "category", "store_category"}
    assert items["base_p50"].notna().all() and (items["p10"] >= 0).all()
    _assert_levels_add_up(levels, items)

    total = (await forecast_client.get("/forecast", params={"level": "total"}, headers=headers)).json()
    assert total["items"][0]["reconciliation"] == summary["method"]
    served = {p["date"]: p["p50"] for p in total["items"][0]["points"]}
    by_date = items.groupby(items["date"].astype(str))["p50"].sum()
    assert served == pytest.approx(by_date.round(3).to_dict(), abs=1e-3)
    page = (await forecast_client.get("/forecast", params={"drivers": "true"}, headers=headers)).json()
    for item in page["items"]:
        for point in item["points"]:
            assert sum(point["drivers"].values()) == pytest.approx(point["p50"], abs=1e-6)

    # S2 changes: only its chunk re-fits, but the whole hierarchy is reconciled again over S1's
    # kept base forecasts and S2's new ones.
    with sync_session() as session:
        session.execute(
            text(
                "UPDATE sales_lines SET quantity = quantity * 2 WHERE organization_id = :org AND store = 'S2'"
            ),
            {"org": org},
        )
    sent.clear()
    second = _new_job(org)
    tasks.run(second)
    assert sent == [("pricing.run", second), ("inventory.run", second)]
    levels, after = _levels_and_items(org)
    assert levels["job_id"].eq(second).all()
    _assert_levels_add_up(levels, after)
    kept = items[items["store"] == "S1"].merge(after, on=["store", "sku", "date"], suffixes=("", "_after"))
    np.testing.assert_allclose(kept["base_p50_after"], kept["base_p50"], rtol=1e-12)

    # Both stores change: while the first chunk's new forecasts are in and the second's are not,
    # no stale level is served (the API sums the items); the last chunk reconciles again.
    with sync_session() as session:
        session.execute(
            text("UPDATE sales_lines SET quantity = quantity + 1 WHERE organization_id = :org"), {"org": org}
        )
    sent.clear()
    third = _new_job(org)
    tasks.run(third)
    tasks.chunk(third, 0)
    assert _levels_and_items(org)[0].empty
    tasks.chunk(third, 1)
    levels, after = _levels_and_items(org)
    assert levels["job_id"].eq(third).all()
    _assert_levels_add_up(levels, after)
