"""``binn-graph benchmark genomic``: the shoot-branching learning curve that checks Kontolati et al.'s claims.

Writes ``report.md`` (claims table, learning curve, coverage, sensitivity, latent correlations), one CSV per table,
``learning_curve.png`` and ``sensitivity.png`` into ``--out``. See :mod:`binn_graph.genomic.benchmark`.
"""

from __future__ import annotations

import argparse

__all__ = ["add_parser"]

QUICK = dict(sizes=[100, 200], n_test=300, outer=2, inner=2, coverage_n=400, max_epochs=40)


def _ints(text: str) -> list[int]:
    return [int(v) for v in text.split(",") if v.strip()]


def _floats(text: str) -> list[float]:
    return [float(v) for v in text.split(",") if v.strip()]


def _genomic(args) -> int:
    import warnings

    from sklearn.exceptions import ConvergenceWarning

    from ..genomic import run_genomic_benchmark

    options = dict(sizes=_ints(args.sizes), n_test=args.n_test, outer=args.outer, inner=args.inner,
                   coverages=_floats(args.coverages), coverage_n=args.coverage_n,
                   soft_constraint=args.soft_constraint, max_epochs=args.max_epochs, seed=args.seed,
                   models=[m.strip() for m in args.models.split(",")] if args.models else None)
    if args.quick:
        options.update(QUICK)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)  # the dense MLP at its max_epochs: expected, early stops
        bench = run_genomic_benchmark(**options, progress=not args.quiet)
    out = bench.write(args.out)
    print(bench.claims.to_string(index=False))
    print(f"report written to {out / 'report.md'}")
    return 0


def add_parser(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("benchmark", help="reproducible benchmark reports")
    kinds = parser.add_subparsers(dest="benchmark", required=True)
    g = kinds.add_parser("genomic", help="shoot-branching learning curve: BINN vs dense, GBLUP, ridge, ElasticNet",
                         description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    g.add_argument("--out", required=True, help="output directory")
    g.add_argument("--sizes", default="100,200,400,800,1600,3200", help="training-set sizes n (comma-separated)")
    g.add_argument("--n-test", type=int, default=1000, help="independent test plants")
    g.add_argument("--outer", type=int, default=3, help="outer folds of the nested CV")
    g.add_argument("--inner", type=int, default=3, help="inner folds (ensemble members per outer fold)")
    g.add_argument("--coverages", default="1,0.5,0.1", help="soft-constraint coverages (fractions of plants)")
    g.add_argument("--coverage-n", type=int, default=None, help="n of the coverage study (default: middle size)")
    g.add_argument("--soft-constraint", type=float, default=1.0, help="λ of the soft constraint")
    g.add_argument("--max-epochs", type=int, default=200)
    g.add_argument("--seed", type=int, default=0)
    g.add_argument("--models", default=None, help="subset, comma-separated (default: all six)")
    g.add_argument("--quick", action="store_true", help="a small run for smoke tests: n 100 and 200, 2 × 2 folds")
    g.add_argument("--quiet", action="store_true", help="no per-model progress lines")
    g.set_defaults(func=_genomic)
