"""Graph algorithms on sparse adjacency matrices: reachability, closure, cycles, levels.

Every function takes ``adj``, an ``n × n`` scipy sparse matrix (or array, or a
dense array-like) whose nonzero entry ``adj[i, j]`` is the directed edge
``i → j``; nodes are the integer positions ``0 .. n-1``. Values are ignored,
only the pattern counts. The functions are vectorised (no Python loop over
nodes or edges), so they serve graphs of 100,000 nodes; this module is the one
place in the project where these algorithms are written.

Example
-------
>>> import numpy as np, scipy.sparse as sp
>>> adj = sp.csr_matrix(np.array([[0, 1, 0], [0, 0, 1], [0, 0, 0]]))  # 0 → 1 → 2
>>> reachable(adj, [1]).tolist()
[False, True, True]
>>> longest_path_levels(adj).tolist()
[0, 1, 2]
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp
from scipy.sparse import csgraph

from .errors import CycleError

__all__ = ["reachable", "transitive_closure", "cycle_nodes", "topological_generations", "longest_path_levels"]


def _pattern(adj) -> sp.csr_matrix:
    """Canonical boolean CSR of ``adj`` (explicit zeros dropped, duplicates merged); never modifies ``adj``."""
    a = sp.csr_matrix(adj)
    if a.shape[0] != a.shape[1]:
        raise ValueError(f"the adjacency matrix must be square, got shape {a.shape}")
    if a.dtype == bool and a.has_canonical_format and a.data.all():
        return a  # already canonical: the functions below only read it
    a = a.astype(bool)  # a copy
    a.sum_duplicates()
    a.eliminate_zeros()
    return a


def _positions(nodes, n: int) -> np.ndarray:
    """Sorted unique int64 positions from positions or an ``(n,)`` boolean mask."""
    nodes = np.asarray(nodes)
    if nodes.dtype == bool:
        if nodes.shape != (n,):
            raise ValueError(f"a boolean node mask must have shape ({n},), got {nodes.shape}")
        return np.flatnonzero(nodes)
    pos = np.unique(nodes.astype(np.int64, copy=False).ravel())
    if pos.size and (pos[0] < 0 or pos[-1] >= n):
        raise ValueError(f"node positions must lie in [0, {n}), got {pos[0] if pos[0] < 0 else pos[-1]}")
    return pos


def _out_neighbours(a: sp.csr_matrix, nodes: np.ndarray) -> np.ndarray:
    """Targets of every out-edge of ``nodes`` (with repeats), gathered from the CSR arrays at once."""
    starts = a.indptr[nodes]
    counts = a.indptr[nodes + 1] - starts
    total = int(counts.sum())
    if not total:
        return np.empty(0, dtype=np.int64)
    offsets = np.repeat(starts - np.concatenate([[0], np.cumsum(counts)[:-1]]), counts)
    return a.indices[offsets + np.arange(total)].astype(np.int64, copy=False)


def reachable(adj, sources, *, reverse: bool = False) -> np.ndarray:
    """Boolean mask ``(n,)`` of the nodes reachable from ``sources`` by paths of zero or more edges.

    ``sources`` are node positions or an ``(n,)`` boolean mask; they are in the
    result. With ``reverse=True`` edges are followed backwards: the mask holds
    the nodes from which some source can be reached.

    Method: one breadth-first search (Moore 1959), ``scipy.sparse.csgraph.breadth_first_order``,
    from a virtual node joined to every source; ``O(n + E)``.

    >>> import scipy.sparse as sp
    >>> adj = sp.csr_matrix(([1, 1, 1], ([0, 1, 3], [1, 2, 2])), shape=(4, 4))  # 0 → 1 → 2 ← 3
    >>> reachable(adj, [0]).tolist()
    [True, True, True, False]
    >>> reachable(adj, [2], reverse=True).tolist()
    [True, True, True, True]
    """
    a = _pattern(adj)
    if reverse:
        a = a.T.tocsr()
    n = a.shape[0]
    src = _positions(sources, n)
    mask = np.zeros(n, dtype=bool)
    if not src.size:
        return mask
    indptr = np.append(a.indptr, a.indptr[-1] + src.size)
    indices = np.concatenate([a.indices, src.astype(a.indices.dtype)])
    # float64 data is what csgraph works on, so it takes the matrix without another copy
    augmented = sp.csr_matrix((np.ones(len(indices)), indices, indptr), shape=(n + 1, n + 1))
    order = csgraph.breadth_first_order(augmented, n, directed=True, return_predecessors=False)
    mask[order[order != n]] = True
    return mask


def transitive_closure(adj, reflexive: bool = False, *, distances: bool = False) -> sp.csr_matrix:
    """Reachability matrix ``(n, n)``: entry ``[i, j]`` is set when ``j`` is reachable from ``i``.

    Paths have one or more edges, so ``[i, i]`` is set only for nodes on a cycle,
    unless ``reflexive=True`` adds every ``[i, i]``. The result is boolean, or,
    with ``distances=True``, int64 holding the shortest path's edge count (not
    combinable with ``reflexive``).

    Method: breadth-first search from every node at once by sparse matrix
    products (Kepner & Gilbert 2011, graph algorithms in the language of linear
    algebra): the pairs first reached by a path of ``d`` edges are those of
    ``F · A`` not reached before, ``F`` being the pairs first reached at
    ``d - 1``; one product per distance, up to the longest shortest path.

    >>> import scipy.sparse as sp
    >>> adj = sp.csr_matrix(([1, 1], ([0, 1], [1, 2])), shape=(3, 3))  # 0 → 1 → 2
    >>> transitive_closure(adj).toarray().astype(int).tolist()
    [[0, 1, 1], [0, 0, 1], [0, 0, 0]]
    >>> transitive_closure(adj, distances=True).toarray().tolist()
    [[0, 1, 2], [0, 0, 1], [0, 0, 0]]
    """
    if reflexive and distances:
        raise ValueError("distances=True counts paths of one or more edges; it cannot be reflexive")
    a = _pattern(adj)
    closure = a.copy()
    dist = a.astype(np.int64) if distances else None
    frontier = a
    d = 1
    while frontier.nnz:
        d += 1
        frontier = (frontier @ a) > closure  # pairs first reached by a path of d edges
        if not frontier.nnz:
            break
        closure = (closure + frontier).astype(bool)
        if distances:
            dist = dist + frontier.astype(np.int64) * d
    if distances:
        return dist.tocsr()
    if reflexive:
        closure = (closure + sp.identity(a.shape[0], dtype=bool, format="csr")).astype(bool)
    return closure.tocsr()


def cycle_nodes(adj) -> np.ndarray:
    """Boolean mask ``(n,)`` of the nodes that lie on a directed cycle (a self-loop counts).

    A node is on a cycle when its strongly connected component has more than
    one node or it has a self-loop. Method: strongly connected components
    (Tarjan 1972), in the iterative form of Pearce (2005) that
    ``scipy.sparse.csgraph.connected_components(connection="strong")`` implements.

    >>> import scipy.sparse as sp
    >>> adj = sp.csr_matrix(([1, 1, 1, 1], ([0, 1, 2, 3], [1, 0, 3, 3])), shape=(4, 4))  # 0 ⇄ 1, 2 → 3 ↺
    >>> cycle_nodes(adj).tolist()
    [True, True, False, True]
    """
    a = _pattern(adj)
    n = a.shape[0]
    if not a.nnz:
        return np.zeros(n, dtype=bool)
    _, labels = csgraph.connected_components(a, directed=True, connection="strong")
    return (np.bincount(labels)[labels] > 1) | a.diagonal()


def _kahn_levels(a: sp.csr_matrix) -> np.ndarray:
    """Generation of every node under Kahn's peeling; raise CycleError if some node is never peeled."""
    n = a.shape[0]
    in_degree = np.bincount(a.indices, minlength=n).astype(np.int64)
    level = np.full(n, -1, dtype=np.int64)
    stamp = np.empty(n, dtype=np.int64)  # scratch for removing repeats without sorting
    frontier = np.flatnonzero(in_degree == 0)
    generation = 0
    while frontier.size:
        level[frontier] = generation
        targets = _out_neighbours(a, frontier)
        np.subtract.at(in_degree, targets, 1)
        peeled = targets[in_degree[targets] == 0]  # a node repeats once per in-edge from the frontier
        slot = np.arange(peeled.size)
        stamp[peeled] = slot
        frontier = peeled[stamp[peeled] == slot]  # its last repeat only
        generation += 1
    if (level < 0).any():
        on_cycle = np.flatnonzero(cycle_nodes(a))
        raise CycleError(f"the graph has a directed cycle through {on_cycle.size} node(s), at positions "
                         f"{on_cycle[:10].tolist()}", nodes=on_cycle.tolist())
    return level


def topological_generations(adj) -> list[np.ndarray]:
    """Nodes grouped by generation: a list of sorted int64 position arrays, sources first.

    Generation 0 holds the nodes without in-edges; generation ``k`` the nodes
    whose in-edges all come from earlier generations, at least one from
    generation ``k - 1``. Method: Kahn (1962) topological sorting, peeling every
    node of in-degree zero at once (as ``networkx.topological_generations``).
    Raises :class:`kg.errors.CycleError` (``.nodes``: positions on a cycle) if
    the graph is not acyclic.

    >>> import scipy.sparse as sp
    >>> adj = sp.csr_matrix(([1, 1, 1], ([0, 0, 1], [1, 2, 2])), shape=(3, 3))  # 0 → 1 → 2, 0 → 2
    >>> [g.tolist() for g in topological_generations(adj)]
    [[0], [1], [2]]
    """
    level = _kahn_levels(_pattern(adj))
    if not level.size:
        return []
    order = np.argsort(level, kind="stable")
    bounds = np.cumsum(np.bincount(level))[:-1]
    return np.split(order, bounds)


def longest_path_levels(adj) -> np.ndarray:
    """Int64 ``(n,)``: edge count of the longest path ending at each node (0 for nodes without in-edges).

    On an acyclic graph this is each node's generation in Kahn's peeling (a
    node is peeled one round after its last predecessor), so the method is
    level relaxation by Kahn (1962) topological generations, ``O(E log E)``.
    Raises :class:`kg.errors.CycleError` (``.nodes``: positions on a cycle) if
    the graph is not acyclic. For levels counted from the sinks, pass ``adj.T``.

    >>> import scipy.sparse as sp
    >>> adj = sp.csr_matrix(([1, 1, 1], ([0, 0, 1], [1, 2, 2])), shape=(4, 4))  # 0 → 1 → 2, 0 → 2; 3 alone
    >>> longest_path_levels(adj).tolist()
    [0, 1, 2, 0]
    """
    return _kahn_levels(_pattern(adj))
