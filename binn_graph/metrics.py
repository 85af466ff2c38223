"""Scores shared across the package: regression scores (the CLI's run metrics, the genomic protocol) and the
spiked-edge statistic (signalling networks and BINNs)."""

from __future__ import annotations

import numpy as np
from scipy import stats
from scipy.stats import rankdata
from sklearn.metrics import mean_squared_error, r2_score

__all__ = ["regression_scores", "weight_auc", "spiked_auc_test"]


def regression_scores(y_true, y_pred) -> dict[str, float]:
    """Pearson r, Spearman ρ (pooled over targets), MSE and R² (averaged over targets) of a prediction.

    Correlations are NaN when either side is constant; R² is NaN for a constant truth.
    """
    y_true = np.asarray(y_true, dtype=np.float64)
    y_pred = np.asarray(y_pred, dtype=np.float64).reshape(y_true.shape)
    flat_true, flat_pred = y_true.ravel(), y_pred.ravel()
    constant = np.ptp(flat_pred) == 0 or np.ptp(flat_true) == 0
    return {
        "pearson": np.nan if constant else float(stats.pearsonr(flat_true, flat_pred)[0]),
        "spearman": np.nan if constant else float(stats.spearmanr(flat_true, flat_pred)[0]),
        "mse": float(mean_squared_error(y_true, y_pred)),
        "r2": float(r2_score(y_true, y_pred, force_finite=False)),
    }


def weight_auc(weights, spiked) -> float:
    """AUC of ``|weights|`` for real (``spiked`` False) above spiked edges: Mann–Whitney U / (n_real × n_spiked),
    ties counting one half."""
    magnitude = np.abs(np.asarray(weights, dtype=float))
    spiked = np.asarray(spiked, dtype=bool)
    n_spiked, n_real = int(spiked.sum()), int((~spiked).sum())
    ranks = rankdata(magnitude)
    u = ranks[~spiked].sum() - n_real * (n_real + 1) / 2
    return float(u / (n_real * n_spiked))


def spiked_auc_test(weights, spiked, *, n_permutations: int = 1000, random_state: int | None = 0) -> tuple[float, float]:
    """``(auc, p)``: :func:`weight_auc` and its one-sided permutation p-value, ``(1 + #{null ≥ auc}) / (1 + n)`` over
    ``n_permutations`` random relabellings of which edges are spiked."""
    labels = np.asarray(spiked, dtype=bool)
    auc = weight_auc(weights, labels)
    rng = np.random.default_rng(random_state)
    null = np.array([weight_auc(weights, rng.permutation(labels)) for _ in range(n_permutations)])
    return auc, float((1 + (null >= auc).sum()) / (1 + n_permutations))
