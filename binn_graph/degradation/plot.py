"""Pictures of a degradation graph and its fitted flow (matplotlib).

Each function draws on ``ax`` when given, else on a new :class:`matplotlib.figure.Figure` (nothing is registered
with pyplot and no global matplotlib state changes), and returns the axes; ``ax.figure`` is the figure to show or
save.
"""

from __future__ import annotations

import matplotlib
import numpy as np
import pandas as pd
from matplotlib import cm, colors
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.ticker import NullLocator

from ..errors import DataValidationError
from .flow import FlowFit
from .graph import DegradationGraph

__all__ = ["plot_graph", "plot_inflow", "plot_volcano", "plot_peptigram", "protein_label"]

_LENGTH_TICKS = (1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10000, 20000, 50000)


def protein_label(protein_id: str) -> str:
    """``P60709 (ACTB)``: the id with its human gene symbol where the bundled HGNC table knows it."""
    from kg.sources.idmap import gene_names

    symbol = gene_names([protein_id])["symbol"].iloc[0]
    return f"{protein_id} ({symbol})" if isinstance(symbol, str) and symbol != protein_id else str(protein_id)


def _new_axes(figsize: tuple[float, float]):
    return Figure(figsize=figsize, layout="constrained").add_subplot()


def plot_graph(graph: DegradationGraph, fit: FlowFit | None = None, ax=None, max_edges: int = 2000):
    """Peptides as horizontal bars along the sequence (x: residue, y: peptide length, log scale), edges parent →
    child, the intact protein (the root) as a black bar on top.

    With a ``fit`` of this one protein, peptides are coloured by their fitted inflow (colour bar, share of the
    total, log scale) and edge widths follow the fitted flow. A legend names bars and edges.
    """
    from matplotlib.collections import LineCollection

    if graph.nodes["start"].isna().any():
        raise DataValidationError("plot_graph places peptides on the sequence; this graph has no positions")
    own_figure = ax is None
    if own_figure:
        ax = _new_axes((9, 5))
    nodes = graph.nodes.set_index("id")
    mid = (nodes["start"] + nodes["end"]) / 2
    height = nodes["length"].astype(float)
    edges = graph.edges.head(max_edges)
    single = fit is not None and len(fit.graphs) == 1
    width = np.full(len(edges), 0.3)
    if single:
        flow = fit.flow.to_numpy()[:len(edges)]
        width = 0.2 + 4.0 * flow / max(flow.max(), 1e-12)
    segments = np.stack([np.column_stack([mid.reindex(edges["source"]), height.reindex(edges["source"])]),
                         np.column_stack([mid.reindex(edges["target"]), height.reindex(edges["target"])])], axis=1)
    ax.add_collection(LineCollection(segments, linewidths=width, colors="0.6", alpha=0.5, zorder=1))
    is_root = nodes["is_root"].to_numpy(dtype=bool)
    bars = np.array([[(s - 0.5, h), (e + 0.5, h)] for s, e, h in zip(nodes["start"], nodes["end"], height)])
    colour = np.array(["C0"] * len(nodes), dtype=object)
    if single:
        inflow = fit.inflow.reindex(nodes.index).to_numpy(dtype=float)
        positive = inflow[~is_root & (inflow > 0)]
        norm = colors.LogNorm(vmin=max(float(positive.min()) if positive.size else 1e-6, 1e-6),
                              vmax=max(float(positive.max()) if positive.size else 1.0, 1e-5))
        cmap = matplotlib.colormaps["viridis"]
        colour = list(cmap(norm(np.clip(inflow, norm.vmin, norm.vmax))))
        ax.figure.colorbar(cm.ScalarMappable(norm=norm, cmap=cmap), ax=ax, pad=0.01,
                           label="fitted inflow (share of the total, log scale)")
    ax.add_collection(LineCollection(bars[~is_root], linewidths=2.5,
                                     colors=[c for c, r in zip(colour, is_root) if not r], zorder=2))
    ax.add_collection(LineCollection(bars[is_root], linewidths=4, colors="k", zorder=2))
    low, high = max(float(height.min()) / 1.3, 0.8), float(height.max()) * 1.3
    ax.set_xlim(0, len(graph.sequence) + 1)
    ax.set_yscale("log")
    ax.set_ylim(low, high)
    ticks = [t for t in _LENGTH_TICKS if low <= t < float(height.max()) / 1.5] + [int(height.max())]
    ax.set_yticks(ticks, [str(t) for t in ticks])
    ax.yaxis.set_minor_locator(NullLocator())
    ax.set_xlabel("residue (position in the protein sequence)")
    ax.set_ylabel("peptide length (residues, log scale)")
    edge_label = f"{graph.mode} edge: parent → shorter piece" + (" (width ∝ fitted flow)" if single else "")
    handles = [Line2D([], [], color="k", lw=4, label=f"intact protein (root, {len(graph.sequence)} residues)"),
               Line2D([], [], color="C0" if not single else "tab:green", lw=2.5,
                      label="observed peptide (start–end)" + (", coloured by inflow" if single else "")),
               Line2D([], [], color="0.6", alpha=0.6, lw=1.5, label=edge_label)]
    if own_figure:
        ax.figure.legend(handles=handles, loc="outside lower center", ncols=3, fontsize=7, frameon=False)
    else:
        ax.legend(handles=handles, loc="upper center", bbox_to_anchor=(0.5, -0.16), ncols=2, fontsize=7,
                  frameon=False)
    shown = "" if len(graph.edges) <= max_edges else f" (first {max_edges} drawn)"
    ax.set_title(f"{protein_label(graph.protein_id)}: {int((~is_root).sum())} peptides, "
                 f"{len(graph.edges)} {graph.mode} edges{shown}")
    return ax


def plot_inflow(fit: FlowFit, ax=None):
    """Observed abundance against fitted inflow and predicted abundance per peptide (log–log, shares of the total).

    Points above the diagonal are peptides that were trimmed further: inflow > abundance is hidden activity.
    """
    if ax is None:
        ax = _new_axes((5, 5))
    index = fit.observed.index
    roots = [g.protein_id if index.nlevels == 1 else (g.protein_id, g.protein_id) for g in fit.graphs]
    is_root = np.asarray(index.isin(roots))
    obs, inflow, pred = (s[~is_root].to_numpy() for s in (fit.observed, fit.inflow, fit.predicted))
    keep = obs > 0
    ax.scatter(obs[keep], inflow[keep], s=12, label="fitted inflow", color="C1")
    ax.scatter(obs[keep], pred[keep], s=8, label="predicted abundance", color="C0", marker="x")
    lo, hi = obs[keep].min() / 2, max(inflow.max(), obs.max()) * 2
    ax.plot([lo, hi], [lo, hi], color="grey", lw=0.8, ls="--", label="y = x")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("observed abundance (share of the total)")
    ax.set_ylabel("fitted value (share of the total)")
    proteins = ", ".join(protein_label(g.protein_id) for g in fit.graphs[:3]) + (" …" if len(fit.graphs) > 3 else "")
    ax.set_title(f"{proteins}\nhidden activity {fit.hidden_activity:.2f} (inflow above the diagonal)", fontsize=10)
    ax.legend(frameon=False, fontsize=8, title=f"{int(keep.sum())} observed peptides", title_fontsize=8)
    return ax


def plot_volcano(result, level: str = "proteins", alpha: float = 0.05, label: int = 8, ax=None):
    """Volcano plot of a :func:`~binn_graph.degradation.differential` result: effect against −log10 p.

    ``level`` is ``"proteins"`` (hidden activity), ``"sites"`` (cut-site flow) or ``"specificity"`` (residue
    frequency at P4…P4′). Points with q < ``alpha`` are coloured by direction; the ``label`` smallest p-values are
    named.
    """
    if level not in ("proteins", "sites", "specificity"):
        raise DataValidationError(f"level must be 'proteins', 'sites' or 'specificity', not {level!r}")
    table = getattr(result, level).dropna(subset=["p"])
    if table.empty:
        raise DataValidationError(f"no tested {level} rows to draw (too few samples per group?)")
    if ax is None:
        ax = _new_axes((6, 4.5))
    ref, other = result.groups
    y = -np.log10(np.maximum(table["p"].to_numpy(dtype=float), 1e-300))
    x = table["effect"].to_numpy(dtype=float)
    hit = table["q"].to_numpy(dtype=float) < alpha
    ax.scatter(x[~hit], y[~hit], s=10, color="0.65", label=f"q ≥ {alpha:g}")
    ax.scatter(x[hit & (x > 0)], y[hit & (x > 0)], s=14, color="C3", label=f"q < {alpha:g}, higher in {other}")
    ax.scatter(x[hit & (x <= 0)], y[hit & (x <= 0)], s=14, color="C0", label=f"q < {alpha:g}, higher in {ref}")
    if level == "proteins":
        names = table["protein"].astype(str)
    elif level == "sites":
        names = table["protein"].astype(str) + " " + table["p1"].astype(str) + table["site"].astype(str) + "↓"
    else:
        names = table["kind"] + " " + table["position"] + " " + table["residue"]
    for i in np.argsort(-y)[:label]:
        ax.annotate(names.iloc[i], (x[i], y[i]), fontsize=7, xytext=(3, 3), textcoords="offset points")
    ax.axvline(0, color="0.4", lw=0.6)
    what = {"proteins": "hidden activity", "sites": "cut-site flow (share of the protein)",
            "specificity": "residue frequency at the cut"}[level]
    ax.set_xlabel(f"effect: mean {what}, {other} − {ref}")
    ax.set_ylabel("−log10 p (Welch)")
    ax.set_title(f"differential proteolysis, {level}: {int(hit.sum())} of {len(table)} with q < {alpha:g}")
    ax.legend(frameon=False, fontsize=7)
    return ax


def plot_peptigram(cohort_fit, protein: str, groups, compare: tuple[str, str] | None = None, fig=None):
    """A peptigram of one protein in two groups along its sequence, the first group above the axis, the second
    mirrored below: top panel, observed peptide coverage (per residue, the group mean of the summed abundance shares
    of the peptides covering it); bottom panel, the fitted flow through each cut site (group mean; sites cut in no
    sample of a group are 0). Returns the :class:`~matplotlib.figure.Figure`."""
    from .cohort import _group_of

    labels, (ref, other), _ = _group_of(cohort_fit, groups, compare, min_size=1)  # a picture: one sample will do
    obs = cohort_fit.observed[cohort_fit.observed["protein"] == protein]
    if obs.empty:
        raise DataValidationError(f"protein {protein!r} was not fitted in any sample; fitted proteins include "
                                  f"{sorted(cohort_fit.proteins['protein'].unique())[:5]}")
    length = cohort_fit.proteins.loc[cohort_fit.proteins["protein"] == protein, "length"].max()
    if pd.isna(length):
        raise DataValidationError(f"protein {protein!r} has no positions (its graphs come from the peptides alone: "
                                  "no Start/End, no sequence); a peptigram needs read_peptidome's Start/End or "
                                  "fit_cohort(sequences=...)")
    length = int(length)
    fig = fig or Figure(figsize=(9, 5), layout="constrained")
    top, bottom = fig.subplots(2, 1, sharex=True)
    sites = cohort_fit.sites[cohort_fit.sites["protein"] == protein]
    positions = np.arange(1, length + 1)
    for sign, label, colour in ((1, ref, "C0"), (-1, other, "C3")):
        samples = [s for s in obs["sample"].unique() if labels.get(s) == label]
        if not samples:
            continue
        cover = np.zeros(length + 2)
        part = obs[obs["sample"].isin(samples)]
        np.add.at(cover, part["start"].to_numpy(dtype=int), part["observed"].to_numpy())
        np.add.at(cover, part["end"].to_numpy(dtype=int) + 1, -part["observed"].to_numpy())
        cover = np.cumsum(cover)[1:length + 1] / len(samples)
        top.fill_between(positions, 0, sign * cover, step="mid", color=colour, alpha=0.6,
                         label=f"{label} (n = {len(samples)})")
        flow = sites[sites["sample"].isin(samples)].groupby("site")["flow"].sum() / len(samples)
        bottom.bar(flow.index.to_numpy(), sign * flow.to_numpy(), width=1.0, color=colour, label=label)
    for ax in (top, bottom):
        ax.axhline(0, color="0.3", lw=0.6)
        ticks = ax.get_yticks()
        ax.set_yticks(ticks, [f"{abs(t):g}" for t in ticks])
    top.set_ylabel("peptide coverage\n(abundance share)")
    bottom.set_ylabel("cut-site flow\n(share of the protein)")
    bottom.set_xlabel("residue (position in the protein sequence)")
    bottom.set_xlim(0, length + 1)
    top.legend(frameon=False, fontsize=8, loc="upper right")
    top.set_title(f"{protein_label(protein)}: {ref} above, {other} below")
    return fig
