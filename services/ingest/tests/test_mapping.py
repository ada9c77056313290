"""Column mapping on headers that real retail systems export."""

from __future__ import annotations

import pytest

from common.errors import Unprocessable
from ingest.mapping import detect_mapping


def test_uci_online_retail_headers_map_automatically() -> None:
    headers = [
        "InvoiceNo",
        "StockCode",
        "Description",
        "Quantity",
        "InvoiceDate",
        "UnitPrice",
        "CustomerID",
        "Country",
    ]
    m = detect_mapping(headers).columns
    assert m["date"] == "InvoiceDate"
    assert m["sku"] == "StockCode"
    assert m["quantity"] == "Quantity"
    assert m["unit_price"] == "UnitPrice"
    assert m["customer_id"] == "CustomerID"
    assert m["transaction_id"] == "InvoiceNo"
    assert m["product_name"] == "Description"
    assert m["store"] is None  # one default store


def test_breakfast_at_the_frat_headers_map_automatically() -> None:
    headers = [
        "week_end_date",
        "store_id",
        "upc_id",
        "units",
        "visits",
        "hhs",
        "spend",
        "price",
        "base_price",
        "feature",
        "display",
        "tpr_only",
        "week_start",
    ]
    m = detect_mapping(headers).columns
    assert (m["date"], m["store"], m["sku"], m["quantity"], m["unit_price"]) == (
        "week_end_date",
        "store_id",
        "upc_id",
        "units",
        "price",
    )
    assert (m["regular_price"], m["feature"], m["display"], m["tpr_only"]) == (
        "base_price",
        "feature",
        "display",
        "tpr_only",
    )


@pytest.mark.parametrize(
    "headers, expected",
    [
        # Shopify order export
        (
            ["Name", "Created at", "Lineitem quantity", "Lineitem price", "Lineitem sku", "Location"],
            {
                "date": "Created at",
                "sku": "Lineitem sku",
                "quantity": "Lineitem quantity",
                "unit_price": "Lineitem price",
                "transaction_id": None,
                "store": "Location",
            },
        ),
        # Square item sales
        (
            ["Date", "Time", "Category", "Item", "Qty", "Price Point Name", "SKU", "Gross Sales", "Location"],
            {"date": "Date", "sku": "SKU", "quantity": "Qty", "store": "Location", "category": "Category"},
        ),
        # Lightspeed / generic POS with odd spacing and case
        (
            ["ORDER DATE", "Store Code", "Item Code", "QTY SOLD", "Unit-Price", "Receipt No"],
            {
                "date": "ORDER DATE",
                "store": "Store Code",
                "sku": "Item Code",
                "quantity": "QTY SOLD",
                "unit_price": "Unit-Price",
                "transaction_id": "Receipt No",
            },
        ),
    ],
)
def test_common_pos_headers(headers: list[str], expected: dict[str, str | None]) -> None:
    # Square exports gross sales per line, not a unit price: the retailer maps it explicitly.
    mapping = {"unit_price": "Gross Sales"} if "Price Point Name" in headers else {}
    m = detect_mapping(headers, mapping).columns
    for canonical, source in expected.items():
        assert m[canonical] == source


def test_explicit_mapping_overrides_detection() -> None:
    m = detect_mapping(
        ["day", "shop", "article", "n", "amount"], {"quantity": "n", "unit_price": "amount"}
    ).columns
    assert (m["date"], m["store"], m["sku"], m["quantity"], m["unit_price"]) == (
        "day",
        "shop",
        "article",
        "n",
        "amount",
    )


def test_missing_required_column_says_what_was_seen_and_what_would_do() -> None:
    with pytest.raises(Unprocessable) as error:
        detect_mapping(["when", "what", "how many"])
    message = error.value.message
    assert "['date', 'sku', 'quantity', 'unit_price']" in message
    assert "Columns seen: ['when', 'what', 'how many']" in message
    assert "'quantity' could come from a column named any of" in message
    assert error.value.extra["columns_seen"] == ["when", "what", "how many"]


def test_mapping_to_a_column_not_in_the_file_is_refused() -> None:
    with pytest.raises(Unprocessable, match="not in the file"):
        detect_mapping(["date", "sku", "qty", "price"], {"quantity": "units"})
    with pytest.raises(Unprocessable, match="unknown canonical"):
        detect_mapping(["date", "sku", "qty", "price"], {"colour": "qty"})


def test_a_line_total_stands_in_for_a_missing_unit_price() -> None:
    m = detect_mapping(["Date", "SKU", "Units", "Net Sales"]).columns
    assert (m["unit_price"], m["revenue"]) == (None, "Net Sales")
    with pytest.raises(Unprocessable) as error:
        detect_mapping(["Date", "SKU", "Units"])
    assert "(or 'revenue', a line total, from any of" in error.value.message


def test_product_master_headers_from_pos_and_erp_exports() -> None:
    from ingest.mapping import PRODUCT_REQUIRED, PRODUCT_SYNONYMS

    # A Shopify inventory export and an ERP item master.
    shopify = detect_mapping(
        ["Handle", "Variant SKU", "Variant Price", "Cost per item", "Variant Inventory Qty", "Vendor"],
        None,
        PRODUCT_REQUIRED,
        PRODUCT_SYNONYMS,
        {},
    ).columns
    assert (
        shopify["sku"],
        shopify["price"],
        shopify["unit_cost"],
        shopify["on_hand"],
        shopify["supplier"],
    ) == (
        "Variant SKU",
        "Variant Price",
        "Cost per item",
        "Variant Inventory Qty",
        "Vendor",
    )
    erp = detect_mapping(
        [
            "Branch",
            "Item No",
            "Item Description",
            "Avg Cost",
            "SOH",
            "On Order",
            "Lead Time Days",
            "MOQ",
            "Case Pack",
        ],
        {"sku": "Item No"},
        PRODUCT_REQUIRED,
        PRODUCT_SYNONYMS,
        {},
    ).columns
    assert erp == {
        "store": "Branch",
        "sku": "Item No",
        "name": "Item Description",
        "category": None,
        "unit_cost": "Avg Cost",
        "price": None,
        "on_hand": "SOH",
        "on_order": "On Order",
        "lead_time_days": "Lead Time Days",
        "min_order_qty": "MOQ",
        "pack_size": "Case Pack",
        "supplier": None,
    }


def test_plan_headers() -> None:
    from ingest.mapping import PLAN_REQUIRED, PLAN_SYNONYMS

    m = detect_mapping(
        ["Week Ending", "Store ID", "UPC", "Promo Price", "Feature", "Display"],
        None,
        PLAN_REQUIRED,
        PLAN_SYNONYMS,
        {},
    ).columns
    assert (m["date"], m["store"], m["sku"], m["unit_price"], m["feature"], m["display"]) == (
        "Week Ending",
        "Store ID",
        "UPC",
        "Promo Price",
        "Feature",
        "Display",
    )
