"""The ``binn-graph`` command line. One module per command group."""

from __future__ import annotations

import argparse
import sys

from kg.errors import BinnGraphError
from . import benchmark, degradation, demo, explain, kg, train

__all__ = ["main", "build_parser"]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="binn-graph", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    kg.add_parser(sub)
    train.add_parser(sub)
    explain.add_parser(sub)
    degradation.add_parser(sub)
    benchmark.add_parser(sub)
    demo.add_parser(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``binn-graph`` console script."""
    args = build_parser().parse_args(argv)
    try:
        rc = args.func(args)
        return rc if isinstance(rc, int) else 0
    except BinnGraphError as exc:
        print(f"binn-graph: error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
