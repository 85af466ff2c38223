"""Figures of a signalling model: predicted against measured outputs, and the network of its most important edges.

Both return an explicit :class:`matplotlib.figure.Figure` (nothing registered with pyplot, no global state changed).
"""

from __future__ import annotations

import math

import networkx as nx
import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

__all__ = ["plot_predicted_vs_measured", "plot_top_edges"]


def plot_predicted_vs_measured(predicted: pd.DataFrame, measured: pd.DataFrame, *, outputs=None, names=None,
                               n_cols: int = 6) -> Figure:
    """One panel per output (e.g. TF): predicted against measured over the samples, with the Pearson r.

    ``predicted`` and ``measured`` are samples × output ids, aligned by index and column; ``outputs`` picks and
    orders the panels (default: all, best r first); ``names`` maps ids to labels.
    """
    measured = measured.loc[predicted.index, predicted.columns]
    r = {}
    for c in predicted.columns:
        ok = measured[c].notna().to_numpy()
        p, m = predicted[c].to_numpy()[ok], measured[c].to_numpy()[ok]
        r[c] = float(np.corrcoef(p, m)[0, 1]) if ok.sum() > 1 and p.std() > 0 and m.std() > 0 else float("nan")
    outputs = list(outputs) if outputs is not None else sorted(r, key=lambda c: -np.nan_to_num(r[c], nan=-2))
    n_rows = math.ceil(len(outputs) / n_cols)
    fig = Figure(figsize=(2.2 * min(n_cols, len(outputs)), 2.2 * n_rows), layout="constrained")
    axes = fig.subplots(n_rows, min(n_cols, len(outputs)), squeeze=False)
    for ax, c in zip(axes.ravel(), outputs):
        ax.scatter(measured[c], predicted[c], s=8, alpha=0.7)
        ax.plot([0, 1], [0, 1], color="grey", lw=0.6, transform=ax.transAxes)
        label = (names or {}).get(c, c)
        ax.set_title(f"{label}  r={r[c]:.2f}", fontsize=8)
        ax.tick_params(labelsize=6)
    for ax in axes.ravel()[len(outputs):]:
        ax.set_visible(False)
    fig.supxlabel("measured")
    fig.supylabel("predicted")
    return fig


def plot_top_edges(edges: pd.DataFrame, *, output: str | None = None, top_k: int = 30, names=None) -> Figure:
    """The ``top_k`` most important edges (a table of :func:`~binn_graph.signalling.edge_importance`, one
    ``output`` or summed over outputs) as a directed network: width ∝ importance, red = activating weight, blue =
    inhibiting."""
    table = edges if output is None else edges[edges["output"] == output]
    agg = table.groupby(["source", "target"], as_index=False).agg(importance=("importance", "sum"),
                                                                 weight=("weight", "first"))
    top = agg.nlargest(top_k, "importance")
    g = nx.DiGraph()
    for row in top.itertuples(index=False):
        g.add_edge(row.source, row.target, importance=row.importance, weight=row.weight)
    fig = Figure(figsize=(8, 6), layout="constrained")
    ax = fig.add_subplot()
    ax.set_axis_off()
    if not len(top):
        ax.set_title("no edges")
        return fig
    pos = nx.spring_layout(g, seed=0)
    widest = float(top["importance"].max()) or 1.0
    labels = {n: (names or {}).get(n, n) for n in g.nodes}
    nx.draw_networkx_nodes(g, pos, ax=ax, node_size=300, node_color="#dde6f0")
    nx.draw_networkx_labels(g, pos, labels=labels, ax=ax, font_size=7)
    nx.draw_networkx_edges(g, pos, ax=ax, width=[0.5 + 4 * d["importance"] / widest for *_, d in g.edges(data=True)],
                           edge_color=["tab:red" if d["weight"] > 0 else "tab:blue" for *_, d in g.edges(data=True)],
                           arrowsize=10, node_size=300)
    ax.legend(handles=[Line2D([], [], color="tab:red", label="activating"),
                       Line2D([], [], color="tab:blue", label="inhibiting")], loc="lower right", fontsize=7)
    ax.set_title(f"top {len(top)} edges" + (f" for {(names or {}).get(output, output)}" if output else ""))
    return fig
