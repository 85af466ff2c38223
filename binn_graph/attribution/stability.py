"""Stability of explanations across seeds or folds (Esser-Skala & Fortelny 2023 show they vary)."""

from __future__ import annotations

from itertools import combinations

import numpy as np
import pandas as pd
from scipy.stats import kendalltau

__all__ = ["stability", "explain_ensemble"]


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
                     **explain_options) -> tuple[pd.DataFrame, pd.DataFrame, list[pd.DataFrame]]:
    """Refit ``estimator`` with each seed, explain each fit on ``X_eval`` (default ``X``), and summarise stability."""
    from sklearn.base import clone

    from .explain import explain

    tables = []
    for seed in seeds:
        model = clone(estimator).set_params(random_state=seed).fit(X, y)
        tables.append(explain(model, X if X_eval is None else X_eval, method=method, **explain_options))
    per_node, tau = stability(tables)
    return per_node, tau, tables
