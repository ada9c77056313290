"""Hierarchy benchmark on dunnhumby "Breakfast at the Frat": reconciled forecasts at every level."""
