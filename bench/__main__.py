"""Run a named benchmark: `python -m bench pk`, `python -m bench web --patients 1000`.
Add yours to BENCHMARKS; options after a single name go to that benchmark's main(argv)."""

from __future__ import annotations

import importlib
import sys

BENCHMARKS = {
    "cpu": "bench.cpu",
    "pk": "bench.pk",
    "web": "bench.web",
    "bulk": "bench.bulk",
}


def main(argv: list[str]) -> int:
    if len(argv) > 1 and argv[0] in BENCHMARKS and argv[1].startswith("-"):
        return importlib.import_module(BENCHMARKS[argv[0]]).main(argv[1:]) or 0
    names = argv or sorted(BENCHMARKS)
    unknown = [name for name in names if name not in BENCHMARKS]
    if unknown:
        print(f"unknown benchmark(s): {', '.join(unknown)}; known: {', '.join(sorted(BENCHMARKS))}")
        return 2
    for name in names:
        importlib.import_module(BENCHMARKS[name]).main()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
