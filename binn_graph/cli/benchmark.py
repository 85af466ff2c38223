"""``binn-graph benchmark genomic``: the shoot-branching learning curve that checks Kontolati et al.'s claims.

The runs are :func:`binn_graph.genomic.run_genomic_benchmark`; this module holds the study around them: the paper's
claims and their thresholds (:func:`check_claims`), the report (:func:`report_markdown`, :func:`write_report`) and
its figures (explicit :class:`matplotlib.figure.Figure` objects, no pyplot state). :func:`markdown_table` is the
project's one markdown-table writer (``benchmarks/`` use it too).
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Iterable, Sequence

__all__ = ["add_parser", "markdown_table", "check_claims", "report_markdown", "write_report"]

DESCRIPTION = """The shoot-branching learning curve that checks Kontolati et al.'s claims.

Writes report.md (claims table, learning curve, coverage, sensitivity, latent correlations), one CSV per table,
learning_curve.png and sensitivity.png into --out.
"""
QUICK = dict(sizes=[100, 200], n_test=300, outer=2, inner=2, coverage_n=400, max_epochs=40)
_ALIGN = {None: "---", "l": ":---", "r": "---:", "c": ":---:"}


def markdown_table(rows, columns: Sequence | None = None, *, digits: int = 3, align: str | None = None) -> str:
    """A GitHub-markdown table (pandas' ``to_markdown`` needs the optional ``tabulate``).

    ``rows`` is a DataFrame (its columns are the header, the index is dropped) or an iterable of row sequences with
    ``columns`` as the header. Floats are written with ``digits`` decimals and NaN as an empty cell; anything else
    with ``str``, a ``|`` inside a cell escaped. ``align`` gives one of ``l``/``r``/``c``/``-`` (default) per
    column.

    >>> print(markdown_table([["a|b", 0.5], ["c", float("nan")]], ["name", "x"], digits=2, align="-r"))
    | name | x |
    |---|---:|
    | a\\|b | 0.50 |
    | c | |
    """
    import numpy as np

    if hasattr(rows, "itertuples"):  # a DataFrame
        columns, rows = (list(rows.columns) if columns is None else columns), rows.itertuples(index=False)

    def cell(v) -> str:
        if isinstance(v, (float, np.floating)):
            text = "" if np.isnan(v) else f"{v:.{digits}f}"
        else:
            text = str(v).replace("|", "\\|")  # a pipe inside a cell would split it
        return f" {text} " if text else " "

    def line(values: Iterable) -> str:
        return "|" + "|".join(cell(v) for v in values) + "|"

    marks = [_ALIGN[a if a != "-" else None] for a in (align or "-" * len(columns))]
    if len(marks) != len(columns):
        raise ValueError(f"align has {len(marks)} entries for {len(columns)} columns")
    return "\n".join([line(columns), "|" + "|".join(marks) + "|", *(line(r) for r in rows)])


def check_claims(bench):
    """One row per claim of the paper: what it says, what was measured, and whether it holds here.

    ``bench`` is a :class:`~binn_graph.genomic.GenomicBenchmark`; returns a DataFrame with columns claim, paper,
    measured, holds (``yes``/``no``/``n/a``). Claims whose tables are absent (models not run) are left out.
    """
    import pandas as pd

    curve = bench.learning_curve.pivot(index="n", columns="model", values="test_mse")
    rho = bench.learning_curve.pivot(index="n", columns="model", values="test_spearman")
    rows = []

    def add(claim, paper, measured, holds):
        rows.append({"claim": claim, "paper": paper, "measured": measured,
                     "holds": "n/a" if holds is None else ("yes" if holds else "no")})

    if {"BINN", "dense MLP"} <= set(curve.columns):
        small, large = curve.index.min(), curve.index.max()
        r_small = curve.loc[small, "BINN"] / curve.loc[small, "dense MLP"]
        r_large = curve.loc[large, "BINN"] / curve.loc[large, "dense MLP"]
        add(f"small n ({small}): BINN test MSE ≤ 35 % of the dense network's", "≈ 25 %", f"{r_small:.0%}",
            r_small <= 0.35)
        add(f"large n ({large}): BINN and dense network about equal (ratio 0.8–1.25)", "≈ 100 %", f"{r_large:.0%}",
            0.8 <= r_large <= 1.25)
    for other, paper in (("GBLUP", "up to +56 % Spearman over GBLUP (maize, sparse data)"),
                         ("ridge (rrBLUP)", "BINN better")):
        if {"BINN", other} <= set(rho.columns):
            wins = int((rho["BINN"] > rho[other]).sum())
            delta = rho["BINN"] - rho[other]
            add(f"BINN beats {other} (test Spearman)", paper,
                f"higher at {wins}/{len(rho)} sizes; Δρ {delta.min():+.3f} to {delta.max():+.3f}", wins == len(rho))
    if "BINN clamp" in bench.sensitivity:
        top = set(bench.sensitivity.nsmallest(2, "BINN rank")["pathway"])
        true_top = set(bench.sensitivity.nsmallest(2, "truth rank")["pathway"])
        order = " > ".join(bench.sensitivity.sort_values("BINN rank")["pathway"])
        add("clamping sensitivity ranks the dominant pathways first (top two)", "sucrose, auxin top two",
            order, top == true_top)
    free = [c for c in bench.latent_correlation.columns if c.startswith("BINN, n=")]
    if free:
        column = max(free, key=lambda c: int(c.split("=")[1]))
        r = bench.latent_correlation.set_index("pathway")[column]
        weakest = r.idxmin()
        add(f"latents correlate with the true intermediates without the constraint ({column}; mean |r| ≥ 0.3, "
            "strigolactone weakest)", "yes; strigolactone weakest",
            ", ".join(f"{p} {v:.2f}" for p, v in r.items()), bool(r.mean() >= 0.3 and weakest == "strigolactone"))
    cov = bench.coverage.set_index("coverage")["mse"]
    if 0.0 in cov.index and 1.0 in cov.index:
        gain = lambda c: cov[0.0] - cov[c]  # noqa: E731
        if 0.5 in cov.index:
            add("soft constraint: 50 % coverage about as good as 100 % (≥ 75 % of its MSE gain)", "≈ equal",
                f"MSE gain {gain(0.5):.3f} vs {gain(1.0):.3f}", gain(1.0) > 0 and gain(0.5) >= 0.75 * gain(1.0))
        if 0.1 in cov.index:
            add("soft constraint: 10 % coverage gives no gain (< 25 % of the 100 % gain)", "no gain",
                f"MSE gain {gain(0.1):.3f} vs {gain(1.0):.3f}", gain(0.1) < 0.25 * max(gain(1.0), 1e-12))
    return pd.DataFrame(rows, columns=["claim", "paper", "measured", "holds"])


def report_markdown(bench, level: int = 1) -> str:
    """The report of a :class:`~binn_graph.genomic.GenomicBenchmark`; ``level`` is the heading depth of its title
    (sections one deeper). Claims are checked here when ``bench.claims`` is empty."""
    h1, h2 = "#" * level, "#" * (level + 1)
    s = bench.settings
    claims = bench.claims if len(bench.claims.columns) else check_claims(bench)
    curve = bench.learning_curve.pivot(index="n", columns="model", values="test_mse")
    spearman = bench.learning_curve.pivot(index="n", columns="model", values="test_spearman")
    lines = [f"{h1} Genomic prediction: synthetic shoot-branching benchmark", "",
             f"Settings: sizes {list(s.get('sizes', []))}, test set {s.get('n_test')} plants, "
             f"{s.get('outer')} outer × {s.get('inner')} inner folds, seed {s.get('seed')}, "
             f"soft constraint λ = {s.get('soft_constraint')} at n = {s.get('coverage_n')}; "
             f"{s.get('seconds', 0):.0f} s in all.", "",
             f"{h2} Claims of Kontolati et al. (2025)", "", markdown_table(claims), "",
             f"{h2} Test MSE (phenotype standardised; lower is better)", "", markdown_table(curve.reset_index()), "",
             f"{h2} Test Spearman ρ", "", markdown_table(spearman.reset_index()), "",
             f"{h2} Soft constraint coverage", "", markdown_table(bench.coverage), "",
             f"{h2} Clamping sensitivity of the pathways (BINN ensemble at the largest n)", "",
             markdown_table(bench.sensitivity), "",
             f"{h2} Latent–truth correlation |r| on the test set", "", markdown_table(bench.latent_correlation), ""]
    return "\n".join(lines)


def plot_learning_curve(bench):
    """Test MSE and Spearman ρ against n, one line per model; a :class:`matplotlib.figure.Figure` (no pyplot)."""
    from matplotlib.figure import Figure

    fig = Figure(figsize=(11, 4))
    axes = fig.subplots(1, 2)
    for name, part in bench.learning_curve.groupby("model", sort=False):
        axes[0].plot(part["n"], part["test_mse"], marker="o", label=name)
        axes[1].plot(part["n"], part["test_spearman"], marker="o", label=name)
    sizes = sorted(bench.learning_curve["n"].unique())
    for ax, label in zip(axes, ["test MSE (standardised phenotype)", "test Spearman ρ"]):
        ax.set_xscale("log", base=2)
        ax.set_xticks(sizes, [str(n) for n in sizes])  # every n labelled (log ticks alone gave one)
        ax.minorticks_off()
        ax.set_xlabel("training plants n (log scale)")
        ax.set_ylabel(label)
        ax.grid(alpha=0.3)
    axes[0].legend(fontsize=8)
    fig.suptitle("Shoot-branching benchmark: learning curve")
    fig.tight_layout()
    return fig


def plot_sensitivity(bench):
    """Each pathway's share of the true and of the BINN's clamp sensitivity; a Figure, or None without the BINN."""
    import numpy as np
    from matplotlib.figure import Figure

    s = bench.sensitivity
    if "BINN clamp" not in s:
        return None
    fig = Figure(figsize=(5, 3.5))
    ax = fig.subplots()
    x = np.arange(len(s))
    ax.bar(x - 0.2, s["truth"] / s["truth"].sum(), 0.4, label="truth (true function)")
    ax.bar(x + 0.2, s["BINN clamp"] / s["BINN clamp"].sum(), 0.4, label="BINN clamp (ensemble)")
    ax.set_xticks(x, s["pathway"])
    ax.set_ylabel("share of total sensitivity")
    ax.legend(fontsize=8)
    fig.tight_layout()
    return fig


def write_report(bench, out_dir: str | Path) -> Path:
    """Check the claims (unless ``bench.claims`` has them) and write the tables (CSV, ``settings.json``),
    ``report.md``, ``learning_curve.png`` and ``sensitivity.png`` into ``out_dir``."""
    if not len(bench.claims.columns):
        bench.claims = check_claims(bench)
    out = bench.write(out_dir)
    for name, fig in (("learning_curve", plot_learning_curve(bench)), ("sensitivity", plot_sensitivity(bench))):
        if fig is not None:
            fig.savefig(out / f"{name}.png", dpi=120)
    (out / "report.md").write_text(report_markdown(bench))
    return out


def _number_list(kind, example: str):
    """An argparse ``type=`` for comma-separated numbers of ``kind`` (a bad list is a usage error naming it)."""
    def parse(text: str) -> list:
        try:
            return [kind(v) for v in text.split(",") if v.strip()]
        except ValueError:
            raise argparse.ArgumentTypeError(f"takes comma-separated {'integers' if kind is int else 'numbers'} "
                                             f"(e.g. {example}), not {text!r}") from None
    return parse


def _genomic(args) -> int:
    import warnings

    from sklearn.exceptions import ConvergenceWarning

    from ..genomic import run_genomic_benchmark

    options = dict(sizes=args.sizes, n_test=args.n_test, outer=args.outer, inner=args.inner,
                   coverages=args.coverages, coverage_n=args.coverage_n,
                   soft_constraint=args.soft_constraint, max_epochs=args.max_epochs, seed=args.seed,
                   models=[m.strip() for m in args.models.split(",")] if args.models else None)
    if args.quick:
        options.update(QUICK)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)  # the dense MLP at its max_epochs: expected, early stops
        bench = run_genomic_benchmark(**options, progress=not args.quiet)
    out = write_report(bench, args.out)
    print(bench.claims.to_string(index=False))
    print(f"report written to {out / 'report.md'}")
    return 0


def add_parser(sub: argparse._SubParsersAction) -> None:
    """Register ``benchmark genomic`` on the CLI's subcommand parser."""
    parser = sub.add_parser("benchmark", help="reproducible benchmark reports")
    kinds = parser.add_subparsers(dest="benchmark", required=True)
    g = kinds.add_parser("genomic", help="shoot-branching learning curve: BINN vs dense, GBLUP, ridge, ElasticNet",
                         description=DESCRIPTION,
                         formatter_class=argparse.RawDescriptionHelpFormatter)
    g.add_argument("--out", required=True, help="output directory")
    g.add_argument("--sizes", type=_number_list(int, "100,200,400"), default="100,200,400,800,1600,3200",
                   help="training-set sizes n (comma-separated)")
    g.add_argument("--n-test", type=int, default=1000, help="independent test plants")
    g.add_argument("--outer", type=int, default=3, help="outer folds of the nested CV")
    g.add_argument("--inner", type=int, default=3, help="inner folds (ensemble members per outer fold)")
    g.add_argument("--coverages", type=_number_list(float, "1,0.5,0.1"), default="1,0.5,0.1",
                   help="soft-constraint coverages (fractions of plants)")
    g.add_argument("--coverage-n", type=int, default=None, help="n of the coverage study (default: middle size)")
    g.add_argument("--soft-constraint", type=float, default=1.0, help="λ of the soft constraint")
    g.add_argument("--max-epochs", type=int, default=200, help="epoch cap of the neural networks (early stopping)")
    g.add_argument("--seed", type=int, default=0, help="seed of the simulated study, the folds and the models")
    g.add_argument("--models", default=None, help="subset, comma-separated (default: all six)")
    g.add_argument("--quick", action="store_true", help="a small run for smoke tests: n 100 and 200, 2 × 2 folds")
    g.add_argument("--quiet", action="store_true", help="no per-model progress lines")
    g.set_defaults(func=_genomic)
