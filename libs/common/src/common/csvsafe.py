"""CSV cells that a spreadsheet will not run as formulas (OWASP CSV injection)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


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
