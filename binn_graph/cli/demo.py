"""``binn-graph demo``: the main job on the bundled data.

1. Build the knowledge graph from every bundled database (Reactome 2025 human,
   MSigDB Hallmark, MitoCore SBML, the LEMBAS KEGGnet signed signalling network), merge it
   with provenance, validate, save, and export Turtle and GraphML.
2. Train a BINN (dag mode) on the bundled AKI plasma proteomics cohort with
   Reactome, on a stratified 80/20 split; report the held-out ROC-AUC, the
   logistic-regression baseline on the same split, and save the run.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

from sklearn.metrics import roc_auc_score
from sklearn.model_selection import train_test_split

from kg.datasets import REACTOME_VERSION, data_path, reactome_files
from kg.sources import gmt, reactome, sbml, sif

from ..baselines import linear_model
from ..datasets import load_aki
from ..errors import DataValidationError
from ..estimators import BINNClassifier
from .kg import export, info_text

__all__ = ["add_parser", "run_demo", "AKI_SETTINGS"]

#: Settings used for the AKI cohort throughout (demo, notebooks, benchmarks/bench_aki.py): the defaults (one protein
#: of the cohort is measured in a single sample; where a training split lacks it, it is imputed, reported and warned).
AKI_SETTINGS: dict = {}


def run_demo(output: str | Path, *, export_rdf: bool = True, train: bool = True) -> Path:
    """Run the demo into directory ``output`` and return the saved graph's path."""
    out = Path(output)
    if out.exists() and not out.is_dir():
        raise DataValidationError(f"{out}: exists and is not a directory; give an output directory with -o")
    out.mkdir(parents=True, exist_ok=True)
    start = time.perf_counter()
    rx = reactome.load(**reactome_files(), version=REACTOME_VERSION)
    graph = rx.merge(gmt.load(data_path("genesets/h.all.v2022.1.Hs.symbols.gmt.gz"),
                              database="msigdb_hallmark", version="2022.1"))
    graph = graph.merge(sbml.load(data_path("metabolic/mitocore_v1.01.xml.gz"), database="mitocore"))
    graph = graph.merge(sif.load(data_path("signalling/KEGGnet-LEMBAS.sif"), database="lembas_keggnet"))
    graph.validate().raise_if_invalid()
    graph.save(out / "kg")
    if export_rdf:
        export(graph, "ttl", out / "kg.ttl")
        export(graph, "graphml", out / "kg.graphml")
    print(info_text(graph))
    print(f"\nsaved {out / 'kg'}" + (f", {out / 'kg.ttl'} and {out / 'kg.graphml'}" if export_rdf else "")
          + f" in {time.perf_counter() - start:.1f} s")
    if train:
        _train_aki(rx, out / "aki")
    return out / "kg"


def _train_aki(graph, out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    aki = load_aki()
    X_train, X_test, y_train, y_test = train_test_split(aki.X, aki.y, test_size=0.2, stratify=aki.y, random_state=0)
    start = time.perf_counter()
    clf = BINNClassifier(graph, random_state=0, **AKI_SETTINGS).fit(X_train, y_train)
    seconds = time.perf_counter() - start
    auc = roc_auc_score(y_test, clf.predict_proba(X_test)[:, 1])
    logreg = linear_model("classification", random_state=0).fit(X_train, y_train)
    auc_lr = roc_auc_score(y_test, logreg.predict_proba(X_test)[:, 1])
    clf.save(out / "model.pt")
    metrics = {"held_out_roc_auc": round(float(auc), 4), "logistic_regression_roc_auc": round(float(auc_lr), 4),
               "train_samples": len(X_train), "test_samples": len(X_test), "fit_seconds": round(seconds, 1),
               "layer_sizes": clf.architecture_.layer_sizes, "epochs_run": len(clf.history_.train_loss)}
    (out / "metrics.json").write_text(json.dumps(metrics, indent=2))
    print("\nBINN on AKI plasma proteomics (Reactome, dag mode), stratified 80/20 split:")
    print(json.dumps(metrics, indent=2))
    print(f"saved {out / 'model.pt'}")
    from ..report import demo_report  # the rewired-graph control, importances, stability, flows: report.html

    print(f"report: {demo_report(out.parent / 'report.html', clf, X_train, X_test, y_train, y_test, baseline=logreg)}")


def add_parser(subparsers) -> None:
    parser = subparsers.add_parser("demo", help="build the bundled knowledge graph and train a BINN on AKI")
    parser.add_argument("-o", "--output", default="runs/demo", help="output directory (default runs/demo)")
    parser.add_argument("--no-rdf", action="store_true", help="skip the Turtle and GraphML exports")
    parser.add_argument("--no-train", action="store_true", help="only build the knowledge graph")
    parser.set_defaults(func=lambda a: run_demo(a.output, export_rdf=not a.no_rdf, train=not a.no_train))
