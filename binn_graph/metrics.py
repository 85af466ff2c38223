"""Regression scores shared by the CLI's run metrics and the genomic protocol."""

from __future__ import annotations

import numpy as np
from scipy import stats
from sklearn.metrics import mean_squared_error, r2_score

__all__ = ["regression_scores"]


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
