"""Which nodes carry a signal themselves and which inherit it from a child.

A pathway above the true driver relays the driver's signal, so every attribution method scores it too (clamping
it moves the output as much as clamping the driver does). To tell them apart, the variation of each node's edge
sum ``z_v = Σ_u m_{u→v}`` (messages ``m_{u→v} = W_{uv} h_u``; bias and weights fixed) over the evaluation samples is
divided among its incoming edges by the covariance (Pratt 1987, "Dividing the indivisible"):

.. math::
    s_{u \\to v} = \\frac{\\mathrm{Cov}(m_{u \\to v}, z_v)}{\\mathrm{Var}(z_v)}, \\qquad \\sum_u s_{u \\to v} = 1

(summed over units for wider nodes). ``inherited_share`` is the largest share of one latent child, and
``inherited_from`` that child; ``own_share`` is the share of the node's directly annotated inputs. The
``specific_importance`` of a node is its normalised importance times ``1 − inherited_share`` (clipped to [0, 1]):
a pathway that merely passes one child's signal on scores near 0, the child keeps its score, and a pathway that
combines several children (none dominating) keeps a large part of its own. ``driver`` follows ``inherited_from``
down while a node inherits more than half its variation, naming the most specific node the signal comes from.
This is the attribution analogue of the parent–child decorrelation of gene-set tests (topGO's *elim*, Alexa et
al. 2006; Grossmann et al. 2007): a parent's evidence is discounted by what its children already explain.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import torch

from ._context import ExplainContext

__all__ = ["variation_shares"]


@torch.no_grad()
def variation_shares(ctx: ExplainContext) -> pd.DataFrame:
    """Per architecture node: ``own_share`` (inputs), ``latent_share`` (all latent sources; the two add up to 1 for
    every node whose edge sum varies), ``inherited_share`` and ``inherited_from`` (node position or -1)."""
    model = ctx.model
    bounds = model.architecture.level_bounds
    n_nodes = bounds[-1][1]
    states = ctx.states
    centred = [z - z.mean(1, keepdim=True) for z in ctx.edge_sums]
    variance = np.zeros(n_nodes)
    for level, z in enumerate(centred, start=1):
        a, b = bounds[level]
        variance[a:b] = (z.pow(2).mean(1).view(b - a, -1).sum(1)).numpy()
    share_src, share_dst, share = [], [], []
    for layer, sources, targets in model.edge_layers():
        src_nodes, dst_nodes = model.layer_positions(sources), model.layer_positions(targets)
        ko = layer.dst_width
        stacked = torch.cat([states[lv] for lv, _, _ in sources])  # sources are whole levels
        # each unit-level message, centred, against its target unit's centred edge sum
        message = stacked.index_select(0, layer.src_flat) * layer.weight.reshape(-1, 1)
        message = message - message.mean(1, keepdim=True)
        dst_node = layer.dst_flat // ko
        dst_level = torch.from_numpy(np.concatenate([np.full(n, lv) for lv, _, n in targets]))[dst_node]
        dst_row = torch.from_numpy(np.concatenate([np.arange(n) for _, _, n in targets]))[dst_node]
        dst_row = dst_row * ko + layer.dst_flat % ko
        target = torch.empty_like(message)
        for lv in torch.unique(dst_level).tolist():
            sel = torch.nonzero(dst_level == lv).squeeze(1)
            target[sel] = centred[lv - 1].index_select(0, dst_row[sel])
        cov = (message * target).mean(1).numpy()
        ei = layer.edge_index.numpy()
        share.append(np.bincount(_unit_edge(layer), weights=cov, minlength=ei.shape[1]))
        share_src.append(src_nodes[ei[0]])
        share_dst.append(dst_nodes[ei[1]])
    src = np.concatenate(share_src)
    dst = np.concatenate(share_dst)
    frac = np.concatenate(share) / np.where(variance[dst] > 0, variance[dst], np.inf)
    level = model.architecture.nodes["level"].to_numpy()
    own = np.bincount(dst, weights=np.where(level[src] == 0, frac, 0.0), minlength=n_nodes)
    latent = np.flatnonzero(level[src] > 0)
    latent_total = np.bincount(dst[latent], weights=frac[latent], minlength=n_nodes)
    inherited = np.zeros(n_nodes)
    source = np.full(n_nodes, -1)
    order = latent[np.lexsort((frac[latent], dst[latent]))]  # by target, then share: each target's largest last
    last = order[np.r_[dst[order][1:] != dst[order][:-1], True]] if len(order) else order
    inherited[dst[last]] = frac[last]
    source[dst[last]] = src[last]
    return pd.DataFrame({"own_share": own, "latent_share": latent_total,
                         "inherited_share": np.clip(inherited, 0.0, None), "inherited_from": source})


def _unit_edge(layer) -> np.ndarray:
    """Edge number of every unit-level entry of an EdgeLinear (``src_flat``/``dst_flat`` order)."""
    per_edge = layer.dst_width * layer.src_width
    return np.repeat(np.arange(layer.edge_index.shape[1]), per_edge)
