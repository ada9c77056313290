"""Entry point for `python -m bench.events`."""

from bench.events.run import main

main()
