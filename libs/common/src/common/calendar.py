"""The calendar a store lives by: public holidays of its country and subdivision, and retail events.

Pure (no database or network): `calendar_events(country, subdivision, start, end)` answers one
frame for one place, which the events API lists and the demand model turns into features. Public
holidays come from the `holidays` package; retail events are the built-in table below, each with
the days before and after it that demand usually moves (shopping ahead, sales after).

Every event carries a `family` (a normalised name: the same holiday or event in different years,
and in different countries, is one family, so an effect learned on one occurrence applies to the
next) and a stable `key` (`holiday:US:2025-12-25:christmas-day`, `retail:DE-BY:2025-11-28:black-friday`).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from functools import cache, lru_cache
from typing import TYPE_CHECKING

import pandas as pd
from dateutil.easter import EASTER_ORTHODOX, EASTER_WESTERN, easter

if TYPE_CHECKING:
    from holidays import HolidayBase

COLUMNS = (
    "name",
    "family",
    "kind",
    "source",
    "start",
    "end",
    "days_before",
    "days_after",
    "country",
    "subdivision",
    "key",
)
DEFAULT_COUNTRY = "US"
# The years the calendar answers for (retail events and the holidays package's rules are modern).
FIRST_DATE, LAST_DATE = date(1900, 1, 1), date(2199, 12, 31)
# `holidays` accepts UK as an alias of GB, but ISO 3166-1 has only reserved it: stores say GB.
_NOT_ISO = {"UK": "GB"}

# Groups of countries that observe an event; two-letter ISO 3166-1 codes.
_EUROPE_WEST = "AT BE CH DE DK ES FI FR GB IE IS IT LU MT NL NO PT SE"
_EUROPE_EAST = "BG CY CZ EE GR HR HU LT LV PL RO SI SK"
_AMERICAS = "AR BR CA CL CO MX PE US UY"
_ANGLO = "AU CA GB IE NZ US ZA"
_WESTERN = frozenset(f"{_EUROPE_WEST} {_EUROPE_EAST} {_AMERICAS} AU NZ ZA PH".split())
_ORTHODOX_EASTER = frozenset(["BG", "CY", "GR", "MD", "ME", "MK", "RO", "RS", "RU", "UA", "GE", "BY"])
_BLACK_FRIDAY = frozenset(f"{_EUROPE_WEST} {_EUROPE_EAST} {_AMERICAS} AU NZ ZA IN".split()) - {"IS", "MT"}
_VALENTINE = _WESTERN | frozenset(["JP", "KR", "CN", "SG", "MY", "IN", "TH"])
_CHRISTMAS_EVE = _WESTERN | frozenset(["JP", "KR"])
_BOXING_DAY = frozenset(["AU", "CA", "GB", "IE", "NZ", "ZA"])
_HALLOWEEN = frozenset(["US", "CA", "GB", "IE"])


def _nth_weekday(year: int, month: int, weekday: int, n: int) -> date:
    """The n-th (1-based; -1 for the last) given weekday (Monday 0) of a month."""
    if n > 0:
        first = date(year, month, 1)
        return first + timedelta(days=(weekday - first.weekday()) % 7 + 7 * (n - 1))
    last = date(year + month // 12, month % 12 + 1, 1) - timedelta(days=1)
    return last - timedelta(days=(last.weekday() - weekday) % 7)


def _easter(year: int, country: str) -> date:
    """Easter Sunday as the country's majority church keeps it."""
    return easter(year, EASTER_ORTHODOX if country in _ORTHODOX_EASTER else EASTER_WESTERN)


def _thanksgiving_us(year: int) -> date:
    """US Thanksgiving (fourth Thursday of November): Black Friday follows it everywhere."""
    return _nth_weekday(year, 11, 3, 4)


def _super_bowl(year: int) -> date:
    """Super Bowl Sunday: the second Sunday of February since 2022, the first from 2004 to 2021."""
    if year >= 2022:
        return _nth_weekday(year, 2, 6, 2)
    if year >= 2004:
        return _nth_weekday(year, 2, 6, 1)
    return _nth_weekday(year, 1, 6, -1)


def _french_mothers_day(year: int) -> date:
    """Fête des mères: the last Sunday of May, or the first of June when that Sunday is Pentecost."""
    last_may = _nth_weekday(year, 5, 6, -1)
    pentecost = easter(year) + timedelta(days=49)
    return _nth_weekday(year, 6, 6, 1) if last_may == pentecost else last_may


def _fixed(month: int, day: int) -> Callable[[int, str], date]:
    return lambda year, _country: date(year, month, day)


def _weekday_rule(month: int, weekday: int, n: int) -> Callable[[int, str], date]:
    return lambda year, _country: _nth_weekday(year, month, weekday, n)


def _easter_offset(days: int) -> Callable[[int, str], date]:
    return lambda year, country: _easter(year, country) + timedelta(days=days)


SUNDAY = 6
# Mother's Day by country: most keep the second Sunday of May (the US custom); these differ.
_MOTHERS_DAY: dict[str, Callable[[int, str], date]] = {
    "GB": _easter_offset(-21),  # Mothering Sunday, the fourth Sunday of Lent
    "IE": _easter_offset(-21),
    "FR": lambda year, _country: _french_mothers_day(year),
    "SE": _weekday_rule(5, SUNDAY, -1),
    "ES": _weekday_rule(5, SUNDAY, 1),
    "PT": _weekday_rule(5, SUNDAY, 1),
    "LT": _weekday_rule(5, SUNDAY, 1),
    "HU": _weekday_rule(5, SUNDAY, 1),
    "NO": _weekday_rule(2, SUNDAY, 2),
    "AR": _weekday_rule(10, SUNDAY, 3),
    "MX": _fixed(5, 10),
    "PL": _fixed(5, 26),
    "TH": _fixed(8, 12),
    "KR": _fixed(5, 8),  # Parents' Day
}
_MOTHERS_DAY_DEFAULT = _WESTERN | frozenset(["JP", "CN", "IN", "SG", "MY"])
# Father's Day: the third Sunday of June unless listed.
_FATHERS_DAY: dict[str, Callable[[int, str], date]] = {
    "DE": _easter_offset(39),  # Vatertag, on Ascension Day
    "AU": _weekday_rule(9, SUNDAY, 1),
    "NZ": _weekday_rule(9, SUNDAY, 1),
    "IT": _fixed(3, 19),  # St Joseph's Day
    "ES": _fixed(3, 19),
    "PT": _fixed(3, 19),
    "BE": _weekday_rule(6, SUNDAY, 2),
    "AT": _weekday_rule(6, SUNDAY, 2),
    "CH": _weekday_rule(6, SUNDAY, 1),
    "DK": _fixed(6, 5),
    "SE": _weekday_rule(11, SUNDAY, 2),
    "NO": _weekday_rule(11, SUNDAY, 2),
    "FI": _weekday_rule(11, SUNDAY, 2),
    "BR": _weekday_rule(8, SUNDAY, 2),
    "PL": _fixed(6, 23),
    "TH": _fixed(12, 5),
    "KR": _fixed(5, 8),
}
_FATHERS_DAY_DEFAULT = _WESTERN | frozenset(["JP", "CN", "IN", "SG", "MY"])
# Back-to-school shopping season (first and last day, month and day) where the school year's start
# is national enough to name one; it follows the southern-hemisphere and Japanese school years.
_BACK_TO_SCHOOL: dict[str, tuple[tuple[int, int], tuple[int, int]]] = {
    "US": ((7, 15), (9, 5)),
    "CA": ((8, 1), (9, 7)),
    "MX": ((8, 1), (8, 31)),
    "GB": ((8, 10), (9, 7)),
    "IE": ((8, 5), (9, 1)),
    "DE": ((8, 1), (9, 15)),
    "AT": ((8, 15), (9, 10)),
    "CH": ((8, 1), (8, 31)),
    "FR": ((8, 15), (9, 5)),
    "BE": ((8, 15), (9, 5)),
    "NL": ((8, 10), (9, 5)),
    "ES": ((8, 20), (9, 15)),
    "IT": ((8, 25), (9, 15)),
    "PT": ((8, 25), (9, 15)),
    "PL": ((8, 15), (9, 5)),
    "SE": ((8, 1), (8, 25)),
    "DK": ((7, 25), (8, 15)),
    "NO": ((8, 1), (8, 20)),
    "FI": ((7, 25), (8, 15)),
    "AU": ((1, 5), (2, 5)),
    "NZ": ((1, 10), (2, 7)),
    "BR": ((1, 10), (2, 15)),
    "AR": ((2, 10), (3, 10)),
    "CL": ((2, 10), (3, 10)),
    "ZA": ((1, 5), (1, 20)),
    "JP": ((3, 10), (4, 10)),
    "KR": ((2, 10), (3, 5)),
}


@dataclass(frozen=True)
class RetailEvent:
    """A built-in one-day retail event: how to find its day in a year, where, and its window."""

    name: str
    kind: str
    countries: frozenset[str] | None  # None: every country
    first_day: Callable[[int, str], date]
    days_before: int
    days_after: int


RETAIL_EVENTS: tuple[RetailEvent, ...] = (
    # Black Friday follows US Thanksgiving everywhere it is kept; the weekend after is part of it.
    RetailEvent(
        "Black Friday",
        "shopping",
        _BLACK_FRIDAY,
        lambda year, _c: _thanksgiving_us(year) + timedelta(days=1),
        3,
        2,
    ),
    RetailEvent(
        "Cyber Monday",
        "shopping",
        _BLACK_FRIDAY,
        lambda year, _c: _thanksgiving_us(year) + timedelta(days=4),
        0,
        1,
    ),
    RetailEvent("Valentine's Day", "gifting", _VALENTINE, _fixed(2, 14), 7, 0),
    RetailEvent("Super Bowl Sunday", "sport", frozenset({"US"}), lambda year, _c: _super_bowl(year), 3, 0),
    RetailEvent("Halloween", "seasonal", _HALLOWEEN, _fixed(10, 31), 14, 0),
    RetailEvent("Christmas Eve", "gifting", _CHRISTMAS_EVE, _fixed(12, 24), 14, 0),
    RetailEvent("Boxing Day", "sales", _BOXING_DAY, _fixed(12, 26), 0, 4),
    RetailEvent("New Year's Eve", "celebration", None, _fixed(12, 31), 2, 0),
)


@dataclass(frozen=True)
class _Occurrence:
    name: str
    kind: str
    source: str
    start: date
    end: date
    days_before: int
    days_after: int


@cache
def supported_countries() -> dict[str, tuple[str, ...]]:
    """ISO 3166-1 alpha-2 codes the calendar knows, each with its subdivision codes."""
    # Imported here: the package takes a noticeable part of a second to load, and every process
    # that reads the organization's settings imports this module.
    import holidays

    return {
        code: tuple(subdivisions)
        for code, subdivisions in holidays.list_supported_countries().items()
        if len(code) == 2 and code not in _NOT_ISO
    }


def country_code(value: str) -> str:
    """The ISO 3166-1 alpha-2 code `value` names (case and spaces ignored), or ValueError saying why."""
    code = str(value).strip().upper()
    if code in _NOT_ISO:
        raise ValueError(f"country {value!r} is not an ISO 3166-1 alpha-2 code; expected {_NOT_ISO[code]}")
    if code not in supported_countries():
        raise ValueError(
            f"country {value!r} is not a supported country code; expected an ISO 3166-1 alpha-2 "
            "code such as US, GB or DE (any country the holidays package knows)"
        )
    return code


def subdivision_code(country: str, value: str | None) -> str | None:
    """The subdivision code of `country` that `value` names (a code or a name), or ValueError."""
    if value is None or not str(value).strip():
        return None
    country = country_code(country)
    wanted = str(value).strip()
    known = _subdivisions(country)
    if wanted.casefold() in known:
        return known[wanted.casefold()]
    codes = ", ".join(supported_countries()[country][:20]) or "none"
    raise ValueError(f"subdivision {value!r} is not one of {country}'s; expected one of {country}'s: {codes}")


@cache
def _subdivisions(country: str) -> dict[str, str]:
    """Every code and alias of the country's subdivisions (case-folded) -> its code."""
    import holidays

    entity = holidays.country_holidays(country)
    known = {code.casefold(): code for code in entity.subdivisions}
    known.update({alias.casefold(): code for alias, code in entity.subdivisions_aliases.items()})
    return known


def family_of(name: str) -> str:
    """The normalised family of an event name: 'Christmas Day (observed)' -> 'christmas-day'."""
    base = re.sub(r"\((observed|estimated|substituted)\)|\bobserved\b", " ", name, flags=re.IGNORECASE)
    base = unicodedata.normalize("NFKC", base.replace("'", "").replace("’", "")).casefold()
    return re.sub(r"[\W_]+", "-", base).strip("-") or "event"


def own_family(name: str, kind: str | None) -> str:
    """The family of one of the retailer's own events: `own:` and its kind, or its name without one.

    Events of one kind (every `campaign`) share what the demand model learns of them; an event
    without a kind is its own family, across the years it recurs.
    """
    given = (kind or "").strip()
    return "own:" + (given or name.strip()).casefold()


@lru_cache(maxsize=256)
def _holiday_calendar(country: str, subdivision: str | None, years: tuple[int, ...]) -> HolidayBase:
    """The holidays of one place, in English where the package has it (families must not follow locale)."""
    import holidays

    entity = holidays.country_holidays(country, subdiv=subdivision)
    languages = entity.supported_languages
    english = sorted((lang for lang in languages if lang.startswith("en")), key=lambda lang: lang != "en_US")
    language = english[0] if english else entity.default_language
    return holidays.country_holidays(country, subdiv=subdivision, years=years, language=language)


def _holidays(country: str, subdivision: str | None, years: tuple[int, ...]) -> Iterator[_Occurrence]:
    calendar = _holiday_calendar(country, subdivision, years)
    for day in sorted(calendar):
        for name in calendar.get_list(day):
            kind = "observed" if "observed" in name.casefold() else "public"
            yield _Occurrence(name, kind, "holiday", day, day, 0, 0)


def _easter_event(country: str, subdivision: str | None, year: int) -> _Occurrence:
    """Easter from Good Friday to Easter Monday where those are public holidays, else the Sunday."""
    sunday = _easter(year, country)
    observed = _holiday_calendar(country, subdivision, (year,))
    good_friday, monday = sunday - timedelta(days=2), sunday + timedelta(days=1)
    start = good_friday if good_friday in observed else sunday
    end = monday if monday in observed else sunday
    return _Occurrence("Easter", "holiday", "retail", start, end, 7, 0)


def _retail(country: str, subdivision: str | None, years: tuple[int, ...]) -> Iterator[_Occurrence]:
    for year in years:
        for event in RETAIL_EVENTS:
            if event.countries is None or country in event.countries:
                day = event.first_day(year, country)
                yield _Occurrence(
                    event.name, event.kind, "retail", day, day, event.days_before, event.days_after
                )
        if country in _WESTERN or country in _ORTHODOX_EASTER:
            yield _easter_event(country, subdivision, year)
        if country in _MOTHERS_DAY or country in _MOTHERS_DAY_DEFAULT:
            day = _MOTHERS_DAY.get(country, _weekday_rule(5, SUNDAY, 2))(year, country)
            yield _Occurrence("Mother's Day", "gifting", "retail", day, day, 7, 0)
        if country in _FATHERS_DAY or country in _FATHERS_DAY_DEFAULT:
            day = _FATHERS_DAY.get(country, _weekday_rule(6, SUNDAY, 3))(year, country)
            yield _Occurrence("Father's Day", "gifting", "retail", day, day, 7, 0)
        if country in _BACK_TO_SCHOOL:
            (m1, d1), (m2, d2) = _BACK_TO_SCHOOL[country]
            yield _Occurrence(
                "Back to School", "season", "retail", date(year, m1, d1), date(year, m2, d2), 0, 0
            )


def calendar_events(country: str, subdivision: str | None, start: date, end: date) -> pd.DataFrame:
    """Public holidays and retail events of one place whose days overlap start..end (inclusive).

    Columns: name, family, kind, source ('holiday'|'retail'), start, end (datetime64), days_before,
    days_after, country, subdivision, key. An event's window is start - days_before ..
    end + days_after; callers that need windows reaching into the range widen it themselves.
    """
    country = country_code(country)
    subdivision = subdivision_code(country, subdivision)
    if end < start:
        raise ValueError(f"end {end} is before start {start}")
    if start < FIRST_DATE or end > LAST_DATE:
        raise ValueError(f"the calendar covers {FIRST_DATE} to {LAST_DATE}; asked for {start} to {end}")
    # One year either side: an occurrence that started last year (or Easter's Good Friday) overlaps.
    years = tuple(range(start.year - 1, end.year + 2))
    place = f"{country}-{subdivision}" if subdivision else country
    rows = []
    for occurrence in (*_holidays(country, subdivision, years), *_retail(country, subdivision, years)):
        if occurrence.end < start or occurrence.start > end:
            continue
        family = family_of(occurrence.name)
        rows.append(
            (
                occurrence.name,
                family,
                occurrence.kind,
                occurrence.source,
                occurrence.start,
                occurrence.end,
                occurrence.days_before,
                occurrence.days_after,
                country,
                subdivision,
                f"{occurrence.source}:{place}:{occurrence.start.isoformat()}:{family}",
            )
        )
    frame = pd.DataFrame(rows, columns=list(COLUMNS))
    frame["start"] = pd.to_datetime(frame["start"]).astype("datetime64[ns]")
    frame["end"] = pd.to_datetime(frame["end"]).astype("datetime64[ns]")
    frame[["days_before", "days_after"]] = frame[["days_before", "days_after"]].astype("int64")
    frame["subdivision"] = frame["subdivision"].astype(object)
    return frame.sort_values(["start", "source", "key"], ignore_index=True)
