"""binn-graph degradation build|fit|simulate|specificity|cohort: peptidome degradation graphs from the command line.

cohort reads peptidomics exports (PEAKS files, one per sample, or a wide table), fits every protein with enough
peptides in every sample, and with --groups compares two groups (differential proteolysis).

Inputs are a FASTA file and a peptide table (CSV/TSV): a Peptide column, an optional Protein column (needed
when the FASTA holds several proteins) and intensity columns (every other numeric column, or those matching
--columns). Exact duplicate peptide rows are averaged and reported. A peptide equal to the whole protein
sequence is the intact protein (the graph's root). Intensities are linear unless --log2 says they are log2; a table
that looks log2 (values within about 5-40, -inf or negative cells) is warned about, and -inf cells without --log2 are
refused. --missing says what an empty intensity means: refuse (error), not detected = 0 (zero), or average over
the replicates that detected the peptide (detected, the degradation-graphs paper's convention).
"""

from __future__ import annotations

import argparse
import json
import logging
import re
from pathlib import Path

import numpy as np
import pandas as pd

from ..degradation import (
    ENZYMES,
    build_graphs,
    cleavage_specificity,
    differential,
    fit,
    fit_cohort,
    observed_peptides,
    plot_graph,
    plot_inflow,
    plot_peptigram,
    plot_specificity,
    plot_volcano,
    read_fasta,
    read_peptidome,
    simulate,
)
from ..degradation.scale import LINEAR_MIN_MAX, check_scale
from ..errors import DataValidationError
from ..io import _read_any
from .train import _positive_int

__all__ = ["add_parser"]

logger = logging.getLogger(__name__)


def _read_table(path: str) -> pd.DataFrame:
    p = Path(path)
    if not p.is_file():
        raise DataValidationError(f"{p}: no such peptide table" + (" (a directory)" if p.is_dir() else ""))
    table = _read_any(p, index_col=None)
    if table.empty:
        raise DataValidationError(f"{p}: the peptide table has a header but no rows")
    return table


def _read_sequences(path: str) -> dict:
    p = Path(path)
    if not p.is_file():
        raise DataValidationError(f"{p}: no such FASTA file" + (" (a directory)" if p.is_dir() else ""))
    try:
        return read_fasta(p)
    except UnicodeDecodeError as exc:
        raise DataValidationError(f"{p}: not a text FASTA file ({exc.reason} at byte {exc.start})") from None


def _cells(cells: list[tuple[str, str]], table: pd.DataFrame, args) -> str:
    """Cells named for the user: peptide, column and the file's line (the first five)."""
    peptides = table[args.peptide_column].astype(str) if args.peptide_column in table.columns else None
    named = [f"{peptides.loc[int(row)] + ', ' if peptides is not None else ''}{col} (line {int(row) + 2})"
             for row, col in cells[:5]]
    return "; ".join(named) + (f"; and {len(cells) - 5} more" if len(cells) > 5 else "")


def _intensities(table: pd.DataFrame, keys: list[str], args) -> pd.DataFrame:
    """The intensity columns as numbers: every numeric column, or those matching --columns (numeric or refused)."""
    values = table.drop(columns=keys)
    if args.columns:
        values = values.filter(regex=args.columns)
        bad = [c for c in values.columns if not pd.api.types.is_numeric_dtype(values[c])]
        if bad:
            column = bad[0]
            numbers = pd.to_numeric(values[column], errors="coerce")
            row = int(np.flatnonzero(numbers.isna() & values[column].notna())[0])
            raise DataValidationError(f"{args.peptides}, line {row + 2}, column {column!r}: "
                                      f"{values[column].iloc[row]!r} is not a number; --columns {args.columns!r} "
                                      "must select intensity columns only")
    else:
        values = values.select_dtypes("number")
    if values.empty:
        raise DataValidationError(f"{args.peptides}: no intensity columns"
                                  + (f" match --columns {args.columns!r}" if args.columns else
                                     f" (no numeric column besides {', '.join(keys)}); found "
                                     f"{list(table.columns)}"))
    return values.astype(float)


def _check_scale(values: pd.DataFrame, table: pd.DataFrame, args) -> None:
    """Refuse what cannot be right (-inf without --log2, +inf, overflowing 2**x) and warn about a log2-looking
    table fitted as linear."""
    scale = check_scale(values)
    if scale.plus_inf:
        raise DataValidationError(f"{args.peptides}: {len(scale.plus_inf)} intensities are +inf "
                                  f"({_cells(scale.plus_inf, table, args)}); fix or remove them")
    if args.log2:
        if scale.looks_linear:
            raise DataValidationError(f"{args.peptides}: --log2 says the intensities are log2, but {scale.reason} "
                                      f"(above {LINEAR_MIN_MAX:g}, 2**x overflows); leave out --log2 for linear "
                                      "intensities")
        return
    if scale.minus_inf:
        raise DataValidationError(f"{args.peptides}: {len(scale.minus_inf)} intensities are -inf "
                                  f"({_cells(scale.minus_inf, table, args)}): the table looks log2 (log2 of a zero "
                                  "area is -inf); pass --log2 to convert it to linear intensities (2**x, so -inf "
                                  "becomes 0, not detected)")
    if scale.looks_log2:
        logger.warning(f"{args.peptides}: the intensities look log2: {scale.reason}. They are fitted as linear "
                       "intensities; pass --log2 if they are log2 (the fit differs)")


def _load(args) -> tuple[list, list]:
    """Graphs and per-protein intensity tables (linear scale) aligned by protein."""
    table = _read_table(args.peptides)
    sequences = _read_sequences(args.fasta)
    for column, option in ((args.peptide_column, "--peptide-column"),):
        if column not in table.columns:
            raise DataValidationError(f"{args.peptides}: no {column!r} column (found {list(table.columns)}); name "
                                      f"the peptide column with {option}")
    if args.protein_column not in table.columns and len(sequences) > 1:
        raise DataValidationError(f"{args.peptides}: no {args.protein_column!r} column (found "
                                  f"{list(table.columns)}), and {args.fasta} holds {len(sequences)} proteins; add a "
                                  "column naming each peptide's protein (--protein-column)")
    keys = [c for c in (args.protein_column, args.peptide_column) if c in table.columns]
    values = _intensities(table, keys, args) if getattr(args, "fit_inputs", False) else None
    if values is not None:
        _check_scale(values, table, args)
    graphs = build_graphs(sequences, table, protein_column=args.protein_column, peptide_column=args.peptide_column,
                          edges=args.edges)
    for g in graphs:
        logger.info(str(g.report))
    if values is None:
        return graphs, []
    if values.isna().any().any():
        if args.missing == "error":
            rows, cols = np.nonzero(values.isna().to_numpy())
            cells = _cells([(str(values.index[r]), str(values.columns[c])) for r, c in zip(rows, cols)], table, args)
            raise DataValidationError(f"{args.peptides}: {int(values.isna().sum().sum())} missing intensities "
                                      f"({cells}); "
                                      "pass --missing zero (not detected = 0) or --missing detected (mean over "
                                      "the replicates that detected the peptide)")
        meaning = "not detected (0)" if args.missing == "zero" else \
            "not detected; replicate means over the detecting replicates"
        logger.info(f"{int(values.isna().sum().sum())} missing intensities treated as {meaning}")
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
                 seed=args.seed, missing=args.missing, device=args.device)
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
    """``degradation build``: the degradation graphs and their figures; returns the output directory."""
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
    """``degradation fit``: fit flows and hidden activity, write tables and figures; returns the output directory."""
    graphs, result = _fit(args)
    out = _output(args)
    _write_fit(result, graphs, out, args.missing)
    print(f"wrote the fit to {out}")
    return out


def specificity_command(args) -> Path:
    """``degradation specificity``: fit, then the cleavage-site specificity tables and logos."""
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
    """``degradation simulate``: a simulated peptidome from a FASTA or sequence, with its true flows."""
    if bool(args.fasta) == bool(args.sequence):
        raise DataValidationError("give exactly one of --fasta and --sequence")
    sequences = _read_sequences(args.fasta) if args.fasta else {args.protein_id: args.sequence}
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


def _read_groups(path: str) -> dict[str, str]:
    """``{sample: group}`` from a CSV/TSV with columns sample and group."""
    table = _read_any(Path(path), index_col=None)
    lower = {str(c).lower(): c for c in table.columns}
    if "sample" not in lower or "group" not in lower:
        raise DataValidationError(f"{path}: the groups file needs columns 'sample' and 'group' (found "
                                  f"{list(table.columns)})")
    sample, group = table[lower["sample"]].astype(str), table[lower["group"]]
    if group.isna().any():
        row = int(np.flatnonzero(group.isna())[0])
        raise DataValidationError(f"{path}, line {row + 2}: sample {sample.iloc[row]!r} has no group")
    dup = sample[sample.duplicated()].tolist()
    if dup:
        raise DataValidationError(f"{path}: sample(s) {dup[:3]} are listed more than once")
    return dict(zip(sample, group.astype(str)))


def _n_jobs(text: str) -> int:
    """argparse type of ``--n-jobs``: a non-zero integer (scikit-learn's convention; -1 = every core)."""
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value == 0:
        raise argparse.ArgumentTypeError(f"must be a non-zero integer (N workers, -1 every core), not {text}")
    return value


def cohort_command(args) -> Path:
    """``degradation cohort``: per-sample, per-protein fits of a peptidome cohort and, with --groups, the
    differential test between two groups; returns the output directory."""
    groups = _read_groups(args.groups) if args.groups else None
    peptidome = read_peptidome(args.peptides, args.format, forms=args.forms, shared=args.shared,
                               ids="any" if args.any_ids else "uniprot")
    sequences = _read_sequences(args.fasta) if args.fasta else None
    if groups is not None:  # refuse bad labels before the fits
        present = [s for s in dict.fromkeys(peptidome["sample"]) if s in groups]
        if not present:
            raise DataValidationError(f"{args.groups}: none of its samples {sorted(groups)[:3]} is in the peptidome "
                                      f"(samples: {sorted(peptidome['sample'].unique())[:5]})")
        sizes = pd.Series([groups[s] for s in present]).value_counts()
        wanted = list(args.compare) if args.compare else list(sizes.index)
        small = {g: int(sizes.get(g, 0)) for g in wanted if sizes.get(g, 0) < 2}
        if small:
            raise DataValidationError(f"{args.groups}: group(s) {small} have fewer than 2 samples in the peptidome "
                                      "(samples per group: " + ", ".join(f"{g} {n}" for g, n in sizes.items())
                                      + "); a test needs at least 2 per group")
    cohort = fit_cohort(peptidome, args.min_peptides, sequences=sequences, method=args.method, edges=args.edges,
                        epochs=args.epochs, lr=args.lr, seed=args.seed, feasible_range=not args.no_range,
                        n_jobs=args.n_jobs, device=args.device)
    out = _output(args)
    for name in ("proteins", "sites", "specificity", "edges"):
        getattr(cohort, name).to_csv(out / f"{name}.tsv", sep="\t", index=False)
    report = cohort.report
    summary = {"samples": cohort.samples, "pairs_fitted": len(cohort.proteins),
               "proteins": int(cohort.proteins["protein"].nunique()), "min_peptides": args.min_peptides,
               "method": args.method, "edges": args.edges}
    print(f"{len(cohort.proteins)} (sample, protein) fits: {summary['proteins']} proteins in "
          f"{len(cohort.samples)} samples → {out}")
    if groups is not None:
        compare = tuple(args.compare) if args.compare else None
        result = differential(cohort, groups, compare=compare)
        report.extend(result.report)
        for name in ("proteins", "sites", "specificity"):
            getattr(result, name).to_csv(out / f"differential_{name}.tsv", sep="\t", index=False)
            if getattr(result, name)["p"].notna().any():
                plot_volcano(result, name).figure.savefig(out / f"volcano_{name}.png", dpi=120, bbox_inches="tight")
        tested = result.proteins.dropna(subset=["site_p"])
        protein = args.plot_protein or (tested.sort_values("site_p")["protein"].iloc[0] if len(tested) else None)
        if protein is not None:
            plot_peptigram(cohort, protein, groups, compare).savefig(out / f"peptigram_{protein}.png", dpi=120,
                                                                      bbox_inches="tight")
        summary.update(groups=list(result.groups), group_samples=result.samples,
                       proteins_q05=int((result.proteins["q"] < 0.05).sum()),
                       sites_q05=int((result.sites["q"] < 0.05).sum()),
                       specificity_q05=int((result.specificity["q"] < 0.05).sum()))
        print(f"{result.groups[1]} vs {result.groups[0]}: q < 0.05 for {summary['proteins_q05']} proteins "
              f"(hidden activity), {summary['sites_q05']} cut sites, {summary['specificity_q05']} specificity "
              "residues")
    (out / "report.txt").write_text(str(report) + "\n")
    (out / "summary.json").write_text(json.dumps(summary, indent=2))
    return out


def _regex(text: str) -> str:
    try:
        re.compile(text)
    except re.error as exc:
        raise argparse.ArgumentTypeError(f"not a regular expression ({exc})") from None
    return text


def _positive_float(text: str) -> float:
    value = float(text)
    if not value > 0:
        raise argparse.ArgumentTypeError(f"must be a positive number, not {text}")
    return value


_regex.__name__ = "regular expression"
_positive_float.__name__ = "positive number"


def _inputs(parser, fit_inputs: bool) -> None:
    parser.add_argument("--fasta", required=True, help="protein sequences (FASTA; UniProt headers give accessions)")
    parser.add_argument("--peptides", required=True,
                        help="peptide table (CSV, or TSV named .tsv/.txt): one row per peptide, a peptide column, "
                             "an optional protein column and intensity columns")
    parser.add_argument("--protein-column", default="Protein",
                        help="column naming each peptide's protein (default Protein; optional for a one-protein "
                             "FASTA)")
    parser.add_argument("--peptide-column", default="Peptide", help="column of peptide sequences (default Peptide)")
    parser.add_argument("--edges", choices=["closure", "hasse"], default="closure",
                        help="closure: an edge wherever one peptide can be cut out of another (default); hasse: "
                             "its transitive reduction (only direct cuts)")
    parser.add_argument("-o", "--output", required=True, help="output directory")
    parser.set_defaults(fit_inputs=fit_inputs)
    if fit_inputs:
        parser.add_argument("--columns", type=_regex,
                            help="regular expression selecting the intensity columns (default: every numeric column)")
        parser.add_argument("--log2", action="store_true",
                            help="intensities are log2 (converted to linear 2**x; -inf becomes 0); a table that "
                                 "looks log2 without this flag is warned about, one with -inf cells refused")
        parser.add_argument("--missing", choices=["error", "zero", "detected"], default="error",
                            help="missing intensities: refuse (error, default); treat as not detected, 0 (zero); or "
                                 "average each peptide over the replicates that detected it (detected)")
        parser.add_argument("--method", choices=["gd", "lp"], default="gd",
                            help="gd: gradient descent on the squared error (default); lp: exact mass conservation, "
                                 "the minimum-norm flow with the feasible range from two linear programs")
        parser.add_argument("--replicates", choices=["mean", "each"], default="mean",
                            help="fit the replicate mean (default) or every replicate (adds replicates.tsv)")
        parser.add_argument("--epochs", type=_positive_int, default=1000,
                            help="gradient-descent epochs (method gd; default 1000)")
        parser.add_argument("--lr", type=_positive_float, default=0.05,
                            help="gradient-descent learning rate (method gd; default 0.05)")
        parser.add_argument("--seed", type=int, default=0, help="random seed of the initialisation (default 0)")
        parser.add_argument("--device", choices=["cpu", "cuda", "auto"], default="cpu",
                            help="where the gradient-descent epochs run (auto: CUDA where available; default cpu)")


def add_parser(subparsers) -> None:
    """Register ``binn-graph degradation`` and its subcommands."""
    parser = subparsers.add_parser("degradation", help="peptidome degradation graphs and the flow model",
                                   description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="degradation_command", required=True, metavar="COMMAND")
    build = sub.add_parser("build", help="build degradation graphs from a FASTA and a peptide table")
    _inputs(build, fit_inputs=False)
    build.add_argument("--plots", type=int, default=3, help="draw the first N graphs (default 3)")
    build.set_defaults(func=build_command)
    fitp = sub.add_parser("fit", help="fit the flow model (hidden activity with its feasible range)")
    _inputs(fitp, fit_inputs=True)
    fitp.set_defaults(func=fit_command)
    spec = sub.add_parser("specificity", help="fit, then flow-weighted cleavage specificity and its logo")
    _inputs(spec, fit_inputs=True)
    spec.set_defaults(func=specificity_command)
    sim = sub.add_parser("simulate", help="simulate a digest with a known true graph")
    sim.add_argument("--fasta", help="proteins to digest (FASTA); or give --sequence")
    sim.add_argument("--sequence", help="one protein sequence instead of --fasta")
    sim.add_argument("--protein-id", default="protein", help="id of the --sequence protein (default protein)")
    sim.add_argument("--enzyme", choices=sorted(ENZYMES), default="trypsin", help="protease (default trypsin)")
    sim.add_argument("--n-events", type=_positive_int, default=500,
                     help="cleavage events per protein (default 500)")
    sim.add_argument("--min-length", type=_positive_int, default=6,
                     help="shortest observable peptide (default 6)")
    sim.add_argument("--max-length", type=_positive_int, default=50, help="longest observable peptide (default 50)")
    sim.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    sim.add_argument("-o", "--output", required=True, help="output directory")
    sim.set_defaults(func=simulate_command)
    coh = sub.add_parser("cohort", help="fit every protein of every sample of a peptidome cohort; compare groups")
    coh.add_argument("--peptides", required=True, nargs="+",
                     help="peptidome files: PEAKS exports (one per sample, CSV/TSV/xlsx), or one wide table with "
                          "--format table")
    coh.add_argument("--format", choices=["peaks", "table", "long"], default="peaks",
                     help="peaks (default): PEAKS peptide or protein-peptide exports; table: protein, peptide, "
                          "optional start/end and one area column per sample; long: sample, protein, peptide, area")
    coh.add_argument("--groups", help="CSV/TSV with columns sample and group; runs the differential test")
    coh.add_argument("--compare", nargs=2, metavar=("REFERENCE", "OTHER"),
                     help="the two groups to compare (needed with more than two; effects are OTHER − REFERENCE)")
    coh.add_argument("--fasta", help="protein sequences for peptides without Start/End (without it, such proteins are "
                                    "fitted from the peptides alone: containment, unknown residues X)")
    coh.add_argument("--min-peptides", type=_positive_int, default=20,
                     help="fewest distinct quantified peptides of a protein in a sample to fit it (default 20)")
    coh.add_argument("--forms", choices=["sum", "keep"], default="sum",
                     help="modified forms of a peptide in a sample: sum their areas (default) or keep them apart")
    coh.add_argument("--shared", choices=["split", "first", "drop", "group"], default="split",
                     help="peptides of several proteins: a row per protein (split, default), the first, drop them, "
                          "or keep the protein group")
    coh.add_argument("--any-ids", action="store_true",
                     help="keep protein ids as written (default: UniProt accessions, sp|P12345|NAME_HUMAN or "
                          "P12345; anything else is refused)")
    coh.add_argument("--edges", choices=["closure", "hasse"], default="closure", help="graph edges (default closure)")
    coh.add_argument("--method", choices=["gd", "lp"], default="gd", help="flow fit (default gd)")
    coh.add_argument("--epochs", type=_positive_int, default=1000, help="gradient-descent epochs (default 1000)")
    coh.add_argument("--lr", type=_positive_float, default=0.05, help="gradient-descent learning rate (default 0.05)")
    coh.add_argument("--seed", type=int, default=0, help="random seed of the initialisation (default 0)")
    coh.add_argument("--no-range", action="store_true", help="skip the feasible ranges of hidden activity (two LPs)")
    coh.add_argument("--device", choices=["cpu", "cuda", "auto"], default="cpu",
                     help="where the gradient-descent epochs run (auto: CUDA where available; default cpu)")
    coh.add_argument("--n-jobs", type=_n_jobs, default=None,
                     help="batches of graphs fitted in parallel: N worker processes, -1 every core (default: this "
                          "process); the results do not depend on it")
    coh.add_argument("--plot-protein", help="protein of the peptigram (default: the smallest site p-value)")
    coh.add_argument("-o", "--output", required=True, help="output directory")
    coh.set_defaults(func=cohort_command)
