"""Which member set explains the important inputs: a gene-set score of the input attributions.

A node's importance says how much the *model* routes through it. Where pathways overlap, the model may route a
signal through a sibling that holds the same proteins and prune the pathway that really carries it (weight decay
drives a weak node's batch-norm scale to 0), so that pathway's own importance is ~0 although every one of its
members is important. The member-set score asks the gene-set question of the input attributions instead, for every
node ``v`` with member inputs ``M_v`` (the inputs from which ``v`` is reachable in the compiled architecture,
``k_v = |M_v|``):

.. math::
    z_v = \\frac{\\sum_{i \\in M_v} (x_i - \\bar x)}{s_x \\sqrt{k_v}}

where ``x_i`` is the importance of input ``i`` and ``x̄``, ``s_x`` are the mean and standard deviation over all
inputs: the standardised mean of the members' importances (the "mean z-score" gene-set statistic of Irizarry et al.
2009, *Gene set enrichment analysis made simple*, Stat Methods Med Res 18:565; Tian et al. 2005). The set that
holds exactly the important inputs scores highest: an ancestor dilutes them with unimportant members
(``√k`` grows faster than the sum), a smaller set misses some of them. For an input, ``M_v = {v}`` and
``z_v = (x_v − x̄)/s_x``.

Example
-------
>>> import numpy as np, scipy.sparse as sp
>>> members = sp.csr_matrix(np.array([[1, 1, 0], [1, 1, 0], [0, 1, 1], [0, 0, 1]], dtype=bool))  # inputs × nodes
>>> np.round(member_z(members, np.array([3.0, 3.0, 0.0, 0.0])), 2)  # nodes {0, 1}, {0, 1, 2}, {2, 3}
array([ 1.22,  0.5 , -1.22])
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from kg.algorithms import transitive_closure

__all__ = ["member_inputs", "member_z"]


def member_inputs(architecture) -> sp.csr_matrix:
    """``[n_inputs, n_nodes]`` boolean: input ``i`` reaches node ``v`` in the compiled architecture (an input
    reaches itself). Rows follow the level-0 nodes in architecture order."""
    n = len(architecture.nodes)
    src = architecture.edges["source"].to_numpy()
    dst = architecture.edges["target"].to_numpy()
    adj = sp.csr_matrix((np.ones(len(src), dtype=bool), (src, dst)), shape=(n, n))
    inputs = np.flatnonzero(architecture.nodes["level"].to_numpy() == 0)
    return transitive_closure(adj, reflexive=True)[inputs].tocsr()


def member_z(members: sp.csr_matrix, input_scores: np.ndarray) -> np.ndarray:
    """``z_v`` of every node (columns of ``members``) from the inputs' importances ``input_scores`` (rows of
    ``members``); NaN for a node with no member input, and everywhere when the inputs' importances are constant or
    missing."""
    x = np.asarray(input_scores, dtype=float)
    k = np.asarray(members.sum(axis=0), dtype=float).ravel()
    s = x.std(ddof=1) if len(x) > 1 else np.nan
    if not np.isfinite(x).all() or not s > 0:
        return np.full(members.shape[1], np.nan)
    excess = members.T.astype(float) @ (x - x.mean())
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(k > 0, excess / (s * np.sqrt(k)), np.nan)
