"""Figures of an explanation: per-level ranking bars and a layered top-k subgraph.

The subgraph draws only the ``top_k`` nodes of each level and the edges among them, laid out by level (x) and
rank (y), so it stays readable and fast even for the full Reactome network.
"""

from __future__ import annotations

import matplotlib
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib import cm, colors

__all__ = ["plot_level_ranking", "plot_top_subgraph"]


def _label(row) -> str:
    name = row["name"] if isinstance(row.get("name"), str) and row["name"] else row["node_id"]
    return name if len(name) <= 38 else name[:35] + "…"


def plot_level_ranking(table: pd.DataFrame, top_k: int = 8, column: str = "normalized_importance"):
    """One horizontal bar chart per level with its ``top_k`` nodes; returns the figure."""
    levels = sorted(table["level"].unique())
    fig, axes = plt.subplots(1, len(levels), figsize=(3.2 * len(levels), 0.35 * top_k + 1.2), squeeze=False)
    for ax, level in zip(axes[0], levels):
        part = table[table["level"] == level].nlargest(top_k, column)[::-1]
        ax.barh([_label(r) for _, r in part.iterrows()], part[column], color="tab:blue")
        ax.set_title("inputs" if level == 0 else f"level {level}", fontsize=9)
        ax.tick_params(axis="y", labelsize=7)
        ax.tick_params(axis="x", labelsize=7)
    fig.suptitle(f"top {top_k} nodes per level ({column})", fontsize=10)
    fig.tight_layout()
    return fig


def plot_top_subgraph(table: pd.DataFrame, edges: pd.DataFrame, top_k: int = 6,
                      column: str = "normalized_importance", ax=None):
    """Layered drawing of the ``top_k`` nodes per level: colour = importance, edge width = edge importance."""
    nodes = table[table["node_type"] != "output"]
    top = nodes.sort_values(column, ascending=False).groupby("level").head(top_k)
    top = top.assign(y=top.groupby("level")[column].rank(ascending=False, method="first") - 1)
    pos = {nid: (lvl, -y) for nid, lvl, y in zip(top["node_id"], top["level"], top["y"])}
    shown = edges[edges["source"].isin(pos) & edges["target"].isin(pos)]
    if ax is None:
        n_levels = top["level"].nunique()
        _, ax = plt.subplots(figsize=(2.4 * n_levels + 2, 0.6 * top_k + 1.5))
    norm = colors.Normalize(vmin=0, vmax=max(float(top[column].max()), 1e-12))
    cmap = matplotlib.colormaps["viridis"]
    if len(shown):
        width = 0.5 + 5 * shown["importance"] / max(float(shown["importance"].max()), 1e-12)
        for (s, t), w in zip(zip(shown["source"], shown["target"]), width):
            (x0, y0), (x1, y1) = pos[s], pos[t]
            ax.plot([x0, x1], [y0, y1], color="0.6", lw=w, zorder=1, alpha=0.7)
    ax.scatter([pos[n][0] for n in top["node_id"]], [pos[n][1] for n in top["node_id"]],
               c=cmap(norm(top[column].to_numpy())), s=120, zorder=2, edgecolor="k")
    for _, row in top.iterrows():
        x, y = pos[row["node_id"]]
        ax.annotate(_label(row), (x, y), xytext=(6, 4), textcoords="offset points", fontsize=6)
    ax.set_xticks(sorted(top["level"].unique()))
    ax.set_xlabel("level (0 = inputs)")
    ax.set_yticks([])
    ax.figure.colorbar(cm.ScalarMappable(norm=norm, cmap=cmap), ax=ax, label=column)
    ax.set_title(f"top {top_k} nodes per level and the edges between them")
    ax.figure.tight_layout()
    return ax.figure
