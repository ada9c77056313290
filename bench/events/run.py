"""Events bench: the demand model with each store's calendar vs with none, on Breakfast at the Frat.

Run from the repo root:  .venv/bin/python -m bench.events [--years-back N]
Data is read in place from $SHARED_DATA_DIR (default <repo>/../shared/data).

The hold-out is the forecast bench's (the last 13 weeks, the plan given), which spans Thanksgiving,
Black Friday, Christmas and New Year. A held-out week is an event week of a store when a public
holiday or a built-in retail event of its calendar (the US and its state) falls in it (the event's
own days, not the windows around it). Both runs forecast every series the same way; one with each
store's calendar (holidays of its state, the US retail events), the other with no calendar at all
(no event features), each with the seeds in SEEDS. WAPE is scored on the held-out weeks with a sales
row and averaged over the seeds.

The alternative a user would pick, Prophet with the same price and promotion regressors, runs on a
sample of PROPHET_SAMPLE series twice: with the same calendar as its holidays (each event under its
family's name, on the week holding its day, as Prophet's documentation asks of weekly data) and
without. `--years-back 1` holds out the same season a year earlier, when each event of the
hold-out has one past occurrence in the history instead of two.
"""

from __future__ import annotations

import argparse
import time
from functools import cache

import numpy as np
import pandas as pd

from bench.forecast.data import Dataset, frat_dataset
from bench.forecast.peers import run_prophet
from bench.shared import load_average, summary_line
from common.calendar import calendar_events
from common.testing.datasets import load_frat_stores
from forecasting.engine import forecast

# Event-week WAPE with the calendar must be at most this share of the WAPE without one.
TARGET_RATIO = 0.95
# Each configuration runs with these seeds and every figure is the mean over them: one seed's WAPE
# moves by about 0.005 from run to run, as much as the effect measured in a few weeks.
SEEDS = (0, 1, 2)
# The events the issue names: their weeks are reported on their own too.
NAMED = ("thanksgiving-day", "black-friday", "christmas-day", "new-years-day")
# Series of the Prophet comparison (one fit per series and run), drawn as the forecast bench draws.
PROPHET_SAMPLE = 300


def event_weeks(scored: pd.DataFrame, stores: pd.DataFrame, families: tuple[str, ...] = ()) -> pd.DataFrame:
    """store, date of the held-out weeks (7 days ending on the date) holding a calendar event's day.

    Any public holiday or retail event of the store's calendar, or only those of `families`.
    """
    weeks = pd.DatetimeIndex(np.sort(scored["date"].unique()))
    first, last = (weeks[0] - pd.Timedelta(days=6)).date(), weeks[-1].date()
    rows: list[tuple[str, pd.Timestamp]] = []
    for (country, subdivision), group in stores.groupby(["country", "subdivision"], dropna=False):
        events = calendar_events(country, subdivision, first, last)
        if families:
            events = events[events["family"].isin(families)]
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


def marked(scored: pd.DataFrame, weeks: pd.DataFrame) -> np.ndarray:
    """True for the scored rows that fall in `weeks` (store, date)."""
    index = pd.MultiIndex.from_frame(weeks[["store", "date"]])
    return np.asarray(pd.MultiIndex.from_frame(scored[["store", "date"]]).isin(index), dtype=bool)


def prophet_holidays(stores: pd.DataFrame, weeks: pd.DatetimeIndex) -> dict[str, pd.DataFrame]:
    """Per store, Prophet's holidays frame: every event day of its calendar on the week holding it."""
    first, last = (weeks[0] - pd.Timedelta(days=6)).date(), weeks[-1].date()

    @cache
    def of_place(country: str, subdivision: str) -> pd.DataFrame:
        events = calendar_events(country, subdivision or None, first, last)
        rows = [
            (event.family, weeks[int(weeks.searchsorted(day))])
            for event in events.itertuples()
            for day in pd.date_range(event.start, event.end)
            if weeks[0] - pd.Timedelta(days=6) <= day <= weeks[-1]
        ]
        return pd.DataFrame(rows, columns=["holiday", "ds"]).drop_duplicates(ignore_index=True)

    return {
        str(store.store): of_place(str(store.country), str(store.subdivision or ""))
        for store in stores.itertuples()
    }


def run_peers(data: Dataset, stores: pd.DataFrame, keys: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """Prophet with the regressors on `keys`, with the stores' calendars as holidays and without."""
    weeks = pd.DatetimeIndex(np.sort(pd.concat([data.history["date"], data.scored["date"]]).unique()))
    calendars = prophet_holidays(stores, weeks)
    out = {}
    for name, holidays in (("calendar", calendars.__getitem__), ("none", None)):
        start = time.perf_counter()
        peer = run_prophet(data, keys, regressors=True, holidays=holidays)
        print(f"  Prophet {name}: {peer.n_series} series in {time.perf_counter() - start:.1f} s")
        scored = data.scored.merge(keys, on=["store", "sku"])
        out[name] = scored.merge(peer.points, on=["store", "sku", "date"], how="left").fillna({"p50": 0.0})
    return out


def run(data: Dataset, seed: int, **calendar: object) -> pd.DataFrame:
    """The scored rows with the engine's p50 on the bench's data with the given calendar arguments."""
    start = time.perf_counter()
    result = forecast(
        data.history, data.horizon_days, plan=data.plan, products=data.products, seed=seed, **calendar
    )
    print(f"  seed {seed}: {len(result.series)} series in {time.perf_counter() - start:.1f} s")
    points = result.points[["store", "sku", "date", "p50"]]
    return data.scored.merge(points, on=["store", "sku", "date"], how="left").fillna({"p50": 0.0})


def wape(rows: pd.DataFrame) -> float:
    """sum |actual - p50| / sum actual."""
    return float((rows["quantity"] - rows["p50"]).abs().sum() / rows["quantity"].sum())


def units_ratio(rows: pd.DataFrame) -> float:
    """Forecast units over actual units."""
    return float(rows["p50"].sum() / rows["quantity"].sum())


def print_weeks(runs: dict[str, list[pd.DataFrame]], event: np.ndarray) -> None:
    """WAPE and forecast/actual units per held-out week, each the mean over the seeds."""
    print(
        f"\n{'week ending':12s} {'event share':>11s} {'units':>8s} {'WAPE cal':>9s} {'WAPE none':>10s} "
        f"{'fc/act cal':>11s} {'fc/act none':>12s}"
    )
    first = runs["calendar"][0]
    for week in np.sort(first["date"].unique()):
        rows = (first["date"] == week).to_numpy()
        mean = {
            name: np.mean([[wape(f[rows]), units_ratio(f[rows])] for f in frames], axis=0)
            for name, frames in runs.items()
        }
        print(
            f"{str(week)[:10]:12s} {event[rows].mean():11.2f} {first.loc[rows, 'quantity'].sum():8.0f} "
            f"{mean['calendar'][0]:9.3f} {mean['none'][0]:10.3f} {mean['calendar'][1]:11.3f} {mean['none'][1]:12.3f}"
        )


def scores(runs: dict[str, list[pd.DataFrame]], event: np.ndarray, named: np.ndarray) -> dict[str, float]:
    """Mean WAPE over the seeds per configuration and kind of week (event, other, named, all)."""
    return {
        f"{name}_{part}": float(np.mean([wape(frame[mask]) for frame in frames]))
        for name, frames in runs.items()
        for part, mask in (("event", event), ("other", ~event), ("named", named), ("all", event | ~event))
    }


def compare_peers(
    data: Dataset, stores: pd.DataFrame, runs: dict[str, list[pd.DataFrame]]
) -> dict[str, float]:
    """Event-week and other-week WAPE of Prophet and of the engine on the Prophet sample."""
    keys = data.scored_keys
    rng = np.random.default_rng(0)
    keys = keys.iloc[np.sort(rng.choice(len(keys), size=min(PROPHET_SAMPLE, len(keys)), replace=False))]
    print(f"Prophet with the price and promotion regressors on {len(keys)} series:")
    peers = run_peers(data, stores, keys)
    sample = data.scored.merge(keys, on=["store", "sku"])
    event = marked(sample, event_weeks(sample, stores))
    named = marked(sample, event_weeks(sample, stores, NAMED))
    ours = {
        name: [frame.merge(keys, on=["store", "sku"]) for frame in frames] for name, frames in runs.items()
    }
    figures = {f"engine_{k}": v for k, v in scores(ours, event, named).items()}
    figures |= {
        f"prophet_{k}": v for k, v in scores({n: [f] for n, f in peers.items()}, event, named).items()
    }
    for who in ("engine", "prophet"):
        cal, none = figures[f"{who}_calendar_event"], figures[f"{who}_none_event"]
        print(
            f"  {who:8s} event weeks {cal:.3f} with the calendar, {none:.3f} without ({cal / none:.3f} x); "
            f"other weeks {figures[f'{who}_calendar_other']:.3f} vs {figures[f'{who}_none_other']:.3f}"
        )
    return figures


def main() -> None:
    """Run both forecasts per seed, print WAPE per week and per kind of week, and the summary line."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--years-back", type=int, default=0, help="hold out the same season N years earlier")
    args = parser.parse_args()
    print(f"start: {load_average()}")
    data = frat_dataset(years_back=args.years_back)
    stores = load_frat_stores()
    print(data.label)
    print(f"stores: {len(stores)} in states {', '.join(sorted(stores['subdivision'].unique()))}")
    configurations = {
        "calendar": {"holiday_country": "US", "stores": stores},
        "none": {"holiday_country": None},
    }
    runs: dict[str, list[pd.DataFrame]] = {}
    for name, calendar in configurations.items():
        print(f"{'with each store' + chr(39) + 's calendar' if name == 'calendar' else 'with no calendar'}:")
        runs[name] = [run(data, seed, **calendar) for seed in SEEDS]
    event = marked(data.scored, event_weeks(data.scored, stores))
    named = marked(data.scored, event_weeks(data.scored, stores, NAMED))
    print_weeks(runs, event)
    figures = scores(runs, event, named)
    print(
        f"\nmean over seeds {', '.join(map(str, SEEDS))}; {int(event.sum())} of {len(event)} scored rows in "
        f"event weeks; all weeks: WAPE {figures['calendar_all']:.3f} with the calendar, "
        f"{figures['none_all']:.3f} without"
    )
    print(
        f"weeks of {', '.join(NAMED)} only: WAPE {figures['calendar_named']:.3f} with the calendar, "
        f"{figures['none_named']:.3f} without ({figures['calendar_named'] / figures['none_named']:.3f} x)"
    )
    peers = compare_peers(data, stores, runs)
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
            prophet_event_week_wape=f"{peers['prophet_calendar_event']:.3f}",
            prophet_no_calendar_event_week_wape=f"{peers['prophet_none_event']:.3f}",
        )
    )


if __name__ == "__main__":
    main()
