"""Does the data support the prior? Spike the network with random edges, train, and compare the fitted weights.

The self-pruning design of the LEMBAS GPU study (Nordenstorm et al. 2025): ``n_spiked`` random edges with unknown
sign (0, no sign constraint) are added between nodes that are not yet joined; the model is trained on the spiked
graph; if the data support the prior network, the real edges end with larger ``|weight|`` than the spiked ones.
The statistic is the AUC of ``|weight|`` separating real from spiked edges (Mann–Whitney U / (n_real n_spiked));
its p-value is one-sided, from ``n_permutations`` random relabellings of which edges are spiked.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from sklearn.base import clone

from kg import KnowledgeGraph

from ..errors import ParameterError
from ..metrics import spiked_auc_test, weight_auc
from .estimator import signed_edges

__all__ = ["SpikedEdgeResult", "spike_edges", "spiked_edge_test", "weight_auc"]


@dataclass
class SpikedEdgeResult:
    """AUC of ``|weight|`` (real > spiked), its permutation p-value, the edge table and the fitted estimator."""

    auc: float
    p_value: float
    n_real: int
    n_spiked: int
    edges: pd.DataFrame  # source, target, sign, spiked, weight
    estimator: object


def spike_edges(graph: KnowledgeGraph, n_spiked: int, *, relation: str = "regulates", node_type: str = "protein",
                random_state: int | None = None, exclude_targets=()) -> tuple[KnowledgeGraph, pd.DataFrame]:
    """A copy of ``graph`` with ``n_spiked`` new ``(node_type, relation, node_type)`` edges of sign 0 between
    random pairs of ``node_type`` nodes that no edge joins yet (no self-loops, no target in ``exclude_targets``,
    e.g. the input nodes); returns the graph and the added ``source, target`` pairs."""
    edges = signed_edges(graph, relation)
    ids = graph.node_ids(node_type).astype(str).to_numpy()
    if len(ids) < 3:
        raise ParameterError(f"spiking needs at least 3 {node_type!r} nodes; the graph has {len(ids)}")
    taken = set(zip(edges["source"], edges["target"]))
    banned = set(map(str, exclude_targets))
    rng = np.random.default_rng(random_state)
    added: list[tuple[str, str]] = []
    attempts = 0
    while len(added) < n_spiked:
        attempts += 1
        if attempts > 100 * max(n_spiked, 10):
            raise ParameterError(f"could not find {n_spiked} free node pairs to spike; lower n_spiked")
        s, t = rng.choice(ids, 2, replace=False)
        if (s, t) in taken or t in banned:
            continue
        taken.add((s, t))
        added.append((str(s), str(t)))
    spiked = graph.copy()
    pairs = pd.DataFrame(added, columns=["source", "target"])
    spiked.add_edges((node_type, relation, node_type), pairs["source"], pairs["target"], sign=0.0,
                     database="spiked")
    spiked.report.add("signalling", "note", "random edges spiked in (sign 0)", len(pairs), examples=[
        f"{a}->{b}" for a, b in added])
    return spiked, pairs


def spiked_edge_test(estimator, X, y, *, n_spiked: int = 100, n_permutations: int = 1000,
                     node_type: str = "protein", random_state: int | None = 0) -> SpikedEdgeResult:
    """Fit a clone of ``estimator`` (a :class:`~binn_graph.signalling.SignalingNetwork`) on its graph spiked with
    ``n_spiked`` random edges and test whether real edges end with larger ``|weight|`` (see the module docstring).
    Input nodes (the columns of ``X`` or ``estimator.inputs``) are never the target of a spiked edge."""
    if n_spiked < 1 or n_permutations < 1:
        raise ParameterError("n_spiked and n_permutations must be positive integers")
    inputs = estimator.inputs if estimator.inputs is not None else list(getattr(X, "columns", []))
    spiked_graph, pairs = spike_edges(estimator.graph, n_spiked, relation=estimator.relation, node_type=node_type,
                                      random_state=random_state, exclude_targets=inputs)
    model = clone(estimator).set_params(graph=spiked_graph).fit(X, y)
    module = model.model_
    ids = np.array(module.node_ids)
    table = pd.DataFrame({"source": ids[module.structure.sources.numpy()],
                          "target": ids[module.structure.targets.numpy()],
                          "sign": module.signs.numpy(), "weight": module.weight.detach().numpy()})
    key = set(zip(pairs["source"], pairs["target"]))
    table["spiked"] = [(s, t) in key for s, t in zip(table["source"], table["target"])]
    labels = table["spiked"].to_numpy()
    auc, p = spiked_auc_test(table["weight"], labels, n_permutations=n_permutations, random_state=random_state)
    return SpikedEdgeResult(auc, p, int((~labels).sum()), int(labels.sum()), table, model)
