"""Benchmarks: `python -m bench NAME` runs one and prints its timings and ratios."""
