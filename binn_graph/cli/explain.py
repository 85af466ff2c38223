"""``binn-graph explain RUN_DIR``: node and edge importances of a trained run, with figures and an optional null."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

from kg import KnowledgeGraph  # noqa: E402

from ..attribution import METHODS, explain, explain_edges, write_importances  # noqa: E402
from ..attribution.plot import plot_level_ranking, plot_top_subgraph  # noqa: E402
from ..errors import BINNError  # noqa: E402
from ..estimators import BINNClassifier, BINNRegressor  # noqa: E402
from ..io import read_matrix, read_target  # noqa: E402

__all__ = ["add_parser", "explain_run"]


def explain_run(args: argparse.Namespace) -> Path:
    run = Path(args.run)
    config_path = run / "config.json"
    if not config_path.is_file():
        raise BINNError(f"{run}: no config.json; is it a run directory written by `binn-graph train`?")
    config = json.loads(config_path.read_text())
    cls = BINNRegressor if config.get("task") == "regression" else BINNClassifier
    model = cls.load(run / "model.pt")
    X = read_matrix(args.data or config["data"], features_in_rows=config.get("features_in_rows", False)
                    if args.data is None else args.features_in_rows)
    needs_graph = args.null is not None or not args.no_graph
    graph = KnowledgeGraph.load(config["graph"]) if needs_graph else None
    if graph is not None:
        model.graph = graph
    options = {"steps": args.steps} if args.method in ("integrated_gradients", "layer_conductance") else {"a": args.a}
    kwargs = {}
    if args.null is not None:
        y = read_target(config["target"], config.get("target_column"))
        common = X.index.intersection(y.index)
        kwargs = {"null": args.null, "n_null": args.n_null, "X_train": X.loc[common], "y_train": y.loc[common]}
    table = explain(model, X, method=args.method, normalize=args.normalize or None, **options, **kwargs)
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
    parser = subparsers.add_parser("explain", help="node and edge importances of a trained run")
    parser.add_argument("run", help="run directory written by binn-graph train")
    parser.add_argument("--method", choices=METHODS, default="clamp")
    parser.add_argument("--normalize", choices=["fan", "subgraph", ""], default="fan")
    parser.add_argument("--null", choices=["rewire", "permute"], help="refit N times on a null and add p/q values")
    parser.add_argument("--n-null", type=int, default=20)
    parser.add_argument("--data", help="evaluation matrix (default: the run's training data)")
    parser.add_argument("--features-in-rows", action="store_true")
    parser.add_argument("--a", type=float, default=1.0, help="clamp at mean ± a·sd (method clamp)")
    parser.add_argument("--steps", type=int, default=50, help="path steps (gradient methods and edges)")
    parser.add_argument("--edge-samples", type=int, default=200, help="samples used for edge importances")
    parser.add_argument("--top-k", type=int, default=8)
    parser.add_argument("--no-graph", action="store_true", help="skip loading the graph (no names, no GraphML)")
    parser.add_argument("-o", "--output", help="output directory (default RUN/explain)")
    parser.set_defaults(func=explain_run)
