"""Which column of a retailer's file is which canonical column (pure)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from common.errors import Unprocessable

REQUIRED = ("date", "sku", "quantity", "unit_price")
# A required column another one can stand in for: a line total gives the unit price (spend / units).
ALTERNATIVES = {"unit_price": "revenue"}
# Candidate header names per canonical column, in order of preference, compared after
# normalisation (lower case, letters and digits only): "Invoice Date" == "invoice_date".
SYNONYMS: dict[str, tuple[str, ...]] = {
    "date": (
        "date",
        "invoicedate",
        "orderdate",
        "weekenddate",
        "weekending",
        "transactiondate",
        "salesdate",
        "saledate",
        "day",
        "orderdatetime",
        "saledatetime",
        "salesdatetime",
        "transactiondatetime",
        "invoicedatetime",
        "datesold",
        "datetime",
        "timestamp",
        "week",
        "period",
        "createdat",
    ),
    "store": (
        "store",
        "storeid",
        "storecode",
        "storenumber",
        "storeno",
        "location",
        "locationid",
        "shop",
        "shopid",
        "branch",
        "branchid",
        "outlet",
        "site",
        "siteid",
        "warehouse",
    ),
    "sku": (
        "sku",
        "skuid",
        "stockcode",
        "upcid",
        "upc",
        "productid",
        "itemid",
        "itemcode",
        "productcode",
        "articleid",
        "articleno",
        "article",
        "ean",
        "barcode",
        "gtin",
        "item",
        "product",
        "partnumber",
        "lineitemsku",
        "variantsku",
    ),
    "quantity": (
        "quantity",
        "qty",
        "units",
        "unitssold",
        "quantitysold",
        "qtysold",
        "salesunits",
        "volume",
        "count",
        "lineitemquantity",
    ),
    "unit_price": (
        "unitprice",
        "price",
        "sellingprice",
        "saleprice",
        "priceeach",
        "itemprice",
        "netprice",
        "pricepaid",
        "actualprice",
        "lineitemprice",
    ),
    "customer_id": (
        "customerid",
        "customer",
        "customerno",
        "customernumber",
        "clientid",
        "memberid",
        "loyaltyid",
        "loyaltycard",
        "householdid",
        "hhid",
        "accountid",
    ),
    "transaction_id": (
        "transactionid",
        "invoiceno",
        "invoice",
        "invoicenumber",
        "invoiceid",
        "orderid",
        "ordernumber",
        "orderno",
        "receiptid",
        "receiptno",
        "basketid",
        "ticketid",
        "transactionno",
    ),
    "product_name": (
        "productname",
        "description",
        "itemname",
        "itemdescription",
        "productdescription",
        "name",
        "title",
        "productdesc",
    ),
    "category": (
        "category",
        "productcategory",
        "categoryname",
        "department",
        "dept",
        "family",
        "productgroup",
        "subcategory",
    ),
    "promotion": ("promotion", "promo", "onpromotion", "ispromo", "promoflag", "onpromo", "promotional"),
    "regular_price": (
        "baseprice",
        "regularprice",
        "listprice",
        "shelfprice",
        "rrp",
        "msrp",
        "originalprice",
        "fullprice",
    ),
    "feature": ("feature", "featured", "infeature"),
    "display": ("display", "ondisplay", "indisplay"),
    "tpr_only": ("tpronly", "tpr"),
    # Only read to fill in a missing unit price (Breakfast at the Frat's free lines: spend 0).
    "revenue": (
        "revenue",
        "spend",
        "salesamount",
        "salesvalue",
        "linetotal",
        "lineamount",
        "extendedprice",
        "netsales",
        "grosssales",
        "turnover",
        "amount",
        "total",
    ),
}

# The product master (POST /upload-products): per store and sku, what the engines cannot learn
# from sales: cost, stock, lead time and ordering constraints.
PRODUCT_REQUIRED = ("sku",)
PRODUCT_SYNONYMS: dict[str, tuple[str, ...]] = {
    "store": SYNONYMS["store"],
    "sku": SYNONYMS["sku"],
    "name": ("name", "productname", "itemname", "description", "itemdescription", "title", "product"),
    "category": SYNONYMS["category"],
    "unit_cost": (
        "unitcost",
        "cost",
        "costprice",
        "purchaseprice",
        "buyprice",
        "landedcost",
        "cogs",
        "supplierprice",
        "costperitem",
        "averagecost",
        "avgcost",
    ),
    "price": (
        "price",
        "unitprice",
        "retailprice",
        "sellingprice",
        "saleprice",
        "shelfprice",
        "listprice",
        "rrp",
        "msrp",
        "variantprice",
    ),
    "on_hand": (
        "onhand",
        "stock",
        "stockonhand",
        "soh",
        "qtyonhand",
        "quantityonhand",
        "onhandqty",
        "inventory",
        "inventoryquantity",
        "instock",
        "stocklevel",
        "available",
        "variantinventoryqty",
    ),
    "on_order": ("onorder", "qtyonorder", "quantityonorder", "openorders", "intransit", "incoming"),
    "lead_time_days": ("leadtimedays", "leadtime", "leaddays", "supplierleadtime", "deliverydays"),
    "min_order_qty": ("minorderqty", "moq", "minimumorderquantity", "minorder", "minqty", "minorderquantity"),
    "pack_size": ("packsize", "casepack", "casesize", "packqty", "unitspercase", "innerpack", "casequantity"),
    "supplier": ("supplier", "vendor", "suppliername", "vendorname", "manufacturer", "brand"),
}

# Planned prices and promotions (POST /upload-plan): known future drivers of demand.
PLAN_REQUIRED = ("date", "sku")
PLAN_SYNONYMS: dict[str, tuple[str, ...]] = {
    "date": SYNONYMS["date"] + ("plandate", "promodate", "startdate"),
    "store": SYNONYMS["store"],
    "sku": SYNONYMS["sku"],
    "unit_price": SYNONYMS["unit_price"] + ("plannedprice", "promoprice", "newprice"),
    "promotion": SYNONYMS["promotion"] + ("plannedpromotion", "promoplanned"),
    "feature": SYNONYMS["feature"],
    "display": SYNONYMS["display"],
}
PLAN_DRIVERS = ("unit_price", "promotion", "feature", "display")


def normalise(header: str) -> str:
    """Header compared without case, spaces or punctuation."""
    return re.sub(r"[^a-z0-9]", "", header.lower())


@dataclass(frozen=True)
class ColumnMapping:
    """Canonical column -> source column (None when absent)."""

    columns: dict[str, str | None]
    columns_seen: tuple[str, ...]

    def source(self, canonical: str) -> str | None:
        """The source column for a canonical one."""
        return self.columns.get(canonical)


def detect_mapping(
    headers: list[str],
    override: dict[str, str] | None = None,
    required: tuple[str, ...] = REQUIRED,
    synonyms: dict[str, tuple[str, ...]] = SYNONYMS,
    alternatives: dict[str, str] | None = None,
) -> ColumnMapping:
    """Map headers to canonical columns; an explicit override wins; 422 when a required one is missing."""
    override = override or {}
    unknown = sorted(set(override) - set(synonyms))
    if unknown:
        raise Unprocessable(
            f"mapping names unknown canonical column(s) {unknown}; known: {sorted(synonyms)}",
            columns_seen=headers,
        )
    missing_sources = sorted(src for src in override.values() if src and src not in headers)
    if missing_sources:
        raise Unprocessable(
            f"mapping refers to column(s) {missing_sources} not in the file; columns seen: {headers}",
            columns_seen=headers,
        )
    by_norm: dict[str, str] = {}
    for header in headers:
        by_norm.setdefault(normalise(header), header)
    used = {src for src in override.values() if src}
    columns: dict[str, str | None] = {}
    for canonical, names in synonyms.items():
        if canonical in override:
            columns[canonical] = override[canonical] or None
            continue
        columns[canonical] = None
        for name in names:
            found = by_norm.get(name)
            if found is not None and found not in used:
                columns[canonical] = found
                used.add(found)
                break
    alternatives = ALTERNATIVES if alternatives is None else alternatives
    missing = [c for c in required if columns.get(c) is None and columns.get(alternatives.get(c, "")) is None]
    if missing:
        hints = "; ".join(
            f"'{c}' could come from a column named any of {list(synonyms[c][:8])}"
            + (
                f" (or '{alternatives[c]}', a line total, from any of {list(synonyms[alternatives[c]][:6])})"
                if c in alternatives
                else ""
            )
            for c in missing
        )
        raise Unprocessable(
            f"required column(s) {missing} not found. Columns seen: {headers}. {hints}. "
            "Rename the columns or send a 'mapping' form field, e.g. "
            '{"sku": "My Item Code"}.',
            columns_seen=headers,
            mapping=columns,
        )
    return ColumnMapping(columns=columns, columns_seen=tuple(headers))
