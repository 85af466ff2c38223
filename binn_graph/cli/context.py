"""binn-graph context carnival|steiner: context-specific sub-networks of a graph by constrained optimisation (CORNETO).

Both read the network as a saved graph directory (--graph) or a SIF file (--sif), solve with HiGHS, and write an
output directory holding the selected sub-network (graph/, a saved KnowledgeGraph), node_values.tsv and
edge_values.tsv (samples as columns), report.tsv (what was dropped before solving) and summary.json (method,
objective, solver status, seconds). Needs the optional CORNETO extra: pip install "binn-graph[corneto]".
"""

from __future__ import annotations

import argparse
import json
import logging
import warnings
from pathlib import Path

import pandas as pd

from kg import KnowledgeGraph
from kg.errors import UsageError

from ..context import ContextResult, carnival, steiner
from ..io import ORIENTATION, read_matrix

__all__ = ["add_parser", "write_result", "load_network"]

logger = logging.getLogger(__name__)


def load_network(args: argparse.Namespace) -> KnowledgeGraph:
    """The network named by --graph (saved directory) or --sif (a SIF file; nodes get --node-type)."""
    if bool(args.graph) == bool(args.sif):
        raise UsageError("give the network with exactly one of --graph DIR (saved graph) or --sif FILE")
    if args.graph:
        return KnowledgeGraph.load(args.graph)
    from kg.sources import sif

    return sif.load(args.sif, node_type=args.node_type)


def _values(path: str | None, pairs: list[str] | None, option: str) -> pd.DataFrame | pd.Series | None:
    """A samples × ids matrix from a file, or one sample from ID[=VALUE] pairs (value 1 when omitted)."""
    if path and pairs:
        raise UsageError(f"give --{option}s FILE or --{option} ID[=VALUE], not both")
    if path:
        return read_matrix(path)
    if not pairs:
        return None
    out = {}
    for pair in pairs:
        node, _, value = pair.partition("=")
        try:
            out[node] = float(value) if value else 1.0
        except ValueError:
            raise UsageError(f"--{option} {pair!r}: the value after '=' must be a number") from None
    return pd.Series(out, name="sample", dtype=float)


def write_result(result: ContextResult, output: str | Path) -> Path:
    """Write a :class:`~binn_graph.context.ContextResult` to a directory (see the module docstring)."""
    out = Path(output)
    out.mkdir(parents=True, exist_ok=True)
    result.graph.save(out / "graph")
    result.node_values.to_csv(out / "node_values.tsv", sep="\t")
    result.edge_values.to_csv(out / "edge_values.tsv", sep="\t", index=False)
    result.report.to_frame().to_csv(out / "report.tsv", sep="\t", index=False)
    summary = {"method": result.method, "objective": result.objective, "objectives": result.objectives,
               "status": result.status, "solve_seconds": result.solve_seconds, "samples": result.samples,
               "selected_nodes": result.graph.num_nodes(), "selected_edges": result.graph.num_edges()}
    (out / "summary.json").write_text(json.dumps(summary, indent=2), encoding="utf-8")
    return out


def _solve(function, *args, **kwargs) -> ContextResult:
    """Call a context method; its warnings (dropped ids) are logged even when it then fails."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            return function(*args, **kwargs)
        finally:
            for w in caught:
                logger.warning(str(w.message))


def _finish(result: ContextResult, args: argparse.Namespace) -> int:
    write_result(result, args.output)
    print(f"{result.method}: objective {result.objective:.6g} ({result.status}, {result.solve_seconds:.1f} s), "
          f"{result.graph.num_nodes()} nodes and {result.graph.num_edges()} edges selected over "
          f"{len(result.samples)} sample(s); written to {args.output}")
    return 0


def _cmd_carnival(args: argparse.Namespace) -> int:
    graph = load_network(args)
    inputs = _values(args.inputs, args.input, "input")
    if inputs is None:
        raise UsageError("give the perturbed nodes with --inputs FILE (samples × node ids) or --input ID[=VALUE]")
    measurements = read_matrix(args.measurements)
    result = _solve(carnival, graph, inputs, measurements, lambda_reg=args.lambda_reg,
                    unknown_sign=args.unknown_sign, strict=args.strict, time_limit=args.time_limit)
    return _finish(result, args)


def _edge_cost(text: str):
    try:
        return float(text)
    except ValueError:
        return text


def _cmd_steiner(args: argparse.Namespace) -> int:
    graph = load_network(args)
    if bool(args.terminal) == bool(args.prizes):
        raise UsageError("give exactly one of --terminal ID [ID ...] (Steiner tree) or --prizes FILE "
                         "(prize-collecting Steiner tree)")
    target = args.terminal if args.terminal else read_matrix(args.prizes)
    result = _solve(steiner, graph, target, edge_cost=_edge_cost(args.edge_cost), root=args.root,
                    root_selection=args.root_selection, strict=args.strict, time_limit=args.time_limit)
    return _finish(result, args)


def _common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--graph", metavar="DIR", help="the network: a saved graph directory (binn-graph kg build)")
    parser.add_argument("--sif", metavar="FILE", help="the network: a SIF file (source, sign, target)")
    parser.add_argument("--node-type", default="protein", help="node type of the --sif nodes (default protein)")
    parser.add_argument("--strict", action="store_true",
                        help="refuse ids that are not nodes of the network (default: drop them with a warning)")
    parser.add_argument("--time-limit", type=float, metavar="SECONDS",
                        help="stop the solver after this many seconds with its best solution")
    parser.add_argument("-o", "--output", required=True, metavar="DIR",
                        help="output directory: graph/, node_values.tsv, edge_values.tsv, report.tsv, summary.json")


def add_parser(subparsers) -> None:
    """Register ``binn-graph context`` and its subcommands."""
    ctx = subparsers.add_parser("context", help="context-specific sub-networks by constrained optimisation (CORNETO)",
                                description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ctx.add_subparsers(dest="context_command", required=True, metavar="COMMAND")
    carn = sub.add_parser("carnival", help="CARNIVAL: signed paths from perturbed inputs to measured nodes")
    _common(carn)
    carn.add_argument("--inputs", metavar="MATRIX",
                      help=f"perturbed nodes, {ORIENTATION}: the sign is imposed, 0 leaves it free, empty = not an "
                           "input in that sample")
    carn.add_argument("--input", action="append", metavar="ID[=VALUE]",
                      help="a perturbed node for every sample (value 1 when omitted); repeatable")
    carn.add_argument("--measurements", required=True, metavar="MATRIX",
                      help=f"measured node values (for example TF activities), {ORIENTATION}; empty = not measured")
    carn.add_argument("--lambda-reg", type=float, default=0.0,
                      help="penalty per edge carrying signal in any sample (default 0)")
    carn.add_argument("--unknown-sign", choices=("drop", "both"), default="drop",
                      help="edges of unknown sign: drop them (default) or offer both signs")
    carn.set_defaults(func=_cmd_carnival)
    st = sub.add_parser("steiner", help="Steiner tree (terminals) or prize-collecting Steiner tree (prizes)")
    _common(st)
    st.add_argument("--terminal", nargs="+", metavar="ID", help="node ids the tree must connect")
    st.add_argument("--prizes", metavar="MATRIX",
                    help=f"prizes > 0 for optional terminals, {ORIENTATION}; empty = no prize")
    st.add_argument("--edge-cost", default="1",
                    help="cost of every edge (a number, default 1) or the name of a numeric edge attribute")
    st.add_argument("--root", metavar="ID", help="grow the tree from this node")
    st.add_argument("--root-selection", choices=("first", "best"), default="first",
                    help="without --root: the first terminal (default) or the best one (slower)")
    st.set_defaults(func=_cmd_steiner)
