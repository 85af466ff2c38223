"""Pictures of a degradation graph and its fitted flow (matplotlib)."""

from __future__ import annotations

import numpy as np

from ..errors import DataValidationError
from .flow import FlowFit
from .graph import DegradationGraph

__all__ = ["plot_graph", "plot_inflow"]


def plot_graph(graph: DegradationGraph, fit: FlowFit | None = None, ax=None, max_edges: int = 2000):
    """Peptides as horizontal bars along the sequence (x: residue, y: peptide length), edges parent → child.

    With a ``fit``, bars are coloured by log10 inflow and edge widths follow the fitted flow.
    """
    import matplotlib.pyplot as plt
    from matplotlib.collections import LineCollection

    if graph.nodes["start"].isna().any():
        raise DataValidationError("plot_graph places peptides on the sequence; this graph has no positions")
    if ax is None:
        _, ax = plt.subplots(figsize=(9, 4.5))
    nodes = graph.nodes.set_index("id")
    mid = (nodes["start"] + nodes["end"]) / 2
    height = nodes["length"].astype(float)
    edges = graph.edges.head(max_edges)
    width = np.full(len(edges), 0.3)
    if fit is not None:
        flow = fit.flow.to_numpy()[:len(edges)] if len(fit.graphs) == 1 else None
        if flow is not None:
            width = 0.2 + 4.0 * flow / max(flow.max(), 1e-12)
    segments = np.stack([np.column_stack([mid.reindex(edges["source"]), height.reindex(edges["source"])]),
                         np.column_stack([mid.reindex(edges["target"]), height.reindex(edges["target"])])], axis=1)
    ax.add_collection(LineCollection(segments, linewidths=width, colors="0.6", alpha=0.5, zorder=1))
    bars = [[(s - 0.5, h), (e + 0.5, h)] for s, e, h in zip(nodes["start"], nodes["end"], height)]
    colour = "C0"
    if fit is not None and len(fit.graphs) == 1:
        inflow = fit.inflow.reindex(nodes.index).to_numpy()
        colour = plt.get_cmap("viridis")(
            (np.log10(np.clip(inflow, 1e-6, None)) + 6) / 6)
    ax.add_collection(LineCollection(bars, linewidths=2.5, colors=colour, zorder=2))
    ax.set_xlim(0, len(graph.sequence) + 1)
    ax.set_ylim(0, height.max() * 1.05)
    ax.set_yscale("symlog", linthresh=10)
    ax.set_xlabel("residue")
    ax.set_ylabel("peptide length (residues)")
    ax.set_title(f"{graph.protein_id}: {len(nodes) - 1} peptides, {len(graph.edges)} {graph.mode} edges")
    return ax


def plot_inflow(fit: FlowFit, ax=None):
    """Observed abundance against fitted inflow and predicted abundance per peptide (log–log, shares of the total).

    Points above the diagonal are peptides that were trimmed further: inflow > abundance is hidden activity.
    """
    import matplotlib.pyplot as plt

    if ax is None:
        _, ax = plt.subplots(figsize=(4.5, 4.5))
    index = fit.observed.index
    roots = [g.protein_id if index.nlevels == 1 else (g.protein_id, g.protein_id) for g in fit.graphs]
    is_root = np.asarray(index.isin(roots))
    obs, inflow, pred = (s[~is_root].to_numpy() for s in (fit.observed, fit.inflow, fit.predicted))
    keep = obs > 0
    ax.scatter(obs[keep], inflow[keep], s=12, label="inflow", color="C1")
    ax.scatter(obs[keep], pred[keep], s=8, label="predicted abundance", color="C0", marker="x")
    lo, hi = obs[keep].min() / 2, max(inflow.max(), obs.max()) * 2
    ax.plot([lo, hi], [lo, hi], color="grey", lw=0.8, ls="--")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("observed abundance (share)")
    ax.set_ylabel("fitted value (share of root)")
    ax.set_title(f"hidden activity {fit.hidden_activity:.2f}")
    ax.legend(frameon=False, fontsize=8)
    return ax
