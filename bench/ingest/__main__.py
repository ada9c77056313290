"""Entry point for `python -m bench.ingest`."""

from bench.ingest.run import main

main()
