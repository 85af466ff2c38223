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
:func:`subsystem_attribution` aggregates :func:`binn_graph.explain`'s input importances per subsystem and per view,
merging fully coupled fluxes (:func:`coupled_sets`), which no model can tell apart.
:func:`simulate_multiview` draws data with known truth: expression → E-Flux bounds → fluxes → a phenotype planted on
the fluxes of one subsystem.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, RegressorMixin, clone

from kg.convert.cobra import from_cobra
from kg.graph import KnowledgeGraph

from ..errors import ParameterError
from ..validation import check_fitted
from .fluxes import MetabolicWarning, condition_fluxes
from .model import as_cobra_model

__all__ = ["metabolic_binn_graph", "flux_columns", "simulate_multiview", "LateFusionRegressor", "view_importance",
           "coupled_sets", "subsystem_attribution"]

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
    correlates with no other subsystem's at ``|r|`` ≥ 0.8 and whose fully coupled flux sets (:func:`coupled_sets`)
    are not all held by another single subsystem, so that the signal is identifiable; where no subsystem passes the
    second test, the first candidate is planted with a :class:`MetabolicWarning`.

    Returns a dict: ``expression`` (samples × genes), ``fluxes`` (samples × reactions, optimal samples only), ``y``
    (Series), ``pathway`` (the planted subsystem id), ``reactions`` (its varying reactions) and ``equivalent`` (other
    subsystems whose coupled flux sets include all of the planted one's: empty when it is identifiable).
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
    sets = member.assign(set=member["source"].map(coupled_sets(fluxes[varying]))).groupby("target")["set"].apply(
        frozenset)

    def spanned_by_others(p) -> list[str]:  # subsystems whose coupled flux sets include all of p's
        return [q for q in sets.index if q != p and sets[p] <= sets[q]]

    if pathway is None:
        corr = signals.corr().abs()
        np.fill_diagonal(corr.values, 0.0)
        sizes = member["target"].value_counts()
        candidates = [p for p in sizes.index if sizes[p] >= 2 and corr[p].max() < 0.8]
        if not candidates:
            raise ParameterError("no subsystem has an identifiable flux signal in this simulation; pass pathway=")
        unique = [p for p in candidates if not spanned_by_others(p)]
        pathway = (unique or candidates)[0]
    equivalent = spanned_by_others(pathway) if pathway in sets.index else []
    if equivalent:
        warnings.warn(f"the planted subsystem {pathway!r} is not identifiable from the fluxes: {len(equivalent)} other "
                      f"subsystem(s) hold fluxes coupled to all of its varying fluxes (e.g. {equivalent[:3]}); more "
                      "expression variation (sigma) gives more independent fluxes", MetabolicWarning, stacklevel=2)
    reactions = member.loc[member["target"] == pathway, "source"].tolist()
    signal = signals[pathway]
    y = (signal - signal.mean()) / signal.std() + noise * rng.standard_normal(len(signal))
    return {"expression": expression, "fluxes": fluxes, "y": pd.Series(y, index=fluxes.index, name="phenotype"),
            "pathway": pathway, "reactions": reactions, "equivalent": equivalent}


def view_importance(importance: pd.DataFrame, graph: KnowledgeGraph) -> pd.Series:
    """Sum of input-node importance per view (input node type), from :func:`binn_graph.explain`'s table."""
    types = pd.concat([pd.Series(t, index=graph.node_ids(t)) for t in ("gene", "flux") if t in graph.node_types])
    rows = importance[importance["node_id"].isin(types.index)]
    return rows.groupby(rows["node_id"].map(types))["importance"].sum()


def coupled_sets(fluxes: pd.DataFrame, threshold: float = 0.999) -> pd.Series:
    """Fully coupled flux columns: one set label per column (the first column of its set).

    Two columns are coupled when their fluxes are proportional across the samples, ``|r| ≥ threshold`` (Pearson);
    sets are the connected components of that relation (:func:`kg.algorithms.transitive_closure`). At steady state
    whole pathways move together (flux coupling, Burgard et al. 2004), so a model cannot tell coupled inputs apart: a
    phenotype on one is equally a phenotype on the others. Constant columns are sets of their own.
    """
    import scipy.sparse as sp

    from kg.algorithms import transitive_closure

    values = fluxes.to_numpy(dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):
        r = np.corrcoef(values.T) if values.shape[1] > 1 else np.ones((1, 1))
    linked = np.nan_to_num(np.abs(np.atleast_2d(r)), nan=0.0) >= threshold
    np.fill_diagonal(linked, True)
    closure = transitive_closure(sp.csr_matrix(linked), reflexive=True).tocsr()
    first = np.array([closure.indices[closure.indptr[i]:closure.indptr[i + 1]].min() for i in range(len(linked))],
                     dtype=int) if len(linked) else np.array([], dtype=int)
    return pd.Series(fluxes.columns[first], index=fluxes.columns, name="coupled_set")


def _view_members(graph: KnowledgeGraph, view: str) -> pd.DataFrame:
    """``(input, subsystem)`` pairs of one view: ``flux → pathway``, or ``gene → reaction → pathway``."""
    if view == "flux":
        e = graph.edges(("flux", "member_of", "pathway"))
        return pd.DataFrame({"input": e["source"].to_numpy(), "subsystem": e["target"].to_numpy()})
    cat = graph.edges(("gene", "catalyzes", "reaction"))
    member = graph.edges(("reaction", "member_of", "pathway"))
    pairs = cat.merge(member, left_on="target", right_on="source", suffixes=("", "_m"))
    return pd.DataFrame({"input": pairs["source"].to_numpy(), "subsystem": pairs["target_m"].to_numpy()}
                        ).drop_duplicates()


def subsystem_attribution(importance: pd.DataFrame, graph: KnowledgeGraph, X: pd.DataFrame | None = None, *,
                          coupling: float = 0.999) -> pd.DataFrame:
    """Attribution per subsystem and per view, aggregated from :func:`binn_graph.explain`'s table (nothing re-run).

    For each view (input type ``flux`` and/or ``gene`` in ``importance``) and subsystem ``s``, with input importances
    ``x_i`` from the table: flux inputs are merged into their fully coupled sets (:func:`coupled_sets` on the flux
    columns of ``X``, ``|r| ≥ coupling``; without ``X`` every input is its own set), a set's importance is the sum of
    its members' ``x_i``, and

    * ``importance`` = ``Σ`` of the importances of the sets with a member in ``s`` (genes reach ``s`` through their
      reactions; fluxes directly);
    * ``share`` = ``importance`` ÷ the view's total input importance: how much of the view's attribution the
      subsystem's inputs, or fluxes no model can tell from them, account for;
    * ``rank`` (per view): by ``share``, ties broken by fewer ``coupled_sets`` (the most specific subsystem first);
      subsystems equal in both share a rank (the data cannot order them).

    A phenotype planted on one subsystem's fluxes gives that subsystem ``share`` ≈ 1; a subsystem that holds only part
    of the coupled sets gets the part. Also reported: ``inputs`` (member inputs of the view present in the table),
    ``coupled_sets`` and the subsystem node's own ``node_importance`` and ``member_z`` from the table.

    Returns a DataFrame sorted by view, then rank: ``view``, ``subsystem``, ``name``, ``inputs``, ``coupled_sets``,
    ``importance``, ``share``, ``node_importance``, ``member_z``, ``rank``.
    """
    if "output" in importance.columns:  # multi-output tables: the first output
        importance = importance[importance["output"] == importance["output"].iloc[0]]
    pathways = importance[importance["node_type"] == "pathway"].set_index("node_id")
    rows = []
    for view in ("flux", "gene"):
        x = importance.loc[importance["node_type"] == view].set_index("node_id")["importance"].astype(float)
        if x.empty or view not in graph.node_types:
            continue
        if view == "flux" and X is not None:
            columns = [c for c in x.index if c in X.columns]
            sets = coupled_sets(X[columns], coupling).reindex(x.index)
            sets = sets.fillna(pd.Series(x.index, index=x.index))
        else:
            sets = pd.Series(x.index, index=x.index)
        set_importance = x.groupby(sets).sum()
        total = float(set_importance.sum())
        members = _view_members(graph, view)
        members = members[members["input"].isin(x.index)]
        members = members.assign(set=members["input"].map(sets))
        by = members.groupby("subsystem")
        table = pd.DataFrame({"inputs": by["input"].nunique(), "coupled_sets": by["set"].nunique()})
        table["importance"] = members.drop_duplicates(["subsystem", "set"]).assign(
            v=lambda d: d["set"].map(set_importance)).groupby("subsystem")["v"].sum()
        table["share"] = table["importance"] / total if total > 0 else np.nan
        table["node_importance"] = pathways["importance"].reindex(table.index).to_numpy()
        table["member_z"] = pathways["member_z"].reindex(table.index).to_numpy() if "member_z" in pathways else np.nan
        table = table.sort_values(["share", "coupled_sets"], ascending=[False, True])
        keys = np.column_stack([table["share"].round(12).to_numpy(), table["coupled_sets"].to_numpy()])
        tied = np.r_[False, (keys[1:] == keys[:-1]).all(axis=1)]  # equal share and sets: equal rank
        table["rank"] = np.maximum.accumulate(np.where(tied, 0, np.arange(1, len(table) + 1)))
        table.insert(0, "view", view)
        rows.append(table)
    if not rows:
        raise ParameterError("the importance table has no flux or gene input rows; explain a model of "
                             "metabolic_binn_graph with input_type 'flux' and/or 'gene'")
    out = pd.concat(rows).rename_axis("subsystem").reset_index()
    nodes = graph.nodes("pathway").set_index("id")
    names = nodes["name"] if "name" in nodes.columns else pd.Series(dtype=object)
    out.insert(2, "name", out["subsystem"].map(names).fillna(out["subsystem"]))
    return out[["view", "subsystem", "name", "inputs", "coupled_sets", "importance", "share", "node_importance",
                "member_z", "rank"]]


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
