"""CSV cells that a spreadsheet will not run as formulas (OWASP CSV injection)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
# The last column of every export that carries amounts: the organization's ISO 4217 code on each
# line. Partners read these headers, so the currency is added as a column of its own at the end:
# renaming the amount columns (`unit_cost_usd`) would break readers by name and make the header
# differ between organizations; a comment line above the header would break every CSV reader.
CURRENCY_COLUMN = "currency"


def safe_cell(value: Any) -> str:
    """One quoted CSV cell; text starting like a formula gets a leading apostrophe."""
    if value is None:
        return ""
    if isinstance(value, bool | int | float):
        return "" if value != value else str(value)  # NaN -> empty
    text = str(value)
    if text.startswith(FORMULA_PREFIXES) and not _is_number(text):
        text = "'" + text
    return '"' + text.replace('"', '""') + '"'


def csv_line(values: Iterable[Any]) -> str:
    """One CSV line of safe cells."""
    return ",".join(safe_cell(v) for v in values) + "\n"


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True
