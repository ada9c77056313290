"""Checking every value of a stores or events file (pure), on the sales validation's batch machinery.

A store's country must be one the calendar knows (ISO 3166-1 alpha-2) and its subdivision one of
that country's (or of the organization's default country when the row names none); a store
cannot close before it opened, and an event cannot end before it starts.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import numpy as np
import pyarrow as pa

from common.calendar import country_code, subdivision_code
from ingest.validation import Batch, RowError, ValidationState, nulls, optional_text, read_dates
from ingest.values import clean_ids, is_null

# The columns' widths in the database (stores.name is varchar(300)).
MAX_NAME_LENGTH = 300
# Events further ahead than this are typing mistakes (2205 for 2025), not plans.
MAX_YEARS_AHEAD = 10
# The loaded tables' columns, in COPY order.
STORE_COLUMNS = ("row_no", "store", "name", "country", "subdivision", "city", "opened_on", "closed_on")
EVENT_COLUMNS = ("row_no", "name", "kind", "start", "end", "store", "category")


def _codes(
    batch: Batch, canonical: str, values: pa.Array, read: Callable[[int, str], str | None], kind: str
) -> pa.Array:
    """Each row's value read by `read(row index, value)`; a ValueError reports the row with its reason."""
    out: list[str | None] = []
    reasons: dict[str, np.ndarray] = {}
    for index, value in enumerate(values.to_pylist()):
        if value is None:
            out.append(None)
            continue
        try:
            out.append(read(index, value))
        except ValueError as exc:
            out.append(None)
            mask = reasons.setdefault(str(exc), np.zeros(batch.n, dtype=bool))
            mask[index] = True
    for reason, mask in reasons.items():
        # The reason names the value; what is expected is what follows "expected".
        expected = reason.split("expected ", 1)[-1] if "expected " in reason else reason
        batch.report(mask, canonical, expected, kind)
    return pa.array(out, pa.string())


def _too_long(batch: Batch, canonical: str) -> pa.Array:
    values = optional_text(batch, canonical)
    lengths = np.array([len(v) if v is not None else 0 for v in values.to_pylist()], dtype=np.int64)
    batch.report(lengths > MAX_NAME_LENGTH, canonical, f"at most {MAX_NAME_LENGTH} characters", "too_long")
    return values


def validate_stores(
    raw: pa.Table, first_row: int, state: ValidationState, *, default_country: str
) -> tuple[pa.Table, list[RowError]]:
    """Check a batch of stores: code, country and subdivision the calendar knows, opening dates in order."""
    batch = Batch(raw, first_row, state)
    store = clean_ids(batch.missing("store", "a store code"))
    given = optional_text(batch, "country")
    country = _codes(batch, "country", given, lambda _i, value: country_code(value), "unknown_country")
    countries, named = country.to_pylist(), ~is_null(given)

    def subdivision(i: int, value: str) -> str | None:
        # A row without a country is in the organization's; one whose country is wrong is reported
        # there, and its subdivision is not checked against a country it does not have.
        if named[i] and countries[i] is None:
            return None
        return subdivision_code(countries[i] or default_country, value)

    subdivisions = _codes(
        batch, "subdivision", optional_text(batch, "subdivision"), subdivision, "unknown_subdivision"
    )
    opened_on = read_dates(batch, "opened_on", required=False)
    closed_on = read_dates(batch, "closed_on", required=False)
    batch.report(closed_on < opened_on, "closed_on", "a date on or after opened_on", "closed_before_opened")
    return batch.finish(
        {
            "store": store,
            "name": _too_long(batch, "name"),
            "country": country,
            "subdivision": subdivisions,
            "city": optional_text(batch, "city"),
            "opened_on": opened_on,
            "closed_on": closed_on,
        }
    )


def validate_events(
    raw: pa.Table, first_row: int, state: ValidationState, *, known_stores: frozenset[str]
) -> tuple[pa.Table, list[RowError]]:
    """Check a batch of the retailer's events: a name, start and end in order, past or future.

    `end` defaults to `start` (a one-day event). A store the organization has no sales or stores
    row for yet is kept (its sales may come later) and counted in the flag `unknown_store`.
    """
    batch = Batch(raw, first_row, state)
    name = batch.missing("name", "an event name")
    start = read_dates(batch, "start")
    end = read_dates(batch, "end", required=False)
    end = np.where(np.isnat(end), start, end)
    batch.report(end < start, "end", "a date on or after start", "end_before_start")
    latest = np.datetime64(state.today + timedelta(days=365 * MAX_YEARS_AHEAD), "D")
    for canonical, dates in (("start", start), ("end", end)):
        batch.report(dates > latest, canonical, f"a date on or before {latest}", "out_of_range")
    store = batch.text("store")
    store = clean_ids(store) if store is not None else nulls(batch.n)
    unknown = np.array([s is not None and s not in known_stores for s in store.to_pylist()], dtype=bool)
    state.flag("unknown_store", int(np.count_nonzero(unknown & ~batch.bad)))
    return batch.finish(
        {
            "name": name,
            "kind": optional_text(batch, "kind"),
            "start": start,
            "end": end,
            "store": store,
            "category": optional_text(batch, "category"),
        }
    )
