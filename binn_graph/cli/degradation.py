"""``binn-graph degradation build|fit|simulate|specificity``: peptidome degradation graphs from the command line.

Inputs are a FASTA file and a peptide table (CSV/TSV): a ``Peptide`` column, an optional ``Protein`` column (needed
when the FASTA holds several proteins) and intensity columns (every other numeric column, or those matching
``--columns``). Exact duplicate peptide rows are averaged and reported. A peptide equal to the whole protein
sequence is the intact protein (the graph's root). ``--missing`` says what an empty intensity means: refuse
(``error``), not detected = 0 (``zero``), or average over the replicates that detected the peptide
(``detected``, the degradation-graphs paper's convention).
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from ..degradation import (ENZYMES, build_graphs, cleavage_specificity, fit, plot_graph, plot_inflow,  # noqa: E402
                           observed_peptides, plot_specificity, read_fasta, simulate)
from ..errors import DataValidationError  # noqa: E402

__all__ = ["add_parser"]


def _read_table(path: str) -> pd.DataFrame:
    p = Path(path)
    if not p.is_file():
        raise DataValidationError(f"{p}: no such peptide table")
    return pd.read_csv(p, sep="\t" if p.suffix in (".tsv", ".txt") else ",")


def _load(args) -> tuple[list, list]:
    """Graphs and per-protein intensity tables (linear scale) aligned by protein."""
    table = _read_table(args.peptides)
    graphs = build_graphs(args.fasta, table, protein_column=args.protein_column, peptide_column=args.peptide_column,
                          edges=args.edges)
    for g in graphs:
        print(g.report)
    if not getattr(args, "fit_inputs", False):
        return graphs, []
    keys = [c for c in (args.protein_column, args.peptide_column) if c in table.columns]
    values = table.drop(columns=keys)
    values = values.filter(regex=args.columns) if args.columns else values.select_dtypes("number")
    if values.empty:
        raise DataValidationError(f"{args.peptides}: no intensity columns"
                                  + (f" match {args.columns!r}" if args.columns else " (no numeric columns)"))
    if values.isna().any().any():
        if args.missing == "error":
            raise DataValidationError(f"{args.peptides}: {int(values.isna().sum().sum())} missing intensities; "
                                      "pass --missing zero (not detected = 0) or --missing detected (mean over "
                                      "the replicates that detected the peptide)")
        meaning = "not detected (0)" if args.missing == "zero" else \
            "not detected; replicate means over the detecting replicates"
        print(f"{int(values.isna().sum().sum())} missing intensities treated as {meaning}")
    if args.log2:
        values = np.power(2.0, values)
    values[keys] = table[keys]
    protein = args.protein_column if args.protein_column in table.columns else None
    abundances = []
    for g in graphs:
        part = values if protein is None else values[values[protein] == g.protein_id]
        part = part.drop(columns=[protein] if protein else []).groupby(args.peptide_column).mean()
        part.index = part.index.str.strip().str.upper()
        abundances.append(part.loc[part.index.isin(g.peptides + [g.sequence])])  # the rest is in g.report
    return graphs, abundances


def _fit(args):
    graphs, abundances = _load(args)
    result = fit(graphs, abundances, args.method, epochs=args.epochs, lr=args.lr, replicates=args.replicates,
                 seed=args.seed, missing=args.missing)
    return graphs, result


def _write_fit(result, graphs, out: Path, missing: str = "error") -> None:
    result.edge_probabilities.to_csv(out / "edge_probabilities.tsv", sep="\t", index=False)
    pd.DataFrame({"observed": result.observed, "inflow": result.inflow, "absorption": result.absorption,
                  "predicted": result.predicted}).to_csv(out / "nodes.tsv", sep="\t")
    summary = {"method": result.method, "loss_mse": result.loss, "hidden_activity": result.hidden_activity,
               "point_estimate": "gradient descent (MSE)" if result.method == "gd" else "minimum-norm flow",
               "hidden_activity_range": result.hidden_activity_range, "hidden_activity_sd": result.hidden_activity_sd,
               "proteins": [g.protein_id for g in graphs], "edges": graphs[0].mode, "missing": missing}
    if result.replicates is not None:
        result.replicates.to_csv(out / "replicates.tsv", sep="\t")
    (out / "summary.json").write_text(json.dumps(summary, indent=2))
    plot_inflow(result).figure.savefig(out / "inflow.png", dpi=120, bbox_inches="tight")
    if len(graphs) == 1:
        plot_graph(graphs[0], result).figure.savefig(out / "graph.png", dpi=120, bbox_inches="tight")
    lo_hi = "" if result.hidden_activity_range is None else \
        f" (feasible range {result.hidden_activity_range[0]:.2f}–{result.hidden_activity_range[1]:.2f})"
    print(f"hidden activity {result.hidden_activity:.3f}{lo_hi}, MSE {result.loss:.3g}")


def _output(args) -> Path:
    out = Path(args.output)
    out.mkdir(parents=True, exist_ok=True)
    return out


def build_command(args) -> Path:
    graphs, _ = _load(args)
    out = _output(args)
    pd.concat([g.nodes.assign(protein=g.protein_id) for g in graphs]).to_csv(out / "nodes.tsv", sep="\t", index=False)
    pd.concat([g.edges.assign(protein=g.protein_id) for g in graphs]).to_csv(out / "edges.tsv", sep="\t", index=False)
    (out / "report.txt").write_text("\n\n".join(f"{g.protein_id}\n{g.report}" for g in graphs) + "\n")
    for g in graphs[:args.plots]:
        plot_graph(g).figure.savefig(out / f"graph_{g.protein_id}.png", dpi=120, bbox_inches="tight")
    print(f"{len(graphs)} graph(s), {sum(len(g.edges) for g in graphs)} {args.edges} edges → {out}")
    return out


def fit_command(args) -> Path:
    graphs, result = _fit(args)
    out = _output(args)
    _write_fit(result, graphs, out, args.missing)
    print(f"wrote the fit to {out}")
    return out


def specificity_command(args) -> Path:
    graphs, result = _fit(args)
    out = _output(args)
    table = cleavage_specificity(result)
    table.to_csv(out / "specificity.tsv", sep="\t", index=False)
    for kind in ("endo", "exo"):
        if (table.loc[table["kind"] == kind, "weight"] > 0).any():
            plot_specificity(table, kind).figure.savefig(out / f"logo_{kind}.png", dpi=120, bbox_inches="tight")
    top = table[(table["kind"] == "endo") & (table["position"] == "P1")].nlargest(5, "score")
    print("top endo P1 residues:", ", ".join(f"{r} ({s:+.2f})" for r, s in zip(top["residue"], top["score"])))
    return out


def simulate_command(args) -> Path:
    if bool(args.fasta) == bool(args.sequence):
        raise DataValidationError("give exactly one of --fasta and --sequence")
    sequences = read_fasta(args.fasta) if args.fasta else {args.protein_id: args.sequence}
    abundances, graphs = simulate(sequences, args.enzyme, args.n_events, seed=args.seed, min_length=args.min_length,
                                  max_length=args.max_length)
    out = _output(args)
    rows = []
    for pid, a in abundances.items():
        a = observed_peptides(a, pid)
        rows.append(pd.DataFrame({"Protein": pid, "Peptide": a.index, "abundance": a.to_numpy()}))
    pd.concat(rows).to_csv(out / "peptides.csv", index=False)
    pd.concat([g.edges.assign(protein=pid) for pid, g in graphs.items()]).to_csv(out / "true_edges.tsv", sep="\t",
                                                                              index=False)
    first = next(iter(graphs.values()))
    plot_graph(first).figure.savefig(out / "graph.png", dpi=120, bbox_inches="tight")
    print(f"{len(graphs)} protein(s), {sum(len(g.nodes) - 1 for g in graphs.values())} peptides → {out}")
    return out


def _inputs(parser, fit_inputs: bool) -> None:
    parser.add_argument("--fasta", required=True, help="protein sequences (FASTA)")
    parser.add_argument("--peptides", required=True, help="peptide table (CSV or TSV)")
    parser.add_argument("--protein-column", default="Protein")
    parser.add_argument("--peptide-column", default="Peptide")
    parser.add_argument("--edges", choices=["closure", "hasse"], default="closure")
    parser.add_argument("-o", "--output", required=True, help="output directory")
    parser.set_defaults(fit_inputs=fit_inputs)
    if fit_inputs:
        parser.add_argument("--columns", help="regular expression selecting intensity columns (default: numeric)")
        parser.add_argument("--log2", action="store_true", help="intensities are log2 (converted to linear)")
        parser.add_argument("--missing", choices=["error", "zero", "detected"], default="error",
                            help="missing intensities: refuse; treat as not detected (0); or average each peptide "
                                 "over the replicates that detected it")
        parser.add_argument("--method", choices=["gd", "lp"], default="gd")
        parser.add_argument("--replicates", choices=["mean", "each"], default="mean")
        parser.add_argument("--epochs", type=int, default=1000)
        parser.add_argument("--lr", type=float, default=0.05)
        parser.add_argument("--seed", type=int, default=0)


def add_parser(subparsers) -> None:
    parser = subparsers.add_parser("degradation", help="peptidome degradation graphs and the flow model")
    sub = parser.add_subparsers(dest="degradation_command", required=True)
    build = sub.add_parser("build", help="build degradation graphs from a FASTA and a peptide table")
    _inputs(build, fit_inputs=False)
    build.add_argument("--plots", type=int, default=3, help="draw the first N graphs")
    build.set_defaults(func=build_command)
    fitp = sub.add_parser("fit", help="fit the flow model (hidden activity with its feasible range)")
    _inputs(fitp, fit_inputs=True)
    fitp.set_defaults(func=fit_command)
    spec = sub.add_parser("specificity", help="fit, then flow-weighted cleavage specificity and its logo")
    _inputs(spec, fit_inputs=True)
    spec.set_defaults(func=specificity_command)
    sim = sub.add_parser("simulate", help="simulate a digest with a known true graph")
    sim.add_argument("--fasta", help="proteins to digest (FASTA)")
    sim.add_argument("--sequence", help="one sequence instead of --fasta")
    sim.add_argument("--protein-id", default="protein")
    sim.add_argument("--enzyme", choices=sorted(ENZYMES), default="trypsin")
    sim.add_argument("--n-events", type=int, default=500)
    sim.add_argument("--min-length", type=int, default=6)
    sim.add_argument("--max-length", type=int, default=50)
    sim.add_argument("--seed", type=int, default=0)
    sim.add_argument("-o", "--output", required=True, help="output directory")
    sim.set_defaults(func=simulate_command)
