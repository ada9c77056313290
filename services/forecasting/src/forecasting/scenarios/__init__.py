"""Scenarios: what-if prices and promotions carried through demand, orders and margin."""
