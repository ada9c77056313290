"""Entry point for `python -m bench.scenario`."""

from bench.scenario.run import main

main()
