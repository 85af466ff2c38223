"""Peptidome cohorts: read_peptidome, fit_cohort and differential on the real wound-fluid cohort.

* Reading: the 11 PEAKS protein-peptide exports (xlsx; needs openpyxl), row counts checked against the data README
  (43,433 rows kept apart by form, 39,187 with forms summed, 14,787 distinct peptides, 595 proteins).
* Fitting: every (sample, protein) with ≥ 20 distinct quantified peptides (closure graphs on the pseudo-sequence of
  placed peptides), 1,000 GD epochs in one batched call, then the feasible ranges (two LPs over the batch).
  Target: GD fits ≤ 60 s.
* Groups: infected (Sample 31, 34, 39) vs non-infected (Sample 13, 21, 33) wound dressings (n = 3 vs 3: descriptive),
  per protein, cut site and specificity residue.

Usage:
python benchmarks/bench_peptidome.py /work/shared/data/peptidomics/wound_fluid [--epochs 1000] [--out DIR]
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
    parser.add_argument("wound_fluid", help="the wound_fluid data folder (protein-peptides/*.xlsx)")
    parser.add_argument("--epochs", type=int, default=1000)
    parser.add_argument("--edges", choices=["closure", "hasse"], default="closure")
    parser.add_argument("--out", help="write the cohort and differential tables here")
    args = parser.parse_args()
    print("load before:", os.getloadavg())
    files = sorted(Path(args.wound_fluid, "protein-peptides").glob("*.xlsx"))
    t = time.perf_counter()
    kept = read_peptidome(files, forms="keep")
    read_s = time.perf_counter() - t
    summed = read_peptidome(files)
    print(f"read {len(files)} xlsx exports: {read_s:.1f} s; rows {len(kept):,} (forms kept), {len(summed):,} (summed);"
          f" {summed['peptide'].nunique():,} peptides, {summed['protein'].nunique()} proteins, "
          f"area 0 on {int((kept['area'] == 0).sum()):,} rows")
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


if __name__ == "__main__":
    pd.set_option("display.width", 160)
    main()
