"""Pricing engine benchmark on dunnhumby "Breakfast at the Frat"."""
