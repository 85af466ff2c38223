"""Figures of an explanation: per-level ranking bars and a layered top-k subgraph.

Both take the table of :func:`~binn_graph.attribution.explain` and return an explicit
:class:`matplotlib.figure.Figure` (nothing is registered with pyplot, no backend or rcParams are changed; show one
in a notebook by leaving it as a cell's last expression, save it with ``fig.savefig``). Nodes are labelled by their
``name`` (pathway names, gene symbols for proteins) and fall back to the id only where the table has no name. Where
the table has ``q_value`` (or only ``p_value``) columns from a null, bars and nodes are marked and the values shown.

The subgraph draws only the ``top_k`` nodes of each level and the edges among them, laid out by level (x) and
rank (y), so it stays readable and fast even for the full Reactome network.
"""

from __future__ import annotations

import math
import textwrap

import matplotlib
import numpy as np
import pandas as pd
from matplotlib import cm, colors
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from matplotlib.ticker import MaxNLocator

__all__ = ["plot_level_ranking", "plot_top_subgraph", "axis_label", "node_label"]

#: Axis labels of the importance columns of an explanation table.
AXIS_LABELS = {
    "importance": "importance (mean |change| of the explained output)",
    "normalized_importance": "importance ÷ connectivity (normalized)",
    "specific_importance": "specific importance (not inherited from a child)",
    "member_z": "member-set z (mean importance of the member inputs, standardised)",
}
_SIGNIFICANT, _OTHER = "tab:blue", "#b8c7d9"


def axis_label(column: str) -> str:
    """A readable axis label for an importance column of an explanation table."""
    return AXIS_LABELS.get(column, column.replace("_", " "))


def node_label(row, width: int = 30, lines: int = 2) -> str:
    """The node's name (its id where it has none), wrapped at ``width`` characters, at most ``lines`` lines."""
    name = row.get("name")
    text = name if isinstance(name, str) and name.strip() else str(row["node_id"])
    wrapped = textwrap.wrap(text, width=width, break_long_words=True, break_on_hyphens=False) or [text]
    if len(wrapped) > lines:
        wrapped = wrapped[:lines]
        wrapped[-1] = wrapped[-1][:width - 1].rstrip() + "…"
    return "\n".join(wrapped)


def _significance(table: pd.DataFrame) -> str | None:
    """``q_value`` if the table has any, else ``p_value`` if it has any, else None."""
    for column in ("q_value", "p_value"):
        if column in table.columns and table[column].notna().any():
            return column
    return None


def _level_title(table: pd.DataFrame, level: int, top: int) -> str:
    part = table[table["level"] == level]
    kinds = ", ".join(f"{t}s" for t in part["node_type"].value_counts().index[:2])
    where = "inputs" if level == 0 else "top" if level == top else None
    head = f"level {level}" + (f" ({where})" if where else "")
    return f"{head}: {kinds}, {len(part):,} nodes"


def plot_level_ranking(table: pd.DataFrame, top_k: int = 8, column: str = "normalized_importance", *,
                       ncols: int = 3, alpha: float = 0.1) -> Figure:
    """The ``top_k`` nodes of every level as horizontal bars, one panel per level in a grid of ``ncols`` columns.

    Bars are labelled with node names; the x axis is the importance ``column``. With a null's ``q_value`` (or
    ``p_value``) in the table, each bar shows its value ("not tested" where it has none: a node outside the null's
    tested types, or in no null refit) and bars below ``alpha`` are coloured (see the legend).
    """
    table = table[table["node_type"] != "output"] if "node_type" in table.columns else table
    levels = sorted(int(v) for v in table["level"].unique())
    ncols = max(1, min(ncols, len(levels)))
    nrows = math.ceil(len(levels) / ncols)
    panel_height = 0.38 * top_k + 0.9
    fig = Figure(figsize=(4.8 * ncols, panel_height * nrows + 0.9), layout="constrained")
    axes = fig.subplots(nrows, ncols, squeeze=False)
    sig = _significance(table)
    letter = "q" if sig == "q_value" else "p"
    for ax, level in zip(axes.flat, levels):
        part = table[table["level"] == level].nlargest(top_k, column)[::-1]
        y = np.arange(top_k - len(part), top_k)  # the first bar on top; bars keep one height in every panel
        colour = _SIGNIFICANT
        if sig:
            colour = np.where(part[sig].fillna(1.0).to_numpy() < alpha, _SIGNIFICANT, _OTHER)
        bars = ax.barh(y, part[column].to_numpy(), color=colour)
        ax.set_yticks(y, [node_label(r) for _, r in part.iterrows()], fontsize=7)
        if sig:
            ax.bar_label(bars, [(f"{letter}: not tested" if pd.isna(v) else f"{letter}={v:.2g}") for v in part[sig]],
                         fontsize=6, padding=2)
            ax.margins(x=0.22)
        ax.set_ylim(-0.6, top_k - 0.4)
        ax.set_xlabel(axis_label(column), fontsize=7)
        ax.xaxis.set_major_locator(MaxNLocator(4))
        ax.tick_params(axis="x", labelsize=7)
        ax.set_title(_level_title(table, level, levels[-1]), fontsize=8)
    for ax in axes.flat[len(levels):]:
        ax.set_visible(False)
    if sig:
        fig.legend(handles=[Patch(color=_SIGNIFICANT, label=f"{letter} < {alpha:g}"),
                            Patch(color=_OTHER, label=f"{letter} ≥ {alpha:g}")],
                   loc="outside upper right", fontsize=8, title="null model", title_fontsize=8)
        note = f"{letter} values from the null model"
    else:
        note = "no null model run, so no p or q values"
    fig.suptitle(f"Top {top_k} nodes per level, ranked by {axis_label(column)} ({note})", fontsize=10)
    return fig


def plot_top_subgraph(table: pd.DataFrame, edges: pd.DataFrame, top_k: int = 6,
                      column: str = "normalized_importance", ax=None, *, alpha: float = 0.1) -> Figure:
    """Layered drawing of the ``top_k`` nodes per level and the edges among them; returns the figure.

    x = level (0 = inputs), y = rank within the level; node colour = ``column`` (colour bar), edge width ∝ edge
    importance (legend); nodes with a null's ``q_value`` (or ``p_value``) below ``alpha`` get a red ring. Draws on
    ``ax`` when given, else on a new :class:`~matplotlib.figure.Figure`.
    """
    nodes = table[table["node_type"] != "output"]
    top = nodes.sort_values(column, ascending=False).groupby("level").head(top_k)
    top = top.assign(y=top.groupby("level")[column].rank(ascending=False, method="first") - 1)
    pos = {nid: (lvl, -y) for nid, lvl, y in zip(top["node_id"], top["level"], top["y"])}
    shown = edges[edges["source"].isin(pos) & edges["target"].isin(pos)]
    levels = sorted(int(v) for v in top["level"].unique())
    if ax is None:
        fig = Figure(figsize=(1.65 * len(levels) + 2.5, 0.6 * top_k + 2.0), layout="constrained")
        ax = fig.add_subplot()
    norm = colors.Normalize(vmin=0, vmax=max(float(top[column].max()), 1e-12))
    cmap = matplotlib.colormaps["viridis"]
    handles = []
    if len(shown):
        biggest = max(float(shown["importance"].max()), 1e-12)
        width = 0.5 + 5 * shown["importance"] / biggest
        for (s, t), w in zip(zip(shown["source"], shown["target"]), width):
            (x0, y0), (x1, y1) = pos[s], pos[t]
            ax.plot([x0, x1], [y0, y1], color="0.6", lw=w, zorder=1, alpha=0.7)
        for share in (1.0, 0.5, 0.1):
            handles.append(Line2D([], [], color="0.6", alpha=0.7, lw=0.5 + 5 * share,
                                  label=f"edge importance {share * biggest:.2g}"))
    sig = _significance(top)
    ring = np.zeros(len(top), dtype=bool)
    if sig:
        ring = top[sig].fillna(1.0).to_numpy() < alpha
        letter = "q" if sig == "q_value" else "p"
        handles.append(Line2D([], [], ls="", marker="o", ms=9, mfc="white", mec="red", mew=2,
                              label=f"{letter} < {alpha:g} (null model)"))
    ax.scatter([pos[n][0] for n in top["node_id"]], [pos[n][1] for n in top["node_id"]],
               c=cmap(norm(top[column].to_numpy())), s=120, zorder=2, edgecolors=np.where(ring, "red", "k"),
               linewidths=np.where(ring, 2.0, 0.8))
    for _, row in top.iterrows():
        x, y = pos[row["node_id"]]
        ax.annotate(node_label(row, width=24), (x, y), xytext=(7, 3), textcoords="offset points", fontsize=6,
                    va="center")
    ax.set_xticks(levels, [("inputs" if lvl == 0 else str(lvl)) for lvl in levels])
    ax.set_xlim(levels[0] - 0.3, levels[-1] + 0.9)
    ax.set_xlabel("level (0 = inputs; higher = broader pathways)")
    ax.set_ylabel(f"rank within the level (top {top_k})")
    ax.set_yticks(range(0, -top_k, -1), [str(i + 1) for i in range(top_k)])
    ax.figure.colorbar(cm.ScalarMappable(norm=norm, cmap=cmap), ax=ax, label=f"node: {axis_label(column)}",
                       fraction=0.03, pad=0.01)
    if handles:
        ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(0.0, -0.12), ncols=len(handles), fontsize=7,
                  frameon=False)
    ax.set_title(f"Top {top_k} nodes per level and the edges between them")
    return ax.figure
