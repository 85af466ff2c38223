"""Batched flux-balance solves with warm starts: one HiGHS problem per stage, bounds or costs updated per sample.

Two HiGHS instances are built once per model and reused for every sample, so
each solve starts from the previous sample's optimal basis (dual simplex after a
bound change, primal simplex after a cost change):

* **FBA**: ``max c·v`` s.t. ``S v = 0``, ``lb ≤ v ≤ ub`` (columns ``v``);
* **second stage** on split fluxes ``v = f − r`` (``f, r ≥ 0``, the forward
  and reverse parts, bounded from ``lb``/``ub`` as cobrapy does):
  ``min w·(f + r)`` s.t. ``S (f − r) = 0``, ``c·(f − r) ≥ α z*``, where ``z*``
  is the sample's FBA optimum and ``α`` the fraction of the optimum. ``w = 1``
  is parsimonious FBA (Lewis et al. 2010, as :func:`cobra.flux_analysis.pfba`);
  ``w_r = max(θ − a_r, 0)`` is GIMME (Becker & Palsson 2008).

Every sample gets a status (``optimal``, ``infeasible``, ``unbounded``, or the
HiGHS status text); its fluxes are NaN unless optimal.
"""

from __future__ import annotations

import numpy as np

from .model import StoichiometricModel

__all__ = ["BatchFBA"]


def _highs(options: dict | None = None):
    import highspy

    h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    for key, value in (options or {}).items():
        h.setOptionValue(key, value)
    return h


def _status(h) -> str:
    import highspy

    s = h.getModelStatus()
    if s == highspy.HighsModelStatus.kOptimal:
        return "optimal"
    if s == highspy.HighsModelStatus.kInfeasible:
        return "infeasible"
    if s in (highspy.HighsModelStatus.kUnbounded, highspy.HighsModelStatus.kUnboundedOrInfeasible):
        return "unbounded" if s == highspy.HighsModelStatus.kUnbounded else "unbounded or infeasible"
    return h.modelStatusToString(s)


def _split_bounds(lb: np.ndarray, ub: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Bounds of the forward and reverse parts ``f, r`` of ``v = f − r`` (columns ``[f, r]``)."""
    lower = np.concatenate([np.maximum(lb, 0.0), np.maximum(-ub, 0.0)])
    upper = np.concatenate([np.maximum(ub, 0.0), np.maximum(-lb, 0.0)])
    return lower, upper


class BatchFBA:
    """Warm-started FBA / pFBA / GIMME over many bound or weight settings of one model.

    Parameters
    ----------
    model:
        The model's arrays (:class:`~binn_graph.metabolic.model.StoichiometricModel`).
    fraction_of_optimum:
        ``α`` of the second stage (1.0 = cobrapy's pFBA default).
    tolerance:
        Relative slack on ``α z*`` so round-off in ``z*`` cannot make the second stage infeasible.
    """

    def __init__(self, model: StoichiometricModel, fraction_of_optimum: float = 1.0, tolerance: float = 1e-9):
        import highspy

        self.model = model
        self.fraction_of_optimum = fraction_of_optimum
        self.tolerance = tolerance
        S = model.S.tocsc()
        n_met, n = S.shape
        inf = highspy.kHighsInf
        self._inf = inf
        self._lb = np.where(np.isfinite(model.lb), model.lb, -inf)
        self._ub = np.where(np.isfinite(model.ub), model.ub, inf)
        # stage 1: max c·v
        lp = highspy.HighsLp()
        lp.num_col_, lp.num_row_ = n, n_met
        lp.col_cost_ = -model.c  # HiGHS minimises
        lp.col_lower_, lp.col_upper_ = self._lb.copy(), self._ub.copy()
        lp.row_lower_ = lp.row_upper_ = np.zeros(n_met)
        lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
        lp.a_matrix_.start_, lp.a_matrix_.index_, lp.a_matrix_.value_ = S.indptr, S.indices, S.data
        self.fba = _highs()
        self.fba.passModel(lp)
        # stage 2: min w·(f + r) on [f, r], rows S f − S r = 0 and c·(f − r) ≥ α z*
        import scipy.sparse as sp

        A = sp.vstack([sp.hstack([S, -S]), sp.csr_matrix(np.concatenate([model.c, -model.c])[None, :])]).tocsc()
        lp2 = highspy.HighsLp()
        lp2.num_col_, lp2.num_row_ = 2 * n, n_met + 1
        lp2.col_cost_ = np.ones(2 * n)
        lower, upper = _split_bounds(self._lb, self._ub)
        lp2.col_lower_, lp2.col_upper_ = lower, upper
        lp2.row_lower_ = np.concatenate([np.zeros(n_met), [-inf]])
        lp2.row_upper_ = np.concatenate([np.zeros(n_met), [inf]])
        lp2.a_matrix_.format_ = highspy.MatrixFormat.kColwise
        lp2.a_matrix_.start_, lp2.a_matrix_.index_, lp2.a_matrix_.value_ = A.indptr, A.indices, A.data
        self.second = _highs()
        self.second.passModel(lp2)
        self._n, self._n_met = n, n_met
        self._all = np.arange(n, dtype=np.int32)
        self._all2 = np.arange(2 * n, dtype=np.int32)

    def _set_bounds(self, h, lower, upper, cols):
        h.changeColsBounds(len(cols), cols, lower, upper)

    def optimum(self, lb: np.ndarray, ub: np.ndarray) -> tuple[float, np.ndarray | None, str]:
        """FBA under one bound setting: ``(z*, v, status)`` (``v`` None unless optimal)."""
        lb = np.where(np.isfinite(lb), lb, -self._inf)
        ub = np.where(np.isfinite(ub), ub, self._inf)
        self._set_bounds(self.fba, lb, ub, self._all)
        self.fba.run()
        status = _status(self.fba)
        if status != "optimal":
            return np.nan, None, status
        v = np.asarray(self.fba.getSolution().col_value)
        return float(self.model.c @ v), v, status

    def second_stage(self, lb: np.ndarray, ub: np.ndarray, z: float, weights: np.ndarray | None = None
                     ) -> tuple[np.ndarray | None, str]:
        """Minimise ``w·|v|`` with the objective held at ``α z``: ``(v, status)``; ``w`` = 1 (pFBA) by default."""
        lb = np.where(np.isfinite(lb), lb, -self._inf)
        ub = np.where(np.isfinite(ub), ub, self._inf)
        lower, upper = _split_bounds(lb, ub)
        self._set_bounds(self.second, lower, upper, self._all2)
        target = self.fraction_of_optimum * z
        target -= self.tolerance * max(1.0, abs(target))
        self.second.changeRowBounds(self._n_met, target, self._inf)
        w = np.ones(self._n) if weights is None else weights
        self.second.changeColsCost(2 * self._n, self._all2, np.concatenate([w, w]))
        self.second.run()
        status = _status(self.second)
        if status != "optimal":
            return None, status
        x = np.asarray(self.second.getSolution().col_value)
        return x[: self._n] - x[self._n:], status

    def solve(self, lb: np.ndarray, ub: np.ndarray, *, second_stage: bool = True,
              weights: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray, list[str]]:
        """Solve every sample: ``lb``, ``ub`` (and ``weights``) are samples × reactions arrays.

        Returns ``(fluxes, objective, status)``: fluxes samples × reactions (NaN rows where not optimal), the
        FBA optimum ``z*`` per sample, and one status string per sample.
        """
        n_samples = lb.shape[0]
        fluxes = np.full((n_samples, self._n), np.nan)
        objective = np.full(n_samples, np.nan)
        statuses = []
        for i in range(n_samples):
            z, v, status = self.optimum(lb[i], ub[i])
            if status == "optimal":
                objective[i] = z
                if second_stage:
                    v, status = self.second_stage(lb[i], ub[i], z, None if weights is None else weights[i])
                if v is not None:
                    fluxes[i] = v
            statuses.append(status)
        return fluxes, objective, statuses
