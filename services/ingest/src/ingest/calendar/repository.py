"""SQL of the calendar: stores and the retailer's own events, and the dates that bound its window."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Sequence
from datetime import date
from typing import Any

from sqlalchemy import Row, text

from common.calendar import DEFAULT_COUNTRY
from common.models import UploadJob
from ingest.calendar.validation import EVENT_COLUMNS, STORE_COLUMNS
from ingest.repository import IngestRepository

STORE_FIELDS = ("name", "country", "subdivision", "city", "opened_on", "closed_on")
LOADED_STORES_DEFINITION = """row_no bigint, store text, name text, country text, subdivision text,
    city text, opened_on date, closed_on date"""
LOADED_EVENTS_DEFINITION = (
    'row_no bigint, name text, kind text, start date, "end" date, store text, category text'
)
# An event is its name, days, store and category (the unique index uq_events_natural).
EVENT_KEY = ("name", "start", '"end"', "store", "category")
# The first sales date: one index probe per listed item (sales_lines' key starts with
# organization, store, sku, date), as common.sales' last sales date.
FIRST_SALE_SQL = """
    SELECT min(l.date) FROM products p CROSS JOIN LATERAL (
        SELECT min(s.date) AS date FROM sales_lines s
        WHERE s.organization_id = p.organization_id AND s.store = p.store AND s.sku = p.sku
    ) l WHERE p.organization_id = :org AND p.is_product
"""
FORECAST_END_SQL = """
    SELECT max(l.date) FROM forecast_series f CROSS JOIN LATERAL (
        SELECT max(p.date) AS date FROM predictions p
        WHERE p.organization_id = f.organization_id AND p.store = f.store AND p.sku = f.sku
    ) l WHERE f.organization_id = :org
"""
STORE_SELECT = "SELECT store, name, country, subdivision, city, opened_on, closed_on FROM stores"
EVENT_SELECT = 'SELECT id, name, kind, start, "end", store, category FROM events'


class CalendarRepository(IngestRepository):
    """Stores and events on one request's session; loads files the way the ingest repository does."""

    async def copy_stores(self, csv_chunks: AsyncIterator[bytes]) -> None:
        """COPY a stores file's rows (STORE_COLUMNS) into loaded_stores for upsert_stores."""
        await self._copy_into_temporary("loaded_stores", LOADED_STORES_DEFINITION, STORE_COLUMNS, csv_chunks)

    async def upsert_stores(self, organization_id: uuid.UUID, mapped: Sequence[str]) -> dict[str, int]:
        """Stores from loaded_stores, by store code: the file's columns written, an empty cell keeps.

        A store moved to another country (a store without one is in the organization's) without
        a subdivision in the file loses its old one: it would name a place in the wrong country.
        """
        await self.session.execute(
            text("""
            UPDATE stores s SET subdivision = NULL
            FROM (SELECT DISTINCT ON (store) store, country, subdivision FROM loaded_stores
                  ORDER BY store, row_no DESC) f
            WHERE s.organization_id = :org AND s.store = f.store AND f.country IS NOT NULL
              AND f.subdivision IS NULL AND f.country IS DISTINCT FROM COALESCE(
                  s.country, (SELECT settings->>'country' FROM organizations WHERE id = :org), :default)"""),
            {"org": organization_id, "default": DEFAULT_COUNTRY},
        )
        columns = [c for c in STORE_FIELDS if c in mapped]
        return await self._upsert_loaded(
            organization_id, "loaded_stores", "stores", ("store",), columns, {}, updated_at=True
        )

    async def copy_events(self, csv_chunks: AsyncIterator[bytes]) -> None:
        """COPY an events file's rows (EVENT_COLUMNS) into loaded_events for upsert_events."""
        await self._copy_into_temporary("loaded_events", LOADED_EVENTS_DEFINITION, EVENT_COLUMNS, csv_chunks)

    async def upsert_events(self, organization_id: uuid.UUID) -> dict[str, int]:
        """Events from loaded_events: an event uploaded again is unchanged (or takes the new kind)."""
        return await self._upsert_loaded(
            organization_id, "loaded_events", "events", EVENT_KEY, ["kind"], {}, updated_at=False
        )

    async def store_codes(self, organization_id: uuid.UUID) -> frozenset[str]:
        """Every store code the organization has (from sales, products and stores files)."""
        rows = await self.session.execute(
            text("SELECT store FROM stores WHERE organization_id = :org"), {"org": organization_id}
        )
        return frozenset(rows.scalars())

    async def list_stores(
        self, organization_id: uuid.UUID, limit: int, offset: int
    ) -> tuple[list[Row[Any]], int]:
        """A page of the organization's stores by code, and how many there are."""
        rows = await self.session.execute(
            text(f"{STORE_SELECT} WHERE organization_id = :org ORDER BY store LIMIT :limit OFFSET :offset"),
            {"org": organization_id, "limit": limit, "offset": offset},
        )
        total = await self.session.execute(
            text("SELECT count(*) FROM stores WHERE organization_id = :org"), {"org": organization_id}
        )
        return list(rows.all()), int(total.scalar_one())

    async def get_store(self, organization_id: uuid.UUID, store: str) -> Row[Any] | None:
        """One store of the organization (None: no sales, products or stores row names it)."""
        found = await self.session.execute(
            text(f"{STORE_SELECT} WHERE organization_id = :org AND store = :store"),
            {"org": organization_id, "store": store},
        )
        return found.one_or_none()

    async def update_store(self, organization_id: uuid.UUID, store: str, values: dict[str, Any]) -> None:
        """Set the given fields of a store (names checked against STORE_FIELDS)."""
        assert values and set(values) <= set(STORE_FIELDS)
        sets = ", ".join(f"{name} = :{name}" for name in values)
        await self.session.execute(
            text(
                f"UPDATE stores SET {sets}, updated_at = now() WHERE organization_id = :org AND store = :store"
            ),
            {**values, "org": organization_id, "store": store},
        )

    async def store_places(self, organization_id: uuid.UUID) -> list[Row[Any]]:
        """Each store's code, country and subdivision (NULL country: the organization's default)."""
        rows = await self.session.execute(
            text(
                "SELECT store, country, subdivision FROM stores WHERE organization_id = :org ORDER BY store"
            ),
            {"org": organization_id},
        )
        return list(rows.all())

    async def own_events(
        self, organization_id: uuid.UUID, since: date, until: date, store: str | None
    ) -> list[Row[Any]]:
        """The organization's events overlapping since..until; with a store, its own and the all-store ones."""
        rows = await self.session.execute(
            text(f"""{EVENT_SELECT}
            WHERE organization_id = :org AND start <= :until AND "end" >= :since
              AND (CAST(:store AS text) IS NULL OR store IS NULL OR store = :store)
            ORDER BY start, id"""),
            {"org": organization_id, "since": since, "until": until, "store": store},
        )
        return list(rows.all())

    async def delete_event(self, organization_id: uuid.UUID, event_id: int) -> bool:
        """Delete one of the organization's events; False when it has none with this id."""
        deleted = await self.session.execute(
            text("DELETE FROM events WHERE organization_id = :org AND id = :id RETURNING id"),
            {"org": organization_id, "id": event_id},
        )
        return deleted.scalar_one_or_none() is not None

    async def first_sales_date(self, organization_id: uuid.UUID) -> date | None:
        """The organization's first sales date of a product (None before any sales)."""
        found = await self.session.execute(text(FIRST_SALE_SQL), {"org": organization_id})
        return found.scalar()  # type: ignore[no-any-return]

    async def forecast_end(self, organization_id: uuid.UUID) -> date | None:
        """The last date the organization's forecasts reach (None before any forecast)."""
        found = await self.session.execute(text(FORECAST_END_SQL), {"org": organization_id})
        return found.scalar()  # type: ignore[no-any-return]

    async def last_horizon_days(self, organization_id: uuid.UUID) -> int | None:
        """The horizon of the organization's latest job that forecast (None: never forecast)."""
        found = await self.session.execute(
            text("""
            SELECT (options->>'horizon_days')::int FROM upload_jobs
            WHERE organization_id = :org AND stages->'forecasting'->>'status' = 'succeeded'
            ORDER BY created_at DESC LIMIT 1"""),
            {"org": organization_id},
        )
        return found.scalar()  # type: ignore[no-any-return]

    async def add_job(self, job: UploadJob) -> None:
        """Insert a job (a calendar change with no file: PUT /stores, DELETE /events)."""
        self.session.add(job)
        await self.session.flush()

    async def commit(self) -> None:
        """Commit now: a job's tasks are sent only once the change and the job are stored."""
        await self.session.commit()
