"""Shrink a prior-knowledge network before a context-network solve: the nodes on shortest paths from inputs to
measurements.

CARNIVAL's MILP on a whole PKN (LEMBAS's ligand screen: 1,262 nodes, 5,419 signed edges) may not reach a useful
solution in minutes. Restricting each sample's problem to the nodes that lie on a shortest directed path from one of
its inputs to one of its measured nodes (plus ``slack`` extra edges) keeps the short explanations CARNIVAL looks for
and makes the problem small. The restriction uses the graph only, never the measured values.
"""

from __future__ import annotations

from numbers import Integral

import numpy as np
import pandas as pd
import scipy.sparse as sp
from sklearn.utils._param_validation import Interval

from kg import KnowledgeGraph
from kg.algorithms import transitive_closure

from ..errors import ParameterError
from ._core import check_params

__all__ = ["shortest_path_nodes"]


def shortest_path_nodes(graph: KnowledgeGraph, sources, targets, *, slack: int = 0, edge_types=None,
                        signed_only: bool = True) -> list[str]:
    """Node ids on a shortest directed path from one of ``sources`` to one of ``targets``.

    A node ``v`` is kept when ``d(s, v) + d(v, t)`` is at most ``d(s, t) + slack`` for some source ``s`` and target
    ``t`` that ``s`` reaches (``d``: edge counts). Sources and targets that are not nodes of those edges are ignored;
    pairs with no path add nothing. Ids come in the order they first appear in the walked edges.

    Parameters
    ----------
    graph:
        A KnowledgeGraph with ``regulates`` edges (or ``edge_types``). Node ids must be unique across the node
        types those edges join.
    sources, targets:
        Iterables of node ids (e.g. a sample's perturbed inputs and its measured nodes).
    slack:
        Extra path length allowed beyond the shortest (0: shortest paths only).
    edge_types:
        Edge types to walk (default: every ``regulates`` edge type).
    signed_only:
        Walk only edges with a known sign (``sign`` +1 or -1), as :func:`~binn_graph.context.carnival` does by
        default.
    """
    check_params({"slack": [Interval(Integral, 0, None, closed="left")], "signed_only": ["boolean"]},
                 {"slack": slack, "signed_only": signed_only}, "shortest_path_nodes")
    ets = [et for et in graph.edge_types if et[1] == "regulates"] if edge_types is None else [tuple(e) for e in
                                                                                              edge_types]
    if not ets:
        raise ParameterError(f"the graph has no 'regulates' edges to walk; its edge types are {graph.edge_types}")
    parts = []
    for et in ets:
        table = graph.edges(et)
        if signed_only:
            sign = pd.to_numeric(table["sign"], errors="coerce") if "sign" in table.columns else None
            table = table.iloc[0:0] if sign is None else table[(sign.fillna(0) != 0).to_numpy()]
        parts.append(table[["source", "target"]].astype(str))
    edges = pd.concat(parts, ignore_index=True)
    ids = list(pd.unique(pd.concat([edges["source"], edges["target"]], ignore_index=True)))
    if not ids:
        return []
    pos = {n: i for i, n in enumerate(ids)}
    n = len(ids)
    adj = sp.csr_matrix((np.ones(len(edges)), (edges["source"].map(pos), edges["target"].map(pos))), shape=(n, n))
    dist = transitive_closure(adj, distances=True).toarray().astype(float)
    dist[dist == 0] = np.inf
    np.fill_diagonal(dist, 0.0)
    src = list(dict.fromkeys(pos[str(s)] for s in sources if str(s) in pos))
    dst = list(dict.fromkeys(pos[str(t)] for t in targets if str(t) in pos))
    keep = np.zeros(n, dtype=bool)
    for s in src:
        for t in dst:
            best = dist[s, t]
            if np.isfinite(best):
                keep |= dist[s] + dist[:, t] <= best + slack
    return [ids[i] for i in np.flatnonzero(keep)]
