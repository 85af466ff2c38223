"""The degradation flow model: an absorbing Markov chain on a degradation graph.

Every node ``v`` passes material to its children with probabilities ``w(v, u) ≥ 0`` and keeps the rest,
``α(v) = 1 − Σ_u w(v, u)`` (absorption). With ``inflow(Ω) = 1`` at the root and, in topological order,
``inflow(u) = Σ_v inflow(v) · w(v, u)``, the predicted abundance of ``u`` is ``Ŷ(u) = inflow(u) · α(u)``.
``inflow ≥ Ŷ``; the gap is material that passed through ``u`` and was trimmed further (hidden activity).

Fitting (Hartman, Malmström & Wallin 2026):

* ``method="gd"``: a softmax per node over (children + absorption), Adam, MSE or symmetric KL, optional L1/L2 on
  the transition probabilities. Many graphs are fitted in one batched call: their disjoint union is propagated
  level by level (message passing: a scatter-add per level). The forward pass and its hand-written backward run
  inside one ``torch.autograd.Function`` on NumPy segment reductions, which is faster than autograd through
  PyG's ``softmax`` and ``index_add`` on small graphs and gives the same gradient (checked against that autograd
  path in the tests); the optimiser is ``torch.optim.Adam`` (the fused single-kernel step where torch has it).
  Adam minimises the *sum* of squared errors over nodes (as the reference solver does), so a protein's fit does
  not depend on the others in its batch; ``FlowFit.loss`` is the final MSE (mean over nodes). The loop runs on one
  torch intra-op thread (restored afterwards) below ``GD_THREADING_ELEMENTS`` parameters: its torch work is a few
  element-wise operations per epoch, and with more threads on a busy machine every epoch waits for a descheduled
  worker (several times slower on two threads than on one; see benchmarks/RESULTS.md). Below that size the torch step is a
  few per cent of an epoch, so more threads cannot gain more than that.
* ``method="lp"``: mass conservation (``Σ_in F − Σ_out F = Y_u``, root outflow ``1 − Y_Ω``, ``F ≥ 0``) is
  satisfied exactly by a whole polytope of flows, so inflow is generally not identifiable. :func:`inflow_range`
  reports the minimum and maximum total inflow over that set (two HiGHS LPs), and the point estimate is the
  **minimum-norm flow** ``argmin ½‖F‖² subject to A F = b, F ≥ 0``. It is unique (a strictly convex objective
  over a non-empty convex polytope), so it depends neither on the solver nor on the order of nodes and edges,
  unlike the LP vertex the paper reports (HiGHS returns total inflow 1.00 on β-actin, the bottom of the range,
  which reads as "no hidden activity"). It spreads material over all routes that the data allow instead of
  picking an extreme one, and it scales with the abundances (``b → s·b`` gives ``F → s·F``), which an entropy
  objective ``Σ F log F`` does not. It is the directed version of Thomson's principle (the electrical current is
  the minimum-energy flow; Doyle & Snell 1984, *Random Walks and Electric Networks*, §1.3.5): at the optimum
  ``F(v, u) = max(0, φ(u) − φ(v))`` for node potentials ``φ``, the flow of a network of ideal diodes. It is
  computed by a semismooth Newton method on that dual (each step a sparse Laplacian solve; a handful of steps).

Observed abundances are normalised to sum to 1 per protein (linear scale; use :func:`from_log2` for log2 areas).
Abundances are keyed by peptide sequence; the intact protein (the root Ω) may be keyed by its protein id or by its
full sequence. ``missing=`` says what a missing (NaN) replicate value means: ``"error"`` (the default) refuses
it, ``"zero"`` reads it as "not detected" (0) and averages over all replicates, ``"detected"`` averages over the
replicates that detected the peptide (the convention of the degradation-graphs reference code, with which it
reproduces the paper's β-actin values). A peptide detected in no replicate is 0 either way.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import scipy.sparse as sp
import torch
from scipy.optimize import linprog
from scipy.sparse.linalg import spsolve

from kg import algorithms
from kg.errors import CycleError

from ..errors import DataValidationError, GraphCycleError
from ..threads import intra_op_threads
from ..training import resolve_device
from .graph import DegradationGraph

__all__ = ["FlowFit", "fit", "forward", "inflow_range", "from_log2", "graph_from_edges", "MISSING",
           "GD_THREADING_ELEMENTS"]

MISSING = ("error", "zero", "detected")
GD_THREADING_ELEMENTS = 1_000_000  # see the module docstring; measured in benchmarks/bench_degradation.py


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
    segments: "_Segments | None" = None
    np_steps: list = field(default_factory=list)  # the same steps as NumPy arrays


@dataclass
class _Segments:
    """Softmax groups made contiguous: ``order`` sorts ``[edges, absorptions]`` by node; segment starts/counts."""

    order: np.ndarray
    starts: np.ndarray
    counts: np.ndarray


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
    try:  # longest path from the root
        level = algorithms.longest_path_levels(
            sp.csr_matrix((np.ones(len(src_a), dtype=bool), (src_a, dst_a)), shape=(offset, offset)))
    except CycleError as err:  # pragma: no cover - containment graphs are acyclic
        nodes = [f"{ids[i][0]}:{ids[i][1]}" for i in err.nodes[:10]]
        raise GraphCycleError(f"the degradation graph has a cycle through {nodes}", nodes=nodes) from None
    batch = _Batch(ids, np.array(roots), np.array(graph_of), src_a, dst_a, level)
    group = np.concatenate([src_a, np.arange(offset)])  # softmax groups: a node's out-edges and its absorption
    order = np.argsort(group, kind="stable")
    counts = np.bincount(group, minlength=offset)
    batch.segments = _Segments(order, np.concatenate([[0], np.cumsum(counts)[:-1]]), counts)
    dst_level = level[dst_a]
    for lvl in range(1, int(level.max()) + 1 if len(level) else 1):
        sel = np.flatnonzero(dst_level == lvl)
        if len(sel):
            batch.steps.append((torch.as_tensor(sel), torch.as_tensor(src_a[sel]), torch.as_tensor(dst_a[sel])))
            batch.np_steps.append((sel, src_a[sel], dst_a[sel]))
    return batch


def _propagate(batch: _Batch, w: torch.Tensor, steps=None, root: torch.Tensor | None = None) -> torch.Tensor:
    """Inflow ``[N]`` of every node from transition probabilities ``w`` ``[E]`` (root inflow 1), on ``w``'s device;
    ``steps``/``root`` are the batch's level steps and root positions already on that device (default: the
    batch's CPU tensors)."""
    inflow = torch.zeros(len(batch.ids), dtype=w.dtype, device=w.device)
    inflow = inflow.index_fill(0, torch.as_tensor(batch.root) if root is None else root, 1.0)
    for sel, s, d in (batch.steps if steps is None else steps):  # level by level: sources final before read
        inflow = inflow.index_add(0, d, inflow[s] * w[sel])
    return inflow


def _softmax(batch: _Batch, logits: np.ndarray) -> np.ndarray:
    """Per-node softmax over (out-edges, absorption), float64, in ``[edges, absorptions]`` order."""
    seg = batch.segments
    sorted_logits = logits.astype(np.float64)[seg.order]
    ex = np.exp(sorted_logits - np.repeat(np.maximum.reduceat(sorted_logits, seg.starts), seg.counts))
    p = np.empty_like(ex)
    p[seg.order] = ex / np.repeat(np.add.reduceat(ex, seg.starts), seg.counts)
    return p


def _inflow(batch: _Batch, w: np.ndarray) -> np.ndarray:
    """Inflow per node: 1 at the roots, then level by level ``inflow(u) += inflow(v) · w(v, u)``."""
    n = len(batch.ids)
    inflow = np.zeros(n)
    inflow[batch.root] = 1.0
    for sel, src, dst in batch.np_steps:
        inflow += np.bincount(dst, inflow[src] * w[sel], minlength=n)
    return inflow


class _FlowPass(torch.autograd.Function):
    """logits ``[E + N]`` → (softmax probabilities ``[E + N]``, predicted abundance ``[N]``).

    The same numbers as autograd through a per-node softmax and :func:`_propagate` (tested against it), computed
    with NumPy segment reductions and ``bincount`` and a hand-written backward (the adjoint of the level-by-level
    propagation in reverse level order, then the softmax Jacobian), which cuts the per-operation overhead that
    dominates small graphs.
    """

    @staticmethod
    def forward(ctx, logits, batch: _Batch):
        p = _softmax(batch, logits.detach().numpy())
        alpha = p[len(batch.src):]
        inflow = _inflow(batch, p[:len(batch.src)])
        ctx.p, ctx.inflow, ctx.batch = p, inflow, batch
        return torch.from_numpy(p.astype(np.float32)), torch.from_numpy((inflow * alpha).astype(np.float32))

    @staticmethod
    def backward(ctx, grad_p, grad_pred):
        p, inflow, batch = ctx.p, ctx.inflow, ctx.batch
        seg = batch.segments
        n, e = len(batch.ids), len(batch.src)
        w, alpha = p[:e], p[e:]
        gp = grad_pred.numpy().astype(np.float64)
        adjoint = gp * alpha  # ∂L/∂inflow, completed in reverse level order
        for sel, src, dst in reversed(batch.np_steps):  # a level's targets are final before its sources read them
            adjoint += np.bincount(src, adjoint[dst] * w[sel], minlength=n)
        g = np.concatenate([inflow[batch.src] * adjoint[batch.dst], gp * inflow])  # ∂L/∂w, ∂L/∂α
        if grad_p is not None:
            g += grad_p.numpy()
        weighted = (g * p)[seg.order]  # softmax Jacobian: p ⊙ (g − Σ_group p g)
        total = np.repeat(np.add.reduceat(weighted, seg.starts), seg.counts)
        out = np.empty_like(weighted)
        out[seg.order] = weighted - p[seg.order] * total
        return torch.from_numpy(out.astype(np.float32)), None


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
    """A fitted flow model (one protein, or many concatenated with a ``protein`` column).

    ``hidden_activity`` is total non-root inflow per unit of non-root abundance for the fitted flow (the GD fit, or
    for ``method="lp"`` the minimum-norm flow); ``hidden_activity_range`` is its minimum and maximum over every flow
    that conserves mass exactly.
    """

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
    graphs: list[DegradationGraph] = field(default_factory=list, repr=False)
    replicates: pd.DataFrame | None = None  # per replicate: hidden_activity, loss (replicates="each")
    hidden_activity_sd: float | None = None

    @property
    def flow(self) -> pd.Series:
        """Material passed along each edge, ``inflow(source) · probability`` (aligned with ``edge_probabilities``)."""
        e = self.edge_probabilities
        keys = list(zip(e["protein"], e["source"])) if "protein" in e.columns else e["source"]
        return pd.Series(self.inflow.reindex(keys).to_numpy() * e["probability"].to_numpy(), index=e.index,
                         name="flow")


def _observed(graphs: list[DegradationGraph], abundances, missing: str = "error") -> np.ndarray:
    """Normalised observed abundance per batch node (root 0 unless given)."""
    tables = abundances if isinstance(abundances, (list, tuple)) else [abundances]
    if len(tables) != len(graphs):
        raise DataValidationError(f"{len(graphs)} graphs but {len(tables)} abundance tables")
    out = []
    for g, a in zip(graphs, tables):
        values = _node_abundance(g, a, missing).to_numpy(dtype="float64")
        total = values.sum()
        if total <= 0:
            raise DataValidationError(f"{g.protein_id}: all abundances are zero")
        out.append(values / total)
    return np.concatenate(out)


def _node_abundance(g: DegradationGraph, a, missing: str) -> pd.Series:
    """One protein's abundances (a Series, or a DataFrame of replicates averaged under ``missing``) on its nodes.

    The intact protein may be keyed by the protein id or by its full sequence; nodes without a value are 0.
    """
    if missing not in MISSING:
        raise DataValidationError(f"missing must be one of {list(MISSING)}, not {missing!r}")
    frame = a if isinstance(a, pd.DataFrame) else pd.Series(a, dtype="float64").to_frame()
    frame = _root_keyed(g, frame)
    _check_values(frame, g.protein_id, missing)
    unknown = frame.index.difference(pd.Index(g.nodes["id"]))
    if len(unknown):
        raise DataValidationError(f"{g.protein_id}: abundances given for {len(unknown)} peptide(s) that are not "
                                  f"nodes of the graph (e.g. {list(unknown[:3])}); build the graph from the same "
                                  "peptides, or drop those rows")
    if missing == "detected":
        series = frame.mean(axis=1, skipna=True).fillna(0.0)  # a peptide detected in no replicate: 0
    else:
        series = frame.fillna(0.0).mean(axis=1)
    return series.reindex(g.nodes["id"]).fillna(0.0)


def _root_keyed(g: DegradationGraph, frame: pd.DataFrame) -> pd.DataFrame:
    """Rows keyed by the full protein sequence renamed to the root id; duplicated keys refused."""
    if frame.index.has_duplicates:
        dup = frame.index[frame.index.duplicated()].unique().tolist()
        raise DataValidationError(f"{g.protein_id}: {len(dup)} peptide(s) have more than one abundance row (e.g. "
                                  f"{dup[:3]}); collapse duplicate rows first (e.g. groupby(level=0).mean())")
    if g.sequence and g.sequence in frame.index:
        if g.protein_id in frame.index:
            raise DataValidationError(f"{g.protein_id}: the intact protein has two abundance rows, keyed by its id "
                                      f"{g.protein_id!r} and by its full sequence; keep one")
        frame = frame.rename(index={g.sequence: g.protein_id})
    return frame


def _check_values(frame: pd.DataFrame, protein: str, missing: str = "error") -> None:
    values = frame.to_numpy(dtype="float64")
    nan = np.isnan(values)
    if np.isinf(values).any():
        raise DataValidationError(f"{protein}: abundances hold infinite values")
    if nan.any() and missing == "error":
        rows = frame.index[nan.any(axis=1)].tolist()
        raise DataValidationError(
            f"{protein}: {int(nan.sum())} missing (NaN) abundances in {len(rows)} row(s) (e.g. {rows[:3]}); say what "
            "missing means: missing='zero' (not detected: 0, averaged over all replicates) or missing='detected' "
            "(the mean over the replicates that detected the peptide, the degradation-graphs paper's convention)")
    if (values[~nan] < 0).any():
        raise DataValidationError(f"{protein}: abundances must be ≥ 0 (linear scale; use from_log2 for log2 areas)")
    zero = frame.columns[np.where(nan, 0.0, values).sum(axis=0) == 0].tolist()
    if zero:
        raise DataValidationError(f"{protein}: replicate(s) {zero} are all zero or missing")


def fit(graph_or_graphs, abundances, method: str = "gd", *, epochs: int = 1000, lr: float = 0.05,
        loss: str = "mse", l1: float = 0.0, l2: float = 0.0, seed: int = 0, replicates: str = "mean",
        missing: str = "error", feasible_range: bool = True, device: str = "cpu") -> FlowFit:
    """Fit transition probabilities to observed abundances (see the module docstring).

    Parameters
    ----------
    graph_or_graphs:
        A :class:`DegradationGraph`, a list of them, or a dict keyed by protein id.
    abundances:
        Linear-scale abundances: a Series (peptide sequence → abundance) or a DataFrame of replicates (columns), or
        a list of those aligned with a list of graphs, or a dict keyed by protein id (matched by id). The intact
        protein (the root) may be keyed by its protein id or by its full sequence.
    method:
        ``"gd"`` (gradient descent on the MSE) or ``"lp"`` (exact mass conservation; ``hidden_activity`` is that of
        the unique minimum-norm feasible flow, see the module docstring).
    replicates:
        ``"mean"`` fits the replicate mean; ``"each"`` fits every replicate (all in one batched GD call, or one LP
        each) and reports the mean of the per-replicate fits with ``hidden_activity_sd`` and a ``replicates``
        table; ``edge_probabilities`` then has a ``probability_sd`` column.
    missing:
        What a missing (NaN) replicate value means: ``"error"`` refuses it; ``"zero"`` = not detected, so the
        replicate mean counts it as 0; ``"detected"`` = the replicate mean is taken over the replicates that
        detected the peptide (the degradation-graphs reference's convention). With ``replicates="each"`` a missing
        value is 0 in its own replicate's fit under both policies; only the mean used for the feasible range differs.
    feasible_range:
        Also solve the two LPs of :func:`inflow_range` for ``hidden_activity_range`` (always done for ``lp``).
    device:
        Where the GD epochs run: ``"cpu"`` (default: the NumPy forward/backward of the module docstring),
        ``"cuda"`` or ``"auto"`` (CUDA where available, else the CPU), as the BINN estimators. On CUDA the same
        model is differentiated by torch autograd (segment softmax, level-by-level ``index_add``, float64 inside,
        float32 parameters as on the CPU); results match the CPU fit within float tolerance. Everything else (the
        LPs, the result tables) runs on the CPU.
    """
    graphs, abundances = _align(graph_or_graphs, abundances)
    target_device = resolve_device(device)
    if replicates not in ("mean", "each"):
        raise DataValidationError(f"replicates must be 'mean' or 'each', not {replicates!r}")
    if method not in ("gd", "lp"):
        raise DataValidationError(f"method must be 'gd' or 'lp', not {method!r}")
    if missing not in MISSING:
        raise DataValidationError(f"missing must be one of {list(MISSING)}, not {missing!r}")
    if replicates == "each":
        return _fit_replicates(graphs, abundances, method, missing, dict(epochs=epochs, lr=lr, loss=loss, l1=l1,
                                                                         l2=l2, seed=seed, device=device,
                                                                         feasible_range=feasible_range))
    batch = _batch(graphs)
    y = _observed(graphs, abundances, missing)
    if method == "lp":
        return _fit_lp(graphs, batch, y)
    torch.manual_seed(seed)
    e = len(batch.src)
    gd = _gd_numpy if target_device.type == "cpu" else _gd_torch
    logits, history = gd(batch, y, epochs=epochs, lr=lr, loss=loss, l1=l1, l2=l2, device=target_device)
    p = _softmax(batch, logits)
    w, alpha = p[:e], p[e:]
    inflow = _inflow(batch, w)
    final = float(_loss(torch.from_numpy(inflow * alpha), torch.from_numpy(y), loss))
    fitted = _result(graphs, batch, y, w, alpha, inflow, final, "gd", history)
    if feasible_range:
        fitted.hidden_activity_range = inflow_range(graphs, batch=batch, y=y)
    return fitted


_intra_op_threads = intra_op_threads  # the shared context manager (binn_graph.threads)


def _gd_numpy(batch: _Batch, y: np.ndarray, *, epochs: int, lr: float, loss: str, l1: float, l2: float,
              device=None) -> tuple[np.ndarray, list[float]]:
    """The CPU GD loop (NumPy forward/backward in :class:`_FlowPass`, torch Adam): final logits ``[E + N]``, losses."""
    n, e = len(batch.ids), len(batch.src)
    logits = torch.zeros(e + n, requires_grad=True)
    target = torch.as_tensor(y, dtype=torch.float32)
    history = []
    with _intra_op_threads(1 if e + n < GD_THREADING_ELEMENTS else None):
        opt = _adam(logits, lr)
        for _ in range(epochs):
            opt.zero_grad()
            p, pred = _FlowPass.apply(logits, batch)
            w = p[:e]
            # summed (not averaged) over nodes: each protein's gradients do not depend on what else is in the batch
            value = _loss(pred, target, loss, reduce="sum") + l1 * w.abs().sum() + l2 * (w * w).sum()
            value.backward()
            opt.step()
            history.append(float(value.detach()))
    return logits.detach().numpy(), history


def _gd_torch(batch: _Batch, y: np.ndarray, *, epochs: int, lr: float, loss: str, l1: float, l2: float,
              device: torch.device) -> tuple[np.ndarray, list[float]]:
    """The same GD loop on ``device`` with torch autograd: per-node softmax over (out-edges, absorption) by segment
    max/sum (``scatter_reduce``/``index_add``), inflow level by level, float64 inside, float32 logits ``[E + N]``.

    Used for CUDA; on the CPU it is the reference the NumPy path is tested against.
    """
    n, e = len(batch.ids), len(batch.src)
    group = torch.as_tensor(np.concatenate([batch.src, np.arange(n)]), device=device)
    root = torch.as_tensor(batch.root, device=device)
    steps = [(torch.as_tensor(sel, device=device), torch.as_tensor(src, device=device),
              torch.as_tensor(dst, device=device)) for sel, src, dst in batch.np_steps]
    logits = torch.zeros(e + n, device=device, requires_grad=True)
    target = torch.as_tensor(y, dtype=torch.float64, device=device)
    opt = torch.optim.Adam([logits], lr=lr)
    history = []
    for _ in range(epochs):
        opt.zero_grad()
        x = logits.double()
        peak = torch.full((n,), -torch.inf, dtype=x.dtype, device=device).scatter_reduce(
            0, group, x.detach(), reduce="amax")
        ex = torch.exp(x - peak[group])
        p = ex / torch.zeros(n, dtype=x.dtype, device=device).index_add(0, group, ex)[group]
        w, alpha = p[:e], p[e:]
        inflow = _propagate(batch, w, steps, root)
        value = _loss(inflow * alpha, target, loss, reduce="sum") + l1 * w.abs().sum() + l2 * (w * w).sum()
        value.backward()
        opt.step()
        history.append(value.detach())  # read back once at the end: no device sync per epoch
    return logits.detach().cpu().numpy(), torch.stack(history).cpu().tolist() if history else []


def _adam(param: torch.Tensor, lr: float) -> torch.optim.Adam:
    """Adam with the fused single-kernel CPU step (torch ≥ 2.4), else the plain single-tensor step."""
    try:
        return torch.optim.Adam([param], lr=lr, fused=True)
    except (RuntimeError, TypeError):  # pragma: no cover - torch < 2.4 has no fused CPU Adam
        return torch.optim.Adam([param], lr=lr, foreach=False)


def _align(graph_or_graphs, abundances):
    """Graphs and abundance tables as two aligned lists (dicts are matched by protein id)."""
    if isinstance(graph_or_graphs, dict):
        if not isinstance(abundances, dict):
            raise DataValidationError("graphs given as a dict need abundances as a dict keyed by the same protein ids")
        missing = sorted(set(graph_or_graphs) - set(abundances))
        extra = sorted(set(abundances) - set(graph_or_graphs))
        if missing or extra:
            raise DataValidationError(f"protein ids differ between graphs and abundances: no abundances for "
                                      f"{missing[:5]}, no graph for {extra[:5]}")
        keys = list(graph_or_graphs)
        return [graph_or_graphs[k] for k in keys], [abundances[k] for k in keys]
    graphs = list(graph_or_graphs) if isinstance(graph_or_graphs, (list, tuple)) else [graph_or_graphs]
    return graphs, abundances


def _fit_replicates(graphs, abundances, method: str, missing: str, options: dict) -> FlowFit:
    tables = abundances if isinstance(abundances, (list, tuple)) else [abundances]
    if not all(isinstance(t, pd.DataFrame) for t in tables):
        raise DataValidationError("replicates='each' needs a DataFrame of replicates (columns) per protein")
    columns = list(tables[0].columns)
    for g, t in zip(graphs, tables):
        if list(t.columns) != columns:
            raise DataValidationError(f"{g.protein_id}: replicate columns {list(t.columns)} differ from {columns}")
        _node_abundance(g, t, missing)  # refuse bad tables before fitting anything
    options = {**options, "missing": missing}
    if method == "gd":  # every replicate of every protein in one batched call
        copies = [_relabel(g, f"{g.protein_id} [{c}]") for c in columns for g in graphs]
        series = [t[c].rename({g.protein_id: f"{g.protein_id} [{c}]"}) for c in columns for g, t in zip(graphs, tables)]
        every = fit(copies, series, "gd", **{**options, "feasible_range": False})
        per = _split_replicates(every, graphs, columns)
    else:
        per = {c: fit(graphs, [t[c] for t in tables], method, **options) for c in columns}
    feasible = inflow_range(graphs, list(tables), missing=missing) \
        if method == "lp" or options.get("feasible_range", True) else None
    probs = np.column_stack([per[c].edge_probabilities["probability"].to_numpy() for c in columns])
    stack = lambda attr: np.column_stack([getattr(per[c], attr).to_numpy() for c in columns])  # noqa: E731
    edges = per[columns[0]].edge_probabilities.copy()
    edges["probability"] = probs.mean(axis=1)
    edges["probability_sd"] = probs.std(axis=1, ddof=1) if len(columns) > 1 else 0.0
    first = per[columns[0]]
    table = pd.DataFrame({"hidden_activity": [per[c].hidden_activity for c in columns],
                          "loss": [per[c].loss for c in columns]}, index=pd.Index(columns, name="replicate"))
    ranges = [per[c].hidden_activity_range for c in columns]
    if all(r is not None for r in ranges):
        table["hidden_activity_min"] = [r[0] for r in ranges]
        table["hidden_activity_max"] = [r[1] for r in ranges]
    index = first.inflow.index
    return FlowFit(edges, pd.Series(stack("absorption").mean(1), index=index),
                   pd.Series(stack("inflow").mean(1), index=index), pd.Series(stack("predicted").mean(1), index=index),
                   pd.Series(stack("observed").mean(1), index=index), float(table["loss"].mean()), method,
                   float(table["hidden_activity"].mean()), feasible, [], list(graphs), table,
                   float(table["hidden_activity"].std(ddof=1)) if len(columns) > 1 else 0.0)


def _relabel(g: DegradationGraph, new_id: str) -> DegradationGraph:
    nodes = g.nodes.copy()
    nodes.loc[nodes["is_root"], "id"] = new_id
    edges = g.edges.copy()
    edges["source"] = edges["source"].replace({g.protein_id: new_id})
    return DegradationGraph(new_id, g.sequence, nodes, edges, g.mode, g.report)


def _split_replicates(every: FlowFit, graphs, columns) -> dict:
    """Per-replicate FlowFits out of one batched fit over relabelled copies (replicate-major order)."""
    batch = _batch(graphs)
    n_edges, n_nodes = len(batch.src), len(batch.ids)
    w = every.edge_probabilities["probability"].to_numpy()
    observed, inflow = every.observed.to_numpy(), every.inflow.to_numpy()
    alpha, predicted = every.absorption.to_numpy(), every.predicted.to_numpy()
    out = {}
    for i, c in enumerate(columns):
        e, n = slice(i * n_edges, (i + 1) * n_edges), slice(i * n_nodes, (i + 1) * n_nodes)
        mse = float(np.mean((predicted[n] - observed[n]) ** 2))
        out[c] = _result(graphs, batch, observed[n], w[e], alpha[n], inflow[n], mse, "gd", [])
    return out


def _node_index(graphs) -> pd.Index:
    nodes = [n for g in graphs for n in g.nodes["id"]]
    if len(graphs) > 1:
        proteins = [g.protein_id for g in graphs for _ in range(len(g.nodes))]
        return pd.MultiIndex.from_arrays([proteins, nodes], names=["protein", "node"])
    return pd.Index(nodes, name="node")


def _loss(pred: torch.Tensor, target: torch.Tensor, kind: str, reduce: str = "mean") -> torch.Tensor:
    """MSE (mean over nodes, or the sum of squares for the optimiser) or symmetric KL (always summed)."""
    if kind == "mse":
        squares = (pred - target) ** 2
        return squares.sum() if reduce == "sum" else squares.mean()
    if kind == "kl":
        eps = 1e-9
        p, q = target + eps, pred + eps
        return 0.5 * (torch.sum(p * torch.log(p / q)) + torch.sum(q * torch.log(q / p)))
    raise DataValidationError(f"loss must be 'mse' or 'kl', not {kind!r}")


def _lp_system(batch: _Batch, y: np.ndarray):
    n, e = len(batch.ids), len(batch.src)
    cols = np.arange(e)
    A = sp.csr_matrix((np.concatenate([np.ones(e), -np.ones(e)]),  # +inflow, −outflow (sparse: n × e)
                       (np.concatenate([batch.dst, batch.src]), np.concatenate([cols, cols]))), shape=(n, e))
    b = y.copy()
    b[batch.root] = y[batch.root] - 1.0  # root: -outflow = Y_root - 1
    return A, b


def _fit_lp(graphs, batch: _Batch, y: np.ndarray) -> FlowFit:
    """The feasible range (two LPs; also the feasibility check) and the minimum-norm flow as the point estimate."""
    A, b = _lp_system(batch, y)
    hidden_range = _range(batch, y, A, b)
    flow = _min_norm_flow(batch, b)
    inflow = np.bincount(batch.dst, flow, minlength=len(batch.ids))
    inflow[batch.root] = 1.0
    w = np.where(inflow[batch.src] > 0, flow / np.where(inflow[batch.src] > 0, inflow[batch.src], 1), 0.0)
    out_sum = np.bincount(batch.src, w, minlength=len(batch.ids))
    alpha = np.clip(1.0 - out_sum, 0.0, 1.0)
    pred = inflow * alpha
    fitted = _result(graphs, batch, y, w, alpha, inflow, float(np.mean((pred - y) ** 2)), "lp", [])
    fitted.hidden_activity_range = hidden_range
    return fitted


def _min_norm_flow(batch: _Batch, b: np.ndarray, tol: float = 1e-12, max_iter: int = 100) -> np.ndarray:
    """The unique ``argmin ½‖F‖²`` subject to ``A F = b``, ``F ≥ 0`` (``A``: +1 at an edge's target, −1 at its source).

    Semismooth Newton on the concave dual ``g(φ) = bᵀφ − ½‖max(0, Aᵀφ)‖²``, whose maximiser gives
    ``F = max(0, φ[target] − φ[source])``. The generalised Hessian ``−A D Aᵀ`` is the Laplacian of the edges that
    carry flow (``D`` = 1 there, 1e-8 elsewhere, so no node is cut off), and each graph of the batch takes its own
    Armijo step (the dual separates by graph). The start ``φ`` = longest-path level puts flow on every edge.
    Stops when mass conservation holds to ``tol``; the caller has checked feasibility with the range LPs.
    """
    n, src, dst, graph_of = len(batch.ids), batch.src, batch.dst, batch.graph_of
    n_graphs = int(graph_of.max()) + 1
    rows, cols = np.concatenate([src, dst, src, dst]), np.concatenate([src, dst, dst, src])

    def dual(phi):
        flow = np.maximum(0.0, phi[dst] - phi[src])
        value = np.bincount(graph_of, b * phi, minlength=n_graphs)
        return value - 0.5 * np.bincount(graph_of[src], flow * flow, minlength=n_graphs), flow

    phi = batch.level.astype(np.float64)
    value, flow = dual(phi)
    for _ in range(max_iter):
        residual = b - np.bincount(dst, flow, minlength=n) + np.bincount(src, flow, minlength=n)
        if not len(src) or np.abs(residual).max() <= tol:
            return flow
        d = np.where(flow > 0, 1.0, 1e-8)
        laplacian = sp.csc_matrix((np.concatenate([d, d, -d, -d]), (rows, cols)), shape=(n, n)) \
            + sp.identity(n, format="csc") * 1e-12
        step = spsolve(laplacian, residual)
        slope = np.bincount(graph_of, residual * step, minlength=n_graphs)
        t = np.ones(n_graphs)
        for _ in range(60):
            trial, _ = dual(phi + t[graph_of] * step)
            ok = trial >= value + 1e-4 * t * slope - 1e-15 * np.maximum(1.0, np.abs(value))
            if ok.all():
                break
            t = np.where(ok, t, t / 2)
        phi = phi + t[graph_of] * step
        value, flow = dual(phi)
    raise DataValidationError(  # pragma: no cover - not seen in testing (a handful of steps suffice)
        f"the minimum-norm flow did not converge in {max_iter} Newton steps (mass residual "
        f"{np.abs(residual).max():.2g}); report this with the input")


def _unreachable(batch: _Batch, y: np.ndarray) -> np.ndarray:
    n = len(batch.ids)
    adj = sp.csr_matrix((np.ones(len(batch.src), dtype=bool), (batch.src, batch.dst)), shape=(n, n))
    return np.flatnonzero((y > 0) & ~algorithms.reachable(adj, batch.root))


def inflow_range(graphs, abundances=None, *, missing: str = "error", batch: _Batch | None = None,
                 y: np.ndarray | None = None):
    """Minimum and maximum hidden activity (total non-root inflow / total non-root abundance) over the feasible set.

    ``abundances`` and ``missing`` as in :func:`fit` (a DataFrame of replicates is averaged under ``missing``).
    """
    graphs = graphs if isinstance(graphs, (list, tuple)) else [graphs]
    if batch is None:
        batch = _batch(graphs)
        y = _observed(graphs, abundances, missing)
    A, b = _lp_system(batch, y)
    return _range(batch, y, A, b)


def _range(batch: _Batch, y: np.ndarray, A, b) -> tuple[float, float]:
    """Minimum and maximum total non-root inflow over ``{A F = b, F ≥ 0}``, per unit of non-root abundance."""
    ones = np.ones(A.shape[1])
    lo = linprog(ones, A_eq=A, b_eq=b, bounds=(0, None), method="highs")
    if lo.status != 0:
        unreachable = _unreachable(batch, y)
        names = [f"{p}:{n}" for p, n in np.asarray(batch.ids, dtype=object)[unreachable].tolist()][:10] \
            if len(unreachable) else []
        raise DataValidationError("the flow LP is infeasible: " + (
            f"peptides with abundance but no path from their protein: {names}" if names else
            f"mass conservation cannot hold ({lo.message})"))
    hi = linprog(-ones, A_eq=A, b_eq=b, bounds=(0, None), method="highs")
    if hi.status != 0:  # pragma: no cover - a DAG's flows are bounded, so a feasible LP has a maximum
        raise DataValidationError(f"the flow LP has no maximum ({hi.message})")
    mass = max(y.sum() - y[batch.root].sum(), 1e-300)  # as in _result
    return float(lo.fun / mass), float(-hi.fun / mass)


def _result(graphs, batch, y, w, alpha, inflow, loss, method, history) -> FlowFit:
    proteins = [p for p, _ in batch.ids]
    nodes = [n for _, n in batch.ids]
    many = len(graphs) > 1
    index = _node_index(graphs)
    edges = pd.DataFrame({"source": np.asarray(nodes, dtype=object)[batch.src],
                          "target": np.asarray(nodes, dtype=object)[batch.dst], "probability": w})
    if many:
        edges.insert(0, "protein", np.asarray(proteins, dtype=object)[batch.src])
    pred = inflow * alpha
    non_root = np.ones(len(nodes), dtype=bool)
    non_root[batch.root] = False
    hidden = float(inflow[non_root].sum() / max(y[non_root].sum(), 1e-300))
    return FlowFit(edges, pd.Series(alpha, index=index), pd.Series(inflow, index=index),
                   pd.Series(pred, index=index), pd.Series(y, index=index), loss, method, hidden, None, history,
                   list(graphs))
