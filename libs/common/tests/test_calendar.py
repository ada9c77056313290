"""The calendar on known dates: holidays by country and subdivision, retail events and their windows."""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest

from common.calendar import COLUMNS, calendar_events, country_code, family_of, own_family, subdivision_code

YEAR_2025 = (date(2025, 1, 1), date(2025, 12, 31))


def _days(frame: pd.DataFrame, family: str) -> list[tuple[str, str]]:
    rows = frame[frame["family"] == family]
    return [
        (s.date().isoformat(), e.date().isoformat()) for s, e in zip(rows["start"], rows["end"], strict=True)
    ]


def test_us_thanksgiving_black_friday_and_cyber_monday() -> None:
    frame = calendar_events("US", None, *YEAR_2025)
    assert list(frame.columns) == list(COLUMNS)
    assert _days(frame, "thanksgiving-day") == [("2025-11-27", "2025-11-27")]
    assert _days(frame, "black-friday") == [("2025-11-28", "2025-11-28")]
    assert _days(frame, "cyber-monday") == [("2025-12-01", "2025-12-01")]
    friday = frame[frame["family"] == "black-friday"].iloc[0]
    assert friday["source"] == "retail" and friday["key"] == "retail:US:2025-11-28:black-friday"
    assert (friday["days_before"], friday["days_after"]) == (3, 2)
    christmas = frame[frame["family"] == "christmas-day"].iloc[0]
    assert christmas["source"] == "holiday" and christmas["key"] == "holiday:US:2025-12-25:christmas-day"
    assert _days(frame, "super-bowl-sunday") == [("2025-02-09", "2025-02-09")]
    assert _days(frame, "mothers-day") == [("2025-05-11", "2025-05-11")]
    assert _days(frame, "fathers-day") == [("2025-06-15", "2025-06-15")]
    # No Good Friday or Easter Monday off in the US: Easter is the Sunday.
    assert _days(frame, "easter") == [("2025-04-20", "2025-04-20")]
    assert frame["key"].is_unique
    assert "boxing-day" not in set(frame["family"])


def test_a_german_land_holiday_is_there_only_for_that_land() -> None:
    bavaria = calendar_events("DE", "BY", *YEAR_2025)
    berlin = calendar_events("DE", "BE", *YEAR_2025)
    assert _days(bavaria, "epiphany") == [("2025-01-06", "2025-01-06")]
    assert "epiphany" not in set(berlin["family"])
    assert _days(berlin, "womens-day") == [("2025-03-08", "2025-03-08")]
    assert "womens-day" not in set(bavaria["family"])
    assert set(bavaria["subdivision"]) == {"BY"} and set(bavaria["country"]) == {"DE"}
    assert bavaria[bavaria["family"] == "epiphany"]["key"].iloc[0] == "holiday:DE-BY:2025-01-06:epiphany"
    # German Father's Day is Ascension Day; Easter runs from Good Friday to Easter Monday.
    assert _days(bavaria, "fathers-day") == [("2025-05-29", "2025-05-29")]
    assert _days(bavaria, "easter") == [("2025-04-18", "2025-04-21")]
    # Names and codes both name a subdivision.
    assert subdivision_code("de", "Bayern") == "BY"


def test_gb_boxing_day_mothering_sunday_and_back_to_school() -> None:
    frame = calendar_events("gb", None, *YEAR_2025)
    assert ("2025-12-26", "2025-12-26") in _days(frame, "boxing-day")
    boxing = frame[(frame["family"] == "boxing-day") & (frame["source"] == "retail")].iloc[0]
    assert boxing["days_after"] > 0
    assert _days(frame, "mothers-day") == [("2025-03-30", "2025-03-30")]  # three weeks before Easter
    assert _days(frame, "back-to-school") == [("2025-08-10", "2025-09-07")]
    france = calendar_events("FR", None, *YEAR_2025)
    assert _days(france, "mothers-day") == [("2025-05-25", "2025-05-25")]
    assert "boxing-day" not in set(france["family"])


def test_the_same_holiday_in_different_years_is_one_family() -> None:
    frame = calendar_events("US", None, date(2022, 1, 1), date(2023, 12, 31))
    christmas = frame[frame["family"] == "christmas-day"]
    # 2022's Christmas fell on a Sunday: the observed Monday joins the family, marked by its kind.
    assert sorted(christmas["start"].dt.date.astype(str)) == ["2022-12-25", "2022-12-26", "2023-12-25"]
    assert set(christmas["kind"]) == {"public", "observed"}
    assert family_of("New Year's Day (observed)") == "new-years-day"
    assert own_family("Spring Sale", "Campaign ") == own_family("Autumn Sale", "campaign") == "own:campaign"
    assert own_family(" Street Festival", None) == own_family("street festival", "") == "own:street festival"


def test_only_events_overlapping_the_range_and_bad_input_named() -> None:
    frame = calendar_events("US", None, date(2025, 12, 24), date(2025, 12, 26))
    assert list(frame["family"]) == ["christmas-eve", "christmas-day"]
    assert calendar_events("US", None, date(2025, 8, 1), date(2025, 8, 1))["family"].tolist() == [
        "back-to-school"
    ]
    with pytest.raises(ValueError, match="'ZZ'"):
        calendar_events("ZZ", None, *YEAR_2025)
    with pytest.raises(ValueError, match=r"'XX'.*DE"):
        calendar_events("DE", "XX", *YEAR_2025)
    with pytest.raises(ValueError, match="GB"):
        country_code("UK")
    with pytest.raises(ValueError, match="before"):
        calendar_events("US", None, date(2025, 2, 1), date(2025, 1, 1))
