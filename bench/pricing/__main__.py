"""Entry point for `python -m bench.pricing`."""

from bench.pricing.run import main

main()
