"""Run a named benchmark: `python -m bench pk`. Add yours to BENCHMARKS."""

from __future__ import annotations

import importlib
import sys

BENCHMARKS = {
    "pk": "bench.pk",
}


def main(argv: list[str]) -> int:
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
