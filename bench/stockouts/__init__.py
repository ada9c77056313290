"""`make bench-stockouts`: forecasts from censored Breakfast at the Frat history, with and without stock data."""
