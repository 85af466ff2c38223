"""binn-graph explain RUN_DIR: node and edge importances of a trained run, with figures and an optional null.

The run directory may be given from any working directory: its config.json records the graph, data and target by
absolute path and content hash. Writes importance.tsv (sorted by rank), edge_importance.tsv, summary.json (the null's
power, rank stability, the verdict), figures, a GraphML with importances and report.html.
"""

from __future__ import annotations

import argparse
import json
import logging
import warnings
from pathlib import Path

import pandas as pd

from kg import KnowledgeGraph

from ..attribution import METHODS, explain, explain_edges, write_importances
from ..attribution.plot import plot_level_ranking, plot_top_subgraph
from ..attribution.stability import LOW_TAU, add_stability, seed_tables
from ..errors import DataValidationError
from ..io import ORIENTATION, check_orientation, read_matrix, read_run_config, read_target, run_input
from ..report import explain_report, verdict
from ..report.runs import cv_metrics_block
from .train import _fraction, _positive_int, load_run_model, model_input_ids

__all__ = ["add_parser", "explain_run"]

logger = logging.getLogger(__name__)
NORMALIZE = {"fan": "fan", "subgraph": "subgraph", "none": None}
_CLI_SPELLING = (("null_types='pathway'", "--null-types pathway"), ("n_null=", "--n-null "),
                 ("n_null ≥", "--n-null ≥"), ("1/(n_null+1)", "1/(n+1)"))


def _cli_message(text: str) -> str:
    """A library message with the options spelled as on the command line."""
    for api, cli in _CLI_SPELLING:
        text = text.replace(api, cli)
    return text


def _explain_reporting(*args, **kwargs):
    """``explain(...)`` whose warnings name the command line's options, plus their texts for the report."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        table = explain(*args, **kwargs)
    texts = []
    for w in caught:
        message = _cli_message(str(w.message)) if issubclass(w.category, UserWarning) else str(w.message)
        texts.append(message)
        warnings.warn_explicit(message, w.category, w.filename, w.lineno)
    return table, texts


def explain_run(args: argparse.Namespace) -> Path:
    """``binn-graph explain``: importances of a run's model, their null and stability, figures and report.html."""
    if args.stability_seeds < 0 or args.stability_seeds == 1:
        raise DataValidationError(f"--stability-seeds {args.stability_seeds}: rank stability compares at least 2 "
                                  "fits (0 skips it)")
    run = Path(args.run)
    config = read_run_config(run)
    model = load_run_model(run, config)
    if args.data is None:
        data = run_input(config, "data", run, hint="pass --data to explain on another matrix")
        features_in_rows = config.get("features_in_rows", False)
    else:
        data, features_in_rows = args.data, args.features_in_rows
    X = read_matrix(data, features_in_rows=features_in_rows)
    check_orientation(X, model_input_ids(model), path=data, what=f"input columns of the run {run}",
                      features_in_rows=features_in_rows)
    needs_graph = args.null is not None or not args.no_graph or args.stability_seeds
    graph = None
    if needs_graph:
        graph = KnowledgeGraph.load(run_input(config, "graph", run,
                                              hint="restore it, or pass --no-graph (no names, no GraphML, no null)"))
    if graph is not None:
        model.graph = graph
    options = {"steps": args.steps} if args.method in ("integrated_gradients", "layer_conductance") else {"a": args.a}
    kwargs = {}
    y_train = y = None
    if args.null is not None or args.stability_seeds:
        target = run_input(config, "target", run, hint="restore it to run a null or measure stability, or leave out "
                                                        "--null and --stability-seeds")
        y = read_target(target, config.get("target_column"))
        common = X.index.intersection(y.index)
        X_train, y_train = X.loc[common], y.loc[common]
    if args.null is not None:
        null_types = args.null_types.split(",") if args.null_types else None
        kwargs = {"null": args.null, "n_null": args.n_null, "X_train": X_train, "y_train": y_train,
                  "alpha": args.alpha, "null_types": null_types}
    normalize = NORMALIZE[args.normalize]
    table, messages = _explain_reporting(model, X, method=args.method, normalize=normalize, **options, **kwargs)
    if args.stability_seeds:
        first = model.get_params().get("random_state") or 0
        seeds = [first + k for k in range(1, args.stability_seeds)]
        others = seed_tables(model, X_train, y_train, X, seeds=seeds, method=args.method, normalize=normalize,
                             **options)
        table = add_stability(table, [table, *others], threshold=LOW_TAU)
    out = Path(args.output) if args.output else run / "explain"
    out.mkdir(parents=True, exist_ok=True)
    table.to_csv(out / "importance.tsv", sep="\t", index=False)  # sorted by rank (per output)
    edges = explain_edges(model, X.iloc[: args.edge_samples], steps=args.steps)
    edges.sort_values("importance", ascending=False).to_csv(out / "edge_importance.tsv", sep="\t", index=False)
    single = table if "output" not in table.columns else table[table["output"] == table["output"].iloc[0]]
    single_edges = edges if "output" not in edges.columns else edges[edges["output"] == edges["output"].iloc[0]]
    figures = {"Top nodes per level": out / "level_ranking.png", "Top subgraph": out / "top_subgraph.png"}
    plot_level_ranking(single, top_k=args.top_k).savefig(figures["Top nodes per level"], dpi=120)
    plot_top_subgraph(single, single_edges, top_k=args.top_k).savefig(figures["Top subgraph"], dpi=120)
    if graph is not None:
        annotated = write_importances(graph, single, single_edges)
        annotated.to_graphml(out / "graph_with_importance.graphml")
    run_metrics = _read_metrics(run)
    null, stability = table.attrs.get("null"), table.attrs.get("stability")
    if null and null.get("warning"):
        null = {**null, "warning": _cli_message(null["warning"])}
    judged = verdict(cv_metrics_block(run_metrics, config.get("task", "classification")), null)
    summary = {"null": null, "stability": stability, "verdict": judged, "rows": int(len(table))}
    (out / "summary.json").write_text(json.dumps(summary, indent=2, default=str))
    build = run / "build_report.tsv"
    page = explain_report(out / "report.html", args=args, config=config, run_metrics=run_metrics, model=model, X=X,
                          table=table, edges=single_edges, figure_paths=figures, y=y,
                          graph_report=pd.read_csv(build, sep="\t") if build.is_file() else None,
                          warnings=messages)
    columns = [c for c in ("rank", "node_type", "node_id", "name", "level", "normalized_importance", "p_value",
                           "q_value", "rank_sd") if c in single.columns]
    print(table[columns].head(15).to_string(index=False))
    print(stability["message"] if stability else "rank stability across seeds: not measured (--stability-seeds 3 "
          "refits the model twice more and reports Kendall τ)")
    print(judged["headline"])
    print(f"wrote {out / 'importance.tsv'}, {out / 'edge_importance.tsv'}, figures and {page}")
    return out


def _read_metrics(run: Path) -> dict:
    path = run / "metrics.json"
    try:
        return json.loads(path.read_text()) if path.is_file() else {}
    except ValueError:
        logger.warning(f"{path}: not valid JSON; the report leaves out the run's metrics")
        return {}


def add_parser(subparsers) -> None:
    """Add ``explain`` to the command line's subparsers."""
    parser = subparsers.add_parser("explain", help="node and edge importances of a trained run",
                                   description=__doc__)
    parser.add_argument("run", help="run directory written by binn-graph train (usable from any directory)")
    parser.add_argument("--method", choices=METHODS, default="clamp",
                        help="clamp (default: each node clamped to mean ± a·sd), ablation (set to its mean), "
                             "integrated_gradients or layer_conductance")
    parser.add_argument("--normalize", choices=list(NORMALIZE), default="fan",
                        help="connectivity correction of the ranking: fan (in- and out-edges, default), subgraph "
                             "(all nodes above and below), or none")
    parser.add_argument("--null", choices=["rewire", "permute"],
                        help="refit --n-null times on a null (rewired graph or permuted labels) and add p and q "
                             "values")
    parser.add_argument("--n-null", type=_positive_int, default=20,
                        help="null refits (default 20; the smallest possible p is 1/(n+1), so a node can reach "
                             "q ≤ --alpha after Benjamini–Hochberg over m tested nodes only if n ≥ m/alpha − 1: a "
                             "warning says when it cannot)")
    parser.add_argument("--alpha", type=_fraction, default=0.1,
                        help="q-level the null is judged at (default 0.1)")
    parser.add_argument("--null-types",
                        help="node types tested against the null, comma-separated (e.g. pathway: fewer tests need "
                             "fewer refits; default every type)")
    parser.add_argument("--stability-seeds", type=int, default=0, metavar="K",
                        help="refit the model with K − 1 more seeds and report rank stability (Kendall τ between "
                             "the K rankings; below 0.5 is flagged) and each node's rank sd (default 0: skipped)")
    parser.add_argument("--data", help=f"evaluation matrix, {ORIENTATION} (default: the run's training data)")
    parser.add_argument("--features-in-rows", action="store_true", help="the --data matrix is features × samples")
    parser.add_argument("--a", type=float, default=1.0, help="clamp at mean ± a·sd (method clamp; default 1)")
    parser.add_argument("--steps", type=_positive_int, default=50,
                        help="path steps of the gradient methods and of edge importances (default 50)")
    parser.add_argument("--edge-samples", type=_positive_int, default=200,
                        help="samples used for edge importances (default 200)")
    parser.add_argument("--top-k", type=_positive_int, default=8, help="top nodes per level in the figures (default 8)")
    parser.add_argument("--no-graph", action="store_true",
                        help="do not load the run's graph (no names, no GraphML; not with --null)")
    parser.add_argument("-o", "--output", help="output directory (default RUN/explain)")
    parser.set_defaults(func=explain_run)
