"""Multi-view BINNs: expression (genes) and fluxes (reactions) as two input types of one network, or two networks fused.

:func:`metabolic_binn_graph` turns a metabolic model into a BINN graph with two
views of each reaction:

* ``gene --catalyzes--> reaction --member_of--> pathway`` (``pathway`` ids ``subsystem:<name>``): the expression view,
  wired by the GPR rules;
* ``flux --member_of--> pathway``: the flux view, one ``flux`` node per reaction with a subsystem, id
  ``flux:<reaction id>``.

Early fusion is one :class:`~binn_graph.BINNRegressor` with ``input_type=["gene", "flux"]`` on the concatenated
columns (:func:`flux_columns` names the flux columns); late fusion is :class:`LateFusionRegressor`, one BINN per
view, predictions averaged or stacked (non-negative weights fit on held-out rows). :func:`view_importance` sums node importances per input type (per view).
:func:`simulate_multiview` draws data with known truth: expression → E-Flux bounds → fluxes → a phenotype planted on
the fluxes of one subsystem.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, RegressorMixin, clone

from kg.convert.cobra import from_cobra
from kg.graph import KnowledgeGraph

from ..validation import check_fitted
from .fluxes import condition_fluxes
from .model import as_cobra_model

__all__ = ["metabolic_binn_graph", "flux_columns", "simulate_multiview", "LateFusionRegressor", "view_importance"]

FLUX_PREFIX = "flux:"


def metabolic_binn_graph(model) -> KnowledgeGraph:
    """The two-view BINN graph of a model (see the module docstring); reactions without a subsystem have no flux node."""
    g = from_cobra(as_cobra_model(model, require_objective=False))
    out = KnowledgeGraph()
    pathways = g.nodes("pathway") if "pathway" in g.node_types else pd.DataFrame({"id": [], "name": []})
    out.add_nodes("pathway", pathways["id"], name=pathways["name"].tolist(), database="model")
    reactions = g.nodes("reaction")
    out.add_nodes("reaction", reactions["id"], name=reactions["name"].tolist(), database="model")
    member = g.edges(("reaction", "member_of", "pathway")) if g.has_edge_type(("reaction", "member_of", "pathway")) \
        else pd.DataFrame({"source": [], "target": []})
    out.add_edges(("reaction", "member_of", "pathway"), member["source"], member["target"], database="model")
    if "gene" in g.node_types:
        out.add_nodes("gene", g.nodes("gene")["id"], database="model")
        cat = g.edges(("gene", "catalyzes", "reaction"))
        out.add_edges(("gene", "catalyzes", "reaction"), cat["source"], cat["target"], database="model")
    flux_ids = [FLUX_PREFIX + r for r in member["source"].drop_duplicates()]
    names = reactions.set_index("id")["name"]
    out.add_nodes("flux", flux_ids, name=[names.get(f.removeprefix(FLUX_PREFIX)) for f in flux_ids], database="model")
    out.add_edges(("flux", "member_of", "pathway"), [FLUX_PREFIX + r for r in member["source"]], member["target"],
                  database="model")
    return out


def flux_columns(fluxes: pd.DataFrame) -> pd.DataFrame:
    """Fluxes (samples × reaction ids) with columns renamed to the graph's ``flux:<reaction id>`` ids."""
    return fluxes.rename(columns=lambda r: FLUX_PREFIX + str(r))


def simulate_multiview(model, n_samples: int = 200, *, pathway: str | None = None, noise: float = 0.1,
                       sigma: float = 0.5, random_state: int = 0) -> dict:
    """Expression → E-Flux bounds → pFBA fluxes → a phenotype planted on one subsystem's fluxes.

    Gene levels are log-normal (``sigma``); fluxes come from :func:`condition_fluxes` (E-Flux, pFBA). The phenotype
    is the mean of the standardised fluxes of the planted subsystem's varying reactions, plus Gaussian noise of sd
    ``noise``. Unless ``pathway`` is given, the planted subsystem is the largest (≥ 2 varying reactions) whose signal
    correlates with no other subsystem's at ``|r|`` ≥ 0.8, so that the signal is identifiable.

    Returns a dict: ``expression`` (samples × genes), ``fluxes`` (samples × reactions, optimal samples only), ``y``
    (Series), ``pathway`` (the planted subsystem id) and ``reactions`` (its varying reactions).
    """
    cobra_model = as_cobra_model(model)
    rng = np.random.default_rng(random_state)
    genes = [g.id for g in cobra_model.genes]
    expression = pd.DataFrame(rng.lognormal(sigma=sigma, size=(n_samples, len(genes))), columns=genes,
                              index=[f"sample{i}" for i in range(n_samples)])
    fluxes = condition_fluxes(cobra_model, expression, method="eflux", pfba=True)
    ok = fluxes.attrs["status"] == "optimal"
    fluxes, expression = fluxes[ok.to_numpy()], expression[ok.to_numpy()]
    graph = metabolic_binn_graph(cobra_model)
    member = graph.edges(("reaction", "member_of", "pathway"))
    varying = fluxes.columns[fluxes.std() > 1e-6 * (1 + fluxes.abs().max())]
    member = member[member["source"].isin(varying)]
    z_all = (fluxes[varying] - fluxes[varying].mean()) / fluxes[varying].std()
    signals = pd.DataFrame({p: z_all[b["source"]].mean(axis=1) for p, b in member.groupby("target")})
    if pathway is None:  # the largest subsystem whose signal no other subsystem's copies (|r| < 0.8): identifiable
        corr = signals.corr().abs()
        np.fill_diagonal(corr.values, 0.0)
        sizes = member["target"].value_counts()
        candidates = [p for p in sizes.index if sizes[p] >= 2 and corr[p].max() < 0.8]
        if not candidates:
            raise ValueError("no subsystem has an identifiable flux signal in this simulation; pass pathway=")
        pathway = candidates[0]
    reactions = member.loc[member["target"] == pathway, "source"].tolist()
    signal = signals[pathway]
    y = (signal - signal.mean()) / signal.std() + noise * rng.standard_normal(len(signal))
    return {"expression": expression, "fluxes": fluxes, "y": pd.Series(y, index=fluxes.index, name="phenotype"),
            "pathway": pathway, "reactions": reactions}


def view_importance(importance: pd.DataFrame, graph: KnowledgeGraph) -> pd.Series:
    """Sum of input-node importance per view (input node type), from :func:`binn_graph.explain`'s table."""
    types = pd.concat([pd.Series(t, index=graph.node_ids(t)) for t in ("gene", "flux") if t in graph.node_types])
    rows = importance[importance["node_id"].isin(types.index)]
    return rows.groupby(rows["node_id"].map(types))["importance"].sum()


class LateFusionRegressor(RegressorMixin, BaseEstimator):
    """Late fusion: one BINN per view (genes; fluxes), predictions combined.

    Parameters
    ----------
    gene_estimator, flux_estimator:
        Unfitted :class:`~binn_graph.BINNRegressor` objects (``input_type="gene"`` and ``"flux"``), cloned in fit.
    combine:
        ``"mean"``: the average of the two predictions. ``"stack"``: both views are first fit on a
        ``1 − validation_fraction`` share of the training rows; non-negative least squares on the held-out rows gives
        ``ŷ = b + w_gene ŷ_gene + w_flux ŷ_flux``; then both views are refit on all rows (``weights_``).
    validation_fraction:
        Held-out share for ``"stack"``.
    random_state:
        Seeds the stacking split.
    """

    def __init__(self, gene_estimator=None, flux_estimator=None, combine: str = "mean",
                 validation_fraction: float = 0.25, random_state: int | None = 0) -> None:
        self.gene_estimator = gene_estimator
        self.flux_estimator = flux_estimator
        self.combine = combine
        self.validation_fraction = validation_fraction
        self.random_state = random_state

    def split(self, X: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
        """``(gene columns, flux columns)`` of ``X`` (flux columns start with ``flux:``)."""
        flux = [c for c in X.columns if str(c).startswith(FLUX_PREFIX)]
        return X.drop(columns=flux), X[flux]

    def fit(self, X: pd.DataFrame, y) -> "LateFusionRegressor":
        """Fit both views on their columns of ``X`` (``flux:`` columns are the flux view)."""
        from scipy.optimize import nnls
        from sklearn.model_selection import train_test_split

        from ..errors import ParameterError

        if self.combine not in ("mean", "stack"):
            raise ParameterError(f"combine must be 'mean' or 'stack', got {self.combine!r}")
        y = np.asarray(y, dtype=float)
        genes, fluxes = self.split(X)
        if self.combine == "stack":
            train, val = train_test_split(np.arange(len(y)), test_size=self.validation_fraction,
                                          random_state=self.random_state)
            pg = clone(self.gene_estimator).fit(genes.iloc[train], y[train]).predict(genes.iloc[val])
            pf = clone(self.flux_estimator).fit(fluxes.iloc[train], y[train]).predict(fluxes.iloc[val])
            P = np.column_stack([pg, pf])
            w, _ = nnls(P - P.mean(0), y[val] - y[val].mean())
            self.weights_ = {"intercept": float(y[val].mean() - P.mean(0) @ w), "gene": float(w[0]),
                             "flux": float(w[1])}
        else:
            self.weights_ = {"intercept": 0.0, "gene": 0.5, "flux": 0.5}
        self.gene_model_ = clone(self.gene_estimator).fit(genes, y)
        self.flux_model_ = clone(self.flux_estimator).fit(fluxes, y)
        return self

    def predict(self, X: pd.DataFrame) -> np.ndarray:
        """``b + w_gene ŷ_gene + w_flux ŷ_flux`` (``weights_``)."""
        check_fitted(self, "flux_model_")
        genes, fluxes = self.split(X)
        w = self.weights_
        return w["intercept"] + w["gene"] * self.gene_model_.predict(genes) + w["flux"] * self.flux_model_.predict(
            fluxes)
