"""binn-graph explain RUN_DIR: node and edge importances of a trained run, with figures and an optional null.

The run directory may be given from any working directory: its config.json records the graph, data and target by
absolute path and content hash.
"""

from __future__ import annotations

import argparse
import logging
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

from kg import KnowledgeGraph  # noqa: E402

from ..attribution import METHODS, explain, explain_edges, write_importances  # noqa: E402
from ..attribution.plot import plot_level_ranking, plot_top_subgraph  # noqa: E402
from ..io import ORIENTATION, check_orientation, read_matrix, read_run_config, read_target, run_input  # noqa: E402
from .train import _positive_int, load_run_model, model_input_ids  # noqa: E402

__all__ = ["add_parser", "explain_run"]

logger = logging.getLogger(__name__)
NORMALIZE = {"fan": "fan", "subgraph": "subgraph", "none": None}


def explain_run(args: argparse.Namespace) -> Path:
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
    needs_graph = args.null is not None or not args.no_graph
    graph = None
    if needs_graph:
        graph = KnowledgeGraph.load(run_input(config, "graph", run,
                                              hint="restore it, or pass --no-graph (no names, no GraphML, no null)"))
    if graph is not None:
        model.graph = graph
    options = {"steps": args.steps} if args.method in ("integrated_gradients", "layer_conductance") else {"a": args.a}
    kwargs = {}
    if args.null is not None:
        target = run_input(config, "target", run, hint="restore it to run a null, or leave out --null")
        y = read_target(target, config.get("target_column"))
        common = X.index.intersection(y.index)
        kwargs = {"null": args.null, "n_null": args.n_null, "X_train": X.loc[common], "y_train": y.loc[common]}
    table = explain(model, X, method=args.method, normalize=NORMALIZE[args.normalize], **options, **kwargs)
    out = Path(args.output) if args.output else run / "explain"
    out.mkdir(parents=True, exist_ok=True)
    table.sort_values("rank").to_csv(out / "importance.tsv", sep="\t", index=False)
    edges = explain_edges(model, X.iloc[: args.edge_samples], steps=args.steps)
    edges.sort_values("importance", ascending=False).to_csv(out / "edge_importance.tsv", sep="\t", index=False)
    single = table if "output" not in table.columns else table[table["output"] == table["output"].iloc[0]]
    single_edges = edges if "output" not in edges.columns else edges[edges["output"] == edges["output"].iloc[0]]
    plot_level_ranking(single, top_k=args.top_k).savefig(out / "level_ranking.png", dpi=120)
    plot_top_subgraph(single, single_edges, top_k=args.top_k).savefig(out / "top_subgraph.png", dpi=120)
    if graph is not None:
        annotated = write_importances(graph, single, single_edges)
        annotated.to_graphml(out / "graph_with_importance.graphml")
    print(table.sort_values("rank").head(15).to_string(index=False))
    print(f"wrote {out / 'importance.tsv'}, {out / 'edge_importance.tsv'} and figures to {out}")
    return out


def add_parser(subparsers) -> None:
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
                        help="null refits (default 20; the smallest possible p is 1/(n+1))")
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
