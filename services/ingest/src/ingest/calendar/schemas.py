"""Bodies of the calendar's routes: stores and events."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from common.calendar import country_code

EventSource = Literal["holiday", "retail", "own"]
# PostgreSQL text holds no NUL character: a value with one is refused (422), never a failed query.
NO_NUL = r"^[^\x00]*$"


class Store(BaseModel):
    """A store: where it is (its holidays and retail events) and when it is open."""

    store: str
    name: str | None = None
    country: str | None = Field(
        None, description="ISO 3166-1 alpha-2; null: the organization's default country"
    )
    subdivision: str | None = Field(None, description="the holidays package's code, e.g. BY (Bavaria), CA")
    city: str | None = None
    opened_on: date | None = None
    closed_on: date | None = None


class StoreList(BaseModel):
    """A page of stores and how many there are."""

    items: list[Store]
    total: int


class StoreUpdate(BaseModel):
    """Any of a store's fields; those sent replace the stored ones (null clears one)."""

    model_config = ConfigDict(extra="forbid")

    name: str | None = Field(None, max_length=300, pattern=NO_NUL)
    country: Annotated[str, AfterValidator(country_code)] | None = None
    subdivision: str | None = Field(None, max_length=100, pattern=NO_NUL)
    city: str | None = Field(None, max_length=300, pattern=NO_NUL)
    opened_on: date | None = None
    closed_on: date | None = None


class StoreSaved(Store):
    """The store as saved, and the job re-running forecasting, pricing and inventory (null: no sales yet)."""

    job_id: str | None = None


class Event(BaseModel):
    """An event that applies: a public holiday, a built-in retail event, or one of the retailer's own."""

    id: str = Field(description="own events: their number; built-in ones: a stable holiday:/retail: key")
    name: str
    family: str = Field(description="the event's normalised name: one family across years")
    kind: str | None
    source: EventSource
    start: date
    end: date
    days_before: int = Field(description="days before start that demand usually moves")
    days_after: int = Field(description="days after end that demand usually moves")
    store: str | None = Field(description="own events for one store; null: every store (of the place)")
    category: str | None
    country: str | None
    subdivision: str | None


class EventList(BaseModel):
    """A page of events, by start date, and how many there are in the window."""

    items: list[Event]
    total: int
