"""Connectivity normalisation of node importances (as in binn; Hartman et al. 2023).

Highly connected nodes collect importance because they are connected, not because they matter (Esser-Skala &
Fortelny 2023). Two corrections divide a node's importance by a log-scale of its connectivity in the compiled
architecture:

* ``"fan"``: ``log2(fan_in + fan_out + 1)`` — direct in- and out-edges;
* ``"subgraph"``: ``log2(n_ancestors + n_descendants + 1)`` — all nodes above and below it (binn uses
  ``log2(n_ancestors + n_descendants)``, which divides by zero for an isolated node; the ``+ 1`` avoids that and
  keeps the ordering).

Nodes with no connection at all keep their raw importance (scale 1).
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from kg.algorithms import transitive_closure

__all__ = ["connectivity_scale"]


def connectivity_scale(architecture, normalize: str | None) -> np.ndarray:
    """Divisor per architecture node (the output root gets 1)."""
    n = len(architecture.nodes)
    if normalize is None:
        return np.ones(n)
    src = architecture.edges["source"].to_numpy()
    dst = architecture.edges["target"].to_numpy()
    if normalize == "fan":
        count = np.bincount(src, minlength=n) + np.bincount(dst, minlength=n)
    else:
        adj = sp.csr_matrix((np.ones(len(src), dtype=bool), (src, dst)), shape=(n, n))
        reach = transitive_closure(adj)
        reach.setdiag(False)
        reach.eliminate_zeros()
        count = np.asarray(reach.sum(axis=1)).ravel() + np.asarray(reach.sum(axis=0)).ravel()
    scale = np.log2(count + 1.0)
    return np.where(scale > 0, scale, 1.0)
