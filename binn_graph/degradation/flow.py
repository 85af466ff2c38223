"""The degradation flow model: an absorbing Markov chain on a degradation graph.

Every node ``v`` passes material to its children with probabilities ``w(v, u) ≥ 0`` and keeps the rest,
``α(v) = 1 − Σ_u w(v, u)`` (absorption). With ``inflow(Ω) = 1`` at the root and, in topological order,
``inflow(u) = Σ_v inflow(v) · w(v, u)``, the predicted abundance of ``u`` is ``Ŷ(u) = inflow(u) · α(u)``.
``inflow ≥ Ŷ``; the gap is material that passed through ``u`` and was trimmed further (hidden activity).

Fitting (Hartman, Malmström & Wallin 2026):

* ``method="gd"``: a softmax per node over (children + absorption), Adam, MSE or symmetric KL, optional L1/L2 on
  the transition probabilities. Many graphs are fitted in one batched call: their disjoint union is propagated
  level by level with ``index_add`` (message passing), and the per-node softmax is PyG's
  ``torch_geometric.utils.softmax``.
* ``method="lp"``: linear programming under mass conservation (``Σ_in F − Σ_out F = Y_u``, root outflow
  ``1 − Y_Ω``) with scipy's HiGHS. The objective is 0, so the answer is one feasible vertex; inflow is generally
  not identifiable, and :func:`inflow_range` reports the minimum and maximum total inflow over the feasible set.

Observed abundances are normalised to sum to 1 per protein (linear scale; use :func:`from_log2` for log2 areas).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import scipy.sparse as sp
import torch
from scipy.optimize import linprog

from .._dag import longest_path_levels, transitive_closure
from ..errors import DataValidationError
from .graph import DegradationGraph

__all__ = ["FlowFit", "fit", "forward", "inflow_range", "from_log2", "graph_from_edges"]


def graph_from_edges(edges: list[tuple[str, str]], root: str) -> DegradationGraph:
    """A DegradationGraph from explicit ``(source, target)`` edges (no sequence), e.g. for toy models."""
    ids = list(dict.fromkeys([root] + [n for e in edges for n in e]))
    nodes = pd.DataFrame({"id": ids, "start": np.nan, "end": np.nan, "length": np.nan,
                          "is_root": [i == root for i in ids]})
    table = pd.DataFrame(edges, columns=["source", "target"]).assign(kind=None)
    return DegradationGraph(root, "", nodes, table, "explicit")


def from_log2(values: pd.DataFrame | pd.Series) -> pd.DataFrame | pd.Series:
    """Log2 areas → linear intensities (missing stays missing)."""
    return np.power(2.0, values)


@dataclass
class _Batch:
    """Disjoint union of graphs as index arrays."""

    ids: list[tuple[str, str]]  # (protein, node id)
    root: np.ndarray  # node indices of the roots
    graph_of: np.ndarray  # graph index per node
    src: np.ndarray
    dst: np.ndarray
    level: np.ndarray  # longest path from the root
    steps: list = field(default_factory=list)  # per level: (edge ids, source nodes, target nodes) as tensors


def _batch(graphs: list[DegradationGraph]) -> _Batch:
    ids, roots, graph_of, src, dst = [], [], [], [], []
    offset = 0
    for gi, g in enumerate(graphs):
        node_ids = g.nodes["id"].tolist()
        index = {n: i for i, n in enumerate(node_ids)}
        ids += [(g.protein_id, n) for n in node_ids]
        roots.append(offset + index[g.root])
        graph_of += [gi] * len(node_ids)
        src.append(offset + g.edges["source"].map(index).to_numpy(dtype=np.int64))
        dst.append(offset + g.edges["target"].map(index).to_numpy(dtype=np.int64))
        offset += len(node_ids)
    src_a, dst_a = np.concatenate(src), np.concatenate(dst)
    level = longest_path_levels(src_a, dst_a, offset)
    if level is None:  # pragma: no cover - containment graphs are acyclic
        raise DataValidationError("the degradation graph has a cycle")
    batch = _Batch(ids, np.array(roots), np.array(graph_of), src_a, dst_a, level)
    dst_level = level[dst_a]
    for lvl in range(1, int(level.max()) + 1 if len(level) else 1):
        sel = np.flatnonzero(dst_level == lvl)
        if len(sel):
            batch.steps.append((torch.as_tensor(sel), torch.as_tensor(src_a[sel]), torch.as_tensor(dst_a[sel])))
    return batch


def _propagate(batch: _Batch, w: torch.Tensor) -> torch.Tensor:
    inflow = torch.zeros(len(batch.ids), dtype=w.dtype)
    inflow = inflow.index_fill(0, torch.as_tensor(batch.root), 1.0)
    for sel, s, d in batch.steps:  # level by level: every source of a level is final before it is read
        inflow = inflow.index_add(0, d, inflow[s] * w[sel])
    return inflow


def forward(graph: DegradationGraph, probabilities: dict[tuple[str, str], float]) -> pd.DataFrame:
    """Inflow, absorption and predicted abundance for given transition probabilities ``{(v, u): w}``."""
    batch = _batch([graph])
    w = torch.tensor([probabilities.get((s, d), 0.0) for s, d in zip(graph.edges["source"], graph.edges["target"])],
                     dtype=torch.float64)
    out_sum = np.zeros(len(batch.ids))
    np.add.at(out_sum, batch.src, w.numpy())
    if (out_sum > 1 + 1e-12).any():
        raise DataValidationError("outgoing probabilities of a node sum to more than 1")
    inflow = _propagate(batch, w).numpy()
    alpha = 1.0 - out_sum
    return pd.DataFrame({"inflow": inflow, "absorption": alpha, "predicted": inflow * alpha},
                        index=[n for _, n in batch.ids])


@dataclass
class FlowFit:
    """A fitted flow model (one protein, or many concatenated with a ``protein`` column)."""

    edge_probabilities: pd.DataFrame
    absorption: pd.Series
    inflow: pd.Series
    predicted: pd.Series
    observed: pd.Series
    loss: float
    method: str
    hidden_activity: float
    hidden_activity_range: tuple[float, float] | None = None
    history: list[float] = field(default_factory=list)


def _observed(graphs: list[DegradationGraph], abundances) -> np.ndarray:
    """Normalised observed abundance per batch node (root 0 unless given)."""
    tables = abundances if isinstance(abundances, (list, tuple)) else [abundances]
    if len(tables) != len(graphs):
        raise DataValidationError(f"{len(graphs)} graphs but {len(tables)} abundance tables")
    out = []
    for g, a in zip(graphs, tables):
        series = a.mean(axis=1) if isinstance(a, pd.DataFrame) else pd.Series(a, dtype="float64")
        _check_values(a if isinstance(a, pd.DataFrame) else series.to_frame(), g.protein_id)
        unknown = series.index.difference(pd.Index(g.nodes["id"]))
        if len(unknown):
            raise DataValidationError(f"{g.protein_id}: abundances given for {len(unknown)} peptide(s) that are not "
                                      f"nodes of the graph (e.g. {list(unknown[:3])})")
        values = series.reindex(g.nodes["id"]).fillna(0.0).to_numpy(dtype="float64")
        total = values.sum()
        if total <= 0:
            raise DataValidationError(f"{g.protein_id}: all abundances are zero")
        out.append(values / total)
    return np.concatenate(out)


def _check_values(frame: pd.DataFrame, protein: str) -> None:
    values = frame.to_numpy(dtype="float64")
    if np.isnan(values).any() or np.isinf(values).any():
        raise DataValidationError(f"{protein}: abundances hold NaN or infinite values; impute or drop them first")
    if (values < 0).any():
        raise DataValidationError(f"{protein}: abundances must be ≥ 0 (linear scale; use from_log2 for log2 areas)")
    zero = frame.columns[(values == 0).all(axis=0)].tolist()
    if zero:
        raise DataValidationError(f"{protein}: replicate(s) {zero} are all zero")


def fit(graph_or_graphs, abundances, method: str = "gd", *, epochs: int = 1000, lr: float = 0.05,
        loss: str = "mse", l1: float = 0.0, l2: float = 0.0, seed: int = 0) -> FlowFit:
    """Fit transition probabilities to observed abundances (see the module docstring).

    ``abundances``: a Series (peptide id → abundance) or a DataFrame of replicates (fitted on their mean), or a
    list of those for a list of graphs.
    """
    graphs = graph_or_graphs if isinstance(graph_or_graphs, (list, tuple)) else [graph_or_graphs]
    batch = _batch(graphs)
    y = _observed(graphs, abundances)
    if method == "lp":
        return _fit_lp(graphs, batch, y)
    if method != "gd":
        raise DataValidationError(f"method must be 'gd' or 'lp', not {method!r}")
    from torch_geometric.utils import softmax

    torch.manual_seed(seed)
    n, e = len(batch.ids), len(batch.src)
    logits = torch.zeros(e + n, requires_grad=True)
    group = torch.as_tensor(np.concatenate([batch.src, np.arange(n)]))
    target = torch.as_tensor(y, dtype=torch.float32)
    opt = torch.optim.Adam([logits], lr=lr)
    history = []
    for _ in range(epochs):
        opt.zero_grad()
        p = softmax(logits, group, num_nodes=n)
        w, alpha = p[:e], p[e:]
        pred = _propagate(batch, w) * alpha
        value = _loss(pred, target, loss) + l1 * w.abs().sum() + l2 * (w * w).sum()
        value.backward()
        opt.step()
        history.append(float(value.detach()))
    with torch.no_grad():
        p = softmax(logits, group, num_nodes=n)
        w, alpha = p[:e].double(), p[e:].double()
        inflow = _propagate(batch, w)
        pred = inflow * alpha
        final = float(_loss(pred.float(), target, loss))
    return _result(graphs, batch, y, w.numpy(), alpha.numpy(), inflow.numpy(), final, "gd", history)


def _loss(pred: torch.Tensor, target: torch.Tensor, kind: str) -> torch.Tensor:
    if kind == "mse":
        return torch.mean((pred - target) ** 2)
    if kind == "kl":
        eps = 1e-9
        p, q = target + eps, pred + eps
        return 0.5 * (torch.sum(p * torch.log(p / q)) + torch.sum(q * torch.log(q / p)))
    raise DataValidationError(f"loss must be 'mse' or 'kl', not {kind!r}")


def _lp_system(batch: _Batch, y: np.ndarray):
    n, e = len(batch.ids), len(batch.src)
    A = np.zeros((n, e))
    A[batch.dst, np.arange(e)] += 1.0  # inflow
    A[batch.src, np.arange(e)] -= 1.0  # outflow
    b = y.copy()
    b[batch.root] = y[batch.root] - 1.0  # root: -outflow = Y_root - 1
    return A, b


def _fit_lp(graphs, batch: _Batch, y: np.ndarray) -> FlowFit:
    A, b = _lp_system(batch, y)
    res = linprog(np.zeros(A.shape[1]), A_eq=A, b_eq=b, bounds=(0, None), method="highs")
    if res.status != 0:
        unreachable = _unreachable(batch, y)
        names = [f"{p}:{n}" for p, n in np.asarray(batch.ids, dtype=object)[unreachable].tolist()][:10] \
            if len(unreachable) else []
        raise DataValidationError("the flow LP is infeasible: " + (
            f"peptides with abundance but no path from their protein: {names}" if names else
            f"mass conservation cannot hold ({res.message})"))
    flow = res.x
    inflow = np.zeros(len(batch.ids))
    np.add.at(inflow, batch.dst, flow)
    inflow[batch.root] = 1.0
    w = np.where(inflow[batch.src] > 0, flow / np.where(inflow[batch.src] > 0, inflow[batch.src], 1), 0.0)
    out_sum = np.zeros(len(batch.ids))
    np.add.at(out_sum, batch.src, w)
    alpha = np.clip(1.0 - out_sum, 0.0, 1.0)
    pred = inflow * alpha
    fitted = _result(graphs, batch, y, w, alpha, inflow, float(np.mean((pred - y) ** 2)), "lp", [])
    fitted.hidden_activity_range = inflow_range(graphs, batch=batch, y=y)
    return fitted


def _unreachable(batch: _Batch, y: np.ndarray) -> np.ndarray:
    n = len(batch.ids)
    adj = sp.csr_matrix((np.ones(len(batch.src), dtype=bool), (batch.src, batch.dst)), shape=(n, n))
    reach = np.asarray(transitive_closure(adj)[batch.root].sum(axis=0)).ravel() > 0
    reach[batch.root] = True
    return np.flatnonzero((y > 0) & ~reach)


def inflow_range(graphs, abundances=None, *, batch: _Batch | None = None, y: np.ndarray | None = None):
    """Minimum and maximum hidden activity (total non-root inflow / total non-root abundance) over the feasible set."""
    graphs = graphs if isinstance(graphs, (list, tuple)) else [graphs]
    if batch is None:
        batch = _batch(graphs)
        y = _observed(graphs, abundances)
    A, b = _lp_system(batch, y)
    ones = np.ones(A.shape[1])
    lo = linprog(ones, A_eq=A, b_eq=b, bounds=(0, None), method="highs")
    hi = linprog(-ones, A_eq=A, b_eq=b, bounds=(0, None), method="highs")
    mass = y.sum() - y[batch.root].sum()
    if lo.status != 0 or hi.status != 0:
        raise DataValidationError("the flow LP is infeasible; see fit(..., method='lp') for the peptides concerned")
    return float(lo.fun / mass), float(-hi.fun / mass)


def _result(graphs, batch, y, w, alpha, inflow, loss, method, history) -> FlowFit:
    proteins = [p for p, _ in batch.ids]
    nodes = [n for _, n in batch.ids]
    many = len(graphs) > 1
    index = pd.MultiIndex.from_arrays([proteins, nodes], names=["protein", "node"]) if many else pd.Index(
        nodes, name="node")
    edges = pd.DataFrame({"source": np.asarray(nodes, dtype=object)[batch.src],
                          "target": np.asarray(nodes, dtype=object)[batch.dst], "probability": w})
    if many:
        edges.insert(0, "protein", np.asarray(proteins, dtype=object)[batch.src])
    pred = inflow * alpha
    non_root = np.ones(len(nodes), dtype=bool)
    non_root[batch.root] = False
    hidden = float(inflow[non_root].sum() / max(y[non_root].sum(), 1e-300))
    return FlowFit(edges, pd.Series(alpha, index=index), pd.Series(inflow, index=index),
                   pd.Series(pred, index=index), pd.Series(y, index=index), loss, method, hidden, None, history)
