"""Node and edge importance of a fitted signalling network, per output node.

* **Nodes** (knockout ablation): the importance of node ``k`` for output ``o`` is the mean over samples of
  :math:`|\\hat{y}_o(X) - \\hat{y}_o(X; k \\text{ knocked out})|`; ``signed_effect`` keeps the sign of the mean change.
  Every node is knocked out once on all samples at once (one steady-state solve per node).
* **Edges** (gradient × weight at the steady state): the importance of edge ``e`` for output ``o`` is
  :math:`|w_e\\,\\partial \\bar{y}_o / \\partial w_e|`, with :math:`\\bar{y}_o` the output's mean over samples; the
  gradient comes from the same adjoint fixed point as training (one adjoint solve per output).

``binn_graph.explain(model, X)`` reaches :func:`node_importance` through ``SignalingNetwork.explain_nodes``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import torch

from ..errors import ParameterError
from ..threads import intra_op_threads
from ..validation import check_fitted

__all__ = ["node_importance", "edge_importance"]


def _names(estimator) -> dict:
    graph = getattr(estimator, "graph", None)
    names = {}
    if graph is None:
        return names
    for t in graph.node_types:
        table = graph.nodes(t)
        if "name" in table.columns:
            names.update(dict(zip(table["id"].astype(str), table["name"])))
    return names


def _rank(frame: pd.DataFrame) -> pd.DataFrame:
    frame["rank"] = frame.groupby("output")["importance"].rank(ascending=False, method="min").astype(int)
    return frame.sort_values(["output", "rank"]).reset_index(drop=True)


def node_importance(estimator, X, nodes=None) -> pd.DataFrame:
    """Knockout importance of each node (default: every node except the outputs) for each output.

    Returns one row per (node, output): ``node_id``, ``name``, ``output``, ``importance`` (mean absolute change of
    the output), ``signed_effect`` (mean change; negative: the node drives the output up), ``rank`` within the
    output.
    """
    check_fitted(estimator, action="call fit(X, y) before explaining it")
    model = estimator.model_
    u = estimator.module_input(X)
    outputs = set(estimator.output_ids_)
    nodes = [n for n in model.node_ids if n not in outputs] if nodes is None else \
        estimator._check_nodes(nodes, "nodes")
    rows = []
    with intra_op_threads(estimator.n_threads), torch.no_grad():
        base = model(u)
        for node in nodes:
            delta = (base - model(u, knockout=[node])).numpy()
            rows.append((node, np.abs(delta).mean(0), delta.mean(0)))
    names = _names(estimator)
    out = np.array(estimator.output_ids_)
    frame = pd.DataFrame({
        "node_id": np.repeat([r[0] for r in rows], len(out)),
        "output": np.tile(out, len(rows)),
        "importance": np.concatenate([r[1] for r in rows]) if rows else [],
        "signed_effect": np.concatenate([r[2] for r in rows]) if rows else [],
    })
    frame.insert(1, "name", frame["node_id"].map(names))
    return _rank(frame)


def edge_importance(estimator, X) -> pd.DataFrame:
    """Gradient × weight importance of every edge for each output (see the module docstring).

    Returns one row per (edge, output): ``source``, ``target``, ``sign`` (prior), ``weight`` (fitted),
    ``output``, ``importance``, ``contribution`` (signed ``w * dy/dw``), ``rank`` within the output.
    """
    check_fitted(estimator, action="call fit(X, y) before explaining it")
    model = estimator.model_
    u = estimator.module_input(X)
    grads = []
    with intra_op_threads(estimator.n_threads):
        states = model.states(u)
        outputs = model.readout(states).mean(0)
        for k in range(len(estimator.output_ids_)):
            (g,) = torch.autograd.grad(outputs[k], model.weight, retain_graph=k + 1 < len(estimator.output_ids_))
            grads.append((g * model.weight).detach().numpy())
    contribution = np.stack(grads, 1)  # [E, n_outputs]
    ids = np.array(model.node_ids)
    src, dst = ids[model.structure.sources.numpy()], ids[model.structure.targets.numpy()]
    n_out = len(estimator.output_ids_)
    frame = pd.DataFrame({
        "source": np.repeat(src, n_out), "target": np.repeat(dst, n_out),
        "sign": np.repeat(model.signs.numpy(), n_out), "weight": np.repeat(model.weight.detach().numpy(), n_out),
        "output": np.tile(estimator.output_ids_, len(src)),
        "importance": np.abs(contribution).ravel(), "contribution": contribution.ravel(),
    })
    return _rank(frame)


def explain_nodes(estimator, X, method: str = "ablation", nodes=None) -> pd.DataFrame:
    """The ``binn_graph.explain`` entry point: ``method`` ``"ablation"`` (or ``"clamp"``) is node knockout."""
    if method not in ("ablation", "clamp", "knockout"):
        raise ParameterError(f"a signalling network explains its nodes by knockout (method='ablation'); "
                             f"{method!r} is not available")
    return node_importance(estimator, X, nodes=nodes)
