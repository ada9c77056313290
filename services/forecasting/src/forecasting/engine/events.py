"""Event features per series and period: each store's holidays and retail events, and its own events.

Every series reads the calendar of its store's country and subdivision (the organisation's default
country when the store names none) from `common.calendar`, plus the retailer's own events that
apply to it (all stores or its store, all categories or its category). Per period the features say
which event family is the strongest in it and in the next period (a categorical code the global
model splits on, so each family's effect is learned from every item and store that saw it), how
many public-holiday days and own-event days it holds, the own event's kind, and how close the next
event is. A family seen too rarely in the history to learn from (fewer than MIN_OCCURRENCES
occurrences or MIN_FAMILY_ROWS series-periods) is pooled into one "other event" code (and its
run-up and aftermath into one code each). An event's run-up and aftermath (its days before and
after) are families of their own where they fill most of a period.

Series sharing a calendar share one row of the feature grids (`location`), so the grids stay small
however many items a store sells. A store's opening and closing dates bound its series: the
periods outside them are neither learnt from nor forecast.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from functools import cache

import numpy as np
import pandas as pd

from forecasting.engine.panel import WEEKLY, Panel, period_index

NO_EVENT = 0
OTHER_EVENT = 1
# A thin family's run-up and aftermath pool apart from the event days themselves.
OTHER_BEFORE = 2
OTHER_AFTER = 3
FIRST_FAMILY = 4
# Run-up and aftermath families are named `before:<family>` and `after:<family>` (calendar families
# are slugs and own ones start with `own:`, so the prefix is unambiguous).
_PHASE_POOL = {"before": OTHER_BEFORE, "after": OTHER_AFTER}
# A family's own level needs three past occurrences: two (two years of a yearly event) are too
# easily confounded with what else happened those weeks, and scored worse than pooling them.
MIN_OCCURRENCES = 3
MIN_FAMILY_ROWS = 60
# The retailer's own events outrank built-in retail events, which outrank public holidays, when
# several fall in one period: the most specific calendar speaks for it.
SOURCE_RANK = {"own": 3, "retail": 2, "holiday": 1}
# How far ahead (in periods) the next event is felt: a month of weeks, two weeks of days.
AHEAD_PERIODS = {WEEKLY: 4, "D": 14}
# Event windows reach this many days beyond the grid, so an event just outside it still counts.
MARGIN_DAYS = 31
CATEGORICAL = ("event_family", "event_family_next", "event_own_kind")
_FEATURES = (
    "event_family",
    "event_family_next",
    "event_holidays",
    "event_holidays_next",
    "event_own",
    "event_own_kind",
    "event_ahead",
)


@dataclass
class EventFeatures:
    """The event feature grids of a panel, one row per distinct calendar, and each series' bounds."""

    location: np.ndarray  # (n,) row of each series in the grids
    grids: dict[str, np.ndarray]  # feature name -> (locations, T+H); empty without any calendar
    families: list[str]  # family name of each code from FIRST_FAMILY on (below: none or pooled)
    first_open: np.ndarray  # (n,) first period of the series' store (-1: open since before the grid)
    last_open: np.ndarray  # (n,) last period of the series' store (a large number: still open)

    def columns(self, rows: np.ndarray, target: np.ndarray) -> dict[str, np.ndarray]:
        """The features of (series, target period) pairs, by name."""
        location = self.location[rows]
        return {name: grid[location, target] for name, grid in self.grids.items()}

    def in_bounds(self, width: int) -> np.ndarray:
        """(n, width) True where the period lies within the store's opening and closing."""
        period = np.arange(width)[None, :]
        return (period >= self.first_open[:, None]) & (period <= self.last_open[:, None])

    def to_arrays(self) -> dict[str, np.ndarray]:
        """The features as named numpy arrays (for the demand model's archive)."""
        return {
            "event_location": self.location,
            "event_first_open": self.first_open,
            "event_last_open": self.last_open,
            "event_families": np.asarray(self.families, dtype=str),
            **{f"eventgrid_{name}": grid for name, grid in self.grids.items()},
        }

    @classmethod
    def from_arrays(cls, arrays: dict[str, np.ndarray]) -> EventFeatures:
        """Features written by to_arrays."""
        return cls(
            location=arrays["event_location"],
            grids={
                key[len("eventgrid_") :]: value
                for key, value in arrays.items()
                if key.startswith("eventgrid_")
            },
            families=[str(name) for name in arrays["event_families"]],
            first_open=arrays["event_first_open"],
            last_open=arrays["event_last_open"],
        )


@dataclass
class _Axis:
    """Days of the grid's periods: the first day, the period of every day, and the grid's width."""

    first_day: pd.Timestamp
    day_period: np.ndarray  # period of each day from first_day on
    width: int  # T+H
    extended: int  # width plus the periods looked ahead
    weekly: bool

    @classmethod
    def of(cls, panel: Panel, ahead: int) -> _Axis:
        """The axis of a panel's grid, extended `ahead` periods past its end."""
        weekly = panel.freq == WEEKLY
        step = 7 if weekly else 1
        width = len(panel.dates)
        first_day = panel.dates[0] - pd.Timedelta(days=step - 1)
        days = pd.date_range(first_day, panel.dates[-1] + pd.Timedelta(days=step * ahead))
        day_period = period_index(pd.Series(days), panel.dates[0], step, weekly)
        return cls(first_day, day_period, width, width + ahead, weekly)

    def periods(self, start: pd.Timestamp, end: pd.Timestamp) -> np.ndarray:
        """Periods (with repeats, one per day) of the days start..end that lie on the axis."""
        lo = max(int((start - self.first_day).days), 0)
        hi = min(int((end - self.first_day).days), len(self.day_period) - 1)
        return self.day_period[lo : hi + 1] if hi >= lo else np.zeros(0, dtype=np.int64)

    def period_of(self, day: pd.Timestamp) -> int:
        """Period of one day, off the axis too (negative before it)."""
        offset = int((day - self.first_day).days)
        if 0 <= offset < len(self.day_period):
            return int(self.day_period[offset])
        step = 7 if self.weekly else 1
        return int(np.ceil((offset - (step - 1)) / step))


def _series_places(
    keys: pd.DataFrame, stores: pd.DataFrame | None, default_country: str | None
) -> pd.DataFrame:
    """Per series: country, subdivision, opened_on, closed_on of its store (default country if none)."""
    out = pd.DataFrame({"store": keys["store"].astype(str).to_numpy()})
    table = pd.DataFrame(columns=["store", "country", "subdivision", "opened_on", "closed_on"])
    if stores is not None and len(stores):
        table = stores.reindex(columns=table.columns).assign(store=stores["store"].astype(str))
    out = out.merge(table.drop_duplicates("store"), on="store", how="left")
    given = out["country"].astype(object)
    country = given.where(given.notna() & (given.astype(str).str.strip() != ""), None)
    out["country"] = country.fillna(default_country or "").astype(str).str.strip().str.upper()
    subdivision = out["subdivision"].where(out["country"] != "")
    out["subdivision"] = [str(s).strip() if isinstance(s, str) and s.strip() else "" for s in subdivision]
    return out


@cache
def _builtin(country: str, subdivision: str, first: date, last: date) -> pd.DataFrame:
    """The calendar of one place over first..last; empty for a country the calendar does not know."""
    from common.calendar import calendar_events

    if not country:
        return pd.DataFrame(columns=["family", "source", "start", "end", "days_before", "days_after"])
    try:
        return calendar_events(country, subdivision or None, first, last)
    except ValueError:
        if subdivision:
            return _builtin(country, "", first, last)
        return pd.DataFrame(columns=["family", "source", "start", "end", "days_before", "days_after"])


def _own_table(own_events: pd.DataFrame | None) -> pd.DataFrame:
    """The retailer's events in the calendar's columns: family `own:<kind or name>`, no window."""
    columns = ["family", "kind", "source", "start", "end", "days_before", "days_after", "store", "category"]
    if own_events is None or not len(own_events):
        return pd.DataFrame(columns=columns)
    from common.calendar import own_family

    frame = own_events.reindex(columns=["name", "kind", "start", "end", "store", "category"])
    kind = [str(k).strip().casefold() if isinstance(k, str) else "" for k in frame["kind"]]
    start = pd.to_datetime(frame["start"]).dt.normalize()
    return pd.DataFrame(
        {
            "family": [own_family(str(n), k) for n, k in zip(frame["name"], kind, strict=True)],
            "kind": kind,
            "source": "own",
            "start": start,
            "end": pd.to_datetime(frame["end"]).dt.normalize().fillna(start),
            "days_before": 0,
            "days_after": 0,
            "store": frame["store"].where(frame["store"].notna(), None),
            "category": frame["category"].where(frame["category"].notna(), None),
        }
    )


def _applies(own: pd.DataFrame, keys: pd.DataFrame) -> np.ndarray:
    """(n, own events) True where an own event applies to a series (its store and category, or all)."""
    stores = keys["store"].astype(str).to_numpy()[:, None]
    categories = keys["category"].fillna("").astype(str).to_numpy()[:, None]
    event_store = own["store"].to_numpy(dtype=object)[None, :]
    event_category = own["category"].to_numpy(dtype=object)[None, :]
    store_ok = pd.isna(event_store) | (event_store.astype(str) == stores)
    category_ok = pd.isna(event_category) | (event_category.astype(str) == categories)
    return np.asarray(store_ok & category_ok, dtype=bool)


@dataclass
class _Raw:
    """One calendar's per-period values before families get their codes (extended width)."""

    family: np.ndarray  # object: the strongest family's name, "" for none
    holidays: np.ndarray
    own: np.ndarray
    own_kind: np.ndarray  # object: kind of the own event, "" for none
    core: np.ndarray  # bool: some event's own days fall in the period


def _mostly(periods: np.ndarray, step: int) -> np.ndarray:
    """The periods among `periods` (one entry per day) holding at least half of their days."""
    if not len(periods):
        return periods
    values, counts = np.unique(periods, return_counts=True)
    return values[2 * counts >= step]


def _raw_calendar(events: pd.DataFrame, axis: _Axis) -> _Raw:
    """Per period of the extended axis: strongest family (an event's days > its window; own > retail > holiday)."""
    width = axis.extended
    best = np.zeros(width)
    raw = _Raw(
        np.full(width, "", dtype=object),
        np.zeros(width),
        np.zeros(width),
        np.full(width, "", dtype=object),
        np.zeros(width, dtype=bool),
    )
    step = 7 if axis.weekly else 1
    # Sorted by family, so a tie between equally strong events goes the same way every year.
    for event in events.sort_values(["family", "start"], kind="stable").to_dict("records"):
        rank = SOURCE_RANK.get(str(event["source"]), 1)
        start, end = pd.Timestamp(event["start"]), pd.Timestamp(event["end"])
        core = axis.periods(start, end)
        lead, lag = (
            pd.Timedelta(days=int(event["days_before"] or 0)),
            pd.Timedelta(days=int(event["days_after"] or 0)),
        )
        before = np.setdiff1d(_mostly(axis.periods(start - lead, start - pd.Timedelta(days=1)), step), core)
        after = np.setdiff1d(_mostly(axis.periods(end + pd.Timedelta(days=1), end + lag), step), core)
        # The run-up and the aftermath of an event are families of their own (the weeks before
        # Christmas sell unlike Christmas week), where they fill most of a period.
        for periods, score, family in (
            (np.unique(core), 20 + rank, event["family"]),
            (before, 10 + rank, f"before:{event['family']}"),
            (after, 10 + rank, f"after:{event['family']}"),
        ):
            better = periods[best[periods] < score]
            best[better] = score
            raw.family[better] = family
        raw.core[core] = True
        if event["source"] == "holiday":
            np.add.at(raw.holidays, core, 1.0)
        elif event["source"] == "own":
            np.add.at(raw.own, core, 1.0 / step)
            raw.own_kind[core] = event["kind"] or "own"
    np.clip(raw.own, 0.0, 1.0, out=raw.own)
    return raw


def _codes(raws: list[_Raw], location: np.ndarray, panel: Panel) -> tuple[list[np.ndarray], list[str]]:
    """Family codes per calendar; families seen too rarely in the history pool by phase (OTHER_*)."""
    n_hist = panel.n_hist
    # Series of each calendar with history at each period: the rows a family's effect is learnt from.
    alive = np.zeros((len(raws), n_hist + 1))
    np.add.at(alive, (location, np.minimum(panel.start, n_hist)), 1.0)
    alive = np.cumsum(alive, axis=1)[:, :n_hist]
    names = sorted({name for raw in raws for name in raw.family if name})
    occurrences = dict.fromkeys(names, 0)
    rows = dict.fromkeys(names, 0.0)
    for index, raw in enumerate(raws):
        hist = raw.family[:n_hist]
        starts = (hist != "") & (hist != np.concatenate([[""], hist[:-1]]))
        for name in names:
            here = hist == name
            occurrences[name] = max(occurrences[name], int((starts & here).sum()))
            rows[name] += float(alive[index, here].sum())
    kept = [name for name in names if occurrences[name] >= MIN_OCCURRENCES and rows[name] >= MIN_FAMILY_ROWS]
    pooled = {name: _PHASE_POOL.get(name.partition(":")[0], OTHER_EVENT) for name in names}
    code_of = pooled | {name: k + FIRST_FAMILY for k, name in enumerate(kept)}
    code_of[""] = NO_EVENT
    return [np.array([code_of[name] for name in raw.family], dtype=np.float32) for raw in raws], kept


def _ahead(core: np.ndarray, cap: int) -> np.ndarray:
    """cap + 1 - periods to the next event after each period (1..cap away), else 0."""
    out = np.zeros(len(core), dtype=np.float32)
    for distance in range(cap, 0, -1):
        hit = np.zeros(len(core), dtype=bool)
        hit[:-distance] = core[distance:]
        out[hit] = cap + 1 - distance
    return out


def _bounds(places: pd.DataFrame, axis: _Axis) -> tuple[np.ndarray, np.ndarray]:
    """First and last period each series' store is open (a partly open period counts as open)."""
    first = np.full(len(places), -1, dtype=np.int64)
    last = np.full(len(places), np.iinfo(np.int32).max, dtype=np.int64)
    for column, out in (("opened_on", first), ("closed_on", last)):
        days = pd.to_datetime(places[column], errors="coerce")
        for i in np.nonzero(days.notna().to_numpy())[0]:
            out[i] = axis.period_of(pd.Timestamp(days.iloc[i]).normalize())
    return first, last


def event_features(
    panel: Panel,
    stores: pd.DataFrame | None = None,
    own_events: pd.DataFrame | None = None,
    default_country: str | None = "US",
) -> EventFeatures:
    """The event features of every series of `panel` (see the module's docstring).

    `stores`: store, country, subdivision, opened_on, closed_on (any may be missing);
    `own_events`: name, start, end, store, category, kind (store/category/kind optional);
    `default_country` for stores without one (None and no store countries: no public calendar).
    """
    cap = AHEAD_PERIODS[panel.freq if panel.freq == WEEKLY else "D"]
    axis = _Axis.of(panel, cap + 1)
    places = _series_places(panel.keys, stores, default_country)
    first_open, last_open = _bounds(places, axis)
    own = _own_table(own_events)
    applies = _applies(own, panel.keys) if len(own) else np.zeros((panel.n_series, 0), dtype=bool)
    if not (places["country"] != "").any() and not applies.any():
        return EventFeatures(np.zeros(panel.n_series, dtype=np.int64), {}, [], first_open, last_open)
    place_key = places["country"] + "|" + places["subdivision"]
    own_key = pd.Series([row.tobytes().hex() for row in np.packbits(applies, axis=1)])
    location, calendars = pd.factorize(place_key + "|" + own_key)
    first = (axis.first_day - pd.Timedelta(days=MARGIN_DAYS)).date()
    last = (axis.first_day + pd.Timedelta(days=len(axis.day_period) + MARGIN_DAYS)).date()
    raws = []
    for index in range(len(calendars)):
        member = int(np.argmax(location == index))
        builtin = _builtin(places["country"].iloc[member], places["subdivision"].iloc[member], first, last)
        mine = own.loc[applies[member]]
        raws.append(_raw_calendar(pd.concat([builtin, mine], ignore_index=True), axis))
    codes, families = _codes(raws, location, panel)
    width = axis.width
    kinds = sorted({kind for raw in raws for kind in raw.own_kind if kind})
    kind_code = {"": 0.0} | {kind: float(k + 1) for k, kind in enumerate(kinds)}
    grids = {
        "event_family": np.stack([c[:width] for c in codes]),
        "event_family_next": np.stack([c[1 : width + 1] for c in codes]),
        "event_holidays": np.stack([r.holidays[:width] for r in raws]),
        "event_holidays_next": np.stack([r.holidays[1 : width + 1] for r in raws]),
        "event_own": np.stack([r.own[:width] for r in raws]),
        "event_own_kind": np.stack([np.array([kind_code[k] for k in r.own_kind[:width]]) for r in raws]),
        "event_ahead": np.stack([_ahead(r.core, cap)[:width] for r in raws]),
    }
    return EventFeatures(
        location=np.asarray(location, dtype=np.int64),
        grids={name: np.asarray(grids[name], dtype=np.float32) for name in _FEATURES},
        families=families,
        first_open=first_open,
        last_open=last_open,
    )


def bound_history(panel: Panel, events: EventFeatures) -> None:
    """Blank (in place) the history of periods a series' store was not open: unknown, not zero."""
    inside = events.in_bounds(panel.n_hist)
    if not inside.all():
        panel.y = np.where(inside, panel.y, np.nan)
