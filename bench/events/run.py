"""Events bench: the demand model with each store's calendar vs with none, on Breakfast at the Frat.

Run from the repo root:  .venv/bin/python -m bench.events
Data is read in place from $SHARED_DATA_DIR (default <repo>/../shared/data).

The hold-out is the forecast bench's (the last 13 weeks, the plan given), which spans Thanksgiving,
Black Friday, Christmas and New Year. A held-out week is an event week of a store when a public
holiday or a built-in retail event of its calendar (the US and its state) falls in it (the event's
own days, not the windows around it). Both runs forecast every series the same way; one with each
store's calendar (holidays of its state, the US retail events), the other with no calendar at all
(no event features). WAPE is scored on the held-out weeks with a sales row.
"""

from __future__ import annotations

import time

import numpy as np
import pandas as pd

from bench.forecast.data import Dataset, frat_dataset
from bench.shared import load_average, summary_line
from common.calendar import calendar_events
from common.testing.datasets import load_frat_stores
from forecasting.engine import forecast

# Event-week WAPE with the calendar must be at most this share of the WAPE without one.
TARGET_RATIO = 0.95


def event_weeks(scored: pd.DataFrame, stores: pd.DataFrame) -> pd.DataFrame:
    """store, date of the held-out weeks (7 days ending on the date) holding a calendar event day."""
    weeks = pd.DatetimeIndex(np.sort(scored["date"].unique()))
    first, last = (weeks[0] - pd.Timedelta(days=6)).date(), weeks[-1].date()
    rows: list[tuple[str, pd.Timestamp]] = []
    for (country, subdivision), group in stores.groupby(["country", "subdivision"], dropna=False):
        events = calendar_events(country, subdivision, first, last)
        days = pd.DatetimeIndex(
            [day for event in events.itertuples() for day in pd.date_range(event.start, event.end)]
        )
        # A day falls in the held-out week ending on the first week date on or after it.
        held = weeks[
            np.searchsorted(weeks, days[(days >= weeks[0] - pd.Timedelta(days=6)) & (days <= weeks[-1])])
        ]
        for week in np.unique(held):
            rows.extend((store, week) for store in group["store"])
    return pd.DataFrame(rows, columns=["store", "date"]).drop_duplicates(ignore_index=True)


def run(data: Dataset, **calendar: object) -> pd.DataFrame:
    """The engine's points on the bench's data with the given calendar arguments."""
    start = time.perf_counter()
    result = forecast(data.history, data.horizon_days, plan=data.plan, products=data.products, **calendar)
    print(f"  {len(result.series)} series in {time.perf_counter() - start:.1f} s")
    return result.points


def wape(rows: pd.DataFrame) -> float:
    """sum |actual - p50| / sum actual."""
    return float((rows["quantity"] - rows["p50"]).abs().sum() / rows["quantity"].sum())


def units_ratio(rows: pd.DataFrame) -> float:
    """Forecast units over actual units."""
    return float(rows["p50"].sum() / rows["quantity"].sum())


def main() -> None:
    """Run both forecasts, print WAPE per week and per kind of week, and the summary line."""
    print(f"start: {load_average()}")
    data = frat_dataset()
    stores = load_frat_stores()
    print(data.label)
    print(f"stores: {len(stores)} in states {', '.join(sorted(stores['subdivision'].unique()))}")
    print("with the calendar (each store's state holidays and the US retail events):")
    with_calendar = run(data, holiday_country="US", stores=stores)
    print("with no calendar:")
    without = run(data, holiday_country=None)
    marked = event_weeks(data.scored, stores).assign(event=True)
    scored = data.scored.merge(marked, on=["store", "date"], how="left").fillna({"event": False})
    scored["event"] = scored["event"].astype(bool)
    frames = {}
    for name, points in (("calendar", with_calendar), ("none", without)):
        merged = scored.merge(
            points[["store", "sku", "date", "p50"]], on=["store", "sku", "date"], how="left"
        )
        frames[name] = merged.fillna({"p50": 0.0})
    print(
        f"\n{'week ending':12s} {'event share':>11s} {'units':>8s} {'WAPE cal':>9s} {'WAPE none':>10s} "
        f"{'fc/act cal':>11s} {'fc/act none':>12s}"
    )
    for week, group in frames["calendar"].groupby("date"):
        other = frames["none"][frames["none"]["date"] == week]
        print(
            f"{str(week)[:10]:12s} {group['event'].mean():11.2f} {group['quantity'].sum():8.0f} "
            f"{wape(group):9.3f} {wape(other):10.3f} {units_ratio(group):11.3f} {units_ratio(other):12.3f}"
        )
    figures = {}
    for name, frame in frames.items():
        figures[f"{name}_event"] = wape(frame[frame["event"]])
        figures[f"{name}_other"] = wape(frame[~frame["event"]])
        figures[f"{name}_all"] = wape(frame)
    print(
        f"\nall held-out weeks: WAPE {figures['calendar_all']:.3f} with the calendar, "
        f"{figures['none_all']:.3f} without; {int(scored['event'].sum())} of {len(scored)} scored rows in event weeks"
    )
    ratio = figures["calendar_event"] / figures["none_event"]
    met = ratio <= TARGET_RATIO and figures["calendar_other"] <= figures["none_other"]
    print(
        f"event weeks: {ratio:.3f} x the WAPE without a calendar (target <= {TARGET_RATIO}); other weeks "
        f"{figures['calendar_other']:.3f} vs {figures['none_other']:.3f} (target: no worse): "
        f"{'met' if met else 'NOT met'}"
    )
    print(f"end: {load_average()}")
    print(
        summary_line(
            "events",
            event_week_wape=f"{figures['calendar_event']:.3f}",
            no_calendar_event_week_wape=f"{figures['none_event']:.3f}",
            other_week_wape=f"{figures['calendar_other']:.3f}",
            no_calendar_other_week_wape=f"{figures['none_other']:.3f}",
        )
    )


if __name__ == "__main__":
    main()
