"""Load bench of the whole platform through the gateway (`python -m bench.load`)."""
