"""Entry point for `python -m bench.clv_cdnow`."""

from bench.clv_cdnow.run import main

main()
