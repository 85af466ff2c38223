"""The minimal sub-DAG that keeps every BINN input connected to the output (stage one of graph → sub-network →
model).

A BINN compiled in ``mode="dag"`` passes messages upward along ``member_of``/``part_of`` edges, and every pathway
without a parent feeds the output node. :func:`minimal_dag` keeps the cheapest set of those edges (default: the
fewest) such that every input still has a path to the output, the way KPNNs were rebuilt with CORNETO's acyclic flow
(Fortelny & Bock, Genome Biol 2020; Rodriguez-Mier et al., Nat Mach Intell 2025). It is a directed Steiner tree:
with the edges reversed, one unit of flow per input leaves a virtual output root through the top-level pathways
and ends at the input, and CORNETO's ``SteinerTreeFlow`` (HiGHS) minimises Σ cost(e) over the edges that carry
flow, the output connections included. The result's ``.graph`` holds only the selected edges, so
``BINNClassifier(result.graph)`` trains on the pruned network; every kept pathway keeps one path to a top-level
pathway of the original graph.

Example
-------
>>> from binn_graph.context import minimal_dag  # doctest: +SKIP
>>> pruned = minimal_dag(graph, X.columns).graph  # doctest: +SKIP
>>> BINNClassifier(pruned).fit(X, y)  # doctest: +SKIP
"""

from __future__ import annotations

from numbers import Real

import numpy as np
import scipy.sparse as sp
from sklearn.utils._param_validation import Interval, StrOptions

from kg import KnowledgeGraph, algorithms
from kg.convert.corneto import require_corneto
from kg.report import BuildReport
from kg.schema import edge_type_key

from ..errors import GraphStructureError, ParameterError
from ._core import SOLVERS, _capture_output, check_params, collect, report_missing, solve
from .result import ContextResult
from .steiner import edge_costs

__all__ = ["minimal_dag", "OUTPUT_VERTEX"]

OUTPUT_VERTEX = "__output__"
_CONSTRAINTS = {
    "output_cost": [Interval(Real, 0, None, closed="left")],
    "strict": ["boolean"],
    "solver": [StrOptions(set(SOLVERS))],
    "time_limit": [Interval(Real, 0, None, closed="neither"), None],
}


def minimal_dag(
    graph: KnowledgeGraph,
    inputs,
    *,
    input_type: str = "protein",
    relations=("member_of", "part_of"),
    target_type: str = "pathway",
    edge_cost=1.0,
    output_cost: float = 1.0,
    strict: bool = False,
    solver: str = "highs",
    time_limit: float | None = None,
) -> ContextResult:
    """Select the cheapest sub-DAG in which every input reaches the output (see the module docstring).

    Parameters
    ----------
    graph:
        The BINN's graph (for example Reactome: protein ``member_of`` pathway ``part_of`` pathway).
    inputs:
        Input node ids (for example ``X.columns``); ids that are not ``input_type`` nodes are reported and dropped
        (``strict=True`` raises), and so are inputs with no upward path to a top-level ``target_type`` node.
    input_type, relations, target_type:
        As in :meth:`binn_graph.architecture.Architecture.from_graph`: the upward relations followed, and the
        node type whose parentless nodes feed the output.
    edge_cost:
        Cost of a graph edge: a number, an edge attribute name, or a Series indexed by ``(source, target)``
        (every kept edge is one trainable weight, so 1 minimises the weights).
    output_cost:
        Cost of connecting a top-level node to the output.
    strict, solver, time_limit:
        As in :func:`~binn_graph.context.steiner`.

    Returns
    -------
    ContextResult
        ``method="minimal_dag"``, one sample (``"inputs"``); ``.graph`` holds only the selected edges and their
        endpoints; ``.objective`` = cost of the kept edges + ``output_cost`` × top-level nodes kept.
    """
    check_params(_CONSTRAINTS, dict(output_cost=output_cost, strict=strict, solver=solver, time_limit=time_limit),
                 "minimal_dag")
    if not isinstance(graph, KnowledgeGraph):
        raise ParameterError(f"graph must be a kg.KnowledgeGraph, got {type(graph).__name__}")
    require_corneto()
    from corneto.graph import Graph
    from corneto.methods import SteinerTreeFlow

    ets = [et for et in graph.edge_types if et[1] in set(relations) and graph.num_edges(et)]
    if not ets:
        raise GraphStructureError(f"the graph has no edges of the relations {tuple(relations)}; it has "
                                  f"{graph.edge_types}")
    types = list(dict.fromkeys([input_type, *[t for et in ets for t in (et[0], et[2])], target_type]))
    offsets, n = {}, 0
    for t in types:
        offsets[t] = n
        n += graph.num_nodes(t)
    names = np.concatenate([np.array([f"{t}:{i}" for i in graph.node_ids(t)], dtype=object) for t in types])
    report = BuildReport()
    ids = [str(i) for i in inputs]
    index = graph.node_index(input_type)
    pos = index.get_indexer(ids)
    report_missing([i for i, p in zip(ids, pos) if p < 0], "input", strict, report)
    inp = np.unique(pos[pos >= 0]) + offsets[input_type]
    if not len(inp):
        raise GraphStructureError(f"none of the {len(ids)} inputs is a {input_type!r} node of the graph")
    src, dst, et_of, row_of = [], [], [], []
    for k, et in enumerate(ets):
        ei = graph.edge_index(et)
        src.append(ei[0] + offsets[et[0]])
        dst.append(ei[1] + offsets[et[2]])
        et_of.append(np.full(ei.shape[1], k))
        row_of.append(np.arange(ei.shape[1]))
    src, dst, et_of, row_of = map(np.concatenate, (src, dst, et_of, row_of))
    adj = sp.csr_matrix((np.ones(len(src), dtype=bool), (src, dst)), shape=(n, n))
    up = algorithms.reachable(adj, inp)
    has_parent = np.zeros(n, dtype=bool)
    has_parent[src[np.array([ets[k][1] == "part_of" for k in et_of], dtype=bool)]] = True
    is_target = np.zeros(n, dtype=bool)
    is_target[offsets[target_type]:offsets[target_type] + graph.num_nodes(target_type)] = True
    sinks = np.flatnonzero(is_target & ~has_parent & up)
    if not len(sinks):
        raise GraphStructureError(f"no input has a path to a top-level {target_type!r} node along {tuple(relations)}")
    down = algorithms.reachable(adj, sinks, reverse=True)
    keep = up & down
    dead = inp[~keep[inp]]
    report.add("context", "dropped", "inputs with no path to the output", len(dead), examples=names[dead])
    terminals = inp[keep[inp]]
    if not len(terminals):
        raise GraphStructureError("none of the inputs has a path to the output")
    acyclic = not len(algorithms.cycle_nodes(adj[keep][:, keep]))
    e_keep = keep[src] & keep[dst]
    cg = Graph()
    for j in np.flatnonzero(e_keep):  # reversed: flow runs from the output down to the inputs
        cg.add_edge(names[dst[j]], names[src[j]], kg_edge_type=edge_type_key(ets[et_of[j]]), kg_edge=int(row_of[j]))
    for s in sinks:
        cg.add_edge(OUTPUT_VERTEX, names[s])
    cost = edge_costs(graph, ets, edge_cost)
    offsets_e = np.cumsum([0] + [graph.num_edges(et) for et in ets])
    flat = offsets_e[et_of] + row_of
    cost_map = {c: float(cost[flat[j]]) for c, j in enumerate(np.flatnonzero(e_keep))}
    n_bio = int(e_keep.sum())
    cost_map.update({n_bio + k: float(output_cost) for k in range(len(sinks))})
    method = SteinerTreeFlow(root_vertex=OUTPUT_VERTEX, strict_acyclic=not acyclic)
    with _capture_output() as build_log:
        problem = method.build_many(cg, terminals={"inputs": list(names[terminals])},
                                    edge_costs={"inputs": cost_map})
    status, objective, objectives, seconds, log = solve(problem, solver, time_limit)
    processed = method.processed_graph
    sel = np.asarray(problem.expr.with_flow.value, dtype=float).reshape(-1, 1)
    full = np.zeros((len(processed.E), 1))
    full[:len(sel)] = sel > 0.5
    result = collect("minimal_dag", graph, processed, full, None, ["inputs"], status, objective, objectives,
                     seconds, report, "".join(build_log) + log, ets)
    n_out = int(full[n_bio:n_bio + len(sinks)].sum())
    result.report.add("context", "kept", "top-level nodes connected to the output", n_out)
    result.report.add("context", "kept", "graph edges offered (on an input-to-output path)", n_bio)
    return result
