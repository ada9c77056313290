"""GET /stockouts against the real database: the contract, filters, totals, CSV, scope and tenant isolation.

The forecasting worker writes `stockouts`; here the rows go in through the table itself.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pandas as pd
import pytest

from common.auth import Identity, create_service_token
from common.testing.plugin import write_stockouts

pytestmark = pytest.mark.asyncio(loop_scope="session")

FIELDS = {
    "store",
    "sku",
    "start",
    "end",
    "source",
    "probability",
    "sales",
    "estimated_demand",
    "lost_units",
    "lost_revenue",
}


@pytest.fixture
async def client(servers: Any) -> AsyncIterator[httpx.AsyncClient]:
    from inventory.main import app

    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://inventory") as c:
        yield c


def _write_runs(
    org: uuid.UUID,
    *runs: tuple[str, str, str, str, str, float, float, float],
    prices: list[float] | None = None,
) -> None:
    """Runs of (store, sku, start, end, source, probability, sales, estimated_demand); revenue at 2 or `prices` a unit."""
    frame = pd.DataFrame(
        runs, columns=["store", "sku", "start", "end", "source", "probability", "sales", "estimated_demand"]
    )
    frame["lost_units"] = frame["estimated_demand"] - frame["sales"]
    frame["lost_revenue"] = frame["lost_units"] * (prices if prices is not None else 2.0)
    frame["corrected"] = frame["source"] == "stock"
    write_stockouts(frame.assign(organization_id=str(org)))


@pytest.fixture
def shop(make_identity: Any) -> tuple[Identity, dict[str, str]]:
    """An organization with four stock-outs, and another organization with one of its own."""
    identity, headers = make_identity()
    _write_runs(
        identity.organization_id,
        ("S1", "A", "2024-01-01", "2024-01-07", "stock", 1.0, 3.0, 40.0),
        ("S1", "A", "2024-03-04", "2024-03-10", "inferred", 0.995, 0.0, 35.0),
        ("S1", "B", "2024-02-05", "2024-02-05", "stock", 1.0, 1.0, 6.0),
        ("S2", "A", "2024-02-12", "2024-02-25", "inferred", 0.99, 0.0, 20.0),
    )
    other, _ = make_identity()
    _write_runs(other.organization_id, ("S1", "A", "2024-03-01", "2024-03-02", "stock", 1.0, 0.0, 500.0))
    return identity, headers


async def test_the_page_lists_runs_latest_first_with_totals_over_every_match(
    client: httpx.AsyncClient, shop: tuple[Identity, dict[str, str]]
) -> None:
    _, headers = shop
    response = await client.get("/stockouts", headers=headers)
    assert response.status_code == 200, response.text
    body = response.json()
    assert set(body) == {"items", "total", "lost_units_total", "lost_revenue_total"}
    assert (body["total"], body["lost_units_total"], body["lost_revenue_total"]) == (4, 97.0, 194.0)
    assert [(i["store"], i["sku"], i["start"]) for i in body["items"]] == [
        ("S1", "A", "2024-03-04"),
        ("S2", "A", "2024-02-12"),
        ("S1", "B", "2024-02-05"),
        ("S1", "A", "2024-01-01"),
    ]
    assert all(set(item) == FIELDS for item in body["items"])
    assert body["items"][0] == {
        "store": "S1",
        "sku": "A",
        "start": "2024-03-04",
        "end": "2024-03-10",
        "source": "inferred",
        "probability": 0.995,
        "sales": 0.0,
        "estimated_demand": 35.0,
        "lost_units": 35.0,
        "lost_revenue": 70.0,
    }
    # A page holds `limit` runs from `offset`; the totals still cover every match.
    page = (await client.get("/stockouts", headers=headers, params={"limit": 2, "offset": 1})).json()
    assert [i["start"] for i in page["items"]] == ["2024-02-12", "2024-02-05"]
    assert (page["total"], page["lost_units_total"]) == (4, 97.0)


@pytest.mark.parametrize(
    ("params", "starts", "lost_units"),
    [
        ({"store": "S1"}, ["2024-03-04", "2024-02-05", "2024-01-01"], 77.0),
        ({"sku": "A"}, ["2024-03-04", "2024-02-12", "2024-01-01"], 92.0),
        ({"store": "S1", "sku": "A"}, ["2024-03-04", "2024-01-01"], 72.0),
        ({"source": "stock"}, ["2024-02-05", "2024-01-01"], 42.0),
        ({"source": "inferred"}, ["2024-03-04", "2024-02-12"], 55.0),
        # Runs that ended on or after the date: one still going on 2024-02-20 counts.
        ({"since": "2024-02-20"}, ["2024-03-04", "2024-02-12"], 55.0),
        ({"store": "S9"}, [], 0.0),
    ],
)
async def test_filters_narrow_the_items_and_the_totals(
    client: httpx.AsyncClient,
    shop: tuple[Identity, dict[str, str]],
    params: dict[str, str],
    starts: list[str],
    lost_units: float,
) -> None:
    _, headers = shop
    body = (await client.get("/stockouts", headers=headers, params=params)).json()
    assert [i["start"] for i in body["items"]] == starts
    assert (body["total"], body["lost_units_total"], body["lost_revenue_total"]) == (
        len(starts),
        lost_units,
        2 * lost_units,
    )


# The shop's runs as (store, sku, start), with the units they lost.
JAN = ("S1", "A", "2024-01-01")  # 37
MAR = ("S1", "A", "2024-03-04")  # 35
FEB_S2 = ("S2", "A", "2024-02-12")  # 20
FEB_B = ("S1", "B", "2024-02-05")  # 5


@pytest.mark.parametrize(
    ("sort", "order"),
    [
        ("start", [MAR, FEB_S2, FEB_B, JAN]),
        ("lost_units", [JAN, MAR, FEB_S2, FEB_B]),
        ("lost_revenue", [JAN, MAR, FEB_S2, FEB_B]),
        # Alphabetical, then the latest run of an item first.
        ("store", [MAR, JAN, FEB_B, FEB_S2]),
        ("sku", [MAR, JAN, FEB_S2, FEB_B]),
    ],
)
async def test_sort_orders_the_pages_and_the_csv(
    client: httpx.AsyncClient,
    shop: tuple[Identity, dict[str, str]],
    sort: str,
    order: list[tuple[str, str, str]],
) -> None:
    _, headers = shop
    body = (await client.get("/stockouts", headers=headers, params={"sort": sort})).json()
    assert [(i["store"], i["sku"], i["start"]) for i in body["items"]] == order
    assert (body["total"], body["lost_units_total"]) == (4, 97.0)
    # Pages of one follow the same order, none repeated or skipped.
    paged = []
    for offset in range(4):
        page = (
            await client.get(
                "/stockouts", headers=headers, params={"sort": sort, "limit": 1, "offset": offset}
            )
        ).json()
        paged += [(i["store"], i["sku"], i["start"]) for i in page["items"]]
    assert paged == order
    exported = await client.get("/stockouts", headers=headers, params={"sort": sort, "format": "csv"})
    rows = [line.split(",") for line in exported.text.splitlines()[1:]]
    assert [(r[0].strip('"'), r[1].strip('"'), r[2].strip('"')) for r in rows] == order


async def test_sort_by_lost_revenue_differs_from_lost_units_when_prices_differ(
    client: httpx.AsyncClient, make_identity: Any
) -> None:
    identity, headers = make_identity()
    # A cheap item lost the most units, an expensive one the most revenue.
    _write_runs(
        identity.organization_id,
        ("S1", "CHEAP", "2024-01-01", "2024-01-03", "stock", 1.0, 0.0, 100.0),
        ("S1", "DEAR", "2024-01-05", "2024-01-06", "stock", 1.0, 0.0, 10.0),
        ("S1", "MID", "2024-01-08", "2024-01-09", "stock", 1.0, 0.0, 50.0),
        prices=[0.5, 30.0, 1.0],
    )

    async def skus(sort: str) -> list[str]:
        body = (await client.get("/stockouts", headers=headers, params={"sort": sort})).json()
        return [i["sku"] for i in body["items"]]

    assert await skus("lost_units") == ["CHEAP", "MID", "DEAR"]
    assert await skus("lost_revenue") == ["DEAR", "MID", "CHEAP"]


async def test_an_unknown_sort_is_refused_naming_the_allowed_values(
    client: httpx.AsyncClient, shop: tuple[Identity, dict[str, str]]
) -> None:
    _, headers = shop
    for params in ({"sort": "-lost_units"}, {"sort": "price"}, {"sort": "price", "format": "csv"}):
        response = await client.get("/stockouts", headers=headers, params=params)
        assert response.status_code == 422, params
        detail = response.json()["detail"]
        assert detail.startswith("query.sort:"), detail
        for allowed in ("start", "lost_units", "lost_revenue", "store", "sku"):
            assert f"'{allowed}'" in detail, detail


async def test_bad_filters_are_refused_naming_the_parameter(
    client: httpx.AsyncClient, shop: tuple[Identity, dict[str, str]]
) -> None:
    _, headers = shop
    for params, name in (
        ({"source": "guess"}, "source"),
        ({"since": "soon"}, "since"),
        ({"limit": 0}, "limit"),
    ):
        response = await client.get("/stockouts", headers=headers, params=params)
        assert response.status_code == 422, params
        assert name in response.json()["detail"], response.json()


async def test_the_csv_exports_every_match_with_the_currency_last(
    client: httpx.AsyncClient, shop: tuple[Identity, dict[str, str]]
) -> None:
    _, headers = shop
    response = await client.get(
        "/stockouts", headers=headers, params={"format": "csv", "store": "S1", "limit": 1}
    )
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    assert 'filename="stockouts.csv"' in response.headers["content-disposition"]
    lines = response.text.splitlines()
    columns = ["store", "sku", "start", "end", "source", "probability", "sales", "estimated_demand"]
    assert lines[0] == ",".join(f'"{c}"' for c in [*columns, "lost_units", "lost_revenue", "currency"])
    assert len(lines) == 4  # every match of the filters, not one page
    assert lines[1] == '"S1","A","2024-03-04","2024-03-10","inferred",0.995,0.0,35.0,35.0,70.0,"USD"'


async def test_another_organization_sees_only_its_own_stockouts(
    client: httpx.AsyncClient, shop: tuple[Identity, dict[str, str]], make_identity: Any
) -> None:
    identity, _ = shop
    stranger, headers = make_identity()
    body = (await client.get("/stockouts", headers=headers)).json()
    assert body == {"items": [], "total": 0, "lost_units_total": 0.0, "lost_revenue_total": 0.0}
    # Filtering by the first organization's items does not reach them either.
    named = (await client.get("/stockouts", headers=headers, params={"store": "S1", "sku": "B"})).json()
    assert named["total"] == 0
    exported = await client.get("/stockouts", headers=headers, params={"format": "csv"})
    assert len(exported.text.splitlines()) == 1
    assert stranger.organization_id != identity.organization_id


async def test_reading_stockouts_needs_the_inventory_read_scope(
    client: httpx.AsyncClient, shop: tuple[Identity, dict[str, str]]
) -> None:
    identity, _ = shop

    def partner(*scopes: str) -> dict[str, str]:
        key = Identity(identity.user_id, identity.organization_id, role="partner", scopes=frozenset(scopes))
        return {"Authorization": f"Bearer {create_service_token(key)}"}

    allowed = await client.get("/stockouts", headers=partner("inventory:read"))
    assert allowed.status_code == 200 and allowed.json()["total"] == 4
    refused = await client.get("/stockouts", headers=partner("forecast:read"))
    assert refused.status_code == 403 and "inventory:read" in refused.json()["detail"]
    assert (await client.get("/stockouts")).status_code == 401
