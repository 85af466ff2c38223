"""The shoot-branching learning curve and the check of Kontolati et al.'s claims (issue: genomic prediction).

Runs ``run_genomic_benchmark`` with its defaults (the same as ``binn-graph benchmark genomic``): n = 100 … 3,200
training plants, 1,000 test plants, 3 outer × 3 inner folds, coverage study at the middle n. The claims, the report
and the figures are those of the CLI (``binn_graph.cli.benchmark``). ``--from DIR`` renders an existing
``binn-graph benchmark genomic --out DIR`` run instead.

Usage: python benchmarks/bench_genomic_claims.py [--out DIR | --from DIR] [--write benchmarks/RESULTS.md]
"""

from __future__ import annotations

import argparse
import warnings
from pathlib import Path

HEADING = "## Genomic prediction: shoot-branching learning curve and the paper's claims (issue: genomic prediction)"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("runs/genomic_benchmark"))
    parser.add_argument("--from", dest="source", type=Path)
    parser.add_argument("--write", type=Path)
    args = parser.parse_args()
    from sklearn.exceptions import ConvergenceWarning

    from binn_graph.cli.benchmark import report_markdown, write_report
    from binn_graph.genomic import GenomicBenchmark, run_genomic_benchmark

    if args.source:
        bench = GenomicBenchmark.read(args.source)  # claims as written by the run (checked again if absent)
        command = f"binn-graph benchmark genomic --out {args.source}` then `python benchmarks/bench_genomic_claims.py " \
                  f"--from {args.source} --write {args.write}"
    else:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            bench = run_genomic_benchmark()
        write_report(bench, args.out)
        command = f"python benchmarks/bench_genomic_claims.py --out {args.out} --write {args.write}"
    text = report_markdown(bench, level=2)
    print(text)
    if args.write:
        from _results import write_section

        body = text.split("\n", 1)[1]  # our own heading replaces the report's title
        section = f"{HEADING}\n\nCommand: `{command}` (2 cores).\n{body}"
        write_section(args.write, HEADING, section)


if __name__ == "__main__":
    main()
