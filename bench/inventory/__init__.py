"""Inventory bench: replay real demand with the engine's orders and with a static min/max rule."""
