"""Inventory engine: forecast-driven safety stock, reorder points and order quantities (pure)."""

from inventory.engine.calibration import (
    CHOICE_COLUMNS,
    ERROR_COLUMNS,
    MIN_CALIBRATION_WINDOWS,
    Calibration,
    calibrate_sources,
    calibrate_spread,
    calibrated_policy,
    choose_history_classes,
    source_errors,
    with_calibration,
)
from inventory.engine.policy import InventoryPolicy
from inventory.engine.purchase_order import PURCHASE_ORDER_COLUMNS, purchase_order_lines
from inventory.engine.recommend import OUTPUT_COLUMNS, recommend_inventory
from inventory.engine.records import RECORD_COLUMNS, WINDOW_COLUMNS, protection_records, protection_windows
from inventory.engine.stockouts import STOCKOUT_TOTAL_COLUMNS, with_stockouts

__all__ = [
    "CHOICE_COLUMNS",
    "ERROR_COLUMNS",
    "MIN_CALIBRATION_WINDOWS",
    "OUTPUT_COLUMNS",
    "PURCHASE_ORDER_COLUMNS",
    "RECORD_COLUMNS",
    "STOCKOUT_TOTAL_COLUMNS",
    "WINDOW_COLUMNS",
    "Calibration",
    "InventoryPolicy",
    "calibrate_sources",
    "calibrate_spread",
    "calibrated_policy",
    "choose_history_classes",
    "protection_records",
    "protection_windows",
    "purchase_order_lines",
    "recommend_inventory",
    "source_errors",
    "with_calibration",
    "with_stockouts",
]
