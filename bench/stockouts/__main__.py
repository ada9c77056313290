"""Entry point for `python -m bench.stockouts`."""

from bench.stockouts.run import main

main()
