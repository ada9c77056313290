"""Calendar regressors (trend, annual seasonality, holidays) for the weekly demand regression."""

from __future__ import annotations

from functools import lru_cache

import holidays
import numpy as np
import pandas as pd

DAYS_PER_YEAR = 365.25


def fourier_terms(weeks: pd.Series | pd.DatetimeIndex, order: int) -> np.ndarray:
    """Sine/cosine pairs of the day of year at mid-week: a smooth week-of-year seasonality."""
    midweek = pd.DatetimeIndex(weeks) + pd.Timedelta(days=3)
    angle = 2.0 * np.pi * midweek.day_of_year.to_numpy(dtype=float) / DAYS_PER_YEAR
    columns = []
    for harmonic in range(1, order + 1):
        columns.append(np.sin(harmonic * angle))
        columns.append(np.cos(harmonic * angle))
    return np.column_stack(columns) if columns else np.empty((len(midweek), 0))


@lru_cache(maxsize=16)
def _holiday_dates(country: str, first_year: int, last_year: int) -> np.ndarray:
    calendar = holidays.country_holidays(country, years=range(first_year, last_year + 1))
    return np.array(sorted(pd.Timestamp(day) for day in calendar), dtype="datetime64[ns]")


def holiday_weeks(weeks: pd.Series | pd.DatetimeIndex, country: str | None) -> np.ndarray:
    """1.0 for a Monday-starting week that contains a public holiday of `country`, else 0.0."""
    week_index = pd.DatetimeIndex(weeks)
    if country is None or len(week_index) == 0:
        return np.zeros(len(week_index))
    dates = _holiday_dates(country, int(week_index.year.min()) - 1, int(week_index.year.max()) + 1)
    holiday_mondays = np.unique(
        (pd.DatetimeIndex(dates) - pd.to_timedelta(pd.DatetimeIndex(dates).day_of_week, unit="D")).to_numpy()
    )
    return np.isin(week_index.to_numpy(), holiday_mondays).astype(float)
