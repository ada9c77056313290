"""Stores with their country, subdivision and opening dates; events: built-in and the retailer's own."""
