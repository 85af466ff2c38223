"""Cleavage specificity weighted by the fitted flow, against the background composition.

Every edge ``v → u`` is one proteolytic event with one cut (exo, terminal endo) or two (internal endo). Each cut
counts with the material that took the edge, ``flow = inflow(v) · w(v, u)``. Around a cut, the residues P4 P3 P2 P1
| P1′ P2′ P3′ P4′ are read from the substrate ``v`` (positions outside ``v`` do not exist for that event and are
skipped). For each kind (``endo``, ``exo``) and position, the flow-weighted residue frequency ``f`` is compared with
the residue composition ``b`` of the fitted sequences:

    score = log2((f + ε·b) / ((1 + ε)·b)),    ε = 0.01 (a pseudocount spread by the background)

so 0 is background, 1 is twice as frequent as expected. (Schechter & Berger nomenclature for P/P′ positions.)
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..errors import DataValidationError
from .enzyme import RESIDUES
from .flow import FlowFit, forward
from .graph import DegradationGraph

__all__ = ["cleavage_specificity", "plot_specificity", "POSITIONS"]

POSITIONS = ["P4", "P3", "P2", "P1", "P1'", "P2'", "P3'", "P4'"]
_INDEX = {r: i for i, r in enumerate(RESIDUES)}


def _cuts(graph: DegradationGraph, flow: np.ndarray):
    """Per cut: (bond position = 0-based index of P1′, substrate start, substrate end (0-based, half-open), kind, flow)."""
    nodes = graph.nodes.set_index("id")
    e = graph.edges
    vs = nodes["start"].reindex(e["source"]).to_numpy(dtype=np.int64) - 1
    ve = nodes["end"].reindex(e["source"]).to_numpy(dtype=np.int64)
    us = nodes["start"].reindex(e["target"]).to_numpy(dtype=np.int64) - 1
    ue = nodes["end"].reindex(e["target"]).to_numpy(dtype=np.int64)
    kind = np.where(e["kind"].to_numpy() == "exo", "exo", "endo")
    n_cut, c_cut = us != vs, ue != ve
    bond = np.concatenate([us[n_cut], ue[c_cut]])
    pick = lambda a: np.concatenate([a[n_cut], a[c_cut]])  # noqa: E731
    return bond, pick(vs), pick(ve), pick(kind), pick(flow)


def cleavage_specificity(fit: FlowFit | DegradationGraph, pseudocount: float = 0.01) -> pd.DataFrame:
    """Flow-weighted P4…P4′ residue preferences of the cuts of a fitted flow model.

    Parameters
    ----------
    fit:
        A :class:`FlowFit` of graphs built from sequences, or a :class:`DegradationGraph` whose edges carry a
        ``probability`` column (e.g. a simulator's true graph).

    Returns
    -------
    DataFrame with ``kind`` (``endo``/``exo``), ``position`` (P4 … P4′), ``residue``, ``score`` (log2 enrichment
    over background, see the module docstring), ``frequency``, ``background`` and ``weight`` (total flow).
    """
    if isinstance(fit, DegradationGraph):
        if "probability" not in fit.edges.columns:
            raise DataValidationError("a DegradationGraph needs a 'probability' edge column; pass a FlowFit instead")
        probs = dict(zip(zip(fit.edges["source"], fit.edges["target"]), fit.edges["probability"]))
        inflow = forward(fit, probs)["inflow"]
        pairs = [(fit, inflow.reindex(fit.edges["source"]).to_numpy() * fit.edges["probability"].to_numpy())]
    elif isinstance(fit, FlowFit):
        if not fit.graphs:
            raise DataValidationError("this FlowFit holds no graphs; fit it with binn_graph.degradation.fit")
        flow = fit.flow.to_numpy()
        pairs, offset = [], 0
        for g in fit.graphs:
            pairs.append((g, flow[offset:offset + len(g.edges)]))
            offset += len(g.edges)
    else:
        raise DataValidationError(f"expected a FlowFit or DegradationGraph, not {type(fit).__name__}")
    if any(not g.sequence for g, _ in pairs):
        raise DataValidationError("specificity needs graphs built from sequences (build_graph or simulate)")
    weight = {k: np.zeros((len(POSITIONS), len(RESIDUES))) for k in ("endo", "exo")}
    background = np.zeros(len(RESIDUES))
    for g, flow in pairs:
        codes = np.array([_INDEX.get(r, -1) for r in g.sequence], dtype=np.int64)
        background += np.bincount(codes[codes >= 0], minlength=len(RESIDUES))
        bond, lo, hi, kind, f = _cuts(g, np.nan_to_num(flow))
        for p, offset in enumerate(range(-4, 4)):  # P4 … P1 = bond-4 … bond-1; P1′ … P4′ = bond … bond+3
            at = bond + offset
            ok = (at >= lo) & (at < hi) & (f > 0)
            residue = np.where(ok, codes[np.clip(at, 0, len(codes) - 1)], -1)
            ok &= residue >= 0
            for k in ("endo", "exo"):
                sel = ok & (kind == k)
                np.add.at(weight[k][p], residue[sel], f[sel])
    b = background / background.sum()
    frames = []
    for k in ("endo", "exo"):
        w = weight[k]
        total = w.sum(axis=1, keepdims=True)
        freq = np.divide(w, total, out=np.zeros_like(w), where=total > 0)
        with np.errstate(divide="ignore", invalid="ignore"):  # a residue absent from the background: NaN
            score = np.log2((freq + pseudocount * b) / ((1 + pseudocount) * b))
        score[total[:, 0] == 0] = np.nan
        frames.append(pd.DataFrame({"kind": k, "position": np.repeat(POSITIONS, len(RESIDUES)),
                                    "residue": np.tile(list(RESIDUES), len(POSITIONS)), "score": score.ravel(),
                                    "frequency": freq.ravel(), "background": np.tile(b, len(POSITIONS)),
                                    "weight": w.ravel()}))
    out = pd.concat(frames, ignore_index=True)
    out["score"] = out["score"].where(np.isfinite(out["score"]))
    return out


def plot_specificity(table: pd.DataFrame, kind: str = "endo", ax=None):
    """A sequence logo of the flow-weighted cut sites against the background composition.

    Each position's stack height is its relative entropy ``Σ_r f_r log2(f_r / b_r)`` (bits), shared among residues
    in proportion to their frequency ``f_r`` (Schneider & Stephens 1990, with a background). Drawn with matplotlib
    ``TextPath`` (no logo library among the dependencies).
    """
    from matplotlib.figure import Figure
    from matplotlib.font_manager import FontProperties
    from matplotlib.patches import PathPatch
    from matplotlib.textpath import TextPath
    from matplotlib.transforms import Affine2D

    part = table[table["kind"] == kind]
    if part.empty or not (part["weight"] > 0).any():
        raise DataValidationError(f"no {kind} cuts carry flow; nothing to draw")
    if ax is None:
        ax = Figure(figsize=(6, 3)).subplots()  # an explicit figure: nothing registered with pyplot
    font = FontProperties(family="DejaVu Sans", weight="bold")
    colours = {**{r: "#1f77b4" for r in "KRH"}, **{r: "#d62728" for r in "DE"},
               **{r: "#2ca02c" for r in "STYCNQGW"}, **{r: "#444444" for r in "AVLIPFM"}}
    top = 0.0
    for x, position in enumerate(POSITIONS):
        rows = part[part["position"] == position]
        f, b = rows["frequency"].to_numpy(), rows["background"].to_numpy()
        bits = float(np.sum(f[f > 0] * np.log2(f[f > 0] / b[f > 0])))
        heights = f * bits
        order = np.argsort(heights)
        y = 0.0
        for residue, height in zip(rows["residue"].to_numpy()[order], heights[order]):
            if height <= 0.005 * max(bits, 1e-12):
                continue
            path = TextPath((0, 0), residue, size=1, prop=font)
            box = path.get_extents()
            transform = (Affine2D().translate(-box.x0, -box.y0).scale(0.9 / box.width, height / box.height)
                         .translate(x - 0.45, y))
            ax.add_patch(PathPatch(transform.transform_path(path), color=colours.get(residue, "black"), lw=0))
            y += height
        top = max(top, y)
    ax.axvline(3.5, color="grey", lw=0.8, ls="--")
    ax.set_xlim(-0.6, len(POSITIONS) - 0.4)
    ax.set_ylim(0, max(top * 1.05, 0.5))
    ax.set_xticks(range(len(POSITIONS)), POSITIONS)
    ax.set_ylabel("bits (relative to background)")
    ax.set_title(f"{kind} cleavage specificity (flow-weighted)")
    return ax
