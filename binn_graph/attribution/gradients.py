"""Integrated gradients, layer conductance and edge flow along the straight path from a baseline to each sample.

With ``x(α) = x' + α (x − x')`` and ``K`` steps (midpoint rule, ``α_k = (k − ½)/K``):

* integrated gradients of input ``i`` (Sundararajan et al. 2017):
  ``IG_i = (x_i − x'_i) · 1/K Σ_k ∂f/∂x_i(x(α_k))``; completeness: ``Σ_i IG_i ≈ f(x) − f(x')``;
* conductance of a latent unit ``u`` (Dhamdhere et al. 2018):
  ``C_u = Σ_k ∂f/∂h_u(x(α_k)) · (h_u(x(k/K)) − h_u(x((k−1)/K)))``; a node's conductance sums its units;
* edge flow ``u → v``: ``Σ_k ∂f/∂z_v(x(α_k)) · w_uv · Δ_k h_u``, with ``z_v`` the pre-activation of ``v``; the
  flows into ``v`` add up to the conductance of ``z_v``.

The baseline ``x'`` is 0 in the model's input space, i.e. the training mean of every feature (inputs are
standardised on the training rows). Computed in sample chunks, one backward pass per chunk and output; Captum
offers the same quantities for generic modules, but this implementation reads every level and edge of a BINN in
that single pass.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import torch

from ._context import ExplainContext
from .path_integral import midpoint_alphas, path_integral, straight_path

__all__ = ["path_attributions"]


def _edge_tables(model):
    """``(layer, global source positions, global target positions)`` for every sparse layer of the model."""
    out = []
    for layer, sources, targets in model.edge_layers():
        ei = layer.edge_index.numpy()
        out.append((layer, model.layer_positions(sources)[ei[0]], model.layer_positions(targets)[ei[1]]))
    return out


def path_attributions(ctx: ExplainContext, *, steps: int = 50, chunk_rows: int = 4096, edges: bool = True):
    """Return ``(node_scores [n_samples, n_nodes, T], edge_flow [n_samples, n_edges, T] | None, edge_frame,
    completeness gap per sample and output [n_samples, T])``."""
    model = ctx.model
    arch = model.architecture
    bounds = arch.level_bounds
    widths = model.level_widths
    n_nodes = bounds[-1][1]
    x = ctx.x
    n, d = x.shape
    with torch.no_grad():
        n_out = ctx.output_fn(model(x[:1])).shape[1]
    baseline = torch.zeros(1, d)
    alphas_mid = midpoint_alphas(steps)
    alphas_end = torch.arange(steps + 1, dtype=torch.float32) / steps
    node_scores = np.zeros((n, n_nodes, n_out))
    tables = _edge_tables(model) if edges else []
    edge_frame = pd.DataFrame({
        "source": np.concatenate([t[1] for t in tables]) if tables else np.array([], dtype=int),
        "target": np.concatenate([t[2] for t in tables]) if tables else np.array([], dtype=int)})
    edge_flow = np.zeros((n, len(edge_frame), n_out)) if edges else None
    gap = np.zeros((n, n_out))
    per_chunk = max(1, chunk_rows // (steps + 1))
    keep_pre = edges
    for block in model.levels:
        block.keep_pre = keep_pre
    try:
        for start in range(0, n, per_chunk):
            xb = x[start:start + per_chunk]
            b = xb.shape[0]
            delta = xb - baseline
            path_mid = straight_path(xb, baseline, alphas_mid).reshape(-1, d)  # [K*b, d]
            path_mid.requires_grad_(True)
            states = model.level_states(path_mid)
            pres = [block.last_pre for block in model.levels] if keep_pre else []
            f = ctx.output_fn(model.readout(states))  # [K*b, T]
            with torch.no_grad():
                path_end = (baseline + alphas_end.view(-1, 1, 1) * delta.unsqueeze(0)).reshape(-1, d)
                ends = model.level_states(path_end)
                f_end = ctx.output_fn(model.readout(ends)).view(steps + 1, b, n_out)
                gap[start:start + b] = (f_end[-1] - f_end[0]).numpy()
                dh = [(e.view(e.shape[0], steps + 1, b)[:, 1:] - e.view(e.shape[0], steps + 1, b)[:, :-1])
                      for e in ends[:-1]]  # per level: [units, K, b]
            targets = [path_mid] + states[1:-1] + pres
            for t in range(n_out):
                grads = torch.autograd.grad(f[:, t].sum(), targets, retain_graph=t < n_out - 1, allow_unused=True)
                ig = path_integral(grads[0].view(steps, b, d), xb, baseline)  # [b, d]
                ig = ig.view(b, -1, model.input_width).sum(2).detach().numpy()
                node_scores[start:start + b, :bounds[0][1], t] = ig
                for level in range(1, len(bounds) - 1):
                    g = grads[level]
                    if g is None:
                        continue
                    cond = (g.view(g.shape[0], steps, b) * dh[level]).sum(1)  # [units, b]
                    k = widths[level]
                    node = cond.view(-1, k, b).sum(1).t().detach().numpy()
                    node_scores[start:start + b, bounds[level][0]:bounds[level][1], t] = node
                if edges:
                    gpre = grads[1 + (len(bounds) - 2):]
                    _edge_flows(model, tables, gpre, dh, bounds, steps, b, edge_flow[start:start + b, :, t])
    finally:
        for block in model.levels:
            block.keep_pre = False
            block.last_pre = None
    return node_scores, edge_flow, edge_frame, gap


def _edge_flows(model, tables, gpre, dh, bounds, steps, b, out):
    """Fill ``out [b, n_edges]`` with edge flows (width-1 nodes; wider nodes sum their unit pairs)."""
    level_of = np.searchsorted([hi for _, hi in bounds], np.arange(bounds[-1][1]), side="right")
    offset = 0
    for layer, src, dst in tables:
        w = layer.weight.detach()  # [E, k_out, k_in]
        e = len(src)
        src_level, dst_level = level_of[src], level_of[dst]
        flows = torch.zeros(e, b)
        for lvl_s in np.unique(src_level):
            for lvl_d in np.unique(dst_level):
                sel = np.flatnonzero((src_level == lvl_s) & (dst_level == lvl_d))
                if not len(sel):
                    continue
                g = gpre[lvl_d - 1]
                if g is None or len(model.levels[lvl_d - 1].subnetwork):
                    continue  # inside a node MLP the edge feeds a hidden layer, not the node's pre-activation
                k_out, k_in = w.shape[1], w.shape[2]
                src_local = torch.as_tensor(src[sel] - bounds[lvl_s][0])
                dst_local = torch.as_tensor(dst[sel] - bounds[lvl_d][0])
                h_delta = dh[lvl_s].view(-1, k_in, steps, b)[src_local]  # [e, k_in, K, b]
                g_pre = g.view(-1, k_out, steps, b)[dst_local]  # [e, k_out, K, b]
                flow = torch.einsum("eoi,eikb,eokb->eb", w[sel], h_delta, g_pre)
                flows[sel] = flow
        out[:, offset:offset + e] = flows.t().numpy()
        offset += e
