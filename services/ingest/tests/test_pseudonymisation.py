"""Customer ids are stored as pseudonyms (originals encrypted aside) unless the retailer turns it off."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from sqlalchemy import text

from common import pii
from common.db import sync_session

pytestmark = pytest.mark.asyncio(loop_scope="session")
BODY = (
    "date,store,sku,quantity,unit_price,transaction_id,customer_id\n2024-01-02,S1,A,1,2.0,T1,17850\n"
    "2024-01-03,S1,B,2,3.0,T2,jane@example.com\n"
)


@pytest.fixture
async def client(servers: Any) -> AsyncIterator[httpx.AsyncClient]:
    from ingest.main import app

    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://ingest") as c:
        yield c


async def _upload_and_merge(client: httpx.AsyncClient, headers: dict[str, str], body: str) -> None:
    from ingest.tasks import merge

    response = await client.post(
        "/upload-sales", headers=headers, files={"file": ("s.csv", body.encode(), "text/csv")}
    )
    assert response.status_code == 202, response.text
    merge(response.json()["job_id"])


def _stored_ids(organization_id: Any) -> list[str]:
    with sync_session() as session:
        return list(
            session.execute(
                text("SELECT customer_id FROM sales_lines WHERE organization_id = :o ORDER BY date"),
                {"o": organization_id},
            ).scalars()
        )


async def test_ids_are_pseudonymised_and_recoverable_only_through_the_mapping(
    client: httpx.AsyncClient, make_identity: Any
) -> None:
    identity, headers = make_identity()
    await _upload_and_merge(client, headers, BODY)
    org = identity.organization_id
    stored = _stored_ids(org)
    assert stored == [pii.pseudonym(org, "17850"), pii.pseudonym(org, "jane@example.com")]
    with sync_session() as session:
        dump = " ".join(
            str(v)
            for row in session.execute(
                text("SELECT * FROM sales_lines WHERE organization_id = :o"), {"o": org}
            )
            for v in row
        )
        mapping = dict(
            session.execute(
                text("SELECT pseudonym, encrypted_id FROM customer_identities WHERE organization_id = :o"),
                {"o": org},
            ).all()
        )
    assert "jane@example.com" not in dump and "17850" not in dump
    assert pii.decrypt(mapping[stored[1]]) == "jane@example.com"
    # The same customer in a later upload gets the same pseudonym: no duplicates, history joins up.
    await _upload_and_merge(client, headers, BODY.replace("T2", "T3").replace("2024-01-03", "2024-01-04"))
    assert _stored_ids(org)[-1] == stored[1]


async def test_retailer_can_turn_pseudonymisation_off(client: httpx.AsyncClient, make_identity: Any) -> None:
    identity, headers = make_identity()
    with sync_session() as session:
        session.execute(
            text("UPDATE organizations SET settings = '{\"pseudonymise_customers\": false}' WHERE id = :o"),
            {"o": identity.organization_id},
        )
    await _upload_and_merge(client, headers, BODY)
    assert _stored_ids(identity.organization_id) == ["17850", "jane@example.com"]
