"""Entry point for `python -m bench.hierarchy`."""

from bench.hierarchy.run import main

main()
