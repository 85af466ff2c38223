"""Small DAG algorithms shared by the architecture compiler, attribution and the degradation flow model."""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

__all__ = ["longest_path_levels", "transitive_closure"]


def longest_path_levels(src: np.ndarray, dst: np.ndarray, n_nodes: int) -> np.ndarray | None:
    """Length of the longest path into each node (0 for nodes without in-edges), or ``None`` on a cycle.

    Bellman–Ford-style relaxation, vectorised over edges: one ``np.maximum.at`` per round, ``depth + 1`` rounds.
    """
    level = np.zeros(n_nodes, dtype=np.int64)
    for _ in range(n_nodes + 1):
        before = level.copy()
        np.maximum.at(level, dst, level[src] + 1)
        if np.array_equal(before, level):
            return level
    return None


def transitive_closure(adj: sp.spmatrix) -> sp.csr_matrix:
    """Boolean ``reach[i, j]``: ``j`` is reachable from ``i`` by a path of ≥ 1 edge (repeated frontier products)."""
    adj = sp.csr_matrix(adj, dtype=bool)
    closure = adj.copy()
    frontier = closure
    for _ in range(adj.shape[0]):
        frontier = (frontier @ adj).astype(bool)
        new = frontier > closure
        if not new.nnz:
            break
        closure = (closure + new).astype(bool)
        frontier = new
    return closure.tocsr()
