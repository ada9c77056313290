"""Entry point for `python -m bench.segmentation`."""

from bench.segmentation.run import main

main()
