"""A stock-out run as the platform stores and shows it, defined once.

The forecasting worker writes runs to the `stockouts` table (its engine finds them); the inventory
service's `GET /stockouts` reads them back.
"""

from __future__ import annotations

# The fields of a run in `GET /stockouts` items and its CSV columns, in order.
API_FIELDS = (
    "store",
    "sku",
    "start",
    "end",
    "source",
    "probability",
    "sales",
    "estimated_demand",
    "lost_units",
    "lost_revenue",
)
# A run as the engine reports it and the table keeps it: the API's fields, the margin lost (null
# without a unit cost) and whether the demand model learnt around it.
COLUMNS = (*API_FIELDS, "lost_margin", "corrected")
