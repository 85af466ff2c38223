"""iMAT (Shlomi et al., Nat Biotechnol 2008): fluxes that agree with high and low expression, one MILP per sample.

For a sample with GPR activities ``a_r`` (:func:`~binn_graph.metabolic.gpr.evaluate_gpr`), reactions are split by
two thresholds ``θ_low < θ_high`` (by default the sample's 25th and 75th percentiles of the activities of reactions
that have a rule): highly expressed ``H = {r : a_r ≥ θ_high}`` and lowly expressed ``L = {r : a_r ≤ θ_low}``
(a reaction meeting both counts as high). With binaries ``y⁺_r, y⁻_r`` (``r ∈ H``) and ``y⁰_r`` (``r ∈ L``)::

    max  Σ_{r∈H} (y⁺_r + y⁻_r) + Σ_{r∈L} y⁰_r
    s.t. S v = 0,  lb ≤ v ≤ ub
         v_r + y⁺_r (lb_r − ε) ≥ lb_r          (r ∈ H: y⁺_r = 1 ⇒ v_r ≥ ε, active forward)
         v_r + y⁻_r (ub_r + ε) ≤ ub_r          (r ∈ H: y⁻_r = 1 ⇒ v_r ≤ −ε, active backward)
         lb_r (1 − y⁰_r) ≤ v_r ≤ ub_r (1 − y⁰_r) (r ∈ L: y⁰_r = 1 ⇒ v_r = 0, inactive)

so the objective counts the reactions whose activity agrees with their expression. ``ε`` is the flux that counts
as active (model flux units, default 1 as in Shlomi et al.). Infinite bounds are replaced by ``±big_m`` (default:
the largest finite absolute bound, at least 1000). A binary that can never be 1 (``ub_r < ε`` for forward
activity, ``0 ∉ [lb_r, ub_r]`` for inactivity) is left out; the reaction then simply cannot agree.

The MILP's optimum is rarely unique, so with ``pfba=True`` the agreeing states found are then fixed (bounds
``v_r ≥ ε``, ``v_r ≤ −ε`` or ``v_r = 0``) and the returned fluxes minimise ``Σ|v|`` under them (an LP, feasible
because the MILP solution satisfies it); otherwise the MILP's own ``v`` is returned. The MILP is solved by HiGHS
(``highspy``) with an optional per-sample ``time_limit`` (seconds): a sample that reaches it keeps the best solution
found, with status ``"time limit"`` and its relative gap in the report.
"""

from __future__ import annotations

import time

import numpy as np
import pandas as pd

from .lp import BatchFBA, _highs, _status
from .model import StoichiometricModel

__all__ = ["imat_fluxes", "imat_sets"]


def imat_sets(activity: np.ndarray, thresholds: tuple[float, float] | None = None,
              quantiles: tuple[float, float] = (0.25, 0.75)) -> tuple[np.ndarray, np.ndarray, float, float]:
    """``(high, low, θ_low, θ_high)`` masks over reactions for one sample's activities (NaN = no rule).

    ``thresholds`` gives ``(θ_low, θ_high)``; otherwise they are the ``quantiles`` of the finite activities.
    """
    finite = np.isfinite(activity)
    if thresholds is not None:
        lo, hi = (float(t) for t in thresholds)
    elif finite.any():
        lo, hi = (float(np.quantile(activity[finite], q)) for q in quantiles)
    else:
        lo, hi = -np.inf, np.inf
    high = finite & (activity >= hi)
    low = finite & (activity <= lo) & ~high
    return high, low, lo, hi


def _milp(sm: StoichiometricModel, lb: np.ndarray, ub: np.ndarray, high: np.ndarray, low: np.ndarray,
          epsilon: float, big_m: float, options: dict):
    """Build and solve one sample's iMAT MILP; returns ``(highs, n_binaries, forward, backward, off)``."""
    import highspy
    import scipy.sparse as sp

    n_met, n = sm.S.shape
    lb = np.clip(np.where(np.isfinite(lb), lb, -big_m), -big_m, big_m)
    ub = np.clip(np.where(np.isfinite(ub), ub, big_m), -big_m, big_m)
    forward = np.flatnonzero(high & (ub >= epsilon))
    backward = np.flatnonzero(high & (lb <= -epsilon))
    off = np.flatnonzero(low & (lb <= 0) & (ub >= 0))
    nf, nb, no = len(forward), len(backward), len(off)
    k = nf + nb + no
    # rows: S v = 0; forward, backward, off-lower, off-upper indicator rows; binary columns follow v
    vrows = np.concatenate([forward, backward, off, off])
    ycols = n + np.arange(k)
    ycols = np.concatenate([ycols, n + nf + nb + np.arange(no)])
    ycoef = np.concatenate([lb[forward] - epsilon, ub[backward] + epsilon, lb[off], ub[off]])
    m = len(vrows)
    rows = np.arange(m)
    indicator = sp.csr_matrix((np.concatenate([np.ones(m), ycoef]), (np.concatenate([rows, rows]),
                                                                      np.concatenate([vrows, ycols]))),
                              shape=(m, n + k))
    A = sp.vstack([sp.hstack([sm.S, sp.csr_matrix((n_met, k))]), indicator]).tocsc()
    inf = highspy.kHighsInf
    row_lower = np.concatenate([np.zeros(n_met), lb[forward], np.full(nb, -inf), lb[off], np.full(no, -inf)])
    row_upper = np.concatenate([np.zeros(n_met), np.full(nf, inf), ub[backward], np.full(no, inf), ub[off]])
    lp = highspy.HighsLp()
    lp.num_col_, lp.num_row_ = n + k, n_met + m
    lp.col_cost_ = np.concatenate([np.zeros(n), -np.ones(k)])  # HiGHS minimises
    lp.col_lower_ = np.concatenate([lb, np.zeros(k)])
    lp.col_upper_ = np.concatenate([ub, np.ones(k)])
    lp.row_lower_, lp.row_upper_ = row_lower, row_upper
    lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
    lp.a_matrix_.start_, lp.a_matrix_.index_, lp.a_matrix_.value_ = A.indptr, A.indices, A.data
    lp.integrality_ = [highspy.HighsVarType.kContinuous] * n + [highspy.HighsVarType.kInteger] * k
    h = _highs(options)
    h.passModel(lp)
    h.run()
    return h, k, forward, backward, off


def imat_fluxes(sm: StoichiometricModel, activity: np.ndarray, lb: np.ndarray, ub: np.ndarray, *,
                thresholds: tuple[float, float] | None = None, quantiles: tuple[float, float] = (0.25, 0.75),
                epsilon: float = 1.0, pfba: bool = True, time_limit: float | None = None, mip_gap: float = 1e-4,
                big_m: float | None = None, skip: np.ndarray | None = None
                ) -> tuple[np.ndarray, list[str], pd.DataFrame]:
    """iMAT for every sample (see the module docstring).

    Parameters
    ----------
    sm:
        The model's arrays.
    activity:
        GPR activities, samples × reactions (NaN where a reaction has no evaluable rule).
    lb, ub:
        Bounds per sample, samples × reactions (the medium already applied).
    thresholds, quantiles:
        ``(θ_low, θ_high)`` for every sample, else the per-sample ``quantiles`` of the activities.
    epsilon:
        Flux that counts as active (model flux units).
    pfba:
        Fix the agreeing states and minimise ``Σ|v|`` (a unique, parsimonious representative).
    time_limit:
        Seconds per sample for the MILP (None: no limit).
    mip_gap:
        Relative MIP gap at which HiGHS stops.
    big_m:
        Replaces infinite bounds (default: max(1000, largest finite absolute bound)).
    skip:
        Boolean mask of samples not to solve (already known infeasible); their status is left to the caller.

    Returns
    -------
    (fluxes, status, info)
        Fluxes samples × reactions (NaN rows where no solution), one status per sample, and a per-sample table:
        ``agreement`` (reactions agreeing with their expression), ``high``, ``low`` (set sizes), ``theta_low``,
        ``theta_high``, ``gap`` (relative MIP gap), ``seconds`` and ``parsimonious`` (whether the returned fluxes are
        the fixed-state ``min Σ|v|`` solution; False without ``pfba``, or where that LP failed on round-off at the
        ``ε`` bounds and the MILP's own fluxes were kept).
    """
    n_samples, n = activity.shape
    finite_bounds = np.abs(np.concatenate([sm.lb, sm.ub]))
    finite_bounds = finite_bounds[np.isfinite(finite_bounds)]
    if big_m is None:
        big_m = max(1000.0, float(finite_bounds.max()) if len(finite_bounds) else 0.0)
    options = {"mip_rel_gap": float(mip_gap)}
    if time_limit is not None:
        options["time_limit"] = float(time_limit)
    second = BatchFBA(sm) if pfba else None
    fluxes = np.full((n_samples, n), np.nan)
    statuses: list[str] = []
    rows = []
    for i in range(n_samples):
        high, low, lo, hi = imat_sets(activity[i], thresholds, quantiles)
        record = {"agreement": np.nan, "high": int(high.sum()), "low": int(low.sum()), "theta_low": lo,
                  "theta_high": hi, "gap": np.nan, "seconds": 0.0, "parsimonious": False}
        rows.append(record)
        if skip is not None and skip[i]:
            statuses.append("skipped")
            continue
        start = time.perf_counter()
        h, k, forward, backward, off = _milp(sm, lb[i], ub[i], high, low, epsilon, big_m, options)
        status = _status(h)
        info = h.getInfo()
        has_solution = info.primal_solution_status == 2  # kSolutionStatusFeasible
        if status == "Time limit reached":
            status = "time limit"
        if has_solution and status in ("optimal", "time limit"):
            x = np.asarray(h.getSolution().col_value)
            v, y = x[:n], np.round(x[n:]).astype(bool)
            record["agreement"] = int(y.sum())
            record["gap"] = float(info.mip_gap)
            if second is not None:
                nf, nb = len(forward), len(backward)
                lo_i, up_i = lb[i].copy(), ub[i].copy()
                on_f, on_b, zero = forward[y[:nf]], backward[y[nf:nf + nb]], off[y[nf + nb:]]
                lo_i[on_f] = np.maximum(lo_i[on_f], epsilon)
                up_i[on_b] = np.minimum(up_i[on_b], -epsilon)
                lo_i[zero] = up_i[zero] = 0.0
                v2, _ = second.second_stage(lo_i, up_i, -np.inf)
                record["parsimonious"] = v2 is not None  # False: round-off at the ε bounds, the MILP's own v kept
                v = v if v2 is None else v2
            fluxes[i] = v
        record["seconds"] = time.perf_counter() - start
        statuses.append(status)
    return fluxes, statuses, pd.DataFrame(rows)
