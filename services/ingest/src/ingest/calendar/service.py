"""The calendar's rules: stores' places and dates, the events that apply, and what a change re-runs.

Stores and events move the forecast (a store's holidays, its open days, the retailer's campaigns),
so every change of them re-runs forecasting, then pricing and inventory, as a plan upload does.
"""

from __future__ import annotations

import logging
import uuid
from datetime import date, timedelta
from functools import partial
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from common.auth import Identity
from common.calendar import FIRST_DATE, LAST_DATE, calendar_events, own_family, subdivision_code
from common.celery_app import enqueue
from common.errors import AppError, NotFound, Unprocessable
from common.jobs import initial_stages, overall_status
from common.models import UploadJob
from common.org_settings import OrganizationSettingsRepository
from common.settings import get_settings
from common.stages import FORECASTING, INVENTORY, PRICING, ready_tasks
from ingest.calendar.mapping import EVENT_REQUIRED, EVENT_SYNONYMS, STORE_REQUIRED, STORE_SYNONYMS
from ingest.calendar.repository import CalendarRepository
from ingest.calendar.schemas import EventSource, StoreUpdate
from ingest.calendar.validation import EVENT_COLUMNS, STORE_COLUMNS, validate_events, validate_stores
from ingest.service import UploadOptions
from ingest.upload_kinds import RowTarget, UploadKind

log = logging.getLogger("smartretail.ingest.calendar")
# The stages a calendar change re-runs (forecasting hands on to pricing and inventory).
RERUN = (FORECASTING.name, PRICING.name, INVENTORY.name)
# GET /events without a window and without sales: this many days either side of today.
NO_SALES_WINDOW_DAYS = 365
MAX_WINDOW_DAYS = 3660
BUILT_IN = ("holiday:", "retail:")

STORES_TARGET = RowTarget(
    STORE_COLUMNS,
    lambda session, rows: CalendarRepository(session).copy_stores(rows),
    lambda session, org, _job, mapped: CalendarRepository(session).upsert_stores(org, mapped),
)
EVENTS_TARGET = RowTarget(
    EVENT_COLUMNS,
    lambda session, rows: CalendarRepository(session).copy_events(rows),
    lambda session, org, _job, _mapped: CalendarRepository(session).upsert_events(org),
)


class CalendarService:
    """Stores and events of one organization."""

    def __init__(self, session: AsyncSession, identity: Identity) -> None:
        self.identity = identity
        self.organization_id = identity.organization_id
        self.repository = CalendarRepository(session)
        self.settings = OrganizationSettingsRepository(session)

    async def default_country(self) -> str:
        """The organization's country, where stores without one are."""
        return (await self.settings.get(self.organization_id)).country

    # -- uploads -----------------------------------------------------------------------------

    async def stores_kind(self) -> UploadKind:
        """The stores upload, its subdivisions read in the organization's country where a row has none."""
        validate = partial(validate_stores, default_country=await self.default_country())
        return UploadKind("stores", STORE_SYNONYMS, STORE_REQUIRED, validate, {}, STORES_TARGET)

    async def events_kind(self) -> UploadKind:
        """The events upload, counting the stores it names that the organization has not seen yet."""
        validate = partial(
            validate_events, known_stores=await self.repository.store_codes(self.organization_id)
        )
        return UploadKind("events", EVENT_SYNONYMS, EVENT_REQUIRED, validate, {}, EVENTS_TARGET)

    async def upload_options(self, *, dry_run: bool, job_id: uuid.UUID | None) -> UploadOptions:
        """Whole or nothing, re-forecasting at the horizon the organization last forecast."""
        horizon = await self.repository.last_horizon_days(self.organization_id)
        return UploadOptions(on_error="reject", dry_run=dry_run, horizon_days=horizon, job_id=job_id)

    # -- stores ------------------------------------------------------------------------------

    async def list_stores(self, limit: int, offset: int) -> tuple[list[dict[str, Any]], int]:
        """A page of the organization's stores, and how many there are."""
        rows, total = await self.repository.list_stores(self.organization_id, limit, offset)
        return [dict(row._mapping) for row in rows], total

    async def update_store(self, store: str, update: StoreUpdate) -> tuple[dict[str, Any], str | None]:
        """Change the fields sent of a known store; the store as saved and the re-run job's id."""
        row = await self.repository.get_store(self.organization_id, store)
        if row is None:
            raise NotFound(
                f"no store '{store}' in this organization; stores come from sales, products and "
                "POST /upload-stores, which adds new ones"
            )
        values = update.model_dump(exclude_unset=True)
        if not values:
            return dict(row._mapping), None
        default = await self.default_country()
        moved = "country" in values and (values["country"] or default) != (row.country or default)
        if moved and "subdivision" not in values:
            values["subdivision"] = None  # the old one names a place in another country
        merged = {**row._mapping, **values}
        if merged["subdivision"] is not None:
            country = merged["country"] or default
            try:
                values["subdivision"] = subdivision_code(country, merged["subdivision"])
            except ValueError as exc:
                raise Unprocessable(f"subdivision: {exc}") from exc
        opened, closed = merged["opened_on"], merged["closed_on"]
        if opened is not None and closed is not None and closed < opened:
            raise Unprocessable(f"closed_on: {closed} is before opened_on {opened}; expected a later date")
        await self.repository.update_store(self.organization_id, store, values)
        job_id = await self._rerun("stores")
        saved = await self.repository.get_store(self.organization_id, store)
        assert saved is not None
        return dict(saved._mapping), job_id

    # -- events ------------------------------------------------------------------------------

    async def list_events(
        self,
        since: date | None,
        until: date | None,
        store: str | None,
        source: EventSource | None,
        limit: int,
        offset: int,
    ) -> tuple[list[dict[str, Any]], int]:
        """The events overlapping the window that apply (to one store, or to any), by start date."""
        since, until = await self._window(since, until)
        default = await self.default_country()
        places = {
            row.store: (row.country or default, row.subdivision)
            for row in await self.repository.store_places(self.organization_id)
        }
        if store is not None:
            # A store the organization has not described yet is in its default country.
            locations = {places.get(store, (default, None))}
        else:
            locations = {*places.values(), (default, None)}
        items: list[dict[str, Any]] = []
        if source != "own":
            for country, subdivision in sorted(locations, key=lambda place: (place[0], place[1] or "")):
                items.extend(_built_in(country, subdivision, since, until, source))
        if source in (None, "own"):
            for row in await self.repository.own_events(self.organization_id, since, until, store):
                country, subdivision = places.get(row.store, (None, None)) if row.store else (None, None)
                items.append(_own(row, country, subdivision))
        items.sort(key=lambda item: (item["start"], item["end"], item["source"], item["id"]))
        return items[offset : offset + limit], len(items)

    async def delete_event(self, event_id: str) -> None:
        """Delete one of the organization's own events (409 for built-in ones) and re-forecast."""
        if event_id.startswith(BUILT_IN):
            raise AppError(
                f"'{event_id}' is a built-in event (a public holiday or retail event) and cannot be "
                "deleted; only your own events can",
                409,
            )
        # Own events' ids are bigint: anything else names no event.
        known = event_id.isdigit() and len(event_id) <= 18
        if not known or not await self.repository.delete_event(self.organization_id, int(event_id)):
            raise NotFound(f"no event '{event_id}' in this organization")
        await self._rerun("events")

    async def _window(self, since: date | None, until: date | None) -> tuple[date, date]:
        """since..until, each bound not given from the sales' first date to the forecast's end."""
        if since is None or until is None:
            default_since, default_until = await self._default_window()
            if since is None:
                since = (
                    default_since if until is None or default_since <= until else until - timedelta(days=365)
                )
            if until is None:
                until = default_until if default_until >= since else since + timedelta(days=365)
        if until < since:
            raise Unprocessable(f"until: {until} is before since {since}; expected a later date")
        if since < FIRST_DATE or until > LAST_DATE:
            raise Unprocessable(f"since, until: the calendar covers {FIRST_DATE} to {LAST_DATE}")
        if (until - since).days > MAX_WINDOW_DAYS:
            raise Unprocessable(
                f"until: the window since..until is at most {MAX_WINDOW_DAYS} days; ask in parts"
            )
        return since, until

    async def _default_window(self) -> tuple[date, date]:
        org = self.organization_id
        first = await self.repository.first_sales_date(org)
        if first is None:
            today = date.today()
            return today - timedelta(days=NO_SALES_WINDOW_DAYS), today + timedelta(days=NO_SALES_WINDOW_DAYS)
        end = await self.repository.forecast_end(org)
        if end is None:
            last = await self.repository.last_sales_date(org) or first
            horizon = await self.repository.last_horizon_days(org) or get_settings().default_horizon_days
            end = last + timedelta(days=horizon)
        return first, max(end, first)

    async def _rerun(self, kind: str) -> str | None:
        """Start forecasting, then pricing and inventory, for a calendar change (None: no sales yet)."""
        org = self.organization_id
        if not await self.repository.organization_has(org, "sales_lines"):
            return None
        stages = initial_stages()
        for name, entry in stages.items():
            if name not in RERUN:
                entry.update(status="skipped", progress=1.0)
        horizon = await self.repository.last_horizon_days(org) or get_settings().default_horizon_days
        job = UploadJob(
            id=uuid.uuid4(),
            organization_id=org,
            kind=kind,
            status=overall_status(stages),
            stages=stages,
            options={"horizon_days": horizon},
        )
        await self.repository.add_job(job)
        # Committed before the tasks are sent: a worker must find the change and the job.
        await self.repository.commit()
        for task in ready_tasks(stages):
            enqueue(task, str(job.id))
        return str(job.id)


def _built_in(
    country: str, subdivision: str | None, since: date, until: date, source: EventSource | None
) -> list[dict[str, Any]]:
    try:
        frame = calendar_events(country, subdivision, since, until)
    except ValueError as exc:
        # A place stored before the holidays package dropped it: its stores get no built-in events.
        log.warning("no calendar for %s %s: %s", country, subdivision, exc)
        return []
    if source is not None:
        frame = frame[frame["source"] == source]
    return [
        {
            "id": row.key,
            "name": row.name,
            "family": row.family,
            "kind": row.kind,
            "source": row.source,
            "start": row.start.date(),
            "end": row.end.date(),
            "days_before": int(row.days_before),
            "days_after": int(row.days_after),
            "store": None,
            "category": None,
            "country": row.country,
            "subdivision": row.subdivision,
        }
        for row in frame.itertuples(index=False)
    ]


def _own(row: Any, country: str | None, subdivision: str | None) -> dict[str, Any]:
    return {
        "id": str(row.id),
        "name": row.name,
        "family": own_family(row.name, row.kind),
        "kind": row.kind,
        "source": "own",
        "start": row.start,
        "end": row.end,
        "days_before": 0,
        "days_after": 0,
        "store": row.store,
        "category": row.category,
        "country": country,
        "subdivision": subdivision,
    }
