"""Figures of the metabolic view: predicted against measured growth, and flux maps across conditions.

Each function returns an explicit :class:`matplotlib.figure.Figure` (nothing is registered with pyplot, no backend
or rcParams are changed; show one in a notebook by leaving it as a cell's last expression or with
``IPython.display.display``, save it with ``fig.savefig``). Reactions and subsystems are labelled by name where a
``model`` is given (a :class:`cobra.Model`, an SBML path or an SBML-derived graph), by id otherwise.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from ..attribution.plot import node_label
from ..errors import ParameterError

__all__ = ["plot_growth", "plot_flux_map", "reaction_names", "subsystem_fluxes"]


def reaction_names(model) -> pd.DataFrame:
    """Reaction ``name`` and ``subsystem`` per reaction id (index) of a model (cobra, SBML path or graph)."""
    from .model import as_cobra_model

    cobra_model = as_cobra_model(model, require_objective=False)
    return pd.DataFrame({"name": [r.name or r.id for r in cobra_model.reactions],
                         "subsystem": [r.subsystem or "" for r in cobra_model.reactions]},
                        index=pd.Index([r.id for r in cobra_model.reactions], name="reaction"))


def subsystem_fluxes(fluxes: pd.DataFrame, model) -> pd.DataFrame:
    """Total absolute flux per subsystem: samples × subsystems, ``Σ_{r ∈ subsystem} |v_r|`` (model flux units).

    Reactions are matched by id; reactions without a subsystem are left out (their count is in
    ``attrs["no_subsystem"]``), and flux columns that are not reactions of the model raise :class:`ParameterError`.
    """
    names = reaction_names(model)
    unknown = fluxes.columns.difference(names.index)
    if len(unknown):
        raise ParameterError(f"{len(unknown)} flux column(s) are not reactions of the model, e.g. "
                             f"{unknown[:5].tolist()}; columns are matched by reaction id")
    subsystem = names.loc[fluxes.columns, "subsystem"]
    keep = subsystem != ""
    out = fluxes.loc[:, keep.to_numpy()].abs().T.groupby(subsystem[keep].to_numpy()).sum(min_count=1).T
    out.attrs["no_subsystem"] = int((~keep).sum())
    return out


def plot_growth(measured, predicted: Mapping[str, object] | pd.Series | np.ndarray, *,
                unit: str = "h⁻¹", figsize: tuple[float, float] | None = None) -> Figure:
    """Predicted against measured growth, one panel per model, the diagonal and Q² (``1 − SSE/SST``) in each title.

    Parameters
    ----------
    measured:
        Measured growth per sample (array or Series; a Series aligns the predictions by sample id).
    predicted:
        One prediction vector, or a mapping ``{model name: prediction}`` (arrays in the order of ``measured``, or
        Series matched by sample id). NaN predictions (e.g. infeasible media) are drawn as missing and left out of Q².
    unit:
        Growth unit for the axis labels.
    """
    if not isinstance(predicted, Mapping):
        predicted = {"prediction": predicted}
    if not predicted:
        raise ParameterError("predicted is empty: give {model name: predictions}")
    y = pd.Series(measured) if not isinstance(measured, pd.Series) else measured
    panels = []
    for name, values in predicted.items():
        if isinstance(values, pd.Series) and isinstance(measured, pd.Series):
            missing = y.index.difference(values.index)
            if len(missing):
                raise ParameterError(f"predictions {name!r} lack {len(missing)} sample(s) of measured, e.g. "
                                     f"{missing[:5].tolist()}; they are matched by sample id")
            values = values.reindex(y.index)
        v = np.asarray(values, dtype=float).ravel()
        if len(v) != len(y):
            raise ParameterError(f"predictions {name!r} have {len(v)} values for {len(y)} measured samples")
        panels.append((str(name), v))
    yv = y.to_numpy(dtype=float)
    n = len(panels)
    fig = Figure(figsize=figsize or (3.7 * n, 3.6), layout="constrained")
    axes = np.atleast_1d(fig.subplots(1, n, sharex=True, sharey=True))
    finite = np.concatenate([yv[np.isfinite(yv)]] + [v[np.isfinite(v)] for _, v in panels])
    low, high = min(0.0, float(finite.min())), float(finite.max()) * 1.05
    for ax, (name, v) in zip(axes, panels):
        ok = np.isfinite(v) & np.isfinite(yv)
        q2 = 1 - np.sum((yv[ok] - v[ok]) ** 2) / np.sum((yv[ok] - yv[ok].mean()) ** 2) if ok.sum() > 1 else np.nan
        ax.scatter(yv[ok], v[ok], s=12, alpha=0.7)
        ax.plot([low, high], [low, high], color="grey", lw=0.8)
        ax.set_title(f"{name}: Q² {q2:.2f}" + (f" ({(~ok).sum()} missing)" if (~ok).any() else ""), fontsize=10)
        ax.set_xlabel(f"measured growth ({unit})")
    axes[0].set_ylabel(f"predicted growth ({unit})")
    return fig


def plot_flux_map(fluxes: Mapping[str, pd.DataFrame] | pd.DataFrame, model=None, *, by: str = "reaction",
                  top: int = 25, order=None, unit: str = "mmol gDW⁻¹ h⁻¹", figsize: tuple[float, float] | None = None
                  ) -> Figure:
    """A heat map of fluxes across conditions (columns) per reaction or subsystem (rows), one panel per flux table.

    Parameters
    ----------
    fluxes:
        Samples × reaction ids, or ``{name: table}`` to compare several flux sources (e.g. a network and pFBA)
        side by side on the same rows and samples (matched by id). NaN rows (infeasible samples) stay blank.
    model:
        Names reactions and subsystems; needed for ``by="subsystem"``.
    by:
        ``"reaction"`` (signed flux, diverging colours) or ``"subsystem"`` (total absolute flux per subsystem,
        :func:`subsystem_fluxes`).
    top:
        Rows shown: the ``top`` reactions or subsystems whose values vary most across samples in the first table.
    order:
        Sample ids (or positions) in display order, e.g. sorted by measured growth; default the first table's order.
    unit:
        Flux unit for the colour bar.
    """
    if by not in ("reaction", "subsystem"):
        raise ParameterError(f"by must be 'reaction' or 'subsystem', got {by!r}")
    if by == "subsystem" and model is None:
        raise ParameterError("by='subsystem' needs model= to know each reaction's subsystem")
    tables = dict(fluxes) if isinstance(fluxes, Mapping) else {"fluxes": fluxes}
    if not tables:
        raise ParameterError("fluxes is empty")
    if by == "subsystem":
        tables = {k: subsystem_fluxes(v, model) for k, v in tables.items()}
    first = next(iter(tables.values()))
    for name, table in tables.items():
        missing = first.columns.difference(table.columns).union(first.index.difference(table.index))
        if len(missing):
            raise ParameterError(f"flux table {name!r} lacks {len(missing)} row or column id(s) of the first table, "
                                 f"e.g. {missing[:5].tolist()}; tables are matched by sample and reaction id")
    samples = first.index if order is None else (
        first.index[np.asarray(order)] if np.issubdtype(np.asarray(order).dtype, np.integer) else pd.Index(order))
    rows = first.loc[samples].var().sort_values(ascending=False).index[:top]
    if by == "reaction" and model is not None:
        names = reaction_names(model)["name"]
        labels = [node_label({"name": names.get(r), "node_id": r}, width=40, lines=1) for r in rows]
    else:
        labels = [node_label({"name": str(r), "node_id": r}, width=40, lines=1) for r in rows]
    n = len(tables)
    fig = Figure(figsize=figsize or (5.5 * n, 1.2 + 0.2 * len(rows)), layout="constrained")
    axes = np.atleast_1d(fig.subplots(1, n, sharey=True))
    for ax, (name, table) in zip(axes, tables.items()):
        values = table.loc[samples, rows].to_numpy(dtype=float).T
        bound = float(np.nanmax(np.abs(values))) if np.isfinite(values).any() else 1.0
        bound = bound or 1.0
        if by == "reaction":
            image = ax.imshow(values, aspect="auto", cmap="RdBu_r", vmin=-bound, vmax=bound, interpolation="nearest")
            label = f"flux ({unit})"
        else:
            image = ax.imshow(values, aspect="auto", cmap="viridis", vmin=0, vmax=bound, interpolation="nearest")
            label = f"Σ|flux| ({unit})"
        ax.set_yticks(range(len(rows)), labels, fontsize=7)
        ax.set_xlabel("conditions" + ("" if order is None else " (in the given order)"))
        ax.set_title(name, fontsize=10)
        fig.colorbar(image, ax=ax, label=label, shrink=0.8)
    return fig
