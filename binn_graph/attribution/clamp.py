"""Clamping sensitivity (Kontolati et al. 2025, Algorithm 1) and node ablation, vectorised by level.

For a node ``j`` with activation mean ``μ_j`` and standard deviation ``σ_j`` over the evaluation set,

* clamp: set it to ``μ_j + aσ_j`` for every sample and record the mean explained output ``ŷ⁺``; then to
  ``μ_j − aσ_j`` for ``ŷ⁻``. The score is ``½(|ŷ⁺ − ŷ₀| + |ŷ⁻ − ŷ₀|)``, with ``ŷ₀`` the mean output over
  the evaluation set with nothing clamped;
* ablation: set it to ``μ_j`` (its baseline) and score the mean over samples of ``|f(x with j ablated) − f(x)|``.

A node of width ``k`` is clamped on all its units at once (each unit to its own ``μ ± aσ``). Nodes of one level
are processed in chunks of ``c`` copies of the evaluation set, one clamped node per copy, in one batched pass —
never a Python loop of full forward passes per node. Latent levels use the linearity of the edge layers: a level
above the clamped one receives its unclamped pre-activation plus ``W · Δ``, where ``Δ`` is the change of the
levels it reads (only the clamped node's column for the clamped level), so nothing below the clamped level is
recomputed or copied. Input nodes are clamped by recomputing the network on tiled inputs.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp
import torch

from ._context import ExplainContext

__all__ = ["clamp_scores"]


@torch.no_grad()
def clamp_scores(ctx: ExplainContext, *, mode: str = "clamp", a: float = 1.0, include_inputs: bool = True,
                 chunk_columns: int = 16384, latent_delta: bool = True) -> np.ndarray:
    """Scores ``[n_nodes, n_outputs]`` in architecture node order (NaN for the output root).

    ``latent_delta=False`` recomputes latent clamps on tiled states too (slower; kept as the reference).
    """
    model = ctx.model
    states = model.level_states(ctx.x)
    pieces = model.input_messages(states[0])
    base = ctx.output_fn(model.readout(states))  # [B, T]
    y0 = base.mean(0)
    batch = ctx.x.shape[0]
    bounds = model.architecture.level_bounds
    scores = np.full((bounds[-1][1], base.shape[1]), np.nan)
    reads_inputs_late = [0 in block.source_levels for block in model.levels]
    first = 0 if include_inputs else 1
    delta = _DeltaPropagator(model, states, pieces) if len(bounds) > 2 else None
    for level in range(first, len(bounds) - 1):
        if level > 0 and latent_delta:
            _clamp_latent_level(ctx, delta, level, mode, a, base, y0, scores, chunk_columns)
            continue
        h = states[level]
        width = model.level_widths[level]
        n_nodes = bounds[level][1] - bounds[level][0]
        targets = _clamp_values(h, mode, a)
        chunk = max(1, chunk_columns // batch)
        for start in range(0, n_nodes, chunk):
            nodes = np.arange(start, min(start + chunk, n_nodes))
            c = len(nodes)
            outs = []
            for value in targets:
                if level > 0 and not any(reads_inputs_late[level:]):
                    inputs = states[0][:, :1].expand(-1, c * batch)  # never read above this level: no copy
                else:
                    inputs = states[0].repeat(1, c)
                tiled = [inputs] + [s.repeat(1, c) for s in states[1:level + 1]]
                block = tiled[level].view(n_nodes * width, c, batch)
                for k, j in enumerate(nodes):
                    rows = slice(j * width, (j + 1) * width)
                    block[rows, k, :] = value[rows].unsqueeze(1)
                if level == 0 and model.fused_inputs:
                    piece_t = model.input_messages(tiled[0])
                else:
                    piece_t = [None if (p is None or i < level) else p.repeat(1, c) for i, p in enumerate(pieces)]
                out_states = model.run_levels(tiled, piece_t, level + 1)
                outs.append(ctx.output_fn(model.readout(out_states)).view(c, batch, -1))
            scores[bounds[level][0] + nodes] = _score(mode, outs, y0, base)
    return scores


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


class _DeltaPropagator:
    """Per-(target level, source level) sparse blocks and the unclamped edge sums of every latent level."""

    def __init__(self, model, states, pieces) -> None:
        self.model = model
        self.states = states
        self.bounds = model.architecture.level_bounds
        self.blocks: dict[tuple[int, int], tuple[torch.Tensor, sp.csc_matrix]] = {}
        self.base_sum: list[torch.Tensor | None] = [None]
        for m, block in enumerate(model.levels, start=1):
            total = pieces[m - 1]
            for group, layer in zip(block.groups, block.edge_groups):
                stacked = states[group[0]] if len(group) == 1 else torch.cat([states[g] for g in group], dim=0)
                msg = layer(stacked)
                total = msg if total is None else total + msg
                offset = 0
                src, dst = layer.src_flat.numpy(), layer.dst_flat.numpy()
                vals = layer.weight.detach().reshape(-1).numpy()
                for g in group:
                    rows = (self.bounds[g][1] - self.bounds[g][0]) * model.level_widths[g]
                    sel = (src >= offset) & (src < offset + rows)
                    mat = sp.csr_matrix((vals[sel], (dst[sel], src[sel] - offset)), shape=(layer.shape[0], rows))
                    tensor = torch.sparse_csr_tensor(torch.from_numpy(mat.indptr.astype(np.int64)),
                                                      torch.from_numpy(mat.indices.astype(np.int64)),
                                                      torch.from_numpy(mat.data.astype(np.float32)), mat.shape,
                                                      check_invariants=False)
                    self.blocks[(m, g)] = (tensor, mat.tocsc())
                    offset += rows
            self.base_sum.append(total)


def _finish_level(block, edge_sum: torch.Tensor) -> torch.Tensor:
    """Subnetwork, bias, norm and activation of a level from its edge sum ``[rows, columns]`` (eval mode)."""
    h = edge_sum
    for layer in block.subnetwork:
        h = layer(block.subnetwork_activation(h))
    h = h + block.bias
    if block.norm is not None:
        h = block.norm(h.unsqueeze(0)).squeeze(0)
    return block.activation(h)


def _clamp_latent_level(ctx, prop: _DeltaPropagator, level, mode, a, base, y0, scores, chunk_columns) -> None:
    model = ctx.model
    states, bounds = prop.states, prop.bounds
    h = states[level]
    width = model.level_widths[level]
    batch = h.shape[1]
    n_nodes = bounds[level][1] - bounds[level][0]
    targets = _clamp_values(h, mode, a)
    chunk = max(1, chunk_columns // batch)
    n_levels = len(model.levels)
    heads = model.extra_heads
    for start in range(0, n_nodes, chunk):
        nodes = np.arange(start, min(start + chunk, n_nodes))
        c = len(nodes)
        unit_rows = (nodes[:, None] * width + np.arange(width)[None, :]).reshape(-1)  # [c * width]
        outs = []
        for value in targets:
            d_clamped = (value[unit_rows].unsqueeze(1) - h[unit_rows]).view(c, width, batch)  # [c, k, B]
            deltas: dict[int, torch.Tensor] = {}
            new_states: dict[int, torch.Tensor] = {}
            for m in range(level + 1, n_levels + 1):
                block = model.levels[m - 1]
                rows_m = prop.base_sum[m].shape[0]
                total = prop.base_sum[m].unsqueeze(1).expand(rows_m, c, batch).clone()
                for s in block.source_levels:
                    if s == level:
                        cols = prop.blocks[(m, s)][1][:, unit_rows].toarray().reshape(rows_m, c, width)
                        total += torch.einsum("rck,ckb->rcb", torch.from_numpy(cols).float(), d_clamped)
                    elif s > level:
                        total += (prop.blocks[(m, s)][0] @ deltas[s].reshape(-1, c * batch)).view(rows_m, c, batch)
                out = _finish_level(block, total.view(rows_m, c * batch))
                new_states[m] = out
                if m < n_levels:
                    deltas[m] = (out.view(-1, c, batch) - states[m].unsqueeze(1)).reshape(-1, c, batch)
            logits = new_states[n_levels].view(-1, c, batch).permute(1, 2, 0)  # [c, B, n_out]
            if heads is not None:
                for i, head in enumerate(heads, start=1):
                    if i < level:
                        logits = logits + head(states[i].t()).unsqueeze(0)
                    elif i == level:
                        w = head.weight[:, torch.from_numpy(unit_rows)].view(-1, c, width)  # [n_out, c, k]
                        logits = logits + head(states[i].t()).unsqueeze(0) + torch.einsum("ock,ckb->cbo", w, d_clamped)
                    else:
                        logits = logits + head(new_states[i].t()).view(c, batch, -1)
            outs.append(ctx.output_fn(logits.reshape(c * batch, -1)).view(c, batch, -1))
        scores[bounds[level][0] + nodes] = _score(mode, outs, y0, base)
