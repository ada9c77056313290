"""Entry point for `python -m bench.forecast`."""

from bench.forecast.run import main

main()
