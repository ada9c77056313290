"""Row validation of the three kinds of file: every rule, on batches with known answers."""

from __future__ import annotations

from datetime import date

import numpy as np
import pyarrow as pa
import pytest

from ingest import validation
from ingest.mapping import (
    PLAN_REQUIRED,
    PLAN_SYNONYMS,
    PRODUCT_REQUIRED,
    PRODUCT_SYNONYMS,
    detect_mapping,
)
from ingest.values import choose_date_format, clean_text, parse_dates, parse_numbers

TODAY = date(2024, 6, 30)


def _batch(columns: dict[str, list[str | None]]) -> pa.Table:
    return pa.table({name: pa.array(values, pa.string()) for name, values in columns.items()})


def _state(raw: pa.Table, **kwargs: object) -> validation.ValidationState:
    return validation.ValidationState(mapping=detect_mapping(raw.column_names), today=TODAY, **kwargs)  # type: ignore[arg-type]


def test_numbers_fast_path_and_lenient_forms() -> None:
    values = clean_text(
        pa.array(
            ["1.5", " -2 ", "1e3", "£1.99", "1,99", "1.234,56", "1,234.56", "€ 3", "abc", "nan", "", None]
        )
    )
    parsed = parse_numbers(values)
    expected = [1.5, -2, 1000, 1.99, 1.99, 1234.56, 1234.56, 3, np.nan, np.nan, np.nan, np.nan]
    np.testing.assert_array_equal(parsed, np.array(expected))


def test_dates_in_the_files_own_format_and_odd_forms() -> None:
    uci = clean_text(pa.array(["12/1/2010 8:26", "1/12/2011 14:05", "13/45/2011 1:00", None]))
    assert choose_date_format(uci) == "%m/%d/%Y %H:%M"
    parsed = parse_dates(uci, "%m/%d/%Y %H:%M")
    assert [str(d) for d in parsed] == ["2010-12-01", "2011-01-12", "NaT", "NaT"]
    iso = clean_text(pa.array(["2024-01-02", "2024-01-02T23:10:00", "2024-01-02T23:10:00+05:00"]))
    assert [str(d) for d in parse_dates(iso, "ISO8601")] == ["2024-01-02"] * 3


def test_a_missing_price_comes_from_the_line_total_and_free_lines_are_flagged() -> None:
    # Breakfast at the Frat: 23 rows have no price and spend 0 (free units).
    raw = _batch(
        {
            "week_end_date": ["2009-01-14", "2009-01-14", "2009-01-14", "2009-01-14"],
            "store_id": ["1", "1", "1", "1"],
            "upc_id": ["P1", "P2", "P3", "P4"],
            "units": ["2", "1", "0", "3"],
            "spend": ["3.0", "0.0", "0", "x"],
            "price": ["1.5", None, None, None],
        }
    )
    state = _state(raw)
    good, errors = validation.validate_sales(raw, 2, state)
    rows = good.to_pandas().set_index("sku")
    assert rows.loc["P1", "unit_price"] == 1.5 and rows.loc["P2", "unit_price"] == 0.0
    assert rows.loc["P3", "unit_price"] == 0.0  # no units, no spend: a free line too
    assert [(e.row, e.column, e.kind) for e in errors] == [(5, "spend", "not_a_number")]
    assert state.flag_counts == {"zero_price": 2}


def test_only_a_line_total_is_enough() -> None:
    raw = _batch(
        {"date": ["2024-01-02", "2024-01-03"], "sku": ["A", "A"], "qty": ["4", "-2"], "revenue": ["10", "-5"]}
    )
    good, errors = validation.validate_sales(raw, 2, _state(raw))
    assert errors == []
    assert good.column("unit_price").to_pylist() == [2.5, 2.5]


def test_returns_non_products_and_zero_prices_are_counted_not_rejected() -> None:
    raw = _batch(
        {
            "InvoiceNo": ["536365", "C536379", "536370", "536371", "536372"],
            "StockCode": ["85123A", "22633", "POST", "22634", "22635"],
            "Description": ["HEART", "HAND WARMER", "POSTAGE", "FREE GIFT", "Manual adjustment"],
            "Quantity": ["6", "2", "3", "1", "1"],
            "InvoiceDate": ["12/1/2010 8:26"] * 5,
            "UnitPrice": ["2.55", "1.85", "18", "0", "5"],
        }
    )
    state = _state(raw)
    good, errors = validation.validate_sales(raw, 2, state)
    assert errors == []
    assert good.column("quantity").to_pylist() == [6, -2, 3, 1, 1]
    assert good.column("is_product").to_pylist() == [True, True, False, True, False]
    assert state.flag_counts == {"returns": 1, "non_product": 2, "zero_price": 1}


def test_errors_beyond_the_cap_are_counted_but_not_kept() -> None:
    raw = _batch({"date": ["2024-01-02"] * 10, "sku": ["A"] * 10, "qty": ["x"] * 10, "price": ["1"] * 10})
    state = _state(raw, error_room=3)
    good, errors = validation.validate_sales(raw, 2, state)
    assert good.num_rows == 0
    assert [e.row for e in errors] == [2, 3, 4]
    assert state.error_counts == {"not_a_number": 10} and state.error_room == 0


def test_product_master_rules() -> None:
    raw = _batch(
        {
            "Item Code": ["A", "B", "C", "D", None],
            "Cost": ["1.2", "-1", "0.5", "1", "1"],
            "Stock on hand": ["10", "5", "abc", "3", "1"],
            "Lead time": ["7", "7", "7", "-2", "7"],
            "Case pack": ["12", "12", "12", "0", "6"],
            "Vendor": ["Acme", None, "Acme", "Acme", "Acme"],
        }
    )
    mapping = detect_mapping(raw.column_names, None, PRODUCT_REQUIRED, PRODUCT_SYNONYMS, {})
    assert (mapping.source("unit_cost"), mapping.source("on_hand"), mapping.source("pack_size")) == (
        "Cost",
        "Stock on hand",
        "Case pack",
    )
    state = validation.ValidationState(mapping=mapping, today=TODAY)
    good, errors = validation.validate_products(raw, 2, state)
    assert good.column("sku").to_pylist() == ["A"]
    assert good.column("store").to_pylist() == [validation.DEFAULT_STORE]
    assert sorted((e.row, e.column, e.kind) for e in errors) == [
        (3, "Cost", "negative_price"),
        (4, "Stock on hand", "not_a_number"),
        (5, "Case pack", "negative_value"),
        (5, "Lead time", "negative_value"),
        (6, "Item Code", "missing_value"),
    ]


def test_plan_rules_future_dates_and_at_least_one_driver() -> None:
    raw = _batch(
        {
            "date": ["2024-07-01", "2024-06-30", "2024-07-02", "2024-07-03", "2024-07-04"],
            "store": ["S1"] * 5,
            "sku": ["A"] * 5,
            "planned_price": ["1.99", "1.99", None, "-1", "2"],
            "promo": ["1", "0", None, "0", "sometimes"],
        }
    )
    mapping = detect_mapping(raw.column_names, None, PLAN_REQUIRED, PLAN_SYNONYMS, {})
    state = validation.ValidationState(mapping=mapping, today=TODAY)
    good, errors = validation.validate_plan(raw, 2, state)
    assert good.column("date").to_pylist() == [date(2024, 7, 1)]
    assert good.column("promotion").to_pylist() == [1.0]
    assert sorted((e.row, e.kind) for e in errors) == [
        (3, "past_date"),
        (4, "missing_value"),
        (5, "negative_price"),
        (6, "invalid_flag"),
    ]


def test_copy_csv_keeps_empty_transactions_and_nulls_apart() -> None:
    raw = _batch({"date": ["2024-01-02"], "sku": ["A,1"], "qty": ["1"], "price": ["2"]})
    good, _ = validation.validate_sales(raw, 2, _state(raw))
    line = validation.to_copy_csv(good).decode()
    # transaction_id '' (an aggregate) is quoted; customer_id NULL is an empty field.
    assert line == '2,"default","A,1",2024-01-02,"",1,2,,,,0,,,,,true\n'


@pytest.mark.parametrize("flag", ["yes", "Y", "TRUE", "1.0"])
def test_promotion_flags_in_many_spellings(flag: str) -> None:
    raw = _batch({"date": ["2024-01-02"], "sku": ["A"], "qty": ["1"], "price": ["2"], "promo": [flag]})
    good, errors = validation.validate_sales(raw, 2, _state(raw))
    assert errors == [] and good.column("promotion").to_pylist() == [1.0]


def test_absurd_values_are_refused_before_they_reach_the_database() -> None:
    raw = _batch(
        {
            "date": ["2024-01-02", "0001-01-01", "2024-01-02", "2024-01-02", "2024-01-02"],
            "store": ["S1", "S1", "S" * 201, "S1", "S1"],
            "sku": ["A", "A", "A", "K" * 300, "A"],
            "qty": ["1", "1", "1", "1", "1e300"],
            "price": ["2", "2", "2", "2", "1e308"],
        }
    )
    good, errors = validation.validate_sales(raw, 2, _state(raw))
    assert good.column("row_no").to_pylist() == [2]
    assert sorted((e.row, e.column, e.kind) for e in errors) == [
        (3, "date", "out_of_range"),
        (4, "store", "too_long"),
        (5, "sku", "too_long"),
        (6, "price", "out_of_range"),
        (6, "qty", "out_of_range"),
    ]
    assert next(e for e in errors if e.kind == "too_long").expected == "at most 200 characters"
