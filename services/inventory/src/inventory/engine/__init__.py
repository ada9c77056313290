"""Inventory engine: forecast-driven safety stock, reorder points and order quantities (pure)."""

from inventory.engine.calibration import ERROR_COLUMNS, calibrate_spread
from inventory.engine.policy import InventoryPolicy
from inventory.engine.purchase_order import PURCHASE_ORDER_COLUMNS, purchase_order_lines
from inventory.engine.recommend import OUTPUT_COLUMNS, recommend_inventory

__all__ = [
    "ERROR_COLUMNS",
    "OUTPUT_COLUMNS",
    "PURCHASE_ORDER_COLUMNS",
    "InventoryPolicy",
    "calibrate_spread",
    "purchase_order_lines",
    "recommend_inventory",
]
