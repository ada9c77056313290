"""Scenario benchmark on dunnhumby "Breakfast at the Frat": the demand model replaying a real plan."""
