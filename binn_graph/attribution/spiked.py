"""Does the data support the prior? Spiked-edge test for BINNs.

The self-pruning design of the LEMBAS GPU study (Nordenstorm et al. 2025), as
:func:`binn_graph.signalling.spiked_edge_test` runs it for signalling networks: ``n_spiked`` random
``(input_type, relation, target_type)`` edges are added between inputs of ``X`` and target nodes that the inputs
already feed (so every spiked edge is compiled), a clone of the estimator is trained on the spiked graph, and the
real input edges should end with larger weights than the spiked ones. The statistic is the AUC of the edge weight
magnitude (Frobenius norm of each edge's ``[dst_width, src_width]`` block) separating real from spiked edges, with a
one-sided permutation p-value (:func:`binn_graph.metrics.spiked_auc_test`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from sklearn.base import clone

from ..errors import ParameterError
from ..metrics import spiked_auc_test
from .gradients import _edge_tables

__all__ = ["BINNSpikedResult", "binn_edge_weights", "binn_spiked_edge_test"]


@dataclass
class BINNSpikedResult:
    """AUC of the input edges' weight magnitude (real > spiked), its permutation p-value, the edges and the model."""

    auc: float
    p_value: float
    n_real: int
    n_spiked: int
    edges: pd.DataFrame  # source, target, weight, spiked
    estimator: object


def binn_edge_weights(model) -> pd.DataFrame:
    """One row per sparse edge of a :class:`~binn_graph.model.BINN`: ``source``, ``target`` (architecture node ids)
    and ``weight`` (Frobenius norm of the edge's weight block; ``|w|`` for width-1 nodes)."""
    ids = model.architecture.nodes["node_id"].to_numpy()
    frames = [pd.DataFrame({"source": ids[src], "target": ids[dst],
                            "weight": layer.weight.detach().reshape(layer.weight.shape[0], -1).norm(dim=1).numpy()})
              for layer, src, dst in _edge_tables(model)]
    return pd.concat(frames, ignore_index=True)


def binn_spiked_edge_test(estimator, X: pd.DataFrame, y, *, n_spiked: int = 100, relation: str = "member_of",
                          target_type: str = "pathway", n_permutations: int = 1000,
                          random_state: int | None = 0) -> BINNSpikedResult:
    """Fit a clone of a BINN estimator on its graph spiked with ``n_spiked`` random input edges and test whether the
    real input edges end with larger weights (see the module docstring). ``X`` is a DataFrame (columns matched by
    id)."""
    if n_spiked < 1 or n_permutations < 1:
        raise ParameterError("n_spiked and n_permutations must be positive integers")
    if not isinstance(X, pd.DataFrame):
        raise ParameterError("X must be a DataFrame whose columns are the graph's input node ids")
    input_type = estimator.input_type
    if not isinstance(input_type, str):
        raise ParameterError(f"the spiked-edge test needs one input type; the estimator has {input_type!r}")
    graph = estimator.graph
    edge_type = (input_type, relation, target_type)
    if not graph.has_edge_type(edge_type):
        raise ParameterError(f"the graph has no {edge_type} edges to spike; pass relation= and target_type=")
    real = graph.edges(edge_type)
    inputs = np.array(sorted(set(X.columns.astype(str)) & set(real["source"])))
    targets = np.array(sorted(set(real.loc[real["source"].isin(inputs), "target"])))
    if len(inputs) < 1 or len(targets) < 2:
        raise ParameterError(f"X's columns feed {len(targets)} {target_type} node(s) through {relation!r}; "
                             "the test needs inputs that feed at least 2")
    taken = set(zip(real["source"], real["target"]))
    linked = real["source"].isin(inputs) & real["target"].isin(targets)
    free = len(inputs) * len(targets) - int(real.loc[linked, ["source", "target"]].drop_duplicates().shape[0])
    if free < n_spiked:
        raise ParameterError(f"only {free} unlinked input-{target_type} pairs; lower n_spiked (given {n_spiked})")
    rng = np.random.default_rng(random_state)
    added: list[tuple[str, str]] = []
    while len(added) < n_spiked:
        pair = (str(rng.choice(inputs)), str(rng.choice(targets)))
        if pair not in taken:
            taken.add(pair)
            added.append(pair)
    spiked_graph = graph.copy()
    pairs = pd.DataFrame(added, columns=["source", "target"])
    spiked_graph.add_edges(edge_type, pairs["source"], pairs["target"], database="spiked")
    model = clone(estimator).set_params(graph=spiked_graph).fit(X, y)
    weights = binn_edge_weights(model.model_)
    member = set(zip(real["source"], real["target"])) | set(added)
    table = weights[[(s, t) in member for s, t in zip(weights["source"], weights["target"])]].reset_index(drop=True)
    spiked = set(added)
    table["spiked"] = [(s, t) in spiked for s, t in zip(table["source"], table["target"])]
    labels = table["spiked"].to_numpy()
    if labels.all() or not labels.any():
        raise ParameterError("the compiled model holds no real or no spiked input edge to compare")
    auc, p = spiked_auc_test(table["weight"], labels, n_permutations=n_permutations, random_state=random_state)
    return BINNSpikedResult(auc, p, int((~labels).sum()), int(labels.sum()), table, model)
