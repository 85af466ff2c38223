"""Clamping sensitivity (Kontolati et al. 2025, Algorithm 1) and node ablation, vectorised by level.

For a node ``j`` with activation mean ``μ_j`` and standard deviation ``σ_j`` over the evaluation set,

* clamp: set it to ``μ_j + aσ_j`` for every sample and record the mean explained output ``ŷ⁺``; then to
  ``μ_j − aσ_j`` for ``ŷ⁻``. The score is ``½(|ŷ⁺ − ŷ₀| + |ŷ⁻ − ŷ₀|)``, with ``ŷ₀`` the mean output over
  the evaluation set with nothing clamped;
* ablation: set it to ``μ_j`` (its baseline) and score the mean over samples of ``|f(x with j ablated) − f(x)|``.

A node of width ``k`` is clamped on all its units at once (each unit to its own ``μ ± aσ``). Nodes of one level
are processed in chunks of copies of the evaluation set, one clamped node and value per copy, in one batched
pass — never a Python loop of full forward passes per node. The model reruns itself from the changed states
(:class:`~binn_graph.perturbation.Perturbation`): inputs and latent nodes alike, only the clamped nodes'
ancestors are recomputed, exactly. Nodes are ordered by their first parent so that a chunk shares ancestors.
"""

from __future__ import annotations

import numpy as np
import torch

from ..nn.level_block import unit_rows
from ..perturbation import Perturbation
from ._context import ExplainContext

__all__ = ["clamp_scores"]


@torch.no_grad()
def clamp_scores(ctx: ExplainContext, *, mode: str = "clamp", a: float = 1.0, include_inputs: bool = True,
                 chunk_columns: int = 65536, reference: bool = False) -> np.ndarray:
    """Scores ``[n_nodes, n_outputs]`` in architecture node order (NaN for the output root).

    ``reference=True`` recomputes every clamped copy of the network from scratch (slow; what the fast path is
    tested against).
    """
    pert = Perturbation(ctx.model, ctx.x, states=ctx.states, edge_sums=ctx.edge_sums)
    run = pert.outputs_reference if reference else pert.outputs
    base = ctx.output_fn(pert.logits)  # [B, T]
    y0 = base.mean(0)
    batch = ctx.x.shape[0]
    bounds = ctx.model.architecture.level_bounds
    scores = np.full((bounds[-1][1], base.shape[1]), np.nan)
    n_values = 2 if mode == "clamp" else 1
    chunk = max(1, chunk_columns // (batch * n_values))
    feed = sum(len(rows) for _, rows in ctx.model.integrator_rows)  # the integrator reads F units of every copy
    if feed:  # keep the copies' integrator input (copies × batch × F floats) near chunk_columns × 64
        chunk = max(1, min(chunk, chunk_columns * 64 // (batch * n_values * feed)))
    for level in range(0 if include_inputs else 1, len(bounds) - 1):
        h = pert.states[level]
        targets = _clamp_values(h, mode, a)
        width = pert.widths[level]
        order = _parent_order(ctx.model.architecture, level)
        for start in range(0, len(order), chunk):
            nodes = torch.from_numpy(order[start:start + chunk])
            c = len(nodes)
            units = unit_rows(nodes, width)
            values = torch.cat([t[units].view(c, width, 1) for t in targets])  # [n_values * c, k, 1]
            out = ctx.output_fn(run(level, nodes.repeat(n_values), values).reshape(n_values * c * batch, -1))
            outs = list(out.view(n_values, c, batch, -1))
            scores[bounds[level][0] + nodes.numpy()] = _score(mode, outs, y0, base)
    return scores


def _parent_order(architecture, level: int) -> np.ndarray:
    """Local node indices of ``level`` sorted by their first parent (then by index): chunks share ancestors."""
    a, b = architecture.level_bounds[level]
    edges = architecture.edges
    src = edges["source"].to_numpy()
    inside = (src >= a) & (src < b)
    first_parent = np.full(b - a, np.iinfo(np.int64).max)
    np.minimum.at(first_parent, src[inside] - a, edges["target"].to_numpy()[inside])
    return np.lexsort((np.arange(b - a), first_parent))


def _clamp_values(h: torch.Tensor, mode: str, a: float) -> list[torch.Tensor]:
    """Per-unit values to clamp to: ``μ + aσ`` and ``μ − aσ`` (clamp), or ``μ`` (ablation)."""
    mu, sd = h.mean(1), h.std(1, unbiased=False)
    return [mu + a * sd, mu - a * sd] if mode == "clamp" else [mu]


def _score(mode: str, outs: list[torch.Tensor], y0: torch.Tensor, base: torch.Tensor) -> np.ndarray:
    """Scores ``[c, T]`` from the clamped outputs ``[c, B, T]`` (see the module docstring)."""
    if mode == "clamp":
        plus, minus = outs[0].mean(1), outs[1].mean(1)
        return (0.5 * ((plus - y0).abs() + (minus - y0).abs())).numpy()
    return (outs[0] - base.unsqueeze(0)).abs().mean(1).numpy()
