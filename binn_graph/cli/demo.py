"""``binn-graph demo``: the main job on the bundled data.

1. Build the knowledge graph from every bundled database (Reactome 2025 human,
   MSigDB Hallmark, MitoCore SBML, the LEMBAS KEGGnet signed signalling network), map
   their gene ids onto UniProt accessions through the bundled HGNC table (Hallmark's
   symbols and MitoCore's Ensembl ids; Reactome and KEGGnet already use UniProt), so
   that the merged graph is one connected graph, merge it with provenance, validate,
   save, and export Turtle and GraphML. What did not map is printed and kept in the
   graph's build report.
2. Train a BINN (dag mode) on the bundled AKI plasma proteomics cohort with
   Reactome, on a stratified 80/20 split; report the held-out ROC-AUC, the
   logistic-regression baseline on the same split, and save the run.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import numpy as np
import pandas as pd
import scipy.sparse as sp
from scipy.sparse import csgraph
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import train_test_split

from kg import KnowledgeGraph
from kg.datasets import REACTOME_VERSION, data_path, reactome_files
from kg.sources import gmt, idmap, reactome, sbml, sif

from ..baselines import linear_model
from ..datasets import load_aki
from ..errors import DataValidationError
from ..estimators import BINNClassifier
from .kg import export

__all__ = ["add_parser", "run_demo", "build_demo_graph", "connected_components", "summary_text", "AKI_SETTINGS"]

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
    graph = build_demo_graph(rx)
    graph.validate().raise_if_invalid()
    graph.save(out / "kg")
    if export_rdf:
        export(graph, "ttl", out / "kg.ttl")
        export(graph, "graphml", out / "kg.graphml")
    print(summary_text(graph))
    print(f"\nsaved {out / 'kg'}" + (f", {out / 'kg.ttl'} and {out / 'kg.graphml'}" if export_rdf else "")
          + f" in {time.perf_counter() - start:.1f} s")
    if train:
        _train_aki(rx, out / "aki")
    return out / "kg"


def build_demo_graph(reactome_graph: KnowledgeGraph | None = None) -> KnowledgeGraph:
    """The demo's merged graph: Reactome, Hallmark, MitoCore and KEGGnet, with every gene and protein a UniProt id.

    Hallmark's gene symbols and MitoCore's Ensembl gene ids become ``protein`` nodes through the bundled HGNC table
    (:func:`kg.sources.idmap.map_graph`); ids HGNC does not map are dropped and, like the ids that map to several
    accessions (all kept), recorded in the graph's build report.
    """
    rx = reactome.load(**reactome_files(), version=REACTOME_VERSION) if reactome_graph is None else reactome_graph
    hallmark = gmt.load(data_path("genesets/h.all.v2022.1.Hs.symbols.gmt.gz"), database="msigdb_hallmark",
                        version="2022.1")
    hallmark = idmap.map_graph(hallmark, "gene", "uniprot", from_ns="symbol", new_type="protein",
                               source="idmap msigdb_hallmark")
    mitocore = sbml.load(data_path("metabolic/mitocore_v1.01.xml.gz"), database="mitocore")
    mitocore = idmap.map_graph(mitocore, "gene", "uniprot", from_ns="ensembl", new_type="protein",
                               source="idmap mitocore")
    graph = rx.merge(hallmark).merge(mitocore)
    return graph.merge(sif.load(data_path("signalling/KEGGnet-LEMBAS.sif"), database="lembas_keggnet"))


def summary_text(graph: KnowledgeGraph) -> str:
    """What the demo prints about its graph: counts, validation, connectivity, and the build report's non-zero
    entries (the full report is saved with the graph; ``binn-graph kg info`` prints it)."""
    components = connected_components(graph)
    sizes = components["component"].value_counts()
    lines = [repr(graph), "", graph.summary().to_string(index=False), "", f"validation: {graph.validate()}",
             f"connectivity: {len(sizes)} connected component(s); the largest holds {sizes.iloc[0]:,} of "
             f"{len(components):,} nodes", "", "build report (entries with a count of 0 left out):"]
    lines += [str(entry) for entry in graph.report.entries if entry.count]
    return "\n".join(lines)


def connected_components(graph: KnowledgeGraph) -> pd.DataFrame:
    """Weakly connected components over every node and edge type: ``node_type``, ``id``, ``component`` (0 = the
    largest)."""
    offsets, start = {}, 0
    for t in graph.node_types:
        offsets[t] = start
        start += graph.num_nodes(t)
    rows, cols = [], []
    for et in graph.edge_types:
        index = graph.edge_index(et)
        rows.append(index[0] + offsets[et[0]])
        cols.append(index[1] + offsets[et[2]])
    rows = np.concatenate(rows) if rows else np.zeros(0, dtype=np.int64)
    cols = np.concatenate(cols) if cols else np.zeros(0, dtype=np.int64)
    adj = sp.coo_matrix((np.ones(len(rows), dtype=bool), (rows, cols)), shape=(start, start))
    _, labels = csgraph.connected_components(adj, directed=True, connection="weak")
    order = {label: rank for rank, label in enumerate(pd.Series(labels).value_counts().index)}
    return pd.DataFrame({"node_type": np.concatenate([[t] * graph.num_nodes(t) for t in graph.node_types]),
                         "id": np.concatenate([graph.node_ids(t).to_numpy(dtype=object) for t in graph.node_types]),
                         "component": pd.Series(labels).map(order).to_numpy()})


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
    """Add the ``demo`` subcommand to the CLI's subparsers."""
    parser = subparsers.add_parser("demo", help="build the bundled knowledge graph and train a BINN on AKI")
    parser.add_argument("-o", "--output", default="runs/demo", help="output directory (default runs/demo)")
    parser.add_argument("--no-rdf", action="store_true", help="skip the Turtle and GraphML exports")
    parser.add_argument("--no-train", action="store_true", help="only build the knowledge graph")
    parser.set_defaults(func=lambda a: run_demo(a.output, export_rdf=not a.no_rdf, train=not a.no_train))
