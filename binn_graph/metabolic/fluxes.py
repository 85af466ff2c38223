"""Condition-specific fluxes: one flux distribution per sample from expression and/or medium.

``condition_fluxes(model, expression, method=..., pfba=True)`` returns samples ×
reactions. For sample ``s`` and reaction ``r`` with GPR activity ``a_rs``
(:func:`~binn_graph.metabolic.gpr.evaluate_gpr`: AND = min, OR = max):

* ``method="eflux"`` (E-Flux-like bound scaling as in Culley et al., PNAS 2020):
  ``x_rs = (a_rs / a_r^ref)^γ`` with ``a_r^ref`` the reaction's maximum over
  samples (or the ``reference`` sample given), and the bounds become
  ``[lb_r · x_rs, ub_r · x_rs]``; reactions without a rule or a measured gene
  keep their bounds. Then FBA (``max c·v``) and, with ``pfba=True``,
  parsimonious FBA (``min Σ|v|`` at the optimum, cobrapy's :func:`pfba`).
* ``method="gimme"`` (switch-style, Becker & Palsson 2008): bounds are not
  scaled; reactions whose activity lies below the threshold ``θ_s`` (by default
  the sample's 25th percentile of activities) are penalised:
  ``min Σ_r max(θ_s − a_rs, 0) |v_r|`` s.t. ``S v = 0``, bounds,
  ``c·v ≥ α z*`` — reactions of unexpressed genes are switched off unless the
  objective needs them. ``pfba`` is ignored (the GIMME objective is already a
  weighted flux minimisation).
* ``method="imat"`` (switch-style, Shlomi et al. 2008; :mod:`~binn_graph.metabolic.imat`): one MILP per sample
  maximises the number of reactions whose activity agrees with their expression: highly expressed reactions
  (``a_rs ≥ θ_high``) carrying ``|v_r| ≥ ε``, lowly expressed ones (``a_rs ≤ θ_low``) carrying ``v_r = 0``;
  ``thresholds=(θ_low, θ_high)``, by default the sample's ``quantiles=(0.25, 0.75)`` of activities, ``epsilon=1``.
  No objective is imposed; with ``pfba=True`` the agreeing states are fixed and ``Σ|v|`` minimised under them.
  ``time_limit`` caps each sample's MILP (seconds); the per-sample table is in ``attrs["imat"]``.
* ``method="fba"``: no expression; FBA (pFBA with ``pfba=True``) under the
  medium only.

A ``medium`` (samples × exchange reaction ids, uptake levels ≥ 0, or one
Series for all samples) sets each listed exchange's lower bound to ``−level``.

All samples share two warm-started HiGHS problems
(:class:`~binn_graph.metabolic.lp.BatchFBA`). The result's ``attrs`` hold
``status`` (per sample: optimal, infeasible, unbounded...), ``objective`` (the
FBA optimum per sample) and ``report`` (GPR genes absent from the expression,
unevaluated reactions, samples that were not optimal). Non-optimal samples have
NaN fluxes and are named in a warning.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

from .errors import InfeasibleModelError, MediumError
from .gpr import check_expression, evaluate_gpr
from .lp import BatchFBA
from .model import StoichiometricModel, as_cobra_model

__all__ = ["condition_fluxes", "medium_bounds", "MetabolicWarning"]

METHODS = ("eflux", "gimme", "imat", "fba")


class MetabolicWarning(UserWarning):
    """Something was reported, not raised: samples that are not optimal, GPR genes absent from the expression."""


def medium_bounds(sm: StoichiometricModel, medium: pd.DataFrame | pd.Series, index: pd.Index | None = None,
                  *, close_uptakes: bool = False) -> tuple[np.ndarray, np.ndarray, pd.Index]:
    """Per-sample bounds ``(lb, ub, samples)`` with the medium's uptake levels on its exchanges.

    ``medium`` columns are exchange reaction ids (matched by id); a level ``u ≥ 0`` sets the uptake bound to ``u``
    (lower bound ``−u`` on a ``met ⇌`` exchange). With ``close_uptakes=True`` every other exchange's uptake is closed first (cobrapy's
    ``model.medium`` semantics). Raises :class:`MediumError` for columns that match no exchange reaction
    or negative levels.
    """
    if isinstance(medium, pd.Series):
        medium = pd.DataFrame([medium.to_numpy()], columns=medium.index,
                              index=pd.Index(["medium"]) if index is None else index[:1])
        if index is not None:
            medium = medium.reindex(index).ffill()
    if not isinstance(medium, pd.DataFrame):
        raise MediumError(f"medium must be a DataFrame (samples × exchange ids) or a Series, got "
                          f"{type(medium).__name__}")
    medium = medium.copy()
    medium.columns = medium.columns.astype(str)
    exchanges = sm.exchanges
    unknown = [c for c in medium.columns if c not in exchanges]
    if unknown:
        near = [c for c in unknown if c in sm.reactions]
        hint = f" ({near[:3]} are reactions but not exchanges)" if near else ""
        raise MediumError(f"{len(unknown)} medium column(s) match no exchange reaction of the model, e.g. "
                          f"{unknown[:5]}{hint}; name columns by exchange reaction id (e.g. EX_glc__D_e)")
    dup = medium.columns[medium.columns.duplicated()]
    if len(dup):
        raise MediumError(f"medium has duplicated column(s) {dup[:5].tolist()}")
    values = medium.astype(float).to_numpy()
    if np.isnan(values).any() or (values < 0).any():
        raise MediumError("medium levels must be numbers ≥ 0 (uptake rates); found NaN or negative values")
    if index is not None:
        missing = index.difference(medium.index)
        if len(missing):
            raise MediumError(f"{len(missing)} sample(s) of the expression have no medium row, e.g. "
                              f"{missing[:5].tolist()}; rows are matched by sample id")
        medium = medium.loc[index]
        values = medium.astype(float).to_numpy()
    n = len(medium)
    lb = np.tile(sm.lb, (n, 1))
    ub = np.tile(sm.ub, (n, 1))
    coef = np.asarray(sm.S.tocsc().sum(axis=0)).ravel()  # ±1 on an exchange: its one metabolite's coefficient
    if close_uptakes:
        ex = sm.reactions.get_indexer(exchanges)
        out_of_cell = coef[ex] < 0  # "met ->": uptake is negative flux
        lb[:, ex[out_of_cell]] = np.maximum(lb[:, ex[out_of_cell]], 0.0)
        ub[:, ex[~out_of_cell]] = np.minimum(ub[:, ex[~out_of_cell]], 0.0)
    cols = sm.reactions.get_indexer(medium.columns)
    forward = coef[cols] < 0
    lb[:, cols[forward]] = -values[:, forward]
    ub[:, cols[forward]] = np.maximum(ub[:, cols[forward]], 0.0)
    ub[:, cols[~forward]] = values[:, ~forward]
    lb[:, cols[~forward]] = np.minimum(lb[:, cols[~forward]], 0.0)
    return lb, ub, medium.index


def condition_fluxes(model, expression: pd.DataFrame | None = None, method: str = "eflux", pfba: bool = True, *,
                     medium: pd.DataFrame | pd.Series | None = None, gamma: float = 1.0,
                     reference: pd.Series | None = None, threshold: float | None = None,
                     quantile: float = 0.25, fraction_of_optimum: float = 1.0,
                     close_uptakes: bool = False, thresholds: tuple[float, float] | None = None,
                     quantiles: tuple[float, float] = (0.25, 0.75), epsilon: float = 1.0,
                     time_limit: float | None = None) -> pd.DataFrame:
    """Fluxes per sample (samples × reactions); see the module docstring for the formulas.

    Parameters
    ----------
    model:
        A :class:`cobra.Model`, an SBML path or an SBML-derived :class:`~kg.KnowledgeGraph`; it needs an objective.
    expression:
        Samples × gene ids (non-negative levels; genes matched by id). Not used by ``method="fba"``.
    method:
        ``"eflux"``, ``"gimme"``, ``"imat"`` or ``"fba"``.
    pfba:
        Parsimonious second stage (``eflux``, ``fba``; for ``imat``, ``Σ|v|`` minimised with the agreeing states
        fixed).
    medium:
        Samples × exchange ids (uptake levels, rows matched to the expression by sample id) or a Series.
    gamma:
        Exponent ``γ`` of the E-Flux scaling.
    reference:
        Reference activity per reaction for E-Flux (default: the maximum over samples).
    threshold, quantile:
        GIMME threshold ``θ`` (same for all samples), else the sample's ``quantile`` of activities.
    fraction_of_optimum:
        ``α``: the second stage holds ``c·v ≥ α z*`` (``eflux``, ``gimme``, ``fba``).
    thresholds, quantiles:
        iMAT's ``(θ_low, θ_high)`` for all samples, else the sample's ``quantiles`` (default 25th and 75th
        percentiles) of the activities of reactions with a rule.
    epsilon:
        iMAT: the flux (model units) that counts as active.
    time_limit:
        iMAT: seconds per sample's MILP (None: no limit); a sample that reaches it keeps the best solution found,
        status ``"time limit"``, reported with its MIP gap.
    close_uptakes:
        Close the uptake of exchanges not in the medium (cobrapy's ``model.medium`` semantics).

    Returns
    -------
    pandas.DataFrame
        Samples × reactions (model order); ``attrs["status"]``, ``attrs["objective"]``, ``attrs["report"]``
        (and ``attrs["imat"]``, per sample: agreement, set sizes, thresholds, gap, seconds).

    Raises
    ------
    ParameterError, ExpressionError, MediumError, NoObjectiveError, InfeasibleModelError
        For a bad method, bad expression (duplicated ids...), medium columns matching no exchange, a model with no
        objective, or a model infeasible before any sample's constraints are applied.
    """
    from ..errors import ParameterError

    if method not in METHODS:
        raise ParameterError(f"method must be one of {METHODS}, got {method!r}")
    if method != "fba" and expression is None:
        raise ParameterError(f"method={method!r} needs an expression table (samples × gene ids); use method='fba' "
                             "for the medium alone")
    if gamma <= 0 or not 0 < fraction_of_optimum <= 1 or not 0 < quantile < 1:
        raise ParameterError("gamma must be > 0, fraction_of_optimum in (0, 1], quantile in (0, 1)")
    if method == "imat":
        pair = thresholds if thresholds is not None else quantiles
        if len(pair) != 2 or not float(pair[0]) < float(pair[1]) or (
                thresholds is None and not 0 <= pair[0] < pair[1] <= 1):
            raise ParameterError(f"iMAT needs thresholds=(low, high) with low < high, or quantiles=(low, high) with "
                                 f"0 ≤ low < high ≤ 1; got thresholds={thresholds!r}, quantiles={quantiles!r}")
        if not epsilon > 0 or (time_limit is not None and not time_limit > 0):
            raise ParameterError(f"epsilon and time_limit must be > 0, got epsilon={epsilon!r}, "
                                 f"time_limit={time_limit!r}")
    cobra_model = as_cobra_model(model)
    sm = StoichiometricModel.from_cobra(cobra_model)
    engine = BatchFBA(sm, fraction_of_optimum=fraction_of_optimum)
    z0, _, status0 = engine.optimum(sm.lb, sm.ub)
    if status0 == "infeasible":
        raise InfeasibleModelError(f"model {cobra_model.id!r} is infeasible under its own bounds (before any "
                                   "sample's constraints); check the bounds and the objective's requirements")

    report: dict = {}
    if expression is not None and method != "fba":
        expression = check_expression(expression)
        samples = expression.index
        activity, gpr_report = evaluate_gpr(pd.Series(sm.gene_rules, index=sm.reactions), expression)
        report.update(gpr_report)
        if gpr_report["missing_genes"]:
            warnings.warn(f"{len(gpr_report['missing_genes'])} gene(s) of the model's GPR rules are absent from "
                          f"the expression (e.g. {gpr_report['missing_genes'][:5]}); they are left out of their "
                          f"rules; {len(gpr_report['unevaluated_reactions'])} reaction(s) keep their bounds",
                          MetabolicWarning, stacklevel=2)
    else:
        samples = medium.index if isinstance(medium, pd.DataFrame) else pd.Index(["medium"])
        activity = None
    if medium is not None:
        lb, ub, samples = medium_bounds(sm, medium, samples if expression is not None else None,
                                        close_uptakes=close_uptakes)
    else:
        lb, ub = np.tile(sm.lb, (len(samples), 1)), np.tile(sm.ub, (len(samples), 1))

    weights = None
    if method == "eflux":
        a = activity.to_numpy()
        if reference is None:
            ref = np.full(a.shape[1], np.nan)
            has = np.isfinite(a).any(axis=0)
            ref[has] = np.nanmax(a[:, has], axis=0)
        else:
            ref = pd.Series(reference).reindex(sm.reactions).to_numpy(dtype=float)
        with np.errstate(divide="ignore", invalid="ignore"):
            x = np.where(np.isnan(a) | ~(ref > 0), 1.0, np.clip(a / ref, 0.0, None) ** gamma)
        lb, ub = lb * x, ub * x
    elif method == "gimme":
        a = activity.to_numpy()
        theta = np.full(len(a), float(threshold)) if threshold is not None else np.array(
            [np.nanquantile(row, quantile) if np.isfinite(row).any() else 0.0 for row in a])
        weights = np.where(np.isnan(a), 0.0, np.maximum(theta[:, None] - a, 0.0))
    if method == "imat":
        fluxes, objective, statuses = _imat(sm, engine, activity.to_numpy(), lb, ub, report, pfba=pfba,
                                            thresholds=thresholds, quantiles=quantiles, epsilon=epsilon,
                                            time_limit=time_limit)
        imat_table = report.pop("imat")
        imat_table.index = samples
    else:
        fluxes, objective, statuses = engine.solve(lb, ub, second_stage=(method == "gimme") or pfba,
                                                   weights=weights)
    status = pd.Series(statuses, index=samples, name="status")
    solved = np.isfinite(fluxes).all(axis=1)
    bad = status[~solved]
    report["not_optimal"] = bad.to_dict()
    limited = status[solved & (status != "optimal").to_numpy()]
    if len(limited):  # iMAT samples stopped by the time limit keep their best solution
        report["time_limit"] = imat_table.loc[limited.index, "gap"].to_dict()
        warnings.warn(f"{len(limited)} of {len(status)} sample(s) reached the time limit; their fluxes are the best "
                      "solution found (relative MIP gap in attrs['imat']['gap']): "
                      + ", ".join(map(str, limited.index[:10])), MetabolicWarning, stacklevel=2)
    if len(bad) == len(status):
        raise InfeasibleModelError(f"no sample has an optimal flux distribution (e.g. {bad.iloc[0]} for sample "
                                   f"{bad.index[0]!r}); the medium or the expression constraints leave the model "
                                   "infeasible: open uptakes or check the medium columns")
    if len(bad):
        warnings.warn(f"{len(bad)} of {len(status)} sample(s) are not optimal and have NaN fluxes: "
                      + ", ".join(f"{k} ({v})" for k, v in list(bad.items())[:10]), MetabolicWarning, stacklevel=2)
    out = pd.DataFrame(fluxes, index=samples, columns=sm.reactions)
    out.attrs["status"] = status
    out.attrs["objective"] = pd.Series(objective, index=samples, name="objective")
    out.attrs["report"] = report
    if method == "imat":
        out.attrs["imat"] = imat_table
    return out


def _imat(sm: StoichiometricModel, engine: BatchFBA, activity: np.ndarray, lb: np.ndarray, ub: np.ndarray,
          report: dict, **options) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """iMAT per sample: FBA first (its optimum and infeasible samples, cheaply), then the MILP where feasible."""
    from .imat import imat_fluxes

    objective = np.full(len(lb), np.nan)
    first = []
    for i in range(len(lb)):
        z, _, status = engine.optimum(lb[i], ub[i])
        objective[i] = z
        first.append(status)
    skip = np.array([s != "optimal" for s in first])
    fluxes, statuses, table = imat_fluxes(sm, activity, lb, ub, skip=skip, **options)
    statuses = [f if s == "skipped" else s for s, f in zip(statuses, first)]
    report["imat"] = table
    return fluxes, objective, statuses
