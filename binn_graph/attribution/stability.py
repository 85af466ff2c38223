"""Stability of explanations across seeds or folds (Esser-Skala & Fortelny 2023 show they vary).

Kendall τ between two runs' importance vectors equals τ between their rankings (τ-b depends on the order only). A
mean τ below :data:`LOW_TAU` is flagged: such rankings barely reproduce, and the top of one run says little about
the next.
"""

from __future__ import annotations

from itertools import combinations

import numpy as np
import pandas as pd
from scipy.stats import kendalltau

__all__ = ["stability", "explain_ensemble", "rank_stability", "seed_tables", "add_stability", "LOW_TAU"]

#: Mean Kendall τ between runs below which a ranking is flagged as unstable.
LOW_TAU = 0.5


def stability(tables: list[pd.DataFrame], column: str = "normalized_importance") -> tuple[pd.DataFrame, pd.DataFrame]:
    """Summarise several explanations of the same nodes.

    Returns ``(per_node, kendall)``: per node the mean importance, mean rank and rank standard deviation
    (``n_runs`` counts the runs that had the node), sorted by mean rank; and the matrix of Kendall τ between the
    runs' importance vectors (nodes present in both).
    """
    if len(tables) < 2:
        raise ValueError("stability needs at least two explanations")
    key = ["node_type", "node_id"] + (["output"] if "output" in tables[0].columns else [])
    ranks = [t.set_index(key)["rank"].astype(float).rename(i) for i, t in enumerate(tables)]
    values = [t.set_index(key)[column].rename(i) for i, t in enumerate(tables)]
    R, V = pd.concat(ranks, axis=1), pd.concat(values, axis=1)
    per_node = pd.DataFrame({"mean_importance": V.mean(axis=1), "mean_rank": R.mean(axis=1),
                             "rank_sd": R.std(axis=1, ddof=1), "n_runs": R.notna().sum(axis=1)})
    meta = tables[0].set_index(key)[["name", "level"]]
    per_node = per_node.join(meta).sort_values("mean_rank").reset_index()
    tau = np.eye(len(tables))
    for i, j in combinations(range(len(tables)), 2):
        both = V[[i, j]].dropna()
        tau[i, j] = tau[j, i] = kendalltau(both[i], both[j]).statistic if len(both) > 1 else np.nan
    return per_node, pd.DataFrame(tau)


def explain_ensemble(estimator, X, y, X_eval=None, *, seeds=(0, 1, 2, 3, 4), method: str = "clamp",
                     n_jobs: int | None = None, **explain_options) -> tuple[pd.DataFrame, pd.DataFrame, list[pd.DataFrame]]:
    """Refit ``estimator`` with each seed, explain each fit on ``X_eval`` (default ``X``), and summarise stability.

    ``per_node.attrs["stability"]`` holds :func:`rank_stability`'s summary (mean Kendall τ and the low flag).
    ``n_jobs`` fits the seeds in parallel (:func:`seed_tables`); the result equals the sequential one.
    """
    tables = seed_tables(estimator, X, y, X_eval, seeds=seeds, method=method, n_jobs=n_jobs, **explain_options)
    per_node, tau = stability(tables)
    per_node.attrs["stability"] = rank_stability(tables, tau=tau)
    return per_node, tau, tables


def seed_tables(estimator, X, y, X_eval=None, *, seeds, method: str = "clamp", n_jobs: int | None = None,
                **explain_options) -> list:
    """One explanation of ``X_eval`` (default ``X``) per seed: ``estimator`` cloned, refitted with that seed.

    ``n_jobs`` runs the seeds through :func:`binn_graph.parallel.run_tasks` (default: the estimator's ``n_jobs``
    where it has one); each seed is its own task, so the tables equal the sequential ones exactly.
    """
    from ..parallel import run_tasks

    if n_jobs is None:
        n_jobs = getattr(estimator, "n_jobs", None)
    X_eval = X if X_eval is None else X_eval
    seeds = list(seeds)
    tasks = [(estimator, seed, X, y, X_eval, method, explain_options) for seed in seeds]
    return run_tasks(_seed_table, tasks, n_jobs=n_jobs, star=True, threads=getattr(estimator, "n_threads", 1),
                     names=[f"stability seed {seed}" for seed in seeds], desc="stability seeds", unit="fit",
                     show_progress=False)


def _seed_table(estimator, seed, X, y, X_eval, method: str, explain_options: dict) -> pd.DataFrame:
    """``estimator`` cloned, refitted with ``seed`` and explained on ``X_eval``."""
    from sklearn.base import clone

    from .explain import explain

    model = clone(estimator).set_params(random_state=seed).fit(X, y)
    return explain(model, X_eval, method=method, **explain_options)


def rank_stability(tables: list[pd.DataFrame], *, threshold: float = LOW_TAU, tau: pd.DataFrame | None = None,
                   column: str = "normalized_importance") -> dict:
    """Kendall τ between every pair of runs, summarised, with a flag when rankings barely reproduce.

    Returns ``n_runs``, ``taus`` (one per pair of runs), ``mean_tau``, ``min_tau``, ``max_tau``, ``threshold``,
    ``low`` (mean τ below ``threshold``) and a one-line ``message``. ``tau`` is :func:`stability`'s matrix when
    already computed.
    """
    if tau is None:
        _, tau = stability(tables, column=column)
    matrix = tau.to_numpy()
    taus = [float(matrix[i, j]) for i, j in combinations(range(len(matrix)), 2)]
    finite = [t for t in taus if np.isfinite(t)]
    mean = float(np.mean(finite)) if finite else float("nan")
    low = bool(finite) and mean < threshold
    if not finite:
        message = f"rank stability across {len(tables)} runs: Kendall τ undefined (fewer than two shared nodes)"
    else:
        message = (f"rank stability across {len(tables)} runs: Kendall τ mean {mean:.3f} (pairs {min(finite):.2f} to "
                   f"{max(finite):.2f})")
        message += (f" — LOW (below {threshold:g}): rankings barely reproduce across seeds; trust only nodes "
                    "with a small rank_sd" if low else f", at or above {threshold:g}")
    return {"n_runs": len(tables), "taus": taus, "mean_tau": mean, "min_tau": min(finite) if finite else None,
            "max_tau": max(finite) if finite else None, "threshold": float(threshold), "low": low,
            "message": message}


def add_stability(table: pd.DataFrame, tables: list[pd.DataFrame], *, threshold: float = LOW_TAU) -> pd.DataFrame:
    """``table`` with each node's ``mean_rank`` and ``rank_sd`` across ``tables`` (``table`` among them) and
    ``attrs["stability"]`` from :func:`rank_stability`; rows keep their order."""
    per_node, tau = stability(tables)
    key = ["node_type", "node_id"] + (["output"] if "output" in table.columns else [])
    spread = per_node.set_index(key)[["mean_rank", "rank_sd"]]
    out = table.drop(columns=["mean_rank", "rank_sd"], errors="ignore").join(spread, on=key)
    out.attrs = {**table.attrs, "stability": rank_stability(tables, threshold=threshold, tau=tau)}
    return out
