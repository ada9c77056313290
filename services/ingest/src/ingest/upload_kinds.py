"""The kinds of file an upload can be: their columns, how their rows are checked, and where they go.

Sales are staged for the merge task; every other kind has a `RowTarget`: its rows are loaded into a
temporary table and upserted in the upload request's own transaction (ingest.service).
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from ingest import validation
from ingest.mapping import (
    PLAN_DRIVERS,
    PLAN_REQUIRED,
    PLAN_SYNONYMS,
    PRODUCT_REQUIRED,
    PRODUCT_SYNONYMS,
    REQUIRED,
    SYNONYMS,
)
from ingest.repository import LOADED, IngestRepository
from ingest.stock import STOCK_LEVELS, STOCK_REQUIRED, STOCK_SYNONYMS, validate_stock


@dataclass(frozen=True)
class RowTarget:
    """Where a kind's rows go: COPY columns, the load, the upsert (session, org, job, mapped -> counts)."""

    columns: tuple[str, ...]
    copy: Callable[[AsyncSession, AsyncIterator[bytes]], Awaitable[None]]
    upsert: Callable[[AsyncSession, uuid.UUID, uuid.UUID, Sequence[str]], Awaitable[dict[str, int]]]


@dataclass(frozen=True)
class UploadKind:
    """What a kind of file holds: its columns, how they are checked, and where they go."""

    name: str
    synonyms: dict[str, tuple[str, ...]]
    required: tuple[str, ...]
    validate: validation.Validator
    alternatives: dict[str, str] | None = None
    # None: staged for the merge task (sales).
    target: RowTarget | None = None


def _loaded(kind: str, upsert: Callable[..., Awaitable[dict[str, int]]]) -> RowTarget:
    """A kind loaded into its temporary table of ingest's (repository.LOADED), upserted by
    `upsert(repository, organization_id, job_id, mapped)`."""
    return RowTarget(
        LOADED[kind].columns,
        lambda session, rows: IngestRepository(session).copy_loaded(kind, rows),
        lambda session, org, job_id, mapped: upsert(IngestRepository(session), org, job_id, mapped),
    )


PRODUCTS_TARGET = _loaded(
    "products", lambda repository, org, _job, mapped: repository.upsert_products(org, mapped)
)
PLAN_TARGET = _loaded("plan", lambda repository, org, _job, mapped: repository.upsert_plan(org, mapped))
STOCK_TARGET = _loaded("stock", lambda repository, org, job_id, _mapped: repository.upsert_stock(org, job_id))
SALES = UploadKind("sales", SYNONYMS, REQUIRED, validation.validate_sales)
PRODUCTS = UploadKind(
    "products", PRODUCT_SYNONYMS, PRODUCT_REQUIRED, validation.validate_products, {}, PRODUCTS_TARGET
)
PLAN = UploadKind("plan", PLAN_SYNONYMS, PLAN_REQUIRED, validation.validate_plan, {}, PLAN_TARGET)
STOCK = UploadKind("stock", STOCK_SYNONYMS, STOCK_REQUIRED, validate_stock, {}, STOCK_TARGET)
# The columns of which a kind of file needs at least one, besides its required ones.
ONE_OF = {PLAN.name: PLAN_DRIVERS, STOCK.name: STOCK_LEVELS}
