"""The calendar API against the real database and broker: stores, events, their uploads and re-runs."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import date, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import text

from common.cache import sync_redis
from common.db import sync_session

pytestmark = pytest.mark.asyncio(loop_scope="session")

SALES = "date,store,sku,quantity,unit_price\n2025-11-20,S1,A,3,1.0\n2025-12-30,S2,A,2,1.0\n"


@pytest.fixture
async def client(servers: Any) -> AsyncIterator[httpx.AsyncClient]:
    from ingest.main import app

    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://ingest") as c:
        yield c


async def _post(
    client: httpx.AsyncClient, path: str, headers: dict[str, str], body: str, query: str = ""
) -> httpx.Response:
    return await client.post(
        f"{path}{query}", headers=headers, files={"file": ("f.csv", body.encode(), "text/csv")}
    )


async def _with_sales(client: httpx.AsyncClient, headers: dict[str, str]) -> None:
    from ingest.tasks import merge

    merge((await _post(client, "/upload-sales", headers, SALES)).json()["job_id"])


def _queued(queue: str, job_id: str) -> bool:
    """Whether a task for this job waits in the broker's queue (no worker consumes it in these tests)."""
    return any(job_id.encode() in message for message in sync_redis().lrange(queue, 0, -1))


def _stage_statuses(job_id: str) -> dict[str, str]:
    with sync_session() as session:
        stages = session.execute(
            text("SELECT stages FROM upload_jobs WHERE id = :j"), {"j": job_id}
        ).scalar_one()
    return {name: entry["status"] for name, entry in stages.items()}


async def _events(client: httpx.AsyncClient, headers: dict[str, str], **params: Any) -> list[dict[str, Any]]:
    response = await client.get("/events", headers=headers, params={"limit": 1000, **params})
    assert response.status_code == 200, response.text
    return response.json()["items"]  # type: ignore[no-any-return]


async def test_a_stores_file_is_checked_row_by_row_and_stored_whole_or_not_at_all(
    client: httpx.AsyncClient, make_identity: Any
) -> None:
    _, headers = make_identity()
    bad = (
        "Store,Store Name,Country,State,Opening Date,Closing Date\n"
        "S1,Main,US,CA,2020-01-01,\n"
        "S2,Munich,ZZ,,2020-01-01,\n"
        "S3,Berlin,DE,XX,2020-01-01,\n"
        "S4,Leeds,GB,,2021-05-01,2020-01-01\n"
        "S5,Paris,FR,,someday,\n"
    )
    preview = await _post(client, "/upload-stores", headers, bad, "?dry_run=true")
    assert preview.status_code == 200, preview.text
    assert preview.json()["mapping"]["subdivision"] == "State"
    assert preview.json()["error_counts"] == {
        "unknown_country": 1,
        "unknown_subdivision": 1,
        "closed_before_opened": 1,
        "invalid_date": 1,
    }
    response = await _post(client, "/upload-stores", headers, bad)
    assert response.status_code == 422, response.text
    errors = {(e["row"], e["column"]): e for e in response.json()["errors"]}
    assert set(errors) == {(3, "Country"), (4, "State"), (5, "Closing Date"), (6, "Opening Date")}
    assert "ISO 3166-1" in errors[3, "Country"]["expected"]
    assert "DE's" in errors[4, "State"]["expected"] and "BY" in errors[4, "State"]["expected"]
    assert errors[5, "Closing Date"]["kind"] == "closed_before_opened"
    stores = (await client.get("/stores", headers=headers)).json()
    assert stores == {"items": [], "total": 0}  # not even the good row


async def test_stores_upsert_by_code_rerun_forecasting_and_an_identical_file_changes_nothing(
    client: httpx.AsyncClient, make_identity: Any
) -> None:
    identity, headers = make_identity()
    await _with_sales(client, headers)
    body = "store_id,name,country,region,city,opened\nS1,Munich,de,Bayern,München,2019-03-01\nS2,Austin,,TX,Austin,\n"
    response = await _post(client, "/upload-stores", headers, body)
    assert response.status_code == 202, response.text
    saved = response.json()
    assert (saved["rows_new"], saved["rows_updated"], saved["rows_unchanged"]) == (0, 2, 0)
    job_id = saved["job_id"]
    assert _stage_statuses(job_id) == {
        "ingest": "succeeded",
        "forecasting": "queued",
        "segmentation": "skipped",
        "pricing": "queued",
        "inventory": "queued",
    }
    assert _queued("forecasting", job_id)
    stores = (await client.get("/stores", headers=headers)).json()
    assert stores["total"] == 2
    assert stores["items"][0] == {
        "store": "S1",
        "name": "Munich",
        "country": "DE",
        "subdivision": "BY",
        "city": "München",
        "opened_on": "2019-03-01",
        "closed_on": None,
    }
    # No country: the organization's (US), where TX is a state.
    assert (stores["items"][1]["country"], stores["items"][1]["subdivision"]) == (None, "TX")
    again = (await _post(client, "/upload-stores", headers, body)).json()
    assert (again["rows_new"], again["rows_updated"], again["rows_unchanged"]) == (0, 0, 2)
    # Naming the country a store was already in (the organization's) keeps its subdivision.
    named = (await _post(client, "/upload-stores", headers, "store,country\nS2,US\n")).json()
    assert named["rows_updated"] == 1
    stores = {s["store"]: s for s in (await client.get("/stores", headers=headers)).json()["items"]}
    assert (stores["S2"]["country"], stores["S2"]["subdivision"]) == ("US", "TX")
    # A store moved to another country without a subdivision loses the old one; new stores are added.
    moved = (await _post(client, "/upload-stores", headers, "store,country\nS1,AT\nS9,GB\n")).json()
    assert (moved["rows_new"], moved["rows_updated"]) == (1, 1)
    stores = {s["store"]: s for s in (await client.get("/stores", headers=headers)).json()["items"]}
    assert (stores["S1"]["country"], stores["S1"]["subdivision"], stores["S1"]["city"]) == (
        "AT",
        None,
        "München",
    )
    assert stores["S9"]["country"] == "GB"
    with sync_session() as session:
        kinds = session.execute(
            text("SELECT DISTINCT kind FROM upload_jobs WHERE organization_id = :o"),
            {"o": identity.organization_id},
        ).scalars()
        assert set(kinds) == {"sales", "stores"}


async def test_put_store_changes_the_fields_sent_and_names_the_bad_one(
    client: httpx.AsyncClient, make_identity: Any
) -> None:
    _, headers = make_identity()
    assert (await client.put("/stores/S1", headers=headers, json={"country": "DE"})).status_code == 404
    await _with_sales(client, headers)  # S1 and S2 exist from their sales
    saved = await client.put("/stores/S1", headers=headers, json={"country": "de", "subdivision": "by"})
    assert saved.status_code == 200, saved.text
    assert saved.json()["country"] == "DE" and saved.json()["subdivision"] == "BY"
    assert _stage_statuses(saved.json()["job_id"])["forecasting"] == "queued"
    assert _queued("forecasting", saved.json()["job_id"])
    for bad, field in (
        ({"country": "ZZ"}, "country"),
        ({"subdivision": "CA"}, "subdivision"),  # not a German Land
        ({"opened_on": "2024-05-01", "closed_on": "2024-04-01"}, "closed_on"),
        ({"opened_on": "not a date"}, "opened_on"),
        ({"colour": "red"}, "colour"),
        ({"city": "Mu\x00nich"}, "city"),
    ):
        response = await client.put("/stores/S1", headers=headers, json=bad)
        assert response.status_code == 422, (bad, response.text)
        assert response.json()["detail"].startswith(field), response.json()
    partial = (await client.put("/stores/S1", headers=headers, json={"city": "Munich"})).json()
    assert (partial["country"], partial["subdivision"], partial["city"]) == ("DE", "BY", "Munich")
    texas = await client.put("/stores/S2", headers=headers, json={"subdivision": "Texas"})
    assert texas.json()["subdivision"] == "TX"  # in the organization's country
    kept = (await client.put("/stores/S2", headers=headers, json={"country": "US"})).json()
    assert (kept["country"], kept["subdivision"]) == ("US", "TX")
    cleared = (await client.put("/stores/S1", headers=headers, json={"country": None})).json()
    # Back in the organization's country (US): a German Land is no place there.
    assert (cleared["country"], cleared["subdivision"]) == (None, None)


async def test_own_events_past_and_future_are_checked_kept_once_and_rerun_forecasting(
    client: httpx.AsyncClient, make_identity: Any
) -> None:
    _, headers = make_identity()
    await _with_sales(client, headers)
    future = date.today() + timedelta(days=40)
    body = (
        "Event Name,Start Date,End Date,Store,Type\n"
        "Spring Sale,2025-03-01,2025-03-07,,campaign\n"
        f"Street Festival,{future},{future + timedelta(days=2)},S1,festival\n"
        "Launch,2025-06-01,,S77,\n"
    )
    preview = (await _post(client, "/upload-events", headers, body, "?dry_run=true")).json()
    assert (preview["rows_valid"], preview["flag_counts"]) == (3, {"unknown_store": 1})
    assert (await client.get("/events", headers=headers, params={"source": "own"})).json()["total"] == 0
    response = await _post(client, "/upload-events", headers, body)
    assert response.status_code == 202, response.text
    assert response.json()["rows_new"] == 3 and response.json()["flag_counts"] == {"unknown_store": 1}
    assert _queued("forecasting", response.json()["job_id"])
    own = await _events(
        client, headers, source="own", since="2025-01-01", until=str(future + timedelta(days=5))
    )
    assert [(e["name"], e["start"], e["end"], e["store"], e["kind"]) for e in own] == [
        ("Spring Sale", "2025-03-01", "2025-03-07", None, "campaign"),
        ("Launch", "2025-06-01", "2025-06-01", "S77", None),
        ("Street Festival", str(future), str(future + timedelta(days=2)), "S1", "festival"),
    ]
    assert all(e["id"].isdigit() and e["source"] == "own" for e in own)
    # Own events' families are the demand model's: their kind, or their name without one.
    assert [e["family"] for e in own] == ["own:campaign", "own:launch", "own:festival"]
    again = (await _post(client, "/upload-events", headers, body)).json()
    assert (again["rows_new"], again["rows_unchanged"]) == (0, 3)
    bad = "name,start,end\nOK,2025-01-01,2025-01-02\nBackwards,2025-02-10,2025-02-01\nNo day,,\n"
    rejected = await _post(client, "/upload-events", headers, bad)
    assert rejected.status_code == 422
    assert [(e["row"], e["column"], e["kind"]) for e in rejected.json()["errors"]] == [
        (3, "end", "end_before_start"),
        (4, "start", "missing_value"),
    ]
    assert len(await _events(client, headers, source="own", since="2025-01-01", until="2025-12-31")) == 2


async def test_events_list_holidays_and_retail_events_of_each_stores_place(
    client: httpx.AsyncClient, make_identity: Any
) -> None:
    _, headers = make_identity()
    stores = "store,country,subdivision\nMUC,DE,BY\nBER,DE,BE\nLDN,GB,\n"
    assert (await _post(client, "/upload-stores", headers, stores)).status_code == 202
    year = {"since": "2025-01-01", "until": "2025-12-31"}
    munich = await _events(client, headers, store="MUC", **year)
    berlin = await _events(client, headers, store="BER", **year)
    assert "holiday:DE-BY:2025-01-06:epiphany" in {e["id"] for e in munich}
    assert "epiphany" not in {e["family"] for e in berlin}
    london = await _events(client, headers, store="LDN", source="holiday", **year)
    assert {"boxing-day"} <= {e["family"] for e in london} and {e["source"] for e in london} == {"holiday"}
    # Every place at once, and the default country (US) for stores without one.
    everything = await _events(client, headers, **year)
    friday = next(e for e in everything if e["id"] == "retail:US:2025-11-28:black-friday")
    assert (friday["days_before"], friday["days_after"], friday["country"], friday["store"]) == (
        3,
        2,
        "US",
        None,
    )
    assert "holiday:US:2025-11-27:thanksgiving-day" in {e["id"] for e in everything}
    assert {e["country"] for e in everything} == {"US", "DE", "GB"}
    assert [e["start"] for e in everything] == sorted(e["start"] for e in everything)
    # The window: events overlapping since..until, paged with the total.
    december = await client.get(
        "/events", headers=headers, params={"since": "2025-12-24", "until": "2025-12-26", "limit": 2}
    )
    page = december.json()
    assert len(page["items"]) == 2 and page["total"] > 2
    assert all("2025-12-24" <= e["start"] <= "2025-12-26" for e in page["items"])
    assert (
        await client.get("/events", headers=headers, params={"since": "2025-02-01", "until": "2025-01-01"})
    ).status_code == 422
    assert (await client.get("/events", headers=headers, params={"source": "nope"})).status_code == 422
    for window in (
        {"since": "0001-01-01"},
        {"until": "9999-12-31"},
        {"since": "2000-01-01", "until": "2020-01-01"},
    ):
        assert (await client.get("/events", headers=headers, params=window)).status_code == 422, window
    assert (await client.get("/events", headers=headers, params={"store": "a\x00b"})).status_code == 422


async def test_the_default_window_follows_the_sales_and_the_default_country_applies(
    client: httpx.AsyncClient, make_identity: Any
) -> None:
    identity, headers = make_identity()
    today = date.today()
    without_sales = await _events(client, headers)
    assert min(e["end"] for e in without_sales) >= str(today - timedelta(days=365))
    assert max(e["start"] for e in without_sales) <= str(today + timedelta(days=365))
    await _with_sales(client, headers)
    with_sales = await _events(client, headers)
    # First sales 2025-11-20; no forecast yet: up to the last sales date + the default horizon (28 days).
    assert min(e["end"] for e in with_sales) >= "2025-11-20"
    assert max(e["start"] for e in with_sales) <= "2026-01-27"
    assert "retail:US:2025-11-28:black-friday" in {e["id"] for e in with_sales}
    with sync_session() as session:
        session.execute(
            text('UPDATE organizations SET settings = settings || \'{"country": "GB"}\' WHERE id = :o'),
            {"o": identity.organization_id},
        )
    british = await _events(client, headers)
    assert {e["country"] for e in british} == {"GB"}  # S1 and S2 have no country of their own
    assert "holiday:GB:2025-12-26:boxing-day" in {e["id"] for e in british}


async def test_delete_removes_own_events_only_and_only_the_callers(
    client: httpx.AsyncClient, make_identity: Any
) -> None:
    _, headers = make_identity()
    _, other = make_identity()
    await _post(client, "/upload-events", headers, "name,start\nFair,2025-05-01\nParade,2025-05-02\n")
    own = await _events(client, headers, source="own", since="2025-05-01", until="2025-05-31")
    fair = next(e["id"] for e in own if e["name"] == "Fair")
    # Another organization sees none of them and cannot delete them.
    assert await _events(client, other, source="own", since="2025-05-01", until="2025-05-31") == []
    assert (await client.delete(f"/events/{fair}", headers=other)).status_code == 404
    assert (await client.put("/stores/S1", headers=other, json={"city": "x"})).status_code == 404
    built_in = await client.delete("/events/holiday:US:2025-12-25:christmas-day", headers=headers)
    assert built_in.status_code == 409 and "built-in" in built_in.json()["detail"]
    assert (await client.delete("/events/99999999999", headers=headers)).status_code == 404
    assert (await client.delete("/events/abc", headers=headers)).status_code == 404
    assert (await client.delete(f"/events/{fair}", headers=headers)).status_code == 204
    left = await _events(client, headers, source="own", since="2025-05-01", until="2025-05-31")
    assert [e["name"] for e in left] == ["Parade"]
    assert (await client.delete(f"/events/{fair}", headers=headers)).status_code == 404


async def test_analysts_read_the_calendar_but_cannot_change_it(
    client: httpx.AsyncClient, make_identity: Any
) -> None:
    _, analyst = make_identity(role="analyst")
    assert (await client.get("/stores", headers=analyst)).status_code == 200
    assert (await client.get("/events", headers=analyst)).status_code == 200
    refused = await _post(client, "/upload-events", analyst, "name,start\nFair,2025-05-01\n")
    assert refused.status_code == 403 and "calendar:write" in refused.json()["detail"]
    assert (await client.delete("/events/1", headers=analyst)).status_code == 403
