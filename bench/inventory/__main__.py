"""Entry point for `python -m bench.inventory`."""

from bench.inventory.run import main

main()
