"""Command line for the benchmarks; see :mod:`bench`."""

from __future__ import annotations

import argparse
import importlib
import json
import pkgutil
import sys

import bench


def available() -> list[str]:
    return sorted(m.name for m in pkgutil.iter_modules(bench.__path__) if not m.name.startswith("_"))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("name", choices=available(), help="which benchmark to run")
    parser.add_argument("--json", action="store_true", help="print one JSON object of figures")
    parser.add_argument("--quick", action="store_true", help="fewer iterations (smoke test)")
    args = parser.parse_args(argv)
    module = importlib.import_module(f"bench.{args.name}")
    figures = module.run(quick=args.quick)
    if args.json:
        print(json.dumps(figures, sort_keys=True))
    else:
        width = max(len(k) for k in figures)
        for key, value in figures.items():
            if isinstance(value, int):  # a count (compiled_modules)
                shown = f"{value:,}"
            else:
                shown = f"{value:,.0f}" if abs(value) >= 100 else f"{value:.3f}"
            print(f"{key:<{width}}  {shown}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
