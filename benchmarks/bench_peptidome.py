"""Peptidome cohorts: read_peptidome, fit_cohort and differential on the real wound-fluid cohort.

* Reading: the 11 PEAKS protein-peptide exports (xlsx; needs openpyxl), row counts checked against the data README
  (43,433 rows kept apart by form, 39,187 with forms summed, 14,787 distinct peptides, 595 proteins).
* Fitting: every (sample, protein) with ≥ 20 distinct quantified peptides (closure graphs on the pseudo-sequence of
  placed peptides), 1,000 GD epochs in one batched call, then the feasible ranges (two LPs over the batch).
  Target: GD fits ≤ 60 s.
* Groups: infected (Sample 31, 34, 39) vs non-infected (Sample 13, 21, 33) wound dressings (n = 3 vs 3: descriptive),
  per protein, cut site and specificity residue.

* Urine (``--urine DIR --reactome DIR``): type 1 diabetes vs control (15 vs 15), stratified 5-fold CV ROC-AUC of the
  peptide BINN (peptide → fragment → parent fragments (``cleaved_to`` reversed, Hasse edges by substring
  containment: these peptides have no positions) → protein → Reactome pathway → phenotype), the same BINN on a
  rewired graph (``measures`` and ``member_of`` edges rewired, degrees kept), and logistic regression on peptide
  intensities (log2(1 + area), 0 = not detected) and on protein sums. The estimators have no ``relations``/``reverse`` parameters yet, so this script
  compiles the BINN through a subclass of Architecture that passes them (benchmark only).

Usage:
python benchmarks/bench_peptidome.py /work/shared/data/peptidomics/wound_fluid [--epochs 1000] [--out DIR]
python benchmarks/bench_peptidome.py /work/shared/data/peptidomics/wound_fluid --jobs 1 2
python benchmarks/bench_peptidome.py --urine /work/shared/data/peptidomics/t1d_urine --fits [--min-peptides 10]
python benchmarks/bench_peptidome.py --urine /work/shared/data/peptidomics/t1d_urine \
    --reactome /work/shared/data/reactome
"""

from __future__ import annotations

import argparse
import os
import subprocess
import time
from pathlib import Path

import pandas as pd

from binn_graph.degradation import differential, fit_cohort, read_peptidome

GROUPS = {"Sample 31": "infected", "Sample 34": "infected", "Sample 39": "infected", "Sample 13": "non_infected",
          "Sample 21": "non_infected", "Sample 33": "non_infected"}


def main() -> None:
    """Run the wound-fluid benchmark and print the figures RESULTS.md quotes."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("wound_fluid", nargs="?", help="the wound_fluid data folder (protein-peptides/*.xlsx)")
    parser.add_argument("--urine", help="the t1d_urine data folder: run the urine CV instead")
    parser.add_argument("--reactome", help="folder with UniProt2Reactome.human.txt.gz and ReactomePathwaysRelation")
    parser.add_argument("--min-samples", type=int, default=2, help="urine: keep peptides detected in ≥ N samples")
    parser.add_argument("--fits", action="store_true",
                        help="urine: per-sample degradation fits (peptide-only graphs) and T1D vs control instead")
    parser.add_argument("--min-peptides", type=int, default=10, help="urine --fits: fewest peptides per fit")
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--epochs", type=int, default=1000)
    parser.add_argument("--edges", choices=["closure", "hasse"], default="closure")
    parser.add_argument("--out", help="write the cohort and differential tables here")
    parser.add_argument("--jobs", type=int, nargs="+",
                        help="wound fluid: time fit_cohort at each n_jobs in turn (e.g. --jobs 1 2 2: the second 2 "
                             "reuses the warm worker pool), check the results are identical, and stop")
    args = parser.parse_args()
    print("load before:", os.getloadavg())
    if args.urine:
        return urine_fits(args) if args.fits else urine(args)
    files = sorted(Path(args.wound_fluid, "protein-peptides").glob("*.xlsx"))
    t = time.perf_counter()
    kept = read_peptidome(files, forms="keep")
    read_s = time.perf_counter() - t
    summed = read_peptidome(files)
    print(f"read {len(files)} xlsx exports: {read_s:.1f} s; rows {len(kept):,} (forms kept), {len(summed):,} (summed);"
          f" {summed['peptide'].nunique():,} peptides, {summed['protein'].nunique()} proteins, "
          f"area 0 on {int((kept['area'] == 0).sum()):,} rows")
    if args.jobs:
        return compare_jobs(summed, args)
    t, cpu = time.perf_counter(), time.process_time()
    cohort = fit_cohort(summed, 20, epochs=args.epochs, edges=args.edges)
    total, cpu = time.perf_counter() - t, time.process_time() - cpu
    p = cohort.proteins
    print(f"fit_cohort: {len(p)} (sample, protein) graphs, {p['protein'].nunique()} proteins, "
          f"{int(p['n_peptides'].sum()):,} peptide nodes, {int(p['n_edges'].sum()):,} {args.edges} edges; "
          + ", ".join(f"{k} {v:.1f} s" for k, v in cohort.seconds.items()) + f"; total {total:.1f} s wall, {cpu:.1f} s CPU of this process")
    print("hidden activity: median {:.2f} (IQR {:.2f}-{:.2f}); feasible max median {:.2f}; MSE median {:.2g}".format(
        p["hidden_activity"].median(), *p["hidden_activity"].quantile([0.25, 0.75]),
        p["hidden_activity_max"].median(), p["loss"].median()))
    result = differential(cohort, GROUPS, compare=("non_infected", "infected"))
    d = result.proteins
    print(f"infected vs non-infected: {int(d['p'].notna().sum())} proteins tested (fitted in ≥ 2 samples per group), "
          f"q < 0.05: {int((d['q'] < 0.05).sum())} by hidden activity, {int((d['site_q'] < 0.05).sum())} by sites; "
          f"sites tested {int(result.sites['p'].notna().sum()):,}, q < 0.05: {int((result.sites['q'] < 0.05).sum())}")
    print(d.head(8)[["protein", "n_non_infected", "n_infected", "mean_non_infected", "mean_infected", "effect", "p",
                     "q", "site_p", "site_q", "n_sites"]].to_string(index=False))
    spec = result.specificity.query("position == 'P1' and kind == 'endo'").head(6)
    print(spec.to_string(index=False))
    by_group = p.assign(group=p["sample"].map(GROUPS).fillna("acute")).groupby("group")["hidden_activity"]
    print(by_group.describe()[["count", "mean", "50%", "min", "max"]].to_string())
    if args.out:
        out = Path(args.out)
        out.mkdir(parents=True, exist_ok=True)
        for name in ("proteins", "sites", "specificity"):
            getattr(cohort, name).to_csv(out / f"{name}.tsv", sep="\t", index=False)
            getattr(result, name).to_csv(out / f"differential_{name}.tsv", sep="\t", index=False)
    print("load after:", os.getloadavg(), subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip())


def compare_jobs(summed: pd.DataFrame, args) -> None:
    """fit_cohort at each ``--jobs`` value in turn (a repeated value reuses joblib's warm worker pool): wall time of
    the fits and ranges, and exact equality of every table with the first run's."""
    fits = []
    for n_jobs in args.jobs:
        t = time.perf_counter()
        fits.append(fit_cohort(summed, 20, epochs=args.epochs, edges=args.edges, n_jobs=n_jobs))
        wall = time.perf_counter() - t
        s = fits[-1].seconds
        print(f"n_jobs={n_jobs}: fit_cohort {wall:.1f} s wall; fits + ranges {s['fit_and_ranges_wall']:.1f} s wall "
              f"(fits {s['fit']:.1f} s + ranges {s['ranges']:.1f} s summed over batches); load {os.getloadavg()}",
              flush=True)
    for other in fits[1:]:
        for name in ("proteins", "edges", "sites", "specificity", "observed"):
            pd.testing.assert_frame_equal(getattr(fits[0], name), getattr(other, name), check_exact=True)
    print(f"tables identical for n_jobs in {args.jobs}; {len(fits[0].proteins)} graphs")


def urine_fits(args) -> None:
    """Urine: fit_cohort on peptide-only graphs (no Start/End, no FASTA) and differential T1D vs control."""
    files = sorted(Path(args.urine).glob("*-pep*.csv"))
    t = time.perf_counter()
    pep = read_peptidome(files)
    print(f"read {len(files)} exports: {time.perf_counter() - t:.1f} s; {len(pep):,} rows, {pep['sample'].nunique()} "
          f"samples, {pep['protein'].nunique()} proteins; with Start/End: {int(pep['start'].notna().sum())} rows")
    t, cpu = time.perf_counter(), time.process_time()
    cohort = fit_cohort(pep, args.min_peptides, epochs=args.epochs, edges=args.edges)
    total, cpu = time.perf_counter() - t, time.process_time() - cpu
    p = cohort.proteins
    free = sum(not g.placed for g in cohort.graphs.values())
    print(f"fit_cohort(min_peptides={args.min_peptides}): {len(p)} (sample, protein) graphs ({free} peptide-only), "
          f"{p['protein'].nunique()} proteins, {p['sample'].nunique()} samples, {int(p['n_peptides'].sum()):,} peptide "
          f"nodes, {int(p['n_edges'].sum()):,} {args.edges} edges; "
          + ", ".join(f"{k} {v:.1f} s" for k, v in cohort.seconds.items()) + f"; total {total:.1f} s wall, "
          f"{cpu:.1f} s CPU")
    print("hidden activity: median {:.2f} (IQR {:.2f}-{:.2f}); feasible max median {:.2f}; MSE median {:.2g}".format(
        p["hidden_activity"].median(), *p["hidden_activity"].quantile([0.25, 0.75]),
        p["hidden_activity_max"].median(), p["loss"].median()))
    groups = {s: ("control" if s.startswith("control") else "T1D") for s in cohort.samples}
    result = differential(cohort, groups, compare=("control", "T1D"))
    d = result.proteins
    print(f"T1D vs control ({sum(g == 'T1D' for g in groups.values())} vs "
          f"{sum(g == 'control' for g in groups.values())} fitted samples): {int(d['p'].notna().sum())} proteins "
          f"tested, q < 0.05: {int((d['q'] < 0.05).sum())}; specificity rows tested "
          f"{int(result.specificity['p'].notna().sum())}, q < 0.05: {int((result.specificity['q'] < 0.05).sum())}")
    print(d.head(8)[["protein", "n_control", "n_T1D", "mean_control", "mean_T1D", "effect", "p", "q"]]
          .to_string(index=False))
    print(result.specificity.head(8).to_string(index=False))
    print(result.report)
    print("load after:", os.getloadavg())


def urine(args) -> None:
    """Cross-validated ROC-AUC on the urine peptidomes: peptide BINN, rewired BINN, logistic regressions."""
    import numpy as np
    from sklearn.base import clone
    from sklearn.metrics import roc_auc_score
    from sklearn.model_selection import StratifiedKFold

    import binn_graph.estimators as estimators
    from binn_graph import BINNClassifier
    from binn_graph.architecture import Architecture
    from binn_graph.baselines import linear_model
    from binn_graph.degradation import PEPTIDE_RELATIONS, peptidome_graph

    class PeptideArchitecture(Architecture):
        """Architecture.from_graph with the peptide relations and cleaved_to reversed (benchmark only)."""

        @classmethod
        def from_graph(cls, graph, input_type="peptide", features=None, mode="dag", n_levels=None, **kw):
            return Architecture.from_graph(graph, input_type, features, mode, n_levels, relations=PEPTIDE_RELATIONS,
                                           reverse=("cleaved_to",), **kw)

    estimators.Architecture = PeptideArchitecture
    files = sorted(Path(args.urine).glob("*-pep*.csv"))
    pep = read_peptidome(files)
    detected = pep[pep["area"] > 0]
    areas = detected.pivot_table(index="sample", columns="peptide", values="area", aggfunc="first")
    areas = areas.loc[:, areas.notna().sum() >= args.min_samples]
    matrix = np.log2(1 + areas.fillna(0.0))  # not detected: 0
    y = np.array([0 if s.startswith("control") else 1 for s in matrix.index])
    kept = detected[detected["peptide"].isin(matrix.columns)]
    proteins = np.log2(1 + detected.groupby(["sample", "protein"])["area"].sum().unstack()
                       .reindex(matrix.index).fillna(0.0))  # every detected peptide of a protein, summed
    mapping = pd.read_csv(Path(args.reactome) / "UniProt2Reactome.human.txt.gz", sep="\t", header=None,
                          usecols=[0, 1, 5], names=["protein", "pathway", "species"])
    mapping = mapping[mapping["species"] == "Homo sapiens"]
    relation = pd.read_csv(Path(args.reactome) / "ReactomePathwaysRelation.human.txt", sep="\t", header=None,
                           names=["parent", "child"])
    relation = relation[relation["parent"].str.startswith("R-HSA-") & relation["child"].str.startswith("R-HSA-")]
    graph = peptidome_graph(kept, mapping, relation)
    arch = PeptideArchitecture.from_graph(graph, "peptide", list(matrix.columns))
    print(f"urine: {len(matrix)} samples ({int(y.sum())} T1D), {matrix.shape[1]} peptides detected in ≥ "
          f"{args.min_samples} samples, {proteins.shape[1]} proteins; BINN {len(arch.input_ids)} inputs, "
          f"{len(arch.nodes)} nodes, {len(arch.edges)} edges, {int(arch.nodes['level'].max())} levels")
    rewired = graph.rewire(("peptide", "measures", "fragment"), seed=0).rewire(("protein", "member_of", "pathway"),
                                                                                  seed=0)
    binn = BINNClassifier(graph, input_type="peptide", random_state=0, max_epochs=200)
    models = {"peptide BINN": (binn, matrix), "peptide BINN, rewired graph": (clone(binn).set_params(graph=rewired),
                                                                             matrix),
              "logistic regression, peptides": (linear_model(random_state=0), matrix),
              "logistic regression, protein sums": (linear_model(random_state=0), proteins)}
    folds = list(StratifiedKFold(args.folds, shuffle=True, random_state=0).split(matrix, y))
    for name, (model, X) in models.items():
        t = time.perf_counter()
        aucs = []
        for train, test in folds:
            m = clone(model).fit(X.iloc[train], y[train])
            aucs.append(roc_auc_score(y[test], m.predict_proba(X.iloc[test])[:, 1]))
        print(f"{name}: ROC-AUC {np.mean(aucs):.3f} ± {np.std(aucs):.3f} (folds {', '.join(f'{a:.2f}' for a in aucs)}"
              f"; {time.perf_counter() - t:.0f} s)")
    print("load after:", os.getloadavg())


if __name__ == "__main__":
    pd.set_option("display.width", 160)
    main()
